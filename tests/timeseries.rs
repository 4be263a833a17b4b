//! Time series: CPU flows against independent DC solves, GPU against CPU, and battery
//! smoothing on the xAI-scale hall.

use std::path::PathBuf;
use thermogrid::power::network::bus;
use thermogrid::power::timeseries::{battery_for, it_by_bus, run, Profile};
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
    let bat = battery_for(&p, &net, Some(&loads)).unwrap();
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
    let with = run(&net, &it, battery_for(&p, &net, Some(&loads)).unwrap(), &p, Backend::Cpu).unwrap();
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
        let bat = battery_for(&p, &net, Some(&loads)).unwrap();
        let c = run(&net, &it, bat.clone(), &p, Backend::Cpu).unwrap();
        let g = run(&net, &it, bat, &p, Backend::Gpu).unwrap();
        assert!(g.backend.starts_with("gpu"));
        let scale = c.flows_mw.iter().fold(1.0f32, |m, v| m.max(v.abs())) as f64;
        let d = c.flows_mw.iter().zip(&g.flows_mw).map(|(a, b)| (a - b).abs() as f64).fold(0.0, f64::max);
        eprintln!("{file}: max |Δflow| {d:.2e} MW of {scale:.2} MW");
        assert!(d <= 1e-5 * scale * (net.bus.rows() as f64).sqrt(), "{file}: {d}");
    }
}

// ---- bad input through the CLI, and a profile's battery on any network -------------

use std::process::Command;
use thermogrid::power::timeseries::parse_profile;

fn case_path(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases").join(name).display().to_string()
}

