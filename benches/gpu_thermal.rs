//! Criterion benchmarks of the GPU thermal kernels and solve on whatever adapter is
//! present (lavapipe here, an NVIDIA GPU on the device machine); skipped without one.
//!
//! cargo bench --bench gpu_thermal

use criterion::{criterion_group, criterion_main, Criterion};
use thermogrid::gpu::{AdapterChoice, GpuContext};
use thermogrid::samples::floorplan;
use thermogrid::thermal::cpu::Multigrid;
use thermogrid::thermal::gpu::{solve_steady_gpu, GpuMg};
use thermogrid::thermal::operator::assemble;
use thermogrid::thermal::SolveOptions;

fn gpu(c: &mut Criterion) {
    let Ok(ctx) = GpuContext::new(AdapterChoice::Any) else {
        eprintln!("no GPU adapter: skipping GPU benchmarks");
        return;
    };
    let n = 256;
    let p = floorplan(n, false);
    let (a, b) = assemble(&p);
    let mg = Multigrid::new(&a).unwrap();
    let gmg = GpuMg::new(&ctx, &a, &mg).unwrap();
    let rhs: Vec<f32> = b.iter().map(|&v| v as f32).collect();
    let mut g = c.benchmark_group(format!("gpu_{n}"));
    g.sample_size(10);
    g.bench_function("smooth_mc_sweep", |bch| bch.iter(|| gmg.time_fine_sweeps(&ctx, 1).unwrap()));
    g.bench_function("vcycle", |bch| bch.iter(|| gmg.time_vcycles(&ctx, 1).unwrap()));
    g.bench_function("pcg_f32", |bch| bch.iter(|| gmg.pcg(&ctx, &rhs, 1e-6, 100).unwrap()));
    g.bench_function("solve_refined_1e-10", |bch| {
        bch.iter(|| solve_steady_gpu(&ctx, &p, &SolveOptions::default()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, gpu);
criterion_main!(benches);
