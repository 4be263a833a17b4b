//! PTDF, LODF and N-1 screening against full re-solves with the branch removed.

use std::path::PathBuf;
use thermogrid::power::contingency::{bridges, lodf, n1_cpu, ptdf};
use thermogrid::power::matpower::read_matpower;
use thermogrid::power::network::{branch as br, bus, gen};
use thermogrid::power::{DcPowerFlow, Network};

fn case(name: &str) -> Network {
    read_matpower(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases").join(format!("{name}.m")).to_str().unwrap(),
    )
    .unwrap()
}

/// The network after outage k, solved from scratch; buses cut off from every reference
/// are marked isolated (their generators off), as the screening treats them.
fn resolve_without(net: &Network, pf: &DcPowerFlow, k: usize) -> Vec<f64> {
    let mut cut = net.clone();
    cut.branch.set(k, br::BR_STATUS, 0.0);
    if let Err(e) = DcPowerFlow::new(&cut) {
        assert!(e.to_string().contains("no reference"), "{e}");
        // Find the dark buses: those not reachable from a reference without branch k.
        let n = pf.bus_row.len();
        let mut adj = vec![Vec::new(); n];
        for l in 0..pf.b.len() {
            if pf.in_service[l] && l != k {
                adj[pf.f_idx[l]].push(pf.t_idx[l]);
                adj[pf.t_idx[l]].push(pf.f_idx[l]);
            }
        }
        let mut lit = vec![false; n];
        let mut st: Vec<usize> = pf.ref_idx.clone();
        st.iter().for_each(|&i| lit[i] = true);
        while let Some(v) = st.pop() {
            for &w in &adj[v] {
                if !lit[w] {
                    lit[w] = true;
                    st.push(w);
                }
            }
        }
        for i in (0..n).filter(|&i| !lit[i]) {
            let row = pf.bus_row[i];
            cut.bus.set(row, bus::BUS_TYPE, 4.0);
            let num = cut.bus.get(row, bus::BUS_I);
            for g in 0..cut.gen.rows() {
                if cut.gen.get(g, gen::GEN_BUS) == num {
                    cut.gen.set(g, gen::GEN_STATUS, 0.0);
                }
            }
        }
    }
    let p = DcPowerFlow::new(&cut).unwrap();
    p.solve(&cut).pf_mw
}

#[test]
fn n1_flows_match_full_resolves() {
    for (name, stride) in [
        ("case9", 1),
        ("case14", 1),
        ("case30", 1),
        ("case57", 1),
        ("case118", 1),
        ("case300", 3),
        ("case1354pegase", 47),
        ("case2383wp", 97),
        ("case_ACTIVSg2000", 101),
    ] {
        let net = case(name);
        let pf = DcPowerFlow::new(&net).unwrap();
        let base = pf.solve(&net).pf_mw;
        let n1 = n1_cpu(&pf, &net, &base, 100.0, true);
        let flows = n1.flows_mw.as_ref().unwrap();
        let nl = net.branch.rows();
        let mut worst: f64 = 0.0;
        let mut checked = 0;
        let mut islanding = 0;
        for (o, out) in n1.outages.iter().enumerate() {
            if out.islanding {
                islanding += 1;
            }
            if o % stride != 0 && !out.islanding {
                continue;
            }
            let reference = resolve_without(&net, &pf, out.branch);
            let got = &flows[o * nl..(o + 1) * nl];
            let d = got.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            worst = worst.max(d);
            checked += 1;
            assert!(got.iter().all(|v| v.is_finite()), "{name}: NaN in outage {}", out.branch);
        }
        eprintln!(
            "{name}: {} outages ({islanding} islanding), {checked} re-solved, max |Δf| {worst:.1e} MW",
            n1.outages.len()
        );
        assert!(worst <= 1e-8, "{name}: N-1 flows differ from re-solves by {worst} MW");
    }
}

