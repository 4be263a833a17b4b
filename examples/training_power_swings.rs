//! A 100 000-GPU training job seen by the electrical network of one of its buildings
//! (meshes/hall_xai_h100.toml: 25 600 GPUs; the job spans four such buildings, so the
//! campus sees four times the per-building ramp): compute phases near full power, dips
//! during weight synchronization, checkpoint pauses. Three runs: no smoothing; the
//! building's battery with a ramp limiter; battery plus keep-busy work in the dips.
//! Each says whether the utility's ramp limit held; where it broke, the battery that
//! would hold it is named, and a fourth run with that battery shows it holding.
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
        "{:<26} {:>14} {:>12} {:>12} {:>11} {:>14}  ramp limit",
        "run", "max ramp MW/s", "campus MW/s", "peak load %", "cycled MWh", "keep-busy MWh"
    );
    let battery = battery_for(&p, &net, Some(&loads)).unwrap();
    let mut busy = p.clone();
    busy.workload.keep_busy = true;
    let mut needed = None;
    let show = |name: &str, r: &thermogrid::power::timeseries::TimeSeries| {
        let peak = r.peak_loading_pct.iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
        let verdict = if r.ramp.held() {
            format!("held ({} MW/s)", r.ramp_limit_mw_per_s)
        } else {
            format!(
                "broken in {} steps (limit {} MW/s){}",
                r.ramp.violations,
                r.ramp_limit_mw_per_s,
                r.battery_needed
                    .as_ref()
                    .map(|s| format!("; holds with {} MW / {} MWh", s.power_mw, s.energy_mwh))
                    .unwrap_or_default()
            )
        };
        println!(
            "{name:<26} {:>14.2} {:>12.2} {:>12.1} {:>11.3} {:>14.3}  {verdict}",
            r.max_ramp_grid_mw_per_s,
            4.0 * r.max_ramp_grid_mw_per_s,
            peak,
            r.battery_cycled_mwh,
            r.keep_busy_mwh
        );
    };
    for (name, prof, bat) in [
        ("no smoothing", &p, None),
        ("battery + ramp limiter", &p, battery.clone()),
        ("battery + keep-busy", &busy, battery.clone()),
    ] {
        let r = run(&net, &it, bat.clone(), prof, Backend::Auto)?;
        show(name, &r);
        if bat.is_some() && needed.is_none() {
            needed = r.battery_needed.clone();
        }
    }
    // The sizing answer, rerun: the named battery holds the limit.
    if let (Some(s), Some(b)) = (needed, battery) {
        let mut sized = b.clone();
        sized.1.power_mw = s.power_mw;
        sized.1.energy_mwh = s.energy_mwh;
        let r = run(&net, &it, Some(sized), &p, Backend::Auto)?;
        show("named battery + limiter", &r);
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
