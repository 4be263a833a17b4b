//! A 100 000-GPU training job seen by the electrical network of one of its buildings
//! (meshes/hall_xai_h100.toml: 25 600 GPUs; the job spans four such buildings, so the
//! campus sees four times the per-building ramp): compute phases near full power, dips
//! during weight synchronization, checkpoint pauses. Three runs: no smoothing; the
//! building's battery with a ramp limiter; battery plus keep-busy work in the dips.
//!
//! cargo run --release --example training_power_swings [-- STEPS]

use thermogrid::power::timeseries::{battery_for, it_by_bus, run, Profile};
use thermogrid::run::Backend;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(3600);
    let (net, loads) = thermogrid::power::read_network("meshes/hall_xai_h100.toml")?;
    let loads = loads.ok_or("the hall has a network")?;
    let it = it_by_bus(&net, Some(&loads.it_mw_by_bus));
    let mut p = Profile { steps, ..Default::default() };
    p.workload.sync_period_s = 12.0;
    p.workload.sync_s = 3.0;
    let per_building_gpus = 25_600.0;
    println!("job: 100 000 GPUs over 4 buildings of {per_building_gpus} GPUs; {steps} s at 1 s steps; per building:");
    println!(
        "{:<26} {:>18} {:>16} {:>14} {:>14} {:>16}",
        "run", "max ramp MW/s", "campus MW/s", "peak load %", "cycled MWh", "keep-busy MWh"
    );
    let battery = battery_for(&p, &net, Some(&loads)).unwrap();
    let mut busy = p.clone();
    busy.workload.keep_busy = true;
    for (name, prof, bat) in [
        ("no smoothing", &p, None),
        ("battery + ramp limiter", &p, battery.clone()),
        ("battery + keep-busy", &busy, battery),
    ] {
        let r = run(&net, &it, bat, prof, Backend::Auto)?;
        let peak = r.peak_loading_pct.iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
        println!(
            "{name:<26} {:>18.2} {:>16.2} {:>14.1} {:>14.3} {:>16.3}",
            r.max_ramp_grid_mw_per_s,
            4.0 * r.max_ramp_grid_mw_per_s,
            peak,
            r.battery_cycled_mwh,
            r.keep_busy_mwh
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs() {
        std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
        super::main().unwrap();
    }
}
