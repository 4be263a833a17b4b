//! AC power flow against MATPOWER 8.1's own `runpf` answers for the shared cases
//! (`tests/data/cases/<case>.acpf.json`): the default solve and the variant with
//! generator Q limits enforced. Tolerances from the issue: |ΔVm| ≤ 1e-6 pu,
//! |ΔVa| ≤ 1e-5°, flows and generator outputs ≤ 1e-4 MW/MVAr.

use std::path::PathBuf;
use thermogrid::power::matpower::read_matpower;
use thermogrid::power::{AcOptions, AcPowerFlow, AcResult};

const CASES: [&str; 9] =
    ["case9", "case14", "case30", "case57", "case118", "case300", "case1354pegase", "case2383wp", "case_ACTIVSg2000"];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases")
}

fn max_abs(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// Compare one solution with one MATPOWER record (`j` holds `bus`, `branch`, `gen`).
fn compare(case: &str, what: &str, j: &serde_json::Value, r: &AcResult) {
    let col = |table: &str, k: usize| -> Vec<f64> {
        j[table].as_array().unwrap().iter().map(|row| row[k].as_f64().unwrap()).collect()
    };
    assert_eq!(col("bus", 0), r.bus_i, "{case} {what}: bus order");
    let dvm = max_abs(&col("bus", 1), &r.vm_pu);
    let dva = max_abs(&col("bus", 2), &r.va_deg);
    let flows = [(3, &r.pf_mw), (4, &r.qf_mvar), (5, &r.pt_mw), (6, &r.qt_mvar)];
    let dflow = flows.iter().map(|(k, v)| max_abs(&col("branch", *k), v)).fold(0.0, f64::max);
    let dpg = max_abs(&col("gen", 2), &r.pg_mw);
    let dqg = max_abs(&col("gen", 3), &r.qg_mvar);
    let refs: Vec<f64> = j["ref_buses"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    eprintln!(
        "{case} {what}: |dVm| {dvm:.1e} |dVa| {dva:.1e} |dflow| {dflow:.1e} |dPg| {dpg:.1e} |dQg| {dqg:.1e} ({} it)",
        r.iterations
    );
    assert!(dvm <= 1e-6, "{case} {what}: |ΔVm| = {dvm:e} pu");
    assert!(dva <= 1e-5, "{case} {what}: |ΔVa| = {dva:e}°");
    assert!(dflow <= 1e-4, "{case} {what}: |Δflow| = {dflow:e} MW/MVAr");
    assert!(dpg <= 1e-4, "{case} {what}: |ΔPg| = {dpg:e} MW");
    assert!(dqg <= 1e-4, "{case} {what}: |ΔQg| = {dqg:e} MVAr");
    assert_eq!(refs, r.ref_buses, "{case} {what}: reference buses");
    assert_eq!(j["iterations"].as_u64().unwrap() as usize, r.iterations, "{case} {what}: Newton iterations");
}

#[test]
fn shared_cases_match_matpower_runpf() {
    for case in CASES {
        let net = read_matpower(dir().join(format!("{case}.m")).to_str().unwrap()).unwrap();
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir().join(format!("{case}.acpf.json"))).unwrap()).unwrap();
        let pf = AcPowerFlow::new(&net).unwrap_or_else(|e| panic!("{case}: {e}"));
        let r = pf.solve(&net, &AcOptions::default()).unwrap_or_else(|e| panic!("{case}: {e}"));
        compare(case, "default", &j, &r);
        let q = &j["enforce_q_lims"];
        let r = pf
            .solve(&net, &AcOptions { enforce_q_lims: true, ..Default::default() })
            .unwrap_or_else(|e| panic!("{case} q limits: {e}"));
        compare(case, "q limits", q, &r);
        let mut limited: Vec<u64> = r.gens_at_q_limit.iter().map(|&g| g as u64 + 1).collect();
        limited.sort_unstable();
        let mut want: Vec<u64> = q["gens_at_q_limit"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        want.sort_unstable();
        assert_eq!(limited, want, "{case}: generators fixed at a Q limit");
    }
}
