//! The airflow model on the GPU (f32 WGSL) against its CPU twins and the CPU f64
//! reference, on lavapipe in CI. Without an adapter these tests skip, unless
//! THERMOGRID_REQUIRE_GPU=1.

mod common;
use std::path::Path;
use thermogrid::airflow::bicgstab::bicgstab;
use thermogrid::airflow::gpu::{bicgstab_scalars, bicgstab_update, GpuBicgstab};
use thermogrid::airflow::links::Links;
use thermogrid::gpu::kernel;
use thermogrid::gpu::{context_for_tests, GpuContext};
use thermogrid::thermal::cpu::Multigrid;
use thermogrid::thermal::gpu::{GpuMg, VecParams};
use thermogrid::thermal::operator::assemble;

fn run1(ctx: &GpuContext, name: &str, bufs: &[&wgpu::Buffer], groups: (u32, u32)) {
    common::dispatch(ctx, &kernel(ctx, name).unwrap(), bufs, groups);
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-30)
}

#[test]
fn bicgstab_kernels_match_their_cpu_twins() {
    let Some(ctx) = context_for_tests() else { return };
    // Scalars, every mode, including a zero denominator (→ 0, not NaN).
    for (mode, zero) in [(0u32, false), (0, true), (1, false), (1, true), (2, false), (2, true)] {
        let mut s = [0.0f64; 16];
        s.iter_mut().enumerate().for_each(|(i, v)| *v = 0.3 + 0.17 * i as f64);
        if zero {
            s[[3, 5, 7][mode as usize]] = 0.0;
        }
        let s32: Vec<f32> = s.iter().map(|&v| v as f32).collect();
        let buf = ctx.storage("scalars", &s32).unwrap();
        let u = ctx.uniform("p", &VecParams { n: 1, groups_x: 1, slot: 0, mode });
        run1(&ctx, "bicgstab_scalars", &[&u, &buf], (1, 1));
        let got = ctx.read::<f32>(&buf, 16).unwrap();
        bicgstab_scalars(&mut s, mode);
        for i in 0..16 {
            assert!(close(got[i] as f64, s[i], 1e-6), "mode {mode} slot {i}: {} vs {}", got[i], s[i]);
            assert!(got[i].is_finite());
        }
    }
    // Vector updates, every mode.
    let n = 1000;
    let mut rng = common::Rng(7);
    let mut v3 = || (0..n).map(|_| rng.f64() * 2.0 - 1.0).collect::<Vec<f64>>();
    let (u, v, w) = (v3(), v3(), v3());
    let mut s = [0.0f64; 16];
    (s[2], s[3], s[4]) = (0.7, -0.4, 1.3);
    for mode in 0..4u32 {
        let f = |x: &[f64]| x.iter().map(|&v| v as f32).collect::<Vec<f32>>();
        let sb = ctx.storage("scalars", &f(&s)).unwrap();
        let (ub, vb, wb) =
            (ctx.storage("u", &f(&u)).unwrap(), ctx.storage("v", &f(&v)).unwrap(), ctx.storage("w", &f(&w)).unwrap());
        let g = ctx.groups(n, 256);
        let prm = ctx.uniform("p", &VecParams { n: n as u32, groups_x: g.0, slot: 0, mode });
        run1(&ctx, "bicgstab_update", &[&prm, &sb, &ub, &vb, &wb], g);
        let got = ctx.read::<f32>(&wb, n).unwrap();
        let mut want = w.clone();
        bicgstab_update(&s, mode, &u, &v, &mut want);
        for i in 0..n {
            assert!((got[i] as f64 - want[i]).abs() < 1e-5, "mode {mode} [{i}]: {} vs {}", got[i], want[i]);
        }
    }
}

/// A random diffusion operator plus links (one receiving cell shared by two links), as
/// the airflow's energy operator is built.
fn linked_problem(nx: usize, ny: usize) -> (thermogrid::thermal::stencil::Stencil, Vec<f64>, Links) {
    let p = common::random_problem(11, nx, ny, 1);
    let (a, b) = assemble(&p);
    let lay = a.layout;
    let cell = |i: usize, j: usize| lay.pidx(i, j, 0);
    let diag = |i: usize, j: usize| a.coef[(j * nx + i) * a.noff()];
    // Weights well below the receiving cells' diagonals keep the operator an M-matrix.
    let w = |i: usize, j: usize| 0.3 * diag(i, j);
    let links = vec![
        (vec![(cell(3, 4), w(3, 4)), (cell(4, 4), w(4, 4) * 0.5)], vec![cell(10, 10), cell(11, 10), cell(12, 10)]),
        (vec![(cell(4, 4), w(4, 4) * 0.4), (cell(20, 3), w(20, 3))], vec![cell(2, 20), cell(2, 21)]),
        (vec![(cell(15, 15), w(15, 15))], vec![cell(4, 4), cell(3, 4)]),
    ];
    (a, b, Links::new(&links))
}

