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
        eprintln!(
            "{nx}x{ny}x{nz}: {} iterations, rel res {:.2e}, max diff {d:.2e} K",
            mg.report.iterations, mg.report.relative_residual
        );
        assert!(mg.report.converged);
        assert!(d <= 1e-9, "{nx}x{ny}x{nz}: MG-PCG and direct differ by {d} K");
    }
}

/// Same physical floorplan (racks, CRAHs, concrete columns, adiabatic walls) at 64² and
/// 1024²: multigrid keeps the iteration count nearly flat.
#[test]
fn iterations_flat_under_refinement() {
    let opts = SolveOptions::default();
    let mut its = Vec::new();
    for n in [64, 128, 256, 512, 1024] {
        let p = thermogrid::samples::floorplan(n, false);
        let s = solve_steady(&p, &opts).unwrap();
        assert!(s.report.converged && s.report.relative_residual <= 1e-10);
        eprintln!("{n}²: {} iterations, {:.3} s", s.report.iterations, s.report.setup_s + s.report.solve_s);
        its.push(s.report.iterations as f64);
    }
    let ratio = its.last().unwrap() / its[0];
    assert!(ratio <= 1.5, "iterations {its:?}: 1024² / 64² = {ratio}");
}

/// Conductivity 2 + x, T = 20 + 5 cos(πx) cos(πy) [cos(πz)] on the unit square/cube with
/// adiabatic walls (∂T/∂n = 0 there) and h = 1: q follows analytically. The cell-centred
/// scheme is second order, so the max error falls ≈ 4× per halving of dx.
fn manufactured(n: usize, three_d: bool) -> f64 {
    use std::f64::consts::PI;
    use thermogrid::grid::{Grid, Wall, Walls};
    let dx = 1.0 / n as f64;
    let g = if three_d { Grid::new_3d(n, n, n, dx) } else { Grid::new_2d(n, n, dx, dx) };
    let nz = g.nz;
    let d = if three_d { 3.0 } else { 2.0 };
    let (mut k, mut q, mut exact) = (vec![0.0; g.cells()], vec![0.0; g.cells()], vec![0.0; g.cells()]);
    for kk in 0..nz {
        for j in 0..n {
            for i in 0..n {
                let (x, y, z) = ((i as f64 + 0.5) * dx, (j as f64 + 0.5) * dx, (kk as f64 + 0.5) * dx);
                let cz = if three_d { (PI * z).cos() } else { 1.0 };
                let phi = (PI * x).cos() * (PI * y).cos() * cz;
                let t = 20.0 + 5.0 * phi;
                let kc = 2.0 + x;
                let dtdx = -5.0 * PI * (PI * x).sin() * (PI * y).cos() * cz;
                let lap = -d * PI * PI * 5.0 * phi;
                let c = g.idx(i, j, kk);
                k[c] = kc;
                exact[c] = t;
                q[c] = -(dtdx + kc * lap) + 1.0 * (t - 0.0);
            }
        }
    }
    let p = thermogrid::thermal::ThermalProblem {
        grid: g,
        k,
        q,
        h: vec![1.0; g.cells()],
        t_s: vec![0.0; g.cells()],
        walls: Walls::all(Wall::Adiabatic),
    };
    let s = solve_steady(&p, &SolveOptions { tol: 1e-12, ..Default::default() }).unwrap();
    max_diff(&s.t, &exact)
}

#[test]
fn manufactured_2d_second_order() {
    let e: Vec<f64> = [16, 32, 64, 128].iter().map(|&n| manufactured(n, false)).collect();
    eprintln!("2-D errors {e:?}");
    for w in e.windows(2) {
        let rate = (w[0] / w[1]).log2();
        assert!((1.8..2.3).contains(&rate), "2-D convergence order {rate} from errors {e:?}");
    }
    assert!(e[3] < 2e-3);
}

#[test]
fn manufactured_3d_second_order() {
    let e: Vec<f64> = [8, 16, 32].iter().map(|&n| manufactured(n, true)).collect();
    eprintln!("3-D errors {e:?}");
    for w in e.windows(2) {
        let rate = (w[0] / w[1]).log2();
        assert!((1.8..2.3).contains(&rate), "3-D convergence order {rate} from errors {e:?}");
    }
}

/// A discrete-exact manufactured problem: q is computed from a chosen T with the
/// operator itself, so the solver must return that T to round-off.
#[test]
fn discrete_exact_3d_with_mixed_walls() {
    use thermogrid::thermal::operator::assemble;
    let mut p = common::random_problem(77, 23, 19, 13);
    let g = p.grid;
    let exact: Vec<f64> = (0..g.cells()).map(|c| 22.0 + 8.0 * ((c as f64) * 0.37).sin()).collect();
    // q = A T − (b without q), with b = q + h T_s + wall terms.
    p.q = vec![0.0; g.cells()];
    let (a, b0) = assemble(&p);
    let lay = a.layout;
    let mut at = lay.zeros();
    a.apply(&lay.to_padded(&exact), &mut at);
    let at = lay.to_compact(&at);
    let b0 = lay.to_compact(&b0);
    p.q = at.iter().zip(&b0).map(|(x, y)| x - y).collect();
    let s = solve_steady(&p, &SolveOptions { tol: 1e-12, ..Default::default() }).unwrap();
    let d = max_diff(&s.t, &exact);
    assert!(d < 1e-8, "max error {d} K");
}

#[test]
fn singular_problem_is_an_error() {
    let mut p = thermogrid::samples::floorplan(32, false);
    p.h.iter_mut().for_each(|h| *h = 0.0);
    let e = solve_steady(&p, &SolveOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no heat path"), "{e}");
}
