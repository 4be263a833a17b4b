//! The GPU thermal solver (f32 MG-PCG, WGSL) against the CPU reference, on lavapipe in
//! CI. Without an adapter these tests skip, unless THERMOGRID_REQUIRE_GPU=1.

mod common;
use std::path::Path;
use thermogrid::gpu::context_for_tests;
use thermogrid::io::fields::read_fields;
use thermogrid::thermal::gpu::solve_steady_gpu;
#[allow(unused_imports)]
use thermogrid::thermal::stencil::Layout;
use thermogrid::thermal::{solve_steady, SolveOptions};

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn shared_mms2d_f32_and_refined() {
    let Some(ctx) = context_for_tests() else { return };
    let f =
        read_fields(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/thermal/mms2d_64x64.h5").to_str().unwrap())
            .unwrap();
    let exp = f.t_expected.clone().unwrap();
    let s32 = solve_steady_gpu(&ctx, &f.problem, &SolveOptions { tol: 1e-6, ..Default::default() }).unwrap();
    let e32 = max_diff(&s32.t, &exp);
    let s64 = solve_steady_gpu(&ctx, &f.problem, &SolveOptions { tol: 1e-10, ..Default::default() }).unwrap();
    let e64 = max_diff(&s64.t, &exp);
    eprintln!(
        "mms2d: f32 {} its, err {e32:.2e} K; refined {} its, err {e64:.2e} K, rel {:.1e}",
        s32.report.iterations, s64.report.iterations, s64.report.relative_residual
    );
    assert!(e32 <= f.atol_f32_k.unwrap(), "f32 error {e32}");
    assert!(e64 <= f.atol_f64_k.unwrap(), "refined error {e64}");
    assert!(s64.report.relative_residual <= 1e-10);
}

use thermogrid::gpu::kernel;
use thermogrid::gpu::GpuContext;
use thermogrid::thermal::cpu::smooth::{colours, smooth_mc};
use thermogrid::thermal::cpu::transfer::Interp;
use thermogrid::thermal::cpu::Multigrid;
use thermogrid::thermal::gpu::{colour_threads, level_params, smooth_params, transfer_params, GpuMg, VecParams};
use thermogrid::thermal::operator::assemble;
use thermogrid::thermal::stencil::Stencil;

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

fn run1(ctx: &GpuContext, name: &str, bufs: &[&wgpu::Buffer], groups: (u32, u32)) {
    common::dispatch(ctx, &kernel(ctx, name).unwrap(), bufs, groups);
}

/// Random padded vector (ghosts zero).
fn rand_padded(l: &Layout, seed: u64) -> Vec<f64> {
    let mut rng = common::Rng(seed);
    let c: Vec<f64> = (0..l.cells()).map(|_| rng.f64() * 2.0 - 1.0).collect();
    l.to_padded(&c)
}

fn rel_err(a: &[f64], b: &[f32]) -> f64 {
    let scale = a.iter().fold(1e-30f64, |m, v| m.max(v.abs()));
    a.iter().zip(b).map(|(x, y)| (x - *y as f64).abs()).fold(0.0, f64::max) / scale
}

/// Operators to test kernels on: fine face stencils (2-D, 3-D, odd sizes) and the first
/// Galerkin coarse level of each (box stencils, 9 and 27 points).
fn operators() -> Vec<Stencil> {
    let mut out = Vec::new();
    for (s, (nx, ny, nz)) in [(37, 23, 1), (13, 11, 7)].into_iter().enumerate() {
        let p = common::random_problem(900 + s as u64, nx, ny, nz);
        let (a, _) = assemble(&p);
        let it = Interp::new(&a);
        out.push(it.galerkin_rap(&a));
        out.push(a);
    }
    out
}

#[test]
fn stencil_kernels_match_cpu_twins() {
    let Some(ctx) = context_for_tests() else { return };
    for a in operators() {
        let l = a.layout;
        let x = rand_padded(&l, 1);
        let b = rand_padded(&l, 2);
        let g = ctx.groups(l.cells(), 256);
        let coef = ctx.storage("coef", &f32s(&a.coef)).unwrap();
        let delta = ctx.storage("delta", &a.delta.iter().map(|&d| d as i32).collect::<Vec<i32>>()).unwrap();
        let xb = ctx.storage("x", &f32s(&x)).unwrap();
        let bb = ctx.storage("b", &f32s(&b)).unwrap();
        let out = ctx.storage_zeroed::<f32>("out", l.padded_len()).unwrap();
        let u = ctx.uniform("p", &level_params(&ctx, &a, 0));
        // apply
        run1(&ctx, "apply", &[&u, &coef, &delta, &xb, &out], g);
        let mut want = l.zeros();
        a.apply(&x, &mut want);
        let e = rel_err(&want, &ctx.read::<f32>(&out, l.padded_len()).unwrap());
        assert!(e < 1e-5, "apply {:?}: {e}", l.n);
        // residual
        run1(&ctx, "residual", &[&u, &coef, &delta, &bb, &xb, &out], g);
        a.residual(&b, &x, &mut want);
        let e = rel_err(&want, &ctx.read::<f32>(&out, l.padded_len()).unwrap());
        assert!(e < 1e-5, "residual {:?}: {e}", l.n);
        // one colour of Gauss–Seidel
        for c in colours(&a) {
            let code = if c[1] == 255 { c[0] as u32 } else { c[0] as u32 | (c[1] as u32) << 1 | (c[2] as u32) << 2 };
            // Colour-compacted: one thread per cell of the colour.
            let uc = ctx.uniform("p", &smooth_params(&ctx, &a, code));
            let xs = ctx.storage("x", &f32s(&x)).unwrap();
            run1(&ctx, "smooth_mc", &[&uc, &coef, &delta, &bb, &xs], ctx.groups(colour_threads(&a, code), 256));
            let mut xc = x.clone();
            smooth_mc(&a, c, &b, &mut xc);
            let e = rel_err(&xc, &ctx.read::<f32>(&xs, l.padded_len()).unwrap());
            assert!(e < 1e-5, "smooth_mc {:?} colour {c:?}: {e}", l.n);
        }
    }
}

#[test]
fn transfer_kernels_match_cpu_twins() {
    let Some(ctx) = context_for_tests() else { return };
    for a in operators() {
        let it = Interp::new(&a);
        let (fl, cl) = (it.fine, it.coarse);
        let tp = ctx.uniform("t", &transfer_params(&ctx, &it));
        let w = ctx.storage("w", &it.w_lo).unwrap();
        let rf = rand_padded(&fl, 3);
        let rfb = ctx.storage("rf", &f32s(&rf)).unwrap();
        let bc = ctx.storage_zeroed::<f32>("bc", cl.padded_len()).unwrap();
        run1(&ctx, "restrict_fw", &[&tp, &w, &rfb, &bc], ctx.groups(cl.cells(), 256));
        let mut want = cl.zeros();
        it.restrict_fw(&rf, &mut want);
        let e = rel_err(&want, &ctx.read::<f32>(&bc, cl.padded_len()).unwrap());
        assert!(e < 1e-5, "restrict_fw {:?}: {e}", fl.n);
        let xc = rand_padded(&cl, 4);
        let xf = rand_padded(&fl, 5);
        let xcb = ctx.storage("xc", &f32s(&xc)).unwrap();
        let xfb = ctx.storage("xf", &f32s(&xf)).unwrap();
        run1(&ctx, "prolong_add", &[&tp, &w, &xcb, &xfb], ctx.groups(fl.cells(), 256));
        let mut want = xf.clone();
        it.prolong_add(&xc, &mut want);
        let e = rel_err(&want, &ctx.read::<f32>(&xfb, fl.padded_len()).unwrap());
        assert!(e < 1e-5, "prolong_add {:?}: {e}", fl.n);
    }
}

#[test]
fn vector_kernels_match_cpu_twins() {
    let Some(ctx) = context_for_tests() else { return };
    let n = 70_001;
    let mut rng = common::Rng(7);
    let a: Vec<f64> = (0..n).map(|_| rng.f64() - 0.5).collect();
    let b: Vec<f64> = (0..n).map(|_| rng.f64() - 0.5).collect();
    let (ab, bb) = (ctx.storage("a", &f32s(&a)).unwrap(), ctx.storage("b", &f32s(&b)).unwrap());
    let partial = ctx.storage_zeroed::<f32>("partial", 256).unwrap();
    let scal = ctx.storage("s", &[2.0f32, 4.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0]).unwrap();
    let g = ctx.groups(n, 256);
    let u = ctx.uniform("v", &VecParams { n: n as u32, groups_x: g.0, slot: 5, mode: 0 });
    run1(&ctx, "dot", &[&u, &ab, &bb, &partial], (256, 1));
    let ur = ctx.uniform("v", &VecParams { n: 256, groups_x: 1, slot: 5, mode: 0 });
    run1(&ctx, "reduce_sum", &[&ur, &partial, &scal], (1, 1));
    let parts: Vec<f64> = ctx.read::<f32>(&partial, 256).unwrap().iter().map(|&v| v as f64).collect();
    let s = ctx.read::<f32>(&scal, 8).unwrap();
    let want = thermogrid::thermal::stencil::dot(&a, &b);
    assert!((s[5] as f64 - want).abs() < 1e-4 * (n as f64).sqrt(), "dot {} vs {want}", s[5]);
    assert!((thermogrid::thermal::gpu::reduce_sum(&parts) - s[5] as f64).abs() < 1e-3);
    // cg_scalars, mode 0 then 1, against the twin.
    let mut twin = [2.0, 4.0, 0.0, 3.0, 0.0, s[5] as f64];
    let u0 = ctx.uniform("v", &VecParams { n: 0, groups_x: 1, slot: 0, mode: 0 });
    run1(&ctx, "cg_scalars", &[&u0, &scal], (1, 1));
    thermogrid::thermal::gpu::cg_scalars(&mut twin, 0);
    let u1 = ctx.uniform("v", &VecParams { n: 0, groups_x: 1, slot: 0, mode: 1 });
    run1(&ctx, "cg_scalars", &[&u1, &scal], (1, 1));
    thermogrid::thermal::gpu::cg_scalars(&mut twin, 1);
    let s = ctx.read::<f32>(&scal, 8).unwrap();
    for i in 0..5 {
        assert!((s[i] as f64 - twin[i]).abs() < 1e-6, "slot {i}: {} vs {}", s[i], twin[i]);
    }
    // cg_update with alpha = s[2], xpby with beta = s[4].
    let (xb, rb) = (ctx.storage("x", &f32s(&a)).unwrap(), ctx.storage("r", &f32s(&b)).unwrap());
    let uv = ctx.uniform("v", &VecParams { n: n as u32, groups_x: g.0, slot: 0, mode: 0 });
    run1(&ctx, "cg_update", &[&uv, &scal, &bb, &ab, &xb, &rb], g);
    let (mut x, mut r) = (a.clone(), b.clone());
    thermogrid::thermal::stencil::cg_update(twin[2], &b, &a, &mut x, &mut r);
    assert!(rel_err(&x, &ctx.read::<f32>(&xb, n).unwrap()) < 1e-6);
    assert!(rel_err(&r, &ctx.read::<f32>(&rb, n).unwrap()) < 1e-6);
    run1(&ctx, "xpby", &[&uv, &scal, &ab, &bb], g);
    let mut p = b.clone();
    thermogrid::thermal::stencil::xpby(&a, twin[4], &mut p);
    assert!(rel_err(&p, &ctx.read::<f32>(&bb, n).unwrap()) < 1e-6);
}

#[test]
fn coarse_solve_and_vcycle_match_cpu() {
    let Some(ctx) = context_for_tests() else { return };
    for (nx, ny, nz) in [(45, 31, 1), (17, 15, 9)] {
        let p = common::random_problem(4242, nx, ny, nz);
        let (a, b) = assemble(&p);
        let mut mg = Multigrid::new(&a).unwrap();
        let gmg = GpuMg::new(&ctx, &a, &mg).unwrap();
        let z = gmg.vcycle_once(&ctx, &f32s(&b)).unwrap();
        let mut want = a.layout.zeros();
        mg.vcycle(&a, &b, &mut want);
        let e = rel_err(&want, &z);
        eprintln!("{nx}x{ny}x{nz}: {} levels, V-cycle relative difference {e:.1e}", gmg.depth);
        assert!(e < 1e-3, "V-cycle {nx}x{ny}x{nz}: {e}");
    }
}

#[test]
fn full_solves_match_cpu_reference() {
    let Some(ctx) = context_for_tests() else { return };
    for (s, (nx, ny, nz)) in
        [(64, 64, 1), (101, 37, 1), (33, 70, 1), (20, 17, 11), (16, 16, 16)].into_iter().enumerate()
    {
        let p = common::random_problem(77 + s as u64, nx, ny, nz);
        let cpu = solve_steady(&p, &SolveOptions { tol: 1e-12, ..Default::default() }).unwrap();
        let g32 = solve_steady_gpu(&ctx, &p, &SolveOptions { tol: 1e-6, ..Default::default() }).unwrap();
        let g64 = solve_steady_gpu(&ctx, &p, &SolveOptions { tol: 1e-10, ..Default::default() }).unwrap();
        let (e32, e64) = (max_diff(&cpu.t, &g32.t), max_diff(&cpu.t, &g64.t));
        let span =
            cpu.t.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v)) - cpu.t.iter().fold(f64::INFINITY, |m, &v| m.min(v));
        eprintln!(
            "{nx}x{ny}x{nz}: f32 {} its err {e32:.1e} K; refined {} its err {e64:.1e} K (span {span:.1} K)",
            g32.report.iterations, g64.report.iterations
        );
        assert!(e32 <= 1e-4 * span.max(1.0) + 1e-3, "{nx}x{ny}x{nz}: f32 error {e32}");
        assert!(e64 <= 1e-6, "{nx}x{ny}x{nz}: refined error {e64}");
        assert!(g64.report.converged);
    }
}

