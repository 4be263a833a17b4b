//! DC power flow against MATPOWER 8.1's own rundcpf answers for the shared cases
//! (`tests/data/cases/<case>.dcpf.json`), and .m write-back.

use std::path::PathBuf;
use thermogrid::power::matpower::{parse_matpower, read_matpower, to_matpower_string};
use thermogrid::power::DcPowerFlow;

const CASES: [&str; 9] =
    ["case9", "case14", "case30", "case57", "case118", "case300", "case1354pegase", "case2383wp", "case_ACTIVSg2000"];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases")
}

fn max_abs(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn shared_cases_match_matpower() {
    for case in CASES {
        let m = dir().join(format!("{case}.m"));
        let net = read_matpower(m.to_str().unwrap()).unwrap_or_else(|e| panic!("{case}: {e}"));
        let pf = DcPowerFlow::new(&net).unwrap_or_else(|e| panic!("{case}: {e}"));
        let r = pf.solve(&net);
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir().join(format!("{case}.dcpf.json"))).unwrap()).unwrap();
        let col = |table: &str, k: usize| -> Vec<f64> {
            j[table].as_array().unwrap().iter().map(|row| row[k].as_f64().unwrap()).collect()
        };
        assert_eq!(col("bus", 0), r.bus_i, "{case}: bus order");
        let dva = max_abs(&col("bus", 1), &r.va_deg);
        let dpf = max_abs(&col("branch", 3), &r.pf_mw);
        let dpg = max_abs(&col("gen", 2), &r.pg_mw);
        let ins: Vec<bool> = col("branch", 2).iter().map(|&v| v != 0.0).collect();
        assert_eq!(ins, r.branch_in_service, "{case}: in-service flags");
        let gins: Vec<bool> = col("gen", 1).iter().map(|&v| v != 0.0).collect();
        assert_eq!(gins, r.gen_in_service, "{case}: generator status");
        let refs: Vec<f64> = j["ref_buses"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(refs, r.ref_buses, "{case}: reference buses");
        eprintln!("{case}: max |ΔVa| {dva:.1e}°, |ΔPf| {dpf:.1e} MW, |ΔPg| {dpg:.1e} MW");
        assert!(dva <= 1e-8, "{case}: Va off by {dva}°");
        assert!(dpf <= 1e-6, "{case}: Pf off by {dpf} MW");
        assert!(dpg <= 1e-6, "{case}: Pg off by {dpg} MW");
    }
}

#[test]
fn shared_cases_write_back_identically() {
    for case in CASES {
        let m = dir().join(format!("{case}.m"));
        let net = read_matpower(m.to_str().unwrap()).unwrap();
        let text = to_matpower_string(&net);
        let back = parse_matpower(m.to_str().unwrap(), &text).unwrap();
        assert_eq!(back.base_mva.to_bits(), net.base_mva.to_bits(), "{case}");
        for (a, b, what) in
            [(&net.bus, &back.bus, "bus"), (&net.gen, &back.gen, "gen"), (&net.branch, &back.branch, "branch")]
        {
            assert_eq!(a.cols, b.cols, "{case} {what}");
            assert_eq!(a.rows(), b.rows(), "{case} {what}");
            let same =
                a.data.iter().zip(&b.data).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()));
            assert!(same, "{case} {what}: values differ after write-back");
        }
    }
}