#[test]
fn ptdf_reproduces_base_flows() {
    for name in ["case30", "case118", "case2383wp"] {
        let net = case(name);
        let pf = DcPowerFlow::new(&net).unwrap();
        let r = pf.solve(&net);
        let nb = net.bus.rows();
        let p = ptdf(&pf, nb);
        // Net injection per bus row, MW (references absorb the balance; their column is 0).
        let mut inj = vec![0.0; nb];
        for b in 0..nb {
            inj[b] = -(net.bus.get(b, bus::PD) + net.bus.get(b, bus::GS));
        }
        for g in 0..net.gen.rows() {
            if net.gen_status(g) {
                let b = (0..nb).find(|&b| net.bus.get(b, bus::BUS_I) == net.gen.get(g, gen::GEN_BUS)).unwrap();
                inj[b] += r.pg_mw[g];
            }
        }
        // Phase shifters add a fixed pattern: compare only where the case has none.
        let has_shift = (0..net.branch.rows()).any(|k| net.branch.get(k, br::SHIFT) != 0.0);
        let nl = net.branch.rows();
        let mut d: f64 = 0.0;
        for l in 0..nl {
            let f: f64 = (0..nb).map(|b| p[l * nb + b] * inj[b]).sum();
            d = d.max((f - r.pf_mw[l]).abs());
        }
        eprintln!("{name}: max |PTDF·p − f| = {d:.1e} MW (shifters: {has_shift})");
        if !has_shift {
            assert!(d < 1e-8, "{name}: {d}");
        }
    }
}

#[test]
fn lodf_definition_and_bridges() {
    let net = case("case118");
    let pf = DcPowerFlow::new(&net).unwrap();
    let (l, isl) = lodf(&pf);
    let nl = net.branch.rows();
    let b = bridges(&pf);
    assert_eq!(isl, b);
    assert!(b.iter().any(|&x| x), "case118 has radial branches");
    for k in 0..nl {
        assert_eq!(l[k * nl + k], -1.0);
        if b[k] {
            assert!((0..nl).all(|m| m == k || l[m * nl + k] == 0.0));
        }
    }
    assert!(l.iter().all(|v| v.is_finite()));
    // A bridge's removal must disconnect: check with a re-solve.
    let k = b.iter().position(|&x| x).unwrap();
    let mut cut = net.clone();
    cut.branch.set(k, br::BR_STATUS, 0.0);
    assert!(DcPowerFlow::new(&cut).is_err());
}

/// Two islands, each with its own reference: N-1 of the pair equals N-1 of each copy,
/// with no NaN anywhere.
#[test]
fn n1_with_two_islands() {
    let a = case("case30");
    let mut both = a.clone();
    let shift = |m: &mut thermogrid::power::network::Matrix, cols: &[usize]| {
        for r in 0..m.rows() {
            for &c in cols {
                m.set(r, c, m.get(r, c) + 10_000.0);
            }
        }
    };
    let mut b = a.clone();
    shift(&mut b.bus, &[bus::BUS_I]);
    shift(&mut b.gen, &[gen::GEN_BUS]);
    shift(&mut b.branch, &[br::F_BUS, br::T_BUS]);
    for (m, o) in [(&mut both.bus, &b.bus), (&mut both.gen, &b.gen), (&mut both.branch, &b.branch)] {
        for r in 0..o.rows() {
            m.push(o.row(r), 0);
        }
    }
    let (single, fa) = {
        let pf = DcPowerFlow::new(&a).unwrap();
        let f = pf.solve(&a).pf_mw;
        (n1_cpu(&pf, &a, &f, 100.0, true), f)
    };
    let pf = DcPowerFlow::new(&both).unwrap();
    let f = pf.solve(&both).pf_mw;
    let pair = n1_cpu(&pf, &both, &f, 100.0, true);
    let (l, _) = lodf(&pf);
    assert!(l.iter().all(|v| v.is_finite()));
    let nl = a.branch.rows();
    let (sf, pfl) = (single.flows_mw.unwrap(), pair.flows_mw.unwrap());
    assert_eq!(pair.outages.len(), 2 * single.outages.len());
    for (i, o) in pair.outages.iter().enumerate() {
        let s = i % single.outages.len();
        assert_eq!(o.branch % nl, single.outages[s].branch);
        assert_eq!(o.islanding, single.outages[s].islanding);
        // The outaged island matches the single case; the other keeps its base flows.
        let (own, other) = if i < single.outages.len() { (0, nl) } else { (nl, 0) };
        for l in 0..nl {
            assert!((pfl[i * 2 * nl + own + l] - sf[s * nl + l]).abs() < 1e-9);
            assert!((pfl[i * 2 * nl + other + l] - fa[l]).abs() < 1e-9);
        }
    }
}

