//! GPU power benchmarks for an H100/H200 machine (or lavapipe at small sizes), with the
//! CPU baseline measured in the same run:
//! - full N-1 on each case: CPU f64 screening vs GPU screening (LODF from the CPU);
//! - `ptdf_gemm`: PTDF (n_branch × n_bus) × injections (n_bus × T) for T steps, kernel
//!   time and GFLOP/s, against the CPU multi-RHS time series.
//!
//! cargo run --release --example gpu_power_bench -- [--steps T] case.m ...

use std::time::Instant;
use thermogrid::gpu::{AdapterChoice, GpuContext};
use thermogrid::power::contingency::{n1_cpu, ptdf};
use thermogrid::power::gpu::{n1_gpu, ptdf_gemm_gpu};
use thermogrid::power::matpower::read_matpower;
use thermogrid::power::timeseries::{flows_cpu, it_by_bus};
use thermogrid::power::DcPowerFlow;

fn best<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut t = f64::INFINITY;
    let mut out = None;
    for _ in 0..n {
        let t0 = Instant::now();
        let r = f();
        t = t.min(t0.elapsed().as_secs_f64());
        out = Some(r);
    }
    (t, out.unwrap())
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut steps = 8760;
    if let Some(i) = args.iter().position(|a| a == "--steps") {
        steps = args[i + 1].parse().expect("--steps T");
        args.drain(i..i + 2);
    }
    let ctx = GpuContext::new(AdapterChoice::Any).expect("a GPU adapter");
    println!(
        "adapter: {} ({}), CPU threads: {}",
        ctx.adapter.name,
        ctx.adapter.device_type,
        rayon::current_num_threads()
    );
    println!(
        "{:<22} {:>8} {:>12} {:>12} {:>10} {:>12} {:>12} {:>10}",
        "case", "outages", "N-1 CPU ms", "N-1 GPU ms", "T", "TS CPU ms", "GEMM ms", "GFLOP/s"
    );
    for path in &args {
        let net = read_matpower(path).expect("case");
        let pf = DcPowerFlow::new(&net).expect("solvable");
        let base = pf.solve(&net).pf_mw;
        let (t_cpu, n1) = best(3, || n1_cpu(&pf, &net, &base, 100.0, false));
        let (t_gpu, _) = best(3, || n1_gpu(&ctx, &pf, &net, &base, 100.0, false).expect("GPU N-1"));
        // Time series: every load bus varies.
        let nb = net.bus.rows();
        let it = it_by_bus(&net, None);
        let varying: Vec<usize> = (0..nb).filter(|&r| it[r] != 0.0 && pf.bus_idx[r].is_some()).collect();
        let dp = |t: usize, r: usize| -it[r] * 0.3 * ((t as f64) * 0.01).sin();
        let (t_ts_cpu, _) = best(1, || flows_cpu(&pf, &net, &varying, &dp, steps));
        let p = ptdf(&pf, nb);
        let nl = net.branch.rows();
        let k = varying.len();
        let a: Vec<f32> =
            (0..nl).flat_map(|l| varying.iter().map(move |&r| (l, r))).map(|(l, r)| p[l * nb + r] as f32).collect();
        let bm: Vec<f32> =
            varying.iter().flat_map(|&r| (0..steps).map(move |t| (t, r))).map(|(t, r)| dp(t, r) as f32).collect();
        let (t_gemm, _) = best(3, || ptdf_gemm_gpu(&ctx, &a, &bm, nl, steps, k).expect("GEMM"));
        let gflops = 2.0 * nl as f64 * k as f64 * steps as f64 / t_gemm / 1e9;
        let name = std::path::Path::new(path).file_name().unwrap().to_string_lossy();
        println!(
            "{:<22} {:>8} {:>12.1} {:>12.1} {:>10} {:>12.1} {:>12.1} {:>10.1}",
            name,
            n1.outages.len(),
            t_cpu * 1e3,
            t_gpu * 1e3,
            steps,
            t_ts_cpu * 1e3,
            t_gemm * 1e3,
            gflops
        );
    }
    println!(
        "GEMM time includes upload and readback (one submit); N-1 GPU includes the LODF columns computed on the CPU."
    );
}
