//! The GPU thermal solver (f32 MG-PCG, WGSL) against the CPU reference, on lavapipe in
//! CI. Without an adapter these tests skip, unless THERMOGRID_REQUIRE_GPU=1.

mod common;
use std::path::Path;
use thermogrid::gpu::context_for_tests;
use thermogrid::io::fields::read_fields;
use thermogrid::thermal::gpu::solve_steady_gpu;
use thermogrid::thermal::{solve_steady, SolveOptions};
#[allow(unused_imports)]
use thermogrid::thermal::stencil::Layout;

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn shared_mms2d_f32_and_refined() {
    let Some(ctx) = context_for_tests() else { return };
    let f = read_fields(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/thermal/mms2d_64x64.h5").to_str().unwrap()).unwrap();
    let exp = f.t_expected.clone().unwrap();
    let s32 = solve_steady_gpu(&ctx, &f.problem, &SolveOptions { tol: 1e-6, ..Default::default() }).unwrap();
    let e32 = max_diff(&s32.t, &exp);
    let s64 = solve_steady_gpu(&ctx, &f.problem, &SolveOptions { tol: 1e-10, ..Default::default() }).unwrap();
    let e64 = max_diff(&s64.t, &exp);
    eprintln!("mms2d: f32 {} its, err {e32:.2e} K; refined {} its, err {e64:.2e} K, rel {:.1e}", s32.report.iterations, s64.report.iterations, s64.report.relative_residual);
    assert!(e32 <= f.atol_f32_k.unwrap(), "f32 error {e32}");
    assert!(e64 <= f.atol_f64_k.unwrap(), "refined error {e64}");
    assert!(s64.report.relative_residual <= 1e-10);
}