// ---- failed re-solves, memory bounds -------------------------------------------------

/// Two halves joined by bridges (1–2, 2–4), each half with its own reference. In the
/// right half, 4–5 and the negative reactance 5–3 make B singular once either bridge is
/// out (bus 2 then hangs on bus 4 alone, or leaves): those re-solves have no answer.
const SINGULAR_AFTER_CUT: &str = "function mpc = cut
mpc.baseMVA = 100;
mpc.bus = [
\t1\t3\t0\t0\t0\t0\t1\t1\t0\t138\t1\t1.1\t0.9;
\t2\t1\t10\t0\t0\t0\t1\t1\t0\t138\t1\t1.1\t0.9;
\t3\t3\t0\t0\t0\t0\t1\t1\t0\t138\t1\t1.1\t0.9;
\t4\t1\t20\t0\t0\t0\t1\t1\t0\t138\t1\t1.1\t0.9;
\t5\t1\t5\t0\t0\t0\t1\t1\t0\t138\t1\t1.1\t0.9;
];
mpc.gen = [
\t1\t0\t0\t0\t0\t1\t100\t1\t200\t0;
\t3\t0\t0\t0\t0\t1\t100\t1\t200\t0;
];
mpc.branch = [
\t1\t2\t0\t0.1\t0\t100\t0\t0\t0\t0\t1\t-360\t360;
\t2\t4\t0\t0.2\t0\t100\t0\t0\t0\t0\t1\t-360\t360;
\t3\t4\t0\t0.5\t0\t100\t0\t0\t0\t0\t1\t-360\t360;
\t4\t5\t0\t0.25\t0\t100\t0\t0\t0\t0\t1\t-360\t360;
\t5\t3\t0\t-0.75\t0\t100\t0\t0\t0\t0\t1\t-360\t360;
];
";

fn write_case(tag: &str, text: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("tg-n1-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let m = dir.join("net.m");
    std::fs::write(&m, text).unwrap();
    (dir, m.display().to_string())
}

fn cli(args: &[&str]) -> (i32, String) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_thermogrid")).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!err.contains("panicked"), "{err}");
    (o.status.code().unwrap_or(-1), err)
}

