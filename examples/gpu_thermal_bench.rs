//! GPU thermal benchmark for an H100/H200 machine (or lavapipe at small sizes), with the
//! CPU reference measured in the same run. For each problem (the sample floorplan, 2-D
//! n², and 3-D m³): host setup + upload, time per V-cycle, one smoother sweep against its
//! bandwidth floor, iterations and solve time to f32 accuracy (readback separately), and
//! the CPU reference solve (f64, relative residual 1e-8).
//!
//! cargo run --release --example gpu_thermal_bench -- [--3d M] N ...

use std::time::Instant;
use thermogrid::gpu::{AdapterChoice, GpuContext};
use thermogrid::samples::{floorplan, floorplan_3d};
use thermogrid::thermal::cpu::Multigrid;
use thermogrid::thermal::gpu::GpuMg;
use thermogrid::thermal::operator::assemble;
use thermogrid::thermal::{solve_steady, SolveOptions, ThermalProblem};

fn bench(ctx: &GpuContext, name: &str, p: &ThermalProblem, bw: f64) {
    let cells = p.grid.cells();
    let t0 = Instant::now();
    let (a, b) = assemble(p);
    let mg = Multigrid::new(&a).expect("hierarchy");
    let t_host = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let gmg = match GpuMg::new(ctx, &a, &mg) {
        Ok(g) => g,
        Err(e) => {
            println!("{name:<14} skipped: {e}");
            return;
        }
    };
    let t_upload = t1.elapsed().as_secs_f64();
    let t_v = gmg.time_vcycles(ctx, 10).expect("V-cycles");
    let t_sweep = gmg.time_fine_sweeps(ctx, 10).expect("sweeps");
    // Sweep floor: every cell reads its noff coefficients, b and x, and writes x once.
    let sweep_bytes = cells as f64 * (a.noff() as f64 + 3.0) * 4.0;
    let floor = sweep_bytes / bw;
    let rhs: Vec<f32> = b.iter().map(|&v| v as f32).collect();
    let t2 = Instant::now();
    let (_, its, rel) = gmg.pcg(ctx, &rhs, 1e-6, 200).expect("solve");
    let t_solve = t2.elapsed().as_secs_f64();
    let t3 = Instant::now();
    let _ = gmg.read_x(ctx).expect("readback");
    let t_read = t3.elapsed().as_secs_f64();
    let t4 = Instant::now();
    let cpu = solve_steady(p, &SolveOptions { tol: 1e-8, ..Default::default() }).expect("CPU");
    let t_cpu = t4.elapsed().as_secs_f64();
    println!(
        "{name:<14} {cells:>11} {:>3} lv | setup {:>7.1} ms upload {:>7.1} ms | V-cycle {:>8.3} ms | sweep {:>8.3} ms floor {:>7.3} ms ({:>4.2}x) {:>6.0} GB/s | {its:>3} it rel {rel:.1e} solve {:>8.2} ms readback {:>6.2} ms | CPU {:>3} it {:>8.1} ms",
        gmg.depth,
        t_host * 1e3,
        t_upload * 1e3,
        t_v * 1e3,
        t_sweep * 1e3,
        floor * 1e3,
        t_sweep / floor,
        sweep_bytes / t_sweep / 1e9,
        t_solve * 1e3,
        t_read * 1e3,
        cpu.report.iterations,
        t_cpu * 1e3
    );
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut cube = None;
    if let Some(i) = args.iter().position(|a| a == "--3d") {
        cube = Some(args[i + 1].parse::<usize>().expect("--3d M"));
        args.drain(i..i + 2);
    }
    let ctx = GpuContext::new(AdapterChoice::Any).expect("a GPU adapter");
    let bw = ctx.copy_bandwidth(256 << 20);
    println!(
        "adapter {} ({}); copy bandwidth {:.0} GB/s; CPU threads {}",
        ctx.adapter.name,
        ctx.adapter.device_type,
        bw / 1e9,
        rayon::current_num_threads()
    );
    for n in args.iter().map(|a| a.parse::<usize>().expect("N")) {
        bench(&ctx, &format!("2-D {n}²"), &floorplan(n, false), bw);
    }
    if let Some(m) = cube {
        bench(&ctx, &format!("3-D {m}³"), &floorplan_3d(m, m), bw);
    }
    println!("solve = f32 MG-PCG from the first upload's data to f32 accuracy (stagnation or 1e-6), excluding setup/upload; readback = the solution copy to the host.");
}
