//! Criterion benchmarks of the CPU reference solver: whole solves (setup + MG-PCG to
//! relative residual 1e-8) of the sample floorplan, and its kernels at 1024².
//!
//! cargo bench --bench thermal_solve

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::Duration;
use thermogrid::samples::floorplan;
use thermogrid::thermal::cpu::smooth::{colours, smooth_mc};
use thermogrid::thermal::cpu::transfer::Interp;
use thermogrid::thermal::cpu::Multigrid;
use thermogrid::thermal::operator::assemble;
use thermogrid::thermal::{solve_steady, SolveOptions};

fn solves(c: &mut Criterion) {
    let mut g = c.benchmark_group("floorplan_solve_1e-8");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    for n in [256usize, 512, 1024] {
        let p = floorplan(n, false);
        let opts = SolveOptions { tol: 1e-8, ..Default::default() };
        g.bench_with_input(BenchmarkId::from_parameter(n), &p, |b, p| b.iter(|| solve_steady(p, &opts).unwrap()));
    }
    g.finish();
}

fn kernels(c: &mut Criterion) {
    let n = 1024;
    let p = floorplan(n, false);
    let (a, rhs) = assemble(&p);
    let lay = a.layout;
    let mut x = lay.zeros();
    let mut r = lay.zeros();
    let cols = colours(&a);
    let mut g = c.benchmark_group("kernels_1024");
    g.sample_size(20);
    g.bench_function("residual", |b| b.iter(|| a.residual(&rhs, &x, &mut r)));
    g.bench_function("smooth_mc_sweep", |b| b.iter(|| cols.iter().for_each(|&c| smooth_mc(&a, c, &rhs, &mut x))));
    let interp = Interp::new(&a);
    let mut bc = interp.coarse.zeros();
    g.bench_function("restrict_fw", |b| b.iter(|| interp.restrict_fw(&r, &mut bc)));
    g.bench_function("prolong_add", |b| b.iter(|| interp.prolong_add(&bc, &mut x)));
    g.bench_function("galerkin_rap", |b| b.iter(|| interp.galerkin_rap(&a)));
    g.bench_function("multigrid_setup", |b| b.iter(|| Multigrid::new(&a).unwrap()));
    let mut mg = Multigrid::new(&a).unwrap();
    g.bench_function("vcycle", |b| b.iter(|| mg.vcycle(&a, &rhs, &mut x)));
    g.finish();
}

criterion_group!(benches, solves, kernels);
criterion_main!(benches);