#[test]
fn linked_operator_and_f32_bicgstab_match_the_cpu() {
    let Some(ctx) = context_for_tests() else { return };
    let (nx, ny) = (37, 29);
    let (a, b, links) = linked_problem(nx, ny);
    let lay = a.layout;
    let mut mg = Multigrid::new(&a).unwrap();
    let gmg = GpuMg::new(&ctx, &a, &mg).unwrap();
    let gb = GpuBicgstab::new(&ctx, &gmg, &links).unwrap();
    let apply = |x: &[f64], y: &mut [f64]| {
        a.apply(x, y);
        links.apply(x, y);
    };
    // The operator (stencil apply + link_mean + link_scatter).
    let mut rng = common::Rng(3);
    let x: Vec<f64> = lay.to_padded(&(0..lay.cells()).map(|_| rng.f64() * 40.0).collect::<Vec<_>>());
    let mut y = lay.zeros();
    apply(&x, &mut y);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let got = gb.apply_once(&ctx, &x32).unwrap();
    let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let err = got.iter().zip(&y).map(|(g, w)| (*g as f64 - w).abs()).fold(0.0, f64::max);
    assert!(err <= 1e-5 * scale, "operator: {err:e} of {scale:e}");
    // One f32 BiCGStab solve against the CPU f64 one.
    let bn = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    let b32: Vec<f32> = b.iter().map(|&v| (v / bn) as f32).collect();
    let (e, its) = gb.solve(&ctx, &b32, 1e-5, 200).unwrap();
    let mut xc = lay.zeros();
    let out = bicgstab(&apply, |r, z| mg.vcycle(&a, r, z), &b, &mut xc, 1e-12, 200);
    assert!(out.converged);
    let xs = xc.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let err = e.iter().zip(&xc).map(|(g, w)| (*g as f64 * bn - w).abs()).fold(0.0, f64::max);
    eprintln!(
        "f32 BiCGStab: {its} iterations, max error {err:.2e} of {xs:.2e} (CPU f64: {} iterations)",
        out.iterations
    );
    assert!(err <= 1e-4 * xs, "f32 BiCGStab error {err:e} of {xs:e}");
    assert!(its < 60, "{its} iterations");
}

/// hall_small with `[airflow]`: GPU (f32 solves, refined) against the CPU (f64).
#[test]
fn hall_small_airflow_gpu_matches_cpu() {
    gpu_matches_cpu("meshes/hall_small.toml", 1e-5);
}

/// The 3-D GB200 hall (rear doors on every rack, CRAHs, 440 k cells) with `[airflow]`.
#[test]
fn hall_gb200_3d_airflow_gpu_matches_cpu() {
    gpu_matches_cpu("meshes/hall_gb200_nvl72.toml", 1e-4);
}

fn gpu_matches_cpu(mesh: &str, atol_k: f64) {
    let Some(ctx) = context_for_tests() else { return };
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(mesh)).unwrap();
    let f =
        thermogrid::facility::load_str("airflow.toml", &format!("{base}\n[airflow]\nmodel = \"potential\"\n")).unwrap();
    let r = thermogrid::raster::rasterize(&f).unwrap();
    let s = f.airflow.clone().unwrap();
    let cpu = thermogrid::airflow::facility::solve_on(&f, &r, &s, 1e-10, 500, None).unwrap();
    let gpu = thermogrid::airflow::facility::solve_on(&f, &r, &s, 1e-10, 500, Some(&ctx)).unwrap();
    let d = cpu.t.iter().zip(&gpu.t).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    eprintln!(
        "{mesh} airflow: CPU {} / GPU {} iterations, max |ΔT| {d:.2e} K, GPU mass {:.1e}, energy {:.1e}",
        cpu.solver_iterations, gpu.solver_iterations, gpu.mass_residual, gpu.energy_rel_error
    );
    assert_eq!(gpu.backend, "gpu");
    assert!(gpu.relative_residual <= 1e-10);
    assert!(d < atol_k, "GPU and CPU temperatures differ by {d} K");
    assert!(gpu.mass_residual < 1e-9 && gpu.energy_rel_error < 1e-9);
    for (a, b) in cpu.removed_w.iter().zip(&gpu.removed_w) {
        assert!((a - b).abs() <= 1e-6 * a.abs().max(1.0));
    }
}