/// Run `timeseries CASE` with `profile` (None: no --profile) and extra flags in a fresh
/// directory; returns (exit code, stdout, stderr, directory).
fn cli(tag: &str, case: &str, profile: Option<&str>, extra: &[&str]) -> (i32, String, String, PathBuf) {
    let dir = std::env::temp_dir().join(format!("tg-ts-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("ts.h5");
    let mut args = vec!["timeseries".to_string(), case.to_string(), "-o".into(), out.display().to_string()];
    args.extend(["--backend".into(), "cpu".into()]);
    if let Some(p) = profile {
        let pp = dir.join("p.toml");
        std::fs::write(&pp, p).unwrap();
        args.extend(["--profile".into(), pp.display().to_string()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = Command::new(env!("CARGO_BIN_EXE_thermogrid")).args(&args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!err.contains("panicked"), "{tag}: {err}");
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).to_string(), err, dir)
}

/// Exit 2, the message naming every needle and a fix, and no output file.
fn expect_bad(tag: &str, case: &str, profile: Option<&str>, extra: &[&str], needles: &[&str]) {
    let (code, _, err, dir) = cli(tag, case, profile, extra);
    assert_eq!(code, 2, "{tag}: {err}");
    assert!(err.contains("fix:"), "{tag}: {err}");
    for n in needles {
        assert!(err.contains(n), "{tag}: lacks {n:?}: {err}");
    }
    assert!(!dir.join("ts.h5").exists(), "{tag}: output written");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn profile_values_are_checked_where_parsed() {
    let c9 = case_path("case9.m");
    let cases: &[(&str, &str, &[&str])] = &[
        // f64::clamp once panicked on each of these.
        (
            "socx",
            "steps = 10\n[battery]\npower_mw = 50.0\nsoc_min = 0.9\nsoc_max = 0.1\n",
            &["p.toml:4:11", "[battery] soc_min", "not below soc_max"],
        ),
        (
            "socnan",
            "steps = 10\n[battery]\nsoc_min = nan\n",
            &["p.toml:3:11", "[battery] soc_min", "not a finite number"],
        ),
        (
            "ramp",
            "steps = 10\n[controller]\nmax_ramp_mw_per_s = -1.0\n",
            &["p.toml:3:21", "[controller] max_ramp_mw_per_s", "outside"],
        ),
        (
            "jitter",
            "steps = 10\n[workload]\njitter_frac = -inf\n",
            &["p.toml:3:15", "[workload] jitter_frac", "not a finite number"],
        ),
        // Once accepted.
        (
            "soc15",
            "steps = 10\n[battery]\nsoc_initial = 1.5\n",
            &["p.toml:3:15", "[battery] soc_initial", "outside soc_min"],
        ),
        (
            "eta",
            "steps = 10\n[battery]\nround_trip_efficiency = 1.5\n",
            &["p.toml:3:25", "[battery] round_trip_efficiency", "(0, 1]"],
        ),
        ("steps0", "steps = 0\n", &["p.toml:1:9", "steps = 0"]),
        ("dtneg", "dt_s = -1.0\n", &["p.toml:1:8", "dt_s = -1"]),
        ("dtnan", "dt_s = nan\nsteps = 5\n", &["p.toml:1:8", "dt_s = NaN"]),
        ("sync", "steps = 10\n[workload]\nsync_s = 30.0\n", &["p.toml:3:10", "[workload] sync_s", "outside 0 … 20"]),
        ("frac", "steps = 10\n[workload]\ncompute_frac = 7.0\n", &["p.toml:3:16", "compute_frac"]),
        (
            "stop",
            "steps = 10\n[workload]\nstart_s = 50.0\nstop_s = 10.0\n",
            &["p.toml:4:10", "stop_s", "at or after start_s"],
        ),
        ("float_steps", "steps = 1e12\n", &["p.toml:1:9", "profile"]),
        ("unknown", "steps = 10\n[battery]\npower = 1.0\n", &["p.toml:3:1", "unknown field"]),
        // A default left in place that the given values contradict: the table is named.
        ("socwin", "steps = 10\n[battery]\nsoc_min = 0.6\nsoc_max = 0.8\n", &["p.toml:2:1", "[battery] soc_initial"]),
        (
            "bus",
            "steps = 10\n[battery]\npower_mw = 5.0\nenergy_mwh = 5.0\nbus = 99\n",
            &["p.toml:5:7", "[battery] bus", "bus 99 is not a bus"],
        ),
        (
            "busname",
            "steps = 10\n[battery]\npower_mw = 5.0\nenergy_mwh = 5.0\nbus = \"PDU-Z\"\n",
            &["p.toml:5:7", "bus \"PDU-Z\""],
        ),
    ];
    for (tag, text, needles) in cases {
        expect_bad(tag, &c9, Some(text), &[], needles);
    }
    // The library refuses the same values without the CLI.
    let e = parse_profile("p.toml", "[battery]\nsoc_min = 0.9\nsoc_max = 0.1\n").unwrap_err();
    assert_eq!((e.file.as_str(), e.line, e.col), ("p.toml", Some(2), Some(11)), "{e}");
    let bad = Profile { dt_s: f64::NAN, ..Default::default() };
    let (net, _) = thermogrid::power::read_network(&c9).unwrap();
    let it = it_by_bus(&net, None);
    let e = run(&net, &it, None, &bad, Backend::Cpu).unwrap_err();
    assert_eq!(e.exit_code(), 2, "{e}");
}

#[test]
fn command_line_numbers_are_checked() {
    let c9 = case_path("case9.m");
    // --steps 0 once became 1; a bad --dt was dropped without a word.
    expect_bad("cli-steps0", &c9, None, &["--steps", "0"], &["--steps", "at least 1"]);
    for d in ["nan", "-1", "0", "inf"] {
        expect_bad(&format!("cli-dt{d}"), &c9, None, &[&format!("--dt={d}")], &["--dt", "time step"]);
    }
    // A flag that passes on its own but not as a profile value is named as the flag.
    expect_bad("cli-dttiny", &c9, None, &["--dt=1e-300"], &["command line", "--dt", "dt_s = 1e-300"]);
    // Once allocated until abort: refused before any work, naming the size.
    let big = case_path("case2383wp.m");
    expect_bad("cli-steps1e9", &big, None, &["--steps", "1000000000"], &["--steps", "GiB", "fewer steps"]);
    expect_bad("cli-stepsmax", &c9, None, &["--steps", "18446744073709551615"], &["--steps", "GiB"]);
    expect_bad("prof-steps1e12", &c9, Some("steps = 1000000000000\n"), &[], &["p.toml:1:9", "steps", "GiB"]);
    // The flag's value replaces the profile's, and errors name the flag.
    let (code, out, err, dir) = cli("cli-ok", &c9, Some("steps = 0\n"), &["--steps", "20", "--json"]);
    assert_eq!(code, 2, "a bad profile value is bad even when a flag would replace it: {err}");
    std::fs::remove_dir_all(&dir).ok();
    let (code, out2, err2, dir) = cli("cli-ok2", &c9, Some("steps = 5\n"), &["--steps", "20", "--json"]);
    assert_eq!(code, 0, "{err2}");
    let j: serde_json::Value = serde_json::from_str(&out2).unwrap();
    assert_eq!(j["steps"], 20, "{out}{out2}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_job_without_load_to_follow_is_bad_input() {
    let text = std::fs::read_to_string(case_path("case9.m")).unwrap();
    // No PD anywhere: a job of 1000 GPUs has nowhere to go.
    let dir = std::env::temp_dir().join(format!("tg-ts-case-noload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let m = dir.join("noload.m");
    let text =
        text.replace("\t90\t30\t", "\t0\t30\t").replace("\t100\t35\t", "\t0\t35\t").replace("\t125\t50\t", "\t0\t50\t");
    std::fs::write(&m, text).unwrap();
    let (net, _) = thermogrid::power::read_network(m.to_str().unwrap()).unwrap();
    assert!((0..net.bus.rows()).all(|r| net.bus.get(r, bus::PD) == 0.0), "the case still has load");
    expect_bad(
        "noload",
        m.to_str().unwrap(),
        Some("steps = 10\n[workload]\ngpus = 1000\n"),
        &[],
        &["[workload] gpus", "no IT load"],
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_profile_battery_applies_to_a_matpower_case() {
    let c9 = case_path("case9.m");
    let (net, loads) = thermogrid::power::read_network(&c9).unwrap();
    assert!(loads.is_none());
    let it = it_by_bus(&net, None);
    let text = "steps = 400\n[battery]\npower_mw = 400.0\nenergy_mwh = 100.0\n[controller]\nmax_ramp_mw_per_s = 0.5\n";
    let p = parse_profile("p.toml", text).unwrap();
    // Once silently dropped: no facility battery to attach it to.
    let (row, b) = battery_for(&p, &net, None).unwrap().expect("the profile's battery");
    assert_eq!(net.bus.get(row, bus::BUS_I), 1.0, "at the reference bus");
    assert_eq!(b.power_mw, 400.0);
    let none = run(&net, &it, None, &p, Backend::Cpu).unwrap();
    let with = run(&net, &it, Some((row, b)), &p, Backend::Cpu).unwrap();
    assert!(with.battery_cycled_mwh > 0.0);
    assert!(with.max_ramp_grid_mw_per_s < 0.5 * none.max_ramp_grid_mw_per_s);
    // At the reference bus the slack absorbs the battery: flows are the same.
    let d = none.flows_mw.iter().zip(&with.flows_mw).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(d < 1e-3, "{d}");
    // At bus 5 (`bus = 5`), its injections move the flows.
    let p5 = parse_profile("p.toml", &text.replace("energy_mwh = 100.0\n", "energy_mwh = 100.0\nbus = 5\n")).unwrap();
    let (row5, b5) = battery_for(&p5, &net, None).unwrap().unwrap();
    assert_eq!(net.bus.get(row5, bus::BUS_I), 5.0);
    let at5 = run(&net, &it, Some((row5, b5)), &p5, Backend::Cpu).unwrap();
    let d5 = none.flows_mw.iter().zip(&at5.flows_mw).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(d5 > 1.0, "{d5}");
    // Through the CLI, and --no-battery still disables it.
    let cycled = |extra: &[&str]| {
        let (code, out, err, dir) = cli("mbat", &c9, Some(text), &[&["--json"], extra].concat());
        assert_eq!(code, 0, "{err}");
        std::fs::remove_dir_all(&dir).ok();
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["battery_cycled_mwh"].as_f64().unwrap()
    };
    assert!(cycled(&[]) > 0.0);
    assert_eq!(cycled(&["--no-battery"]), 0.0);
}

#[test]
fn a_facility_without_battery_takes_the_profile_battery_by_bus_id() {
    let file = mesh("hall_small.toml");
    let (net, loads) = thermogrid::power::read_network(&file).unwrap();
    let loads = loads.unwrap();
    assert!(loads.battery.is_none(), "hall_small has no [[network.battery]]");
    let name = net.bus_names.last().unwrap().clone();
    let p = parse_profile(
        "p.toml",
        &format!("steps = 50\n[battery]\npower_mw = 1.0\nenergy_mwh = 1.0\nbus = \"{name}\"\n"),
    )
    .unwrap();
    let (row, _) = battery_for(&p, &net, Some(&loads)).unwrap().unwrap();
    assert_eq!(net.bus_names[row], name);
}

// ---- ramp control: the limit held, or where it broke and the battery that holds it ---

use thermogrid::power::timeseries::TimeSeries;
use thermogrid::power::workload::Battery;

/// The battery's books over a run: grid + battery = load at every step, power and state
/// of charge within bounds, stored energy conserved to 1e-9 MWh (efficiency split
/// evenly between charge and discharge), losses as accounted.
fn check_books(ts: &TimeSeries, b: &Battery, dt: f64) {
    let eta = b.round_trip_efficiency.sqrt();
    let h = dt / 3600.0;
    let (mut e, mut loss) = (b.soc_initial * b.energy_mwh, 0.0);
    for (i, &p) in ts.battery_mw.iter().enumerate() {
        assert!((ts.grid_mw[i] + p - ts.net_load_mw[i]).abs() < 1e-9, "balance at {i}");
        assert!(p.abs() <= b.power_mw * (1.0 + 1e-12), "power bound at {i}: {p}");
        assert!(ts.soc[i] >= b.soc_min - 1e-12 && ts.soc[i] <= b.soc_max + 1e-12, "soc bound at {i}");
        if p >= 0.0 {
            e -= p * h / eta;
            loss += p * h * (1.0 / eta - 1.0);
        } else {
            e -= p * h * eta;
            loss -= p * h * (1.0 - eta);
        }
        assert!((e - ts.soc[i] * b.energy_mwh).abs() < 1e-9, "stored energy at {i}: {e} vs soc");
    }
    assert!((loss - ts.battery_losses_mwh).abs() < 1e-9, "losses {loss} vs {}", ts.battery_losses_mwh);
}

/// Every grid step within the limit (to rounding), and the report agreeing.
fn assert_held(ts: &TimeSeries, dt: f64, what: &str) {
    let r = ts.ramp_limit_mw_per_s * dt;
    let worst = ts.grid_mw.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f64::max);
    assert!(worst <= r * (1.0 + 1e-9) + 1e-12, "{what}: a grid step of {worst} MW > {r}");
    assert!(ts.ramp.held() && ts.ramp.violations == 0 && ts.ramp.first_violation.is_none(), "{what}: {:?}", ts.ramp);
    assert!(ts.battery_needed.is_none(), "{what}");
    assert!(ts.ramp.worst_mw_per_s <= ts.ramp_limit_mw_per_s * (1.0 + 1e-9) + 1e-12, "{what}");
}

fn gb200() -> (thermogrid::power::Network, Vec<f64>, thermogrid::power::facility_net::AttachedLoads) {
    let (net, loads) = thermogrid::power::read_network(&mesh("hall_gb200_nvl72.toml")).unwrap();
    let loads = loads.unwrap();
    let it = it_by_bus(&net, Some(&loads.it_mw_by_bus));
    (net, it, loads)
}

/// A profile's `[battery]` at hall_gb200_nvl72's battery bus, like its BESS-1 but sized.
fn gb200_profile(extra: &str, power_mw: f64, energy_mwh: f64) -> Profile {
    let text = format!(
        "{extra}\n[battery]\nbus = \"BESS\"\npower_mw = {power_mw}\nenergy_mwh = {energy_mwh}\nsoc_initial = 0.9\nround_trip_efficiency = 0.9\n"
    );
    parse_profile("p.toml", &text).unwrap()
}

#[test]
fn gb200_default_profile_holds_the_limit_or_names_the_battery_that_does() {
    let (net, it, loads) = gb200();
    let p = Profile::default();
    let bat = battery_for(&p, &net, Some(&loads)).unwrap();
    let (_, fac) = bat.clone().unwrap();
    assert_eq!((fac.power_mw, fac.energy_mwh, fac.soc_initial), (3.85, 7.7, 0.9), "the hall's BESS-1");
    let ts = run(&net, &it, bat, &p, Backend::Cpu).unwrap();
    check_books(&ts, &fac, p.dt_s);
    eprintln!(
        "gb200 default: {:?}, needed {:?}; unsmoothed {:.3} MW/s",
        ts.ramp, ts.battery_needed, ts.max_ramp_unsmoothed_mw_per_s
    );
    // The counts agree with the series.
    let r = p.controller.max_ramp_mw_per_s * p.dt_s;
    let over: Vec<usize> = (1..ts.grid_mw.len())
        .filter(|&i| (ts.grid_mw[i] - ts.grid_mw[i - 1]).abs() > r * (1.0 + 1e-9) + 1e-12)
        .collect();
    assert_eq!(ts.ramp.violations, over.len());
    assert_eq!(ts.ramp.first_violation, over.first().copied());
    assert!((ts.ramp.worst_mw_per_s - ts.max_ramp_grid_mw_per_s).abs() < 1e-12);
    if ts.ramp.held() {
        assert_held(&ts, p.dt_s, "gb200 default");
        return;
    }
    // 3.85 MW is less than the checkpoint restart needs: the report says so and names a
    // battery, which then holds the limit — exactly as reported, and with margins.
    let need = ts.battery_needed.clone().expect("a battery that holds it");
    assert!(need.power_mw > fac.power_mw, "{need:?}");
    assert!(need.power_mw >= need.ideal_power_mw && need.energy_mwh >= need.ideal_energy_mwh, "{need:?}");
    for m in [1.0, 1.02, 1.05, 1.1, 1.5] {
        let p2 = gb200_profile("", need.power_mw * m, need.energy_mwh * m);
        let bat2 = battery_for(&p2, &net, Some(&loads)).unwrap();
        assert_eq!(bat2.as_ref().unwrap().0, battery_for(&p, &net, Some(&loads)).unwrap().unwrap().0, "same bus");
        let b2 = bat2.as_ref().unwrap().1.clone();
        let ts2 = run(&net, &it, bat2, &p2, Backend::Cpu).unwrap();
        assert_held(&ts2, p.dt_s, &format!("the reported battery × {m}"));
        check_books(&ts2, &b2, p.dt_s);
    }
    // Through the CLI: text, --json and the HDF5 attributes say the same.
    let file = mesh("hall_gb200_nvl72.toml");
    let (code, out, err, dir) = cli("gb200", &file, None, &["--json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["ramp_limit_held"], false);
    assert_eq!(j["ramp_violations"], ts.ramp.violations);
    assert_eq!(j["worst_ramp_mw_per_s"].as_f64().unwrap(), ts.ramp.worst_mw_per_s);
    assert_eq!(j["first_violation_s"].as_f64().unwrap(), ts.ramp.first_violation.unwrap() as f64 * p.dt_s);
    assert_eq!(j["battery_needed_power_mw"].as_f64().unwrap(), need.power_mw);
    assert_eq!(j["battery_needed_energy_mwh"].as_f64().unwrap(), need.energy_mwh);
    let f = hdf5::File::open(dir.join("ts.h5")).unwrap();
    let g = f.group("power/timeseries").unwrap();
    let a = |k: &str| g.attr(k).unwrap().read_scalar::<f64>().unwrap();
    let u = |k: &str| g.attr(k).unwrap().read_scalar::<u64>().unwrap();
    assert_eq!(u("ramp_limit_held"), 0);
    assert_eq!(u("ramp_violations"), ts.ramp.violations as u64);
    assert_eq!(a("worst_ramp_mw_per_s"), ts.ramp.worst_mw_per_s);
    assert_eq!(a("max_ramp_limit_mw_per_s"), 0.5);
    assert_eq!(a("battery_needed_power_mw"), need.power_mw);
    assert_eq!(a("battery_needed_energy_mwh"), need.energy_mwh);
    drop(f);
    std::fs::remove_dir_all(&dir).ok();
    let (code, text, err, dir) = cli("gb200t", &file, None, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("BROKEN") && text.contains(&format!("{} MW / {} MWh", need.power_mw, need.energy_mwh)),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
    // And the reported battery, as a profile file, holds it through the CLI too.
    let prof = format!(
        "[battery]\nbus = \"BESS\"\npower_mw = {}\nenergy_mwh = {}\nsoc_initial = 0.9\n",
        need.power_mw, need.energy_mwh
    );
    let (code, out, err, dir) = cli("gb200ok", &file, Some(&prof), &["--json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["ramp_limit_held"], true, "{out}");
    assert_eq!(j["ramp_violations"], 0);
    assert!(j["battery_needed_power_mw"].is_null());
    let f = hdf5::File::open(dir.join("ts.h5")).unwrap();
    let g = f.group("power/timeseries").unwrap();
    assert_eq!(g.attr("ramp_limit_held").unwrap().read_scalar::<u64>().unwrap(), 1);
    assert!(g.attr("battery_needed_power_mw").is_err(), "no sizing where the limit held");
    drop(f);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_undersized_battery_breaks_the_limit_and_says_by_how_much() {
    let (net, it, loads) = gb200();
    let p = gb200_profile("", 1.0, 0.5);
    let bat = battery_for(&p, &net, Some(&loads)).unwrap();
    let b = bat.as_ref().unwrap().1.clone();
    let ts = run(&net, &it, bat, &p, Backend::Cpu).unwrap();
    check_books(&ts, &b, p.dt_s);
    assert!(!ts.ramp.held() && ts.ramp.violations > 0);
    assert!(ts.ramp.worst_mw_per_s > 0.5);
    let t0 = ts.first_violation_s().unwrap();
    // Nothing breaks before the job starts (60 s) or while the load is flat.
    assert!(t0 >= p.workload.start_s, "{t0}");
    let need = ts.battery_needed.clone().unwrap();
    assert!(need.power_mw > 1.0);
    // The sizing depends on the profile, not on the battery that was too small.
    let big = gb200_profile("", 3.85, 7.7);
    let bat = battery_for(&big, &net, Some(&loads)).unwrap();
    let ts2 = run(&net, &it, bat, &big, Backend::Cpu).unwrap();
    assert_eq!(ts2.battery_needed, Some(need));
    // Without any battery: every step the load moves faster than the limit is a
    // violation, and a battery (the default's window and efficiency) is named.
    let none = run(&net, &it, None, &p, Backend::Cpu).unwrap();
    let r = 0.5 * p.dt_s;
    let over = none.net_load_mw.windows(2).filter(|w| (w[1] - w[0]).abs() > r * (1.0 + 1e-9) + 1e-12).count();
    assert_eq!(none.ramp.violations, over);
    assert_eq!(none.ramp.worst_mw_per_s, none.max_ramp_unsmoothed_mw_per_s);
    let need0 = none.battery_needed.clone().unwrap();
    let p0 = parse_profile(
        "p.toml",
        &format!("[battery]\nbus = \"BESS\"\npower_mw = {}\nenergy_mwh = {}\n", need0.power_mw, need0.energy_mwh),
    )
    .unwrap();
    let ts0 = run(&net, &it, battery_for(&p0, &net, Some(&loads)).unwrap(), &p0, Backend::Cpu).unwrap();
    assert_held(&ts0, p.dt_s, "the battery named without one");
}

#[test]
fn an_oversized_battery_holds_the_limit_without_pinning() {
    let (net, it, loads) = gb200();
    let p = gb200_profile("steps = 7200", 20.0, 20.0);
    let bat = battery_for(&p, &net, Some(&loads)).unwrap();
    let b = bat.as_ref().unwrap().1.clone();
    let ts = run(&net, &it, bat, &p, Backend::Cpu).unwrap();
    assert_held(&ts, p.dt_s, "20 MW / 20 MWh");
    check_books(&ts, &b, p.dt_s);
    // Recovery from a full battery (0.9) toward 0.5 never drives it to a limit: power
    // stays well inside ±20 MW, the state of charge inside the window, and it heads
    // for the target.
    let pmax = ts.battery_mw.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(pmax < 0.75 * b.power_mw, "{pmax}");
    let (lo, hi) = ts.soc.iter().fold((1.0f64, 0.0f64), |(l, h), &s| (l.min(s), h.max(s)));
    assert!(lo > b.soc_min + 0.05 && hi <= b.soc_initial, "soc {lo} … {hi}");
    let last = *ts.soc.last().unwrap();
    assert!((last - 0.5).abs() < 0.1, "soc ends at {last}");
}

#[test]
fn checkpoint_pauses_job_start_and_stop_hold_with_a_sized_battery() {
    let (net, it, loads) = gb200();
    // Frequent checkpoints and a job that stops: every kind of swing in one hour.
    let swings = "[workload]\ncheckpoint_every_s = 300.0\ncheckpoint_s = 60.0\nstart_s = 120.0\nstop_s = 2400.0\n";
    let p = gb200_profile(swings, 0.5, 0.5);
    let ts = run(&net, &it, battery_for(&p, &net, Some(&loads)).unwrap(), &p, Backend::Cpu).unwrap();
    assert!(!ts.ramp.held());
    let need = ts.battery_needed.clone().unwrap();
    eprintln!("checkpoints, start, stop: {:?}, needed {need:?}", ts.ramp);
    let p2 = gb200_profile(swings, need.power_mw, need.energy_mwh);
    let bat = battery_for(&p2, &net, Some(&loads)).unwrap();
    let b = bat.as_ref().unwrap().1.clone();
    let ts2 = run(&net, &it, bat, &p2, Backend::Cpu).unwrap();
    assert_held(&ts2, p.dt_s, "checkpoints, start, stop");
    check_books(&ts2, &b, p.dt_s);
    // The pauses and the restarts are ramps on the grid, not steps: over each pause
    // the grid falls at most limit × duration.
    for k in 1..8 {
        let t0 = (120 + 300 * k) as usize;
        if t0 + 60 >= 2400 {
            break;
        }
        let drop = ts2.grid_mw[t0 - 1] - ts2.grid_mw[t0 + 1];
        assert!(drop <= 2.0 * 0.5 * (1.0 + 1e-9) + 1e-12, "pause at {t0}: {drop}");
        // (t0 − 5: the compute phase before the pause; t0 − 1 is a synchronization dip.)
        assert!(ts2.net_load_mw[t0 - 5] - ts2.net_load_mw[t0 + 1] > 3.0, "a pause at {t0}");
        let restart = ts2.grid_mw[t0 + 61] - ts2.grid_mw[t0 + 59];
        assert!(ts2.net_load_mw[t0 + 61] - ts2.net_load_mw[t0 + 59] > 3.0, "a restart at {}", t0 + 60);
        assert!(restart <= 2.0 * 0.5 * (1.0 + 1e-9) + 1e-12, "restart at {}: {restart}", t0 + 60);
    }
    // After the stop the grid settles on the idle load; the battery rests.
    let n = ts2.grid_mw.len();
    assert!((ts2.grid_mw[n - 1] - ts2.net_load_mw[n - 1]).abs() < 0.2 * need.power_mw, "{}", ts2.battery_mw[n - 1]);
}

#[test]
fn keep_busy_needs_less_battery_energy() {
    let (net, it, loads) = gb200();
    let p = gb200_profile("", 0.5, 0.5);
    let busy = gb200_profile("[workload]\nkeep_busy = true\n", 0.5, 0.5);
    let a = run(&net, &it, battery_for(&p, &net, Some(&loads)).unwrap(), &p, Backend::Cpu).unwrap();
    let k = run(&net, &it, battery_for(&busy, &net, Some(&loads)).unwrap(), &busy, Backend::Cpu).unwrap();
    assert!(k.keep_busy_mwh > 0.0);
    let (na, nk) = (a.battery_needed.clone().unwrap(), k.battery_needed.clone().unwrap());
    eprintln!("needed without keep-busy {na:?}, with {nk:?}");
    assert!(nk.ideal_energy_mwh < na.ideal_energy_mwh, "{nk:?} vs {na:?}");
    let p2 = gb200_profile("[workload]\nkeep_busy = true\n", nk.power_mw, nk.energy_mwh);
    let bat = battery_for(&p2, &net, Some(&loads)).unwrap();
    let b = bat.as_ref().unwrap().1.clone();
    let ts = run(&net, &it, bat, &p2, Backend::Cpu).unwrap();
    assert_held(&ts, p.dt_s, "keep-busy");
    check_books(&ts, &b, p.dt_s);
}

#[test]
fn a_matpower_case_with_a_profile_battery_is_sized_and_held() {
    let c9 = case_path("case9.m");
    let (net, _) = thermogrid::power::read_network(&c9).unwrap();
    let it = it_by_bus(&net, None);
    let text = |p: f64, e: f64| format!("steps = 1200\n[battery]\nbus = 5\npower_mw = {p}\nenergy_mwh = {e}\n");
    let p = parse_profile("p.toml", &text(20.0, 5.0)).unwrap();
    let ts = run(&net, &it, battery_for(&p, &net, None).unwrap(), &p, Backend::Cpu).unwrap();
    assert!(!ts.ramp.held() && ts.ramp.worst_mw_per_s > 0.5);
    let need = ts.battery_needed.clone().unwrap();
    eprintln!("case9: {:?}, needed {need:?}", ts.ramp);
    assert!(need.power_mw > 20.0);
    let p2 = parse_profile("p.toml", &text(need.power_mw, need.energy_mwh)).unwrap();
    let bat = battery_for(&p2, &net, None).unwrap();
    let b = bat.as_ref().unwrap().1.clone();
    let ts2 = run(&net, &it, bat, &p2, Backend::Cpu).unwrap();
    assert_held(&ts2, p.dt_s, "case9 sized");
    check_books(&ts2, &b, p.dt_s);
}

/// Branches are named in the time series too: the peak loadings in `--json` and the
/// `branch_name` dataset beside `flows_mw` (end buses for a .m case).
#[test]
fn time_series_branches_are_named() {
    let (code, stdout, err, dir) =
        cli("names", &case_path("case9.m"), Some("steps = 20\n[workload]\ngpus = 1000\n"), &["--json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let peaks = j["peak_loadings"].as_array().unwrap();
    assert!(!peaks.is_empty(), "{j}");
    for p in peaks {
        assert!(p["name"].as_str().unwrap().contains('–'), "{p}");
    }
    let f = hdf5::File::open(dir.join("ts.h5")).unwrap();
    let names = f.dataset("power/timeseries/branch_name").unwrap();
    assert_eq!(names.shape(), vec![9]);
    std::fs::remove_dir_all(&dir).ok();
}
