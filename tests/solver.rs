//! The CPU multigrid-PCG solver against the sparse direct solve and against itself
//! under refinement.

mod common;
use thermogrid::thermal::{solve_steady, Method, SolveOptions};

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn mg_pcg_matches_direct_on_random_problems() {
    let sizes = [(17, 13, 1), (64, 64, 1), (33, 70, 1), (101, 37, 1), (12, 9, 7), (20, 17, 11), (31, 16, 9)];
    for (s, &(nx, ny, nz)) in sizes.iter().enumerate() {
        let p = common::random_problem(1000 + s as u64, nx, ny, nz);
        let mg = solve_steady(&p, &SolveOptions { tol: 1e-13, ..Default::default() }).unwrap();
        let dir = solve_steady(&p, &SolveOptions { method: Method::Direct, ..Default::default() }).unwrap();
        let d = max_diff(&mg.t, &dir.t);
        eprintln!("{nx}x{ny}x{nz}: {} iterations, rel res {:.2e}, max diff {d:.2e} K", mg.report.iterations, mg.report.relative_residual);
        assert!(mg.report.converged);
        assert!(d <= 1e-9, "{nx}x{ny}x{nz}: MG-PCG and direct differ by {d} K");
    }
}