#[test]
fn a_failed_resolve_is_flagged_never_zeros() {
    let (dir, m) = write_case("singular", SINGULAR_AFTER_CUT);
    let net = read_matpower(&m).unwrap();
    let pf = DcPowerFlow::new(&net).unwrap();
    let base = pf.solve_checked(&net).unwrap().pf_mw;
    assert!(bridges(&pf)[0] && bridges(&pf)[1], "1–2 and 2–4 are bridges");
    let n1 = n1_cpu(&pf, &net, &base, 100.0, true);
    let nl = net.branch.rows();
    for (row, o) in n1.outages.iter().enumerate() {
        if o.branch < 2 {
            assert!(o.islanding);
            // Once 0 % loading and no violations; now NaN and the reason.
            assert!(o.failed.is_some(), "{o:?}");
            assert!(o.max_loading_pct.is_nan() && o.worst_branch.is_none(), "{o:?}");
            assert!(n1.flows_mw.as_ref().unwrap()[row * nl..(row + 1) * nl].iter().all(|v| v.is_nan()));
        } else {
            // The other outages still have answers.
            assert!(o.failed.is_none() && o.max_loading_pct.is_finite(), "{o:?}");
        }
    }
    let e = n1.check(&net, 100.0).unwrap_err();
    assert!(e.to_string().contains("outage of branch row 1") && e.line == Some(15), "{e}");
    // Through the CLI: exit 2 naming the outage, no output.
    let out = dir.join("n1.h5");
    let (code, err) = cli(&["contingency", &m, "--backend", "cpu", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("net.m:15:") && err.contains("outage of branch row 1") && err.contains("fix:"), "{err}");
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// A ring of `n` buses (bus 1 the reference), for memory-bound checks.
fn ring(n: usize) -> String {
    let mut s = String::from("function mpc = ring\nmpc.baseMVA = 100;\nmpc.bus = [\n");
    for i in 1..=n {
        s += &format!("{i} {} 1 0 0 0 1 1 0 138 1 1.1 0.9;\n", if i == 1 { 3 } else { 1 });
    }
    s += "];\nmpc.gen = [1 0 0 0 0 1 100 1 1e6 0];\nmpc.branch = [\n";
    for i in 1..=n {
        s += &format!("{i} {} 0 0.01 0 100 0 0 0 0 1 -360 360;\n", i % n + 1);
    }
    s + "];\n"
}

#[test]
fn full_and_dense_matrices_beyond_memory_are_refused() {
    // 300 000 outages × 300 000 branches: 1.3 TiB of --full flows, 1 TiB of dense LODF.
    let (dir, m) = write_case("ring", &ring(300_000));
    let out = dir.join("n1.h5");
    let o = out.to_str().unwrap();
    let (code, err) = cli(&["contingency", &m, "--full", "--backend", "cpu", "-o", o]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--full") && err.contains("GiB") && err.contains("300000 outages") && err.contains("fix:"),
        "{err}"
    );
    assert!(!out.exists());
    let (code, err) = cli(&["contingency", &m, "--backend", "gpu", "-o", o]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--backend gpu") && err.contains("dense LODF") && err.contains("--backend cpu"), "{err}");
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// Every outage and branch is named (facility ids; for .m cases the end buses), and the
/// summary ranks outages by severity: lost load first, then loading — so losing the
/// service entrance (all load lost, 0 % loading) heads the list instead of trailing it.
#[test]
fn outages_are_named_and_ranked_by_severity() {
    let bin = env!("CARGO_BIN_EXE_thermogrid");
    let hall = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("meshes/hall_small.toml");
    let o = std::process::Command::new(bin)
        .args(["contingency", hall.to_str().unwrap(), "--top", "50", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let worst = j["worst"].as_array().unwrap();
    assert_eq!(worst[0]["outage_name"], "service", "{worst:?}");
    let key = |w: &serde_json::Value| (w["lost_load_mw"].as_f64().unwrap(), w["max_loading_pct"].as_f64().unwrap());
    for pair in worst.windows(2) {
        let (a, b) = (key(&pair[0]), key(&pair[1]));
        assert!(a.0 > b.0 || (a.0 == b.0 && a.1 >= b.1), "not by severity: {a:?} before {b:?}");
    }
    // A .m case: branches named by their end buses, parallel ones numbered.
    let net = case("case57");
    let labels = net.branch_labels();
    for r in 0..net.branch.rows() {
        assert_eq!(labels[r], net.branch_name(r));
        let (f, t) = (net.branch.get(r, 0), net.branch.get(r, 1));
        assert!(labels[r].starts_with(&format!("{f}–{t}")), "{}", labels[r]);
    }
    assert!(labels.iter().any(|l| l.ends_with("#2")), "case57 has parallel branches");
    let unique: std::collections::HashSet<&String> = labels.iter().collect();
    assert_eq!(unique.len(), labels.len(), "names must tell branches apart");
}

/// A post-contingency flow that equals a rating exactly (two equal parallel lines, each
/// rated for the pair's 50 MW: losing one puts all of it on the other) is not a
/// violation at 100 %, whatever round-off the arithmetic leaves; at 99.9 % it is.
#[test]
fn a_flow_exactly_at_its_rating_is_not_a_violation() {
    let text = "function mpc = twin\nmpc.baseMVA = 100;\nmpc.bus = [\n1 3 0 0 0 0 1 1 0 138 1 1.1 0.9;\n2 1 50 0 0 0 1 1 0 138 1 1.1 0.9;\n];\nmpc.gen = [1 50 0 0 0 1 100 1 200 0];\nmpc.branch = [\n1 2 0 0.1 0 50 0 0 0 0 1 -360 360;\n1 2 0 0.1 0 50 0 0 0 0 1 -360 360;\n];\n";
    let net = thermogrid::power::matpower::parse_matpower("twin.m", text).unwrap();
    let pf = DcPowerFlow::new(&net).unwrap();
    let base = pf.solve(&net).pf_mw;
    let at = n1_cpu(&pf, &net, &base, 100.0, false);
    assert!(at.outages.iter().all(|o| (o.max_loading_pct - 100.0).abs() < 1e-9), "{:?}", at.outages);
    assert!(at.violations.is_empty(), "{:?}", at.violations);
    let below = n1_cpu(&pf, &net, &base, 99.9, false);
    assert_eq!(below.violations.len(), 2);
}
