//! The AC power flow of a facility's `[network]`: resistance, kVA ratings, power
//! factors and voltage set-points, checked against the two-bus feeder solved by hand
//! (an independent fixed point), and the summary's voltage and MVA flags through the
//! CLI; non-convergence exits 1 naming a bus, bad AC data exits 2.

use std::path::{Path, PathBuf};
use std::process::Command;
use thermogrid::power::{AcOptions, AcPowerFlow};

/// A 480 V feeder from the utility (held at `v_pu`) to a busway bus with two 200 kW
/// racks at power factor 0.9 and 50 kW of lighting at 0.8.
fn feeder(r_ohm: f64, x_ohm: f64, rating_kva: f64, extra: &str) -> String {
    format!(
        r#"name = "ac-feeder"
[floor]
width_m = 6.0
depth_m = 4.0
cell_m = 0.2
height_m = 3.0
[floor.walls]
west = 25.0
[[rack_row]]
id = "R"
x_m = 1.0
y_m = 1.0
count = 2
facing = "north"
power_kw = 200.0
feed_bus = "LV"
[network]
base_mva = 10.0
it_power_factor = 0.9
[[network.bus]]
id = "UTIL"
kind = "utility"
kv = 0.48
v_pu = 1.02
[[network.bus]]
id = "LV"
kind = "busway"
kv = 0.48
[[network.branch]]
id = "feeder"
from = "UTIL"
to = "LV"
r_ohm = {r_ohm}
x_ohm = {x_ohm}
rating_kva = {rating_kva}
{extra}
[[network.load]]
id = "lights"
bus = "LV"
p_mw = 0.05
power_factor = 0.8
"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn tmp(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tg-acf-{tag}-{}", std::process::id()))
}

/// Complex arithmetic on (re, im) pairs, for the independent reference.
fn cmul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}
fn cdiv(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let d = b.0 * b.0 + b.1 * b.1;
    ((a.0 * b.0 + a.1 * b.1) / d, (a.1 * b.0 - a.0 * b.1) / d)
}

#[test]
fn two_bus_feeder_matches_the_hand_solution() {
    let dir = tmp("exact");
    let f = write(&dir, "f.toml", &feeder(0.012, 0.008, 500.0, ""));
    let (net, _) = thermogrid::power::read_network(f.to_str().unwrap()).unwrap();
    let r = AcPowerFlow::new(&net).unwrap().solve(&net, &AcOptions::default()).unwrap();
    // Per unit on 10 MVA at 480 V: Z_base = 0.48² / 10 Ω.
    let zb = 0.48 * 0.48 / 10.0;
    let z = (0.012 / zb, 0.008 / zb);
    let tan = |pf: f64| (1.0 - pf * pf).sqrt() / pf;
    let s = ((0.4 + 0.05) / 10.0, (0.4 * tan(0.9) + 0.05 * tan(0.8)) / 10.0);
    // V2 = V1 − Z · conj(S / V2), iterated to a fixed point.
    let v1 = (1.02, 0.0);
    let mut v2 = v1;
    for _ in 0..200 {
        let i = cdiv(s, v2);
        let drop = cmul(z, (i.0, -i.1));
        v2 = (v1.0 - drop.0, v1.1 - drop.1);
    }
    let vm = (v2.0 * v2.0 + v2.1 * v2.1).sqrt();
    let va = v2.1.atan2(v2.0).to_degrees();
    let i = cdiv(s, v2);
    let loss_mw = (i.0 * i.0 + i.1 * i.1) * z.0 * 10.0;
    assert!((r.vm_pu[1] - vm).abs() < 1e-9, "{} vs {vm}", r.vm_pu[1]);
    assert!((r.va_deg[1] - va).abs() < 1e-7, "{} vs {va}", r.va_deg[1]);
    assert!((r.vm_kv[1] - vm * 0.48).abs() < 1e-9);
    assert!((r.vm_pu[0] - 1.02).abs() < 1e-12, "the utility holds its set-point");
    assert!((r.loss_mw[0] - loss_mw).abs() < 1e-9, "{} vs {loss_mw}", r.loss_mw[0]);
    // The utility supplies load plus losses; the line's apparent power against 500 kVA.
    assert!((r.pg_mw[0] - (0.45 + loss_mw)).abs() < 1e-9);
    let sf = (r.pf_mw[0].powi(2) + r.qf_mvar[0].powi(2)).sqrt();
    assert!((r.loading_pct[0] - 100.0 * sf / 0.5).abs() < 1e-9);
    std::fs::remove_dir_all(&dir).ok();
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_thermogrid")).args(args).output().unwrap()
}