/// Manufactured problems of our own, 2-D and 3-D, with strong contrasts: q computed
/// from a chosen T with the operator itself, so T is the exact discrete answer.
#[test]
fn manufactured_2d_3d_within_atol() {
    let Some(ctx) = context_for_tests() else { return };
    for (nx, ny, nz) in [(63, 41, 1), (24, 19, 13)] {
        let mut p = common::random_problem(2026, nx, ny, nz);
        let g = p.grid;
        let exact: Vec<f64> = (0..g.cells()).map(|c| 24.0 + 6.0 * ((c as f64) * 0.013).sin()).collect();
        p.q = vec![0.0; g.cells()];
        let (a, b0) = assemble(&p);
        let lay = a.layout;
        let mut at = lay.zeros();
        a.apply(&lay.to_padded(&exact), &mut at);
        let (at, b0) = (lay.to_compact(&at), lay.to_compact(&b0));
        p.q = at.iter().zip(&b0).map(|(x, y)| x - y).collect();
        let e32 =
            max_diff(&solve_steady_gpu(&ctx, &p, &SolveOptions { tol: 1e-6, ..Default::default() }).unwrap().t, &exact);
        let e64 = max_diff(
            &solve_steady_gpu(&ctx, &p, &SolveOptions { tol: 1e-10, ..Default::default() }).unwrap().t,
            &exact,
        );
        eprintln!("{nx}x{ny}x{nz}: f32 error {e32:.1e} K, refined {e64:.1e} K");
        assert!(e32 <= 1e-2, "{nx}x{ny}x{nz}: f32 {e32}");
        assert!(e64 <= 1e-6, "{nx}x{ny}x{nz}: refined {e64}");
    }
}
