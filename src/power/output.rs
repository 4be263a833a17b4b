//! Power-flow results: HDF5 (`/power/…`, file row order, units on every dataset), the
//! terminal summary and the JSON summary.

use super::dcpf::DcResult;
use super::network::Network;
use serde_json::json;
use std::fmt::Write;

/// Totals of a solved network, MW.
#[derive(Clone, Debug)]
pub struct Totals {
    pub load_mw: f64,
    pub generation_mw: f64,
    pub slack_mw: f64,
    /// Factorization of the reduced B: "cholesky", "ldlt", "lu" or "none".
    pub factor: &'static str,
}

pub fn totals(net: &Network, r: &DcResult, pf: &super::DcPowerFlow) -> Totals {
    use super::network::bus;
    let load = (0..net.bus.rows())
        .filter(|&i| pf.bus_idx[i].is_some())
        .map(|i| net.bus.get(i, bus::PD) + net.bus.get(i, bus::GS))
        .sum();
    let slack = pf.slack_gen.iter().flatten().map(|&g| r.pg_mw[g]).sum();
    Totals { load_mw: load, generation_mw: r.pg_mw.iter().sum(), slack_mw: slack, factor: pf.factor_kind() }
}

/// Branch rows by loading, most loaded first (rated, in-service branches only): the
/// `top` most loaded and every one over 100 % — what the summaries show — found by
/// selection, not by sorting every branch. Shared by the DC and AC summaries.
pub fn rank_loaded(loading_pct: &[f64], in_service: &[bool], top: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..loading_pct.len()).filter(|&i| in_service[i] && loading_pct[i].is_finite()).collect();
    let by_load = |a: &usize, b: &usize| loading_pct[*b].total_cmp(&loading_pct[*a]);
    if v.len() > top && top > 0 {
        v.select_nth_unstable_by(top - 1, by_load);
        let (head, tail) = v.split_at(top);
        let mut keep = head.to_vec();
        keep.extend(tail.iter().copied().filter(|&i| loading_pct[i] > 100.0));
        v = keep;
    }
    v.sort_by(by_load);
    v
}

/// [`rank_loaded`] of a DC result.
pub fn most_loaded(r: &DcResult, top: usize) -> Vec<usize> {
    rank_loaded(&r.loading_pct, &r.branch_in_service, top)
}

/// The summary's network line (DC and AC): sizes, in-service branches, islands and
/// reference buses.
pub fn network_line(net: &Network, in_service: &[bool], islands: usize, ref_buses: &[f64]) -> String {
    format!(
        "{} buses, {} branches ({} in service), {} generators · {} island(s), reference bus(es) {}",
        net.bus.rows(),
        net.branch.rows(),
        in_service.iter().filter(|&&b| b).count(),
        net.gen.rows(),
        islands,
        ref_buses.iter().map(|b| format!("{b}")).collect::<Vec<_>>().join(", ")
    )
}

pub fn text_summary(net: &Network, r: &DcResult, t: &Totals, output: Option<&str>, setup_s: f64) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "thermogrid powerflow · {} ({})", net.name, net.source);
    let _ = writeln!(
        o,
        "{} · DC power flow in {:.2} ms ({})",
        network_line(net, &r.branch_in_service, r.islands, &r.ref_buses),
        setup_s * 1e3,
        t.factor
    );
    let _ = writeln!(
        o,
        "load {:.2} MW · generation {:.2} MW (slack {:.2} MW) · losses 0 MW (the DC model is lossless)",
        t.load_mw, t.generation_mw, t.slack_mw
    );
    let ranked = most_loaded(r, 10);
    if ranked.is_empty() {
        let _ = writeln!(o, "no branch has a rating (RATE_A): loadings not computed");
    } else {
        let over: Vec<usize> = ranked.iter().copied().filter(|&i| r.loading_pct[i] > 100.0).collect();
        let names = net.branch_name_map(ranked.iter().take(5).chain(over.iter().take(10)).copied());
        let _ = writeln!(o, "most loaded branches          from → to         flow MW   loading %");
        for &i in ranked.iter().take(5) {
            let n = &names[&i];
            let _ = writeln!(
                o,
                "  {:<26} {:>6} → {:<6} {:>10.2} {:>10.1}",
                n, r.f_bus[i], r.t_bus[i], r.pf_mw[i], r.loading_pct[i]
            );
        }
        let _ = writeln!(o, "overloads (> 100 % of RATE_A): {}", over.len());
        for &i in over.iter().take(10) {
            let n = &names[&i];
            let _ = writeln!(o, "  {n}: {:.1} % ({:.2} MW)", r.loading_pct[i], r.pf_mw[i]);
        }
    }
    if !net.ignored.is_empty() {
        let _ = writeln!(o, "note: fields read but not used by the DC model: {}", net.ignored.join(", "));
    }
    if let Some(out) = output {
        let _ = writeln!(o, "results: {out}");
    }
    o
}

pub fn json_summary(net: &Network, r: &DcResult, t: &Totals, output: Option<&str>, setup_s: f64) -> serde_json::Value {
    let ranked = most_loaded(r, 10);
    let names = net.branch_name_map(ranked.iter().take(10).copied());
    json!({
        "name": net.name,
        "input": net.source,
        "output": output,
        "n_bus": net.bus.rows(),
        "n_branch": net.branch.rows(),
        "n_gen": net.gen.rows(),
        "islands": r.islands,
        "ref_buses": r.ref_buses,
        "load_mw": t.load_mw,
        "generation_mw": t.generation_mw,
        "slack_mw": t.slack_mw,
        "losses_mw": 0.0,
        "solve_s": setup_s,
        "factor": t.factor,
        "most_loaded": ranked.iter().take(10).map(|&i| json!({
            "row": i, "name": names[&i], "f_bus": r.f_bus[i], "t_bus": r.t_bus[i],
            "pf_mw": r.pf_mw[i], "loading_pct": r.loading_pct[i],
        })).collect::<Vec<_>>(),
        "overloads": ranked.iter().filter(|&&i| r.loading_pct[i] > 100.0).count(),
        "ignored_fields": net.ignored,
    })
}
