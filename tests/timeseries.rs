//! Time series: CPU flows against independent DC solves, GPU against CPU, and battery
//! smoothing on the xAI-scale hall.

use std::path::PathBuf;
use thermogrid::power::network::bus;
use thermogrid::power::timeseries::{choose_battery, it_by_bus, run, Profile};
use thermogrid::power::DcPowerFlow;
use thermogrid::run::Backend;

fn mesh(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("meshes").join(name).display().to_string()
}

#[test]
fn cpu_flows_equal_independent_solves() {
    let (net, loads) = thermogrid::power::read_network(&mesh("hall_xai_h100.toml")).unwrap();
    let loads = loads.unwrap();
    let p = Profile { steps: 300, ..Default::default() };
    let it = it_by_bus(&net, Some(&loads.it_mw_by_bus));
    let bat = choose_battery(&p, Some(&loads));
    assert!(bat.is_some(), "the hall has a battery");
    let ts = run(&net, &it, bat.clone(), &p, Backend::Cpu).unwrap();
    let nl = net.branch.rows();
    let full: f64 = it.iter().sum();
    for t in [0, 75, 150, 299] {
        // Rebuild the network at step t and solve it from scratch.
        let mut n2 = net.clone();
        let level = ts.it_mw[t] / full;
        for r in 0..n2.bus.rows() {
            let pd = n2.bus.get(r, bus::PD) - it[r] + it[r] * level;
            n2.bus.set(r, bus::PD, pd);
        }
        let (bb, _) = bat.as_ref().unwrap();
        let pd = n2.bus.get(*bb, bus::PD) - ts.battery_mw[t];
        n2.bus.set(*bb, bus::PD, pd);
        let f = DcPowerFlow::new(&n2).unwrap().solve(&n2).pf_mw;
        let d = (0..nl).map(|l| (f[l] - ts.flows_mw[t * nl + l] as f64).abs()).fold(0.0, f64::max);
        // Stored as f32: compare to f32 precision of the flows.
        let scale = f.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        assert!(d <= 1e-6 * scale, "step {t}: {d} MW");
    }
}

#[test]
fn smoothing_lowers_the_utility_ramp() {
    let (net, loads) = thermogrid::power::read_network(&mesh("hall_xai_h100.toml")).unwrap();
    let loads = loads.unwrap();
    let p = Profile { steps: 900, ..Default::default() };
    let it = it_by_bus(&net, Some(&loads.it_mw_by_bus));
    let with = run(&net, &it, choose_battery(&p, Some(&loads)), &p, Backend::Cpu).unwrap();
    let without = run(&net, &it, None, &p, Backend::Cpu).unwrap();
    eprintln!(
        "max ramp {:.2} MW/s without battery, {:.2} MW/s with",
        without.max_ramp_grid_mw_per_s, with.max_ramp_grid_mw_per_s
    );
    assert!(with.max_ramp_grid_mw_per_s < 0.5 * without.max_ramp_grid_mw_per_s);
    assert!(with.battery_cycled_mwh > 0.0 && with.battery_losses_mwh > 0.0);
    // Keep-busy work also lowers the ramp, at an energy cost.
    let mut busy = p.clone();
    busy.workload.keep_busy = true;
    let kb = run(&net, &it, None, &busy, Backend::Cpu).unwrap();
    assert!(kb.max_ramp_grid_mw_per_s < without.max_ramp_grid_mw_per_s);
    assert!(kb.keep_busy_mwh > 0.0);
}

#[test]
fn gpu_flows_match_cpu() {
    let Some(_) = thermogrid::gpu::context_for_tests() else { return };
    for (file, steps) in [(mesh("hall_small.toml"), 200), (mesh("hall_gb200_nvl72.toml"), 120)] {
        let (net, loads) = thermogrid::power::read_network(&file).unwrap();
        let loads = loads.unwrap();
        let p = Profile { steps, ..Default::default() };
        let it = it_by_bus(&net, Some(&loads.it_mw_by_bus));
        let bat = choose_battery(&p, Some(&loads));
        let c = run(&net, &it, bat.clone(), &p, Backend::Cpu).unwrap();
        let g = run(&net, &it, bat, &p, Backend::Gpu).unwrap();
        assert!(g.backend.starts_with("gpu"));
        let scale = c.flows_mw.iter().fold(1.0f32, |m, v| m.max(v.abs())) as f64;
        let d = c.flows_mw.iter().zip(&g.flows_mw).map(|(a, b)| (a - b).abs() as f64).fold(0.0, f64::max);
        eprintln!("{file}: max |Δflow| {d:.2e} MW of {scale:.2} MW");
        assert!(d <= 1e-5 * scale * (net.bus.rows() as f64).sqrt(), "{file}: {d}");
    }
}
