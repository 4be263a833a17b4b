//! DC power flow beyond the shared references: several islands, out-of-service
//! branches, isolated buses, a facility network, the CLI and its HDF5 output, and
//! re-solves on one factorization.

use std::path::PathBuf;
use thermogrid::power::matpower::{parse_matpower, read_matpower, to_matpower_string};
use thermogrid::power::network::{branch as br, bus, gen};
use thermogrid::power::{DcPowerFlow, Network};

fn case(name: &str) -> Network {
    read_matpower(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases").join(name).to_str().unwrap())
        .unwrap()
}

fn max_abs(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// Two copies of a case side by side (bus numbers of the second shifted by 10 000) form
/// two islands, each with its own reference: each island's answer equals the case's.
#[test]
fn two_islands_each_with_a_reference() {
    let a = case("case30.m");
    let mut b = a.clone();
    for r in 0..b.bus.rows() {
        b.bus.set(r, bus::BUS_I, b.bus.get(r, bus::BUS_I) + 10_000.0);
    }
    for r in 0..b.gen.rows() {
        b.gen.set(r, gen::GEN_BUS, b.gen.get(r, gen::GEN_BUS) + 10_000.0);
    }
    for r in 0..b.branch.rows() {
        for c in [br::F_BUS, br::T_BUS] {
            b.branch.set(r, c, b.branch.get(r, c) + 10_000.0);
        }
    }
    let mut both = a.clone();
    for (m, o) in [(&mut both.bus, &b.bus), (&mut both.gen, &b.gen), (&mut both.branch, &b.branch)] {
        for r in 0..o.rows() {
            m.push(o.row(r), 0);
        }
    }
    let single = DcPowerFlow::new(&a).unwrap().solve(&a);
    let pf = DcPowerFlow::new(&both).unwrap();
    assert_eq!(pf.islands, 2);
    let r = pf.solve(&both);
    let (nb, nl, ng) = (a.bus.rows(), a.branch.rows(), a.gen.rows());
    for half in 0..2 {
        assert!(max_abs(&r.va_deg[half * nb..(half + 1) * nb], &single.va_deg) < 1e-10);
        assert!(max_abs(&r.pf_mw[half * nl..(half + 1) * nl], &single.pf_mw) < 1e-9);
        assert!(max_abs(&r.pg_mw[half * ng..(half + 1) * ng], &single.pg_mw) < 1e-9);
    }
}

/// An out-of-service branch carries nothing, and the rest equals a case without it.
#[test]
fn out_of_service_branch_equals_removed_branch() {
    let net = case("case57.m");
    let k = 10;
    let mut off = net.clone();
    off.branch.set(k, br::BR_STATUS, 0.0);
    let mut removed = net.clone();
    let keep: Vec<usize> = (0..net.branch.rows()).filter(|&r| r != k).collect();
    removed.branch = thermogrid::power::network::Matrix::new(net.branch.cols);
    for &r in &keep {
        removed.branch.push(net.branch.row(r), 0);
    }
    let a = DcPowerFlow::new(&off).unwrap().solve(&off);
    let b = DcPowerFlow::new(&removed).unwrap().solve(&removed);
    assert_eq!(a.pf_mw[k], 0.0);
    assert!(!a.branch_in_service[k]);
    let a_kept: Vec<f64> = keep.iter().map(|&r| a.pf_mw[r]).collect();
    assert!(max_abs(&a_kept, &b.pf_mw) < 1e-9);
    assert!(max_abs(&a.va_deg, &b.va_deg) < 1e-10);
}

/// A type-4 bus drops out with its branches and keeps its file VA; an in-service
/// generator there is bad input.
#[test]
fn isolated_bus_is_dropped() {
    let mut net = case("case14.m");
    // Bus 8 hangs off bus 7 only (branch 7–8); its generator is a synchronous condenser.
    let r8 = (0..net.bus.rows()).find(|&r| net.bus.get(r, bus::BUS_I) == 8.0).unwrap();
    net.bus.set(r8, bus::BUS_TYPE, 4.0);
    net.bus.set(r8, bus::VA, -7.5);
    let e = DcPowerFlow::new(&net).err().expect("an in-service generator at an isolated bus is an error");
    assert!(e.to_string().contains("isolated"), "{e}");
    for r in 0..net.gen.rows() {
        if net.gen.get(r, gen::GEN_BUS) == 8.0 {
            net.gen.set(r, gen::GEN_STATUS, 0.0);
        }
    }
    let r = DcPowerFlow::new(&net).unwrap().solve(&net);
    assert_eq!(r.va_deg[r8], -7.5);
    let k = (0..net.branch.rows())
        .find(|&k| net.branch.get(k, br::T_BUS) == 8.0 || net.branch.get(k, br::F_BUS) == 8.0)
        .unwrap();
    assert!(!r.branch_in_service[k]);
    assert_eq!(r.pf_mw[k], 0.0);
    // Power balance: generation equals load on the connected buses.
    let load: f64 =
        (0..net.bus.rows()).filter(|&b| b != r8).map(|b| net.bus.get(b, bus::PD) + net.bus.get(b, bus::GS)).sum();
    assert!((r.pg_mw.iter().sum::<f64>() - load).abs() < 1e-9);
}

/// New injections on an existing factorization give what a fresh solve gives.
#[test]
fn resolve_on_existing_factorization() {
    let mut net = case("case2383wp.m");
    let pf = DcPowerFlow::new(&net).unwrap();
    for r in 0..net.bus.rows() {
        let pd = net.bus.get(r, bus::PD);
        net.bus.set(r, bus::PD, pd * (1.0 + 0.1 * ((r as f64) * 0.7).sin()));
    }
    let fresh = DcPowerFlow::new(&net).unwrap().solve(&net);
    let reused = pf.solve(&net);
    assert!(max_abs(&fresh.va_deg, &reused.va_deg) < 1e-10);
    assert!(max_abs(&fresh.pg_mw, &reused.pg_mw) < 1e-8);
}

/// The facility networks in meshes/: one island, balance of generation and load,
/// racks attached, no overloads in the design, and .m write-back.
#[test]
fn facility_networks() {
    for m in ["hall_small.toml", "hall_xai_h100.toml", "hall_gb200_nvl72.toml"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("meshes").join(m);
        let (net, loads) = thermogrid::power::read_network(path.to_str().unwrap()).unwrap();
        let loads = loads.unwrap();
        let pf = DcPowerFlow::new(&net).unwrap();
        let r = pf.solve(&net);
        let load: f64 = (0..net.bus.rows()).map(|b| net.bus.get(b, bus::PD)).sum();
        assert!((r.pg_mw.iter().sum::<f64>() - load).abs() < 1e-9 * load.max(1.0), "{m}");
        assert!(loads.it_mw > 0.0 && loads.unattached_it_mw == 0.0, "{m}: {loads:?}");
        assert_eq!(pf.islands, 1, "{m}");
        let over = r.loading_pct.iter().filter(|&&l| l > 100.0).count();
        assert_eq!(over, 0, "{m}: {over} overloaded branches in the design");
        let back = parse_matpower("x.m", &to_matpower_string(&net)).unwrap();
        assert_eq!(back.branch.data, net.branch.data, "{m}");
    }
}

#[test]
fn cli_powerflow_writes_hdf5_in_file_order() {
    let dir = std::env::temp_dir().join(format!("tg-pf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("case118.h5");
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases/case118.m");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args(["powerflow", m.to_str().unwrap(), "--json", "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["ref_buses"][0], 69.0);
    assert_eq!(j["losses_mw"], 0.0);
    let f = hdf5::File::open(&out).unwrap();
    let va = f.dataset("power/bus/va_deg").unwrap();
    assert_eq!(thermogrid::io::h5util::read_attr_str(&va, "units").unwrap(), "deg");
    let va = va.read_raw::<f64>().unwrap();
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(m.with_extension("dcpf.json")).unwrap()).unwrap();
    let ref_va: Vec<f64> = reference["bus"].as_array().unwrap().iter().map(|r| r[1].as_f64().unwrap()).collect();
    assert!(max_abs(&va, &ref_va) < 1e-8);
    for ds in [
        "power/branch/f_bus",
        "power/branch/t_bus",
        "power/branch/in_service",
        "power/branch/pf_mw",
        "power/branch/pt_mw",
        "power/branch/loading_pct",
        "power/gen/gen_bus",
        "power/gen/in_service",
        "power/gen/pg_mw",
        "power/bus/bus_i",
    ] {
        let d = f.dataset(ds).unwrap_or_else(|_| panic!("{ds}"));
        assert!(thermogrid::io::h5util::read_attr_str(&d, "units").is_some(), "{ds} has no units");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Strongly negative series reactance (series capacitor) makes B indefinite: the
/// factorization is LDLᵀ (no Cholesky attempt) and Kirchhoff's law still holds at every
/// bus.
#[test]
fn indefinite_b_uses_ldlt() {
    let text = "function mpc = neg\nmpc.baseMVA = 100;\nmpc.bus = [\n1 3 0 0 0 0 1 1 0 138 1 1.1 0.9;\n2 1 40 0 0 0 1 1 0 138 1 1.1 0.9;\n3 1 25 0 0 0 1 1 0 138 1 1.1 0.9;\n];\nmpc.gen = [1 0 0 0 0 1 100 1 200 0];\nmpc.branch = [\n1 2 0 0.1 0 0 0 0 0 0 1 -360 360;\n2 3 0 -0.05 0 0 0 0 0 0 1 -360 360;\n1 3 0 0.3 0 0 0 0 0 0 1 -360 360;\n];\n";
    let net = parse_matpower("neg.m", text).unwrap();
    let pf = DcPowerFlow::new(&net).unwrap();
    assert_eq!(pf.factor_kind(), "ldlt");
    let r = pf.solve(&net);
    // Net flow out of bus 2 and 3 equals minus their load.
    let out = |b: f64| -> f64 {
        (0..3)
            .map(|k| {
                if r.f_bus[k] == b {
                    r.pf_mw[k]
                } else if r.t_bus[k] == b {
                    r.pt_mw[k]
                } else {
                    0.0
                }
            })
            .sum()
    };
    assert!((out(2.0) + 40.0).abs() < 1e-9, "{}", out(2.0));
    assert!((out(3.0) + 25.0).abs() < 1e-9, "{}", out(3.0));
    assert!((r.pg_mw[0] - 65.0).abs() < 1e-9);
}

/// A reduced B whose diagonal is zero (each bus's positive and negative susceptances
/// cancel) is nonsingular but has no LDLᵀ without pivoting: LU takes over, and the
/// flows solve the network exactly (B = [[0, 10], [10, 0]] in pu: θ₃ = P₂/10, θ₂ = P₃/10,
/// with P₂ = −0.40 pu and P₃ = −0.25 pu).
#[test]
fn zero_pivot_falls_back_to_lu() {
    let text = "function mpc = zp\nmpc.baseMVA = 100;\nmpc.bus = [\n1 3 0 0 0 0 1 1 0 138 1 1.1 0.9;\n2 1 40 0 0 0 1 1 0 138 1 1.1 0.9;\n3 1 25 0 0 0 1 1 0 138 1 1.1 0.9;\n];\nmpc.gen = [1 0 0 0 0 1 100 1 200 0];\nmpc.branch = [\n1 2 0 0.1 0 0 0 0 0 0 1 -360 360;\n2 3 0 -0.1 0 0 0 0 0 0 1 -360 360;\n1 3 0 0.1 0 0 0 0 0 0 1 -360 360;\n];\n";
    let net = parse_matpower("zp.m", text).unwrap();
    let pf = DcPowerFlow::new(&net).unwrap();
    assert_eq!(pf.factor_kind(), "lu");
    let r = pf.solve(&net);
    // θ₂ = P₃/10 = −0.025 rad, θ₃ = P₂/10 = −0.04 rad.
    assert!((r.va_deg[1] - (-0.025f64).to_degrees()).abs() < 1e-9, "{}", r.va_deg[1]);
    assert!((r.va_deg[2] - (-0.04f64).to_degrees()).abs() < 1e-9, "{}", r.va_deg[2]);
    assert!((r.pg_mw[0] - 65.0).abs() < 1e-9);
}

/// Series compensation on a real network: every 7th branch of case1354pegase gets a
/// negative reactance, which makes B indefinite. LDLᵀ (refined) solves it, and the
/// result satisfies Kirchhoff's current law at every bus to 1e-8 MW.
#[test]
fn ldlt_on_indefinite_real_network() {
    let mut net = case("case1354pegase.m");
    for r in (0..net.branch.rows()).step_by(7) {
        let x = net.branch.get(r, br::BR_X);
        net.branch.set(r, br::BR_X, -0.4 * x);
    }
    let pf = DcPowerFlow::new(&net).unwrap();
    assert_eq!(pf.factor_kind(), "ldlt");
    let r = pf.solve(&net);
    // Injection at each bus (generation − load − Gs) equals the flow out of it.
    let nb = net.bus.rows();
    let row_of: std::collections::HashMap<i64, usize> =
        (0..nb).map(|i| (net.bus.get(i, bus::BUS_I) as i64, i)).collect();
    let mut out = vec![0.0; nb];
    for k in 0..net.branch.rows() {
        out[row_of[&(r.f_bus[k] as i64)]] += r.pf_mw[k];
        out[row_of[&(r.t_bus[k] as i64)]] += r.pt_mw[k];
    }
    let mut inj: Vec<f64> = (0..nb).map(|i| -net.bus.get(i, bus::PD) - net.bus.get(i, bus::GS)).collect();
    for g in 0..net.gen.rows() {
        inj[row_of[&(r.gen_bus[g] as i64)]] += r.pg_mw[g];
    }
    let worst = inj.iter().zip(&out).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-8, "KCL mismatch {worst} MW");
}

/// New reactances on the same topology: the refactorization gives what a fresh build
/// gives, with the unknowns' numbering kept; a new topology is refused.
#[test]
fn refactor_with_new_reactances() {
    let net = case("case1354pegase.m");
    let mut pf = DcPowerFlow::new(&net).unwrap();
    let mut changed = net.clone();
    for r in 0..changed.branch.rows() {
        let x = changed.branch.get(r, br::BR_X);
        changed.branch.set(r, br::BR_X, x * (1.0 + 0.2 * ((r as f64) * 1.3).cos()));
    }
    pf.refactor(&changed).unwrap();
    let fresh = DcPowerFlow::new(&changed).unwrap().solve(&changed);
    let re = pf.solve(&changed);
    assert!(max_abs(&fresh.va_deg, &re.va_deg) < 1e-9);
    assert!(max_abs(&fresh.pf_mw, &re.pf_mw) < 1e-7);
    // A status change is a new topology: refused with a message.
    let mut opened = changed.clone();
    opened.branch.set(3, br::BR_STATUS, 0.0);
    assert!(pf.refactor(&opened).err().unwrap().to_string().contains("new topology"));
}

#[test]
fn cli_contingency_writes_the_documented_datasets() {
    let dir = std::env::temp_dir().join(format!("tg-n1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("n1.h5");
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases/case30.m");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args(["contingency", m.to_str().unwrap(), "--backend", "cpu", "--full", "--json", "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["outages"], 41);
    let f = hdf5::File::open(&out).unwrap();
    for ds in [
        "outage",
        "islanding",
        "max_loading_pct",
        "worst_branch",
        "lost_load_mw",
        "violations/outage",
        "violations/branch",
        "violations/loading_pct",
        "violations/flow_mw",
        "flows_mw",
    ] {
        let d = f.dataset(&format!("power/contingency/{ds}")).unwrap_or_else(|_| panic!("{ds}"));
        assert!(thermogrid::io::h5util::read_attr_str(&d, "units").is_some(), "{ds} has no units");
    }
    assert_eq!(f.dataset("power/contingency/flows_mw").unwrap().shape(), vec![41, 41]);
    let outage = f.dataset("power/contingency/outage").unwrap().read_raw::<u64>().unwrap();
    assert_eq!(outage, (0..41).collect::<Vec<u64>>());
    std::fs::remove_dir_all(&dir).ok();
}

/// The fast path (buses with at most three neighbours peeled on the graph, the core
/// factorized) against the reference path (the whole reduced matrix factorized by faer
/// in the order of `power::ordering`): the same angles and flows on every shared case,
/// as given and with every 7th reactance made negative (−0.4 x, an indefinite B), and
/// the same block solves (several right-hand sides at once, as N-1 and the time
/// series use them).
#[test]
fn peeled_factorization_matches_the_whole_matrix_factorization() {
    use thermogrid::power::dcpf::FactorPath;
    for name in ["case9.m", "case118.m", "case300.m", "case1354pegase.m", "case2383wp.m", "case_ACTIVSg2000.m"] {
        for negative in [false, true] {
            let mut net = case(name);
            if negative {
                for r in (0..net.branch.rows()).step_by(7) {
                    let x = net.branch.get(r, br::BR_X);
                    net.branch.set(r, br::BR_X, -0.4 * x);
                }
            }
            let idx = thermogrid::power::validate::validate(&net).unwrap();
            let fast = DcPowerFlow::build_with(&net, &idx, FactorPath::Peel).unwrap();
            let reference = DcPowerFlow::build_with(&net, &idx, FactorPath::Reference).unwrap();
            assert_eq!(fast.factor_kind(), reference.factor_kind(), "{name}");
            assert_ne!(fast.factor_kind(), "lu", "{name}");
            assert!(fast.peeled_buses().is_some_and(|p| p > 0), "{name}: the peel was not taken");
            assert!(reference.peeled_buses().is_none(), "{name}");
            let (a, b) = (fast.solve(&net), reference.solve(&net));
            let dva = max_abs(&a.va_deg, &b.va_deg);
            let dpf = max_abs(&a.pf_mw, &b.pf_mw);
            // Relative to the solution's size: a made-up negative reactance can bring B
            // close to singular (flows of 10⁶ MW), where both paths lose digits alike.
            let scale = |v: &[f64]| v.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let (va_scale, pf_scale) = (scale(&b.va_deg), scale(&b.pf_mw));
            assert!(
                dva < 1e-10 * va_scale.max(1.0) && dpf < 1e-10 * pf_scale,
                "{name} negative={negative}: |Δva| {dva:e}° of {va_scale}°, |Δpf| {dpf:e} MW of {pf_scale} MW"
            );
            // Three right-hand sides at once (injections at spread-out buses), each
            // path in its own numbering of the unknowns, compared bus by bus.
            let nb = fast.bus_row.len();
            let block = |pf: &DcPowerFlow| -> Vec<f64> {
                let nr = pf.n_reduced();
                let mut x = vec![0.0; 3 * nr];
                for c in 0..3 {
                    for (i, v) in [((c * 7919) % nb, 1.0), ((c * 104729 + 13) % nb, -0.5)] {
                        if let Some(r) = pf.reduced(i) {
                            x[c * nr + r] += v;
                        }
                    }
                }
                pf.solve_block(&mut x, 3);
                (0..3)
                    .flat_map(|c| (0..nb).map(move |i| (c, i)))
                    .map(|(c, i)| pf.reduced(i).map_or(0.0, |r| x[c * nr + r]))
                    .collect()
            };
            let (x, y) = (block(&fast), block(&reference));
            let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let d = max_abs(&x, &y);
            assert!(
                d <= 1e-9 * scale.max(1.0),
                "{name} negative={negative}: block solves differ by {d:e} (scale {scale:e})"
            );
        }
    }
}
