//! The hall-air model's GPU kernels on facility files, for the device run (or lavapipe
//! on small rooms): seconds per march step, then each kernel of a step against its
//! bandwidth floor (its compulsory bytes over the device's measured copy bandwidth).
//! Prints a table; `--json PATH` writes it.
//!
//! cargo run --release --example gpu_air_bench -- [--steps N] [--json PATH] FACILITY.toml ...

use thermogrid::gpu::{AdapterChoice, GpuContext};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut steps, mut json, mut files) = (20usize, None, Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--steps" => steps = it.next().and_then(|v| v.parse().ok()).unwrap_or(steps),
            "--json" => json = it.next().cloned(),
            f => files.push(f.to_string()),
        }
    }
    let ctx = match GpuContext::new(AdapterChoice::Any) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gpu_air_bench: {e}");
            std::process::exit(2);
        }
    };
    let bw = ctx.copy_bandwidth(256 << 20);
    println!("{} ({}): device copy {:.0} GB/s (read + write)", ctx.adapter.name, ctx.adapter.backend, bw / 1e9);
    let mut out = Vec::new();
    for path in &files {
        let run = || -> Result<thermogrid::airflow::facility::GpuProfile, String> {
            let f = thermogrid::facility::load(path).map_err(|e| e.to_string())?;
            let r = thermogrid::raster::rasterize(&f).map_err(|e| e.to_string())?;
            let s = f.airflow.clone().ok_or("the facility has no [airflow]")?;
            thermogrid::airflow::facility::gpu_profile(&ctx, &f, &r, &s, steps, 20).map_err(|e| e.to_string())
        };
        let p = match run() {
            Ok(p) => p,
            Err(e) => {
                println!("{path}: {e}");
                continue;
            }
        };
        println!(
            "\n{path}: {} cells, {:.1} MB on the device; {} march steps at {:.3} ms per step",
            p.cells,
            p.device_bytes as f64 / 1e6,
            p.steps,
            p.step_s * 1e3
        );
        println!(
            "{:34} {:>10} {:>11} {:>9} {:>11} {:>8}",
            "kernel", "entries", "µs/launch", "GB/s", "floor µs", "× floor"
        );
        let mut rows = Vec::new();
        for (name, n, secs, bytes) in &p.kernels {
            let floor = *bytes as f64 / bw;
            println!(
                "{name:34} {n:>10} {:>11.1} {:>9.0} {:>11.1} {:>8.2}",
                secs * 1e6,
                *bytes as f64 / secs / 1e9,
                floor * 1e6,
                secs / floor
            );
            rows.push(format!(
                "{{\"kernel\": \"{name}\", \"entries\": {n}, \"seconds\": {secs:e}, \"bytes\": {bytes}, \"floor_s\": {floor:e}}}"
            ));
        }
        out.push(format!(
            "{{\"file\": \"{path}\", \"cells\": {}, \"steps\": {}, \"step_s\": {:e}, \"device_bytes\": {}, \"kernels\": [{}]}}",
            p.cells,
            p.steps,
            p.step_s,
            p.device_bytes,
            rows.join(", ")
        ));
    }
    if let Some(j) = json {
        let text = format!(
            "{{\"adapter\": \"{}\", \"copy_bytes_per_s\": {bw:e}, \"facilities\": [{}]}}\n",
            ctx.adapter.name,
            out.join(", ")
        );
        if let Err(e) = std::fs::write(&j, text) {
            eprintln!("gpu_air_bench: {j}: {e}");
            std::process::exit(2);
        }
    }
}