#[test]
fn summary_flags_low_voltage_and_mva_overload() {
    let dir = tmp("flags");
    // A long feeder: 1.02 pu at the utility, about 0.94 pu at the busway, and 540 kVA
    // through a 400 kVA rating.
    let f = write(&dir, "f.toml", &feeder(0.03, 0.015, 400.0, ""));
    let out = dir.join("ac.h5");
    let o = cli(&["powerflow", f.to_str().unwrap(), "--ac", "--json", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["model"], "ac");
    let low = j["buses_outside_band"].as_array().unwrap();
    assert_eq!(low.len(), 1, "{low:?}");
    assert_eq!(low[0]["name"], "LV");
    assert!(low[0]["vm_pu"].as_f64().unwrap() < 0.95);
    assert!(low[0]["vm_kv"].as_f64().unwrap() < 0.95 * 0.48);
    assert_eq!(j["overloads"], 1);
    assert_eq!(j["overloaded"][0]["name"], "feeder");
    assert!(j["losses_mw"].as_f64().unwrap() > 0.0);
    let text = cli(&["powerflow", f.to_str().unwrap(), "--ac"]);
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(t.contains("buses outside 0.95–1.05 pu (±5 %): 1") && t.contains("LV:"), "{t}");
    assert!(t.contains("over their MVA rating (> 100 % of RATE_A): 1") && t.contains("feeder:"), "{t}");
    // HDF5: the AC datasets, each with units.
    let h = hdf5::File::open(&out).unwrap();
    for ds in [
        "power/bus/vm_pu",
        "power/bus/vm_kv",
        "power/bus/va_deg",
        "power/branch/pf_mw",
        "power/branch/qf_mvar",
        "power/branch/pt_mw",
        "power/branch/qt_mvar",
        "power/branch/s_mva",
        "power/branch/loading_pct",
        "power/branch/loss_mw",
        "power/branch/loss_mvar",
        "power/gen/pg_mw",
        "power/gen/qg_mvar",
    ] {
        let d = h.dataset(ds).unwrap_or_else(|_| panic!("{ds}"));
        assert!(thermogrid::io::h5util::read_attr_str(&d, "units").is_some(), "{ds} has no units");
    }
    let vm: Vec<f64> = h.dataset("power/bus/vm_pu").unwrap().read_raw().unwrap();
    assert!((vm[1] - low[0]["vm_pu"].as_f64().unwrap()).abs() < 1e-12);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn no_solution_exits_1_naming_a_bus_and_writes_nothing() {
    let dir = tmp("diverge");
    // 450 kW through 2 Ω at 480 V: beyond the feeder's maximum power transfer.
    let f = write(&dir, "f.toml", &feeder(1.2, 0.8, 500.0, ""));
    let out = dir.join("never.h5");
    let o = cli(&["powerflow", f.to_str().unwrap(), "--ac", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stdout));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("did not converge") && e.contains("MVA") && (e.contains("LV") || e.contains("UTIL")), "{e}");
    assert!(!out.exists(), "no half-written output");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_ac_data_exit_2_with_the_item() {
    let dir = tmp("bad");
    for (extra, what) in [("rating_mw = 0.4", "rating_mw"), ("r_pu = 0.1", "r_pu")] {
        let f = write(&dir, "f.toml", &feeder(0.012, 0.008, 500.0, extra));
        let o = cli(&["powerflow", f.to_str().unwrap(), "--ac"]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra}: {e}");
        assert!(e.contains("feeder") && e.contains(what), "{extra}: {e}");
    }
    let f = write(&dir, "f.toml", &feeder(0.012, 0.008, 500.0, "").replace("power_factor = 0.8", "power_factor = 1.3"));
    let o = cli(&["powerflow", f.to_str().unwrap(), "--ac"]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("lights") && e.contains("power_factor") && e.contains(":"), "{e}");
    let f = write(&dir, "f.toml", &feeder(0.012, 0.008, 500.0, "").replace("v_pu = 1.02", "v_pu = 2.0"));
    let o = cli(&["powerflow", f.to_str().unwrap(), "--ac"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("v_pu"));
    // Q limits are an AC notion.
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases/case9.m");
    let o = cli(&["powerflow", m.to_str().unwrap(), "--enforce-q-lims"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--ac"));
    std::fs::remove_dir_all(&dir).ok();
}

/// The bundled facilities solve in AC with their resistances and kVA ratings: every
/// bus within ±5 %, losses positive and below 3 % of the load, no transformer over
/// its nameplate.
#[test]
fn bundled_meshes_in_ac() {
    for m in ["hall_small.toml", "hall_gb200_nvl72.toml", "hall_xai_h100.toml"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("meshes").join(m);
        let (net, _) = thermogrid::power::read_network(path.to_str().unwrap()).unwrap();
        let r = AcPowerFlow::new(&net).unwrap().solve(&net, &AcOptions::default()).unwrap();
        let t = thermogrid::power::ac_output::ac_totals(&net, &r);
        assert!(t.off_band.is_empty(), "{m}: buses outside ±5 %: {:?}", t.off_band);
        assert!(t.losses_mw > 0.0 && t.losses_mw < 0.03 * t.load_mw, "{m}: losses {} of {}", t.losses_mw, t.load_mw);
        assert!(t.overloads.is_empty(), "{m}: {:?}", t.overloads);
        assert!((t.generation_mw - t.load_mw - t.losses_mw).abs() < 1e-6 * t.load_mw, "{m}: P balance");
    }
}
