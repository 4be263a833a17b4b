//! AC power-flow summaries (terminal and JSON): totals with losses, the voltage band,
//! the most loaded branches in MVA, and what a facility engineer checks first —
//! buses outside ±5 % of nominal and branches over their MVA rating.

use super::acpf::AcResult;
use super::network::{bus, Network};
use serde_json::json;
use std::fmt::Write;

/// The voltage band flagged in summaries, pu: ±5 % of nominal (ANSI C84.1 range A
/// service voltage, and the usual limit for LV busway voltage drop).
pub const VOLTAGE_BAND_PU: (f64, f64) = (0.95, 1.05);

/// Totals of a solved AC network.
#[derive(Clone, Debug)]
pub struct AcTotals {
    pub load_mw: f64,
    pub load_mvar: f64,
    pub generation_mw: f64,
    pub generation_mvar: f64,
    pub losses_mw: f64,
    pub losses_mvar: f64,
    /// Lowest and highest in-service bus voltage, pu, with their bus rows.
    pub vm_min: (f64, usize),
    pub vm_max: (f64, usize),
    /// Bus rows outside [`VOLTAGE_BAND_PU`], worst deviation first.
    pub off_band: Vec<usize>,
    /// Branch rows over 100 % of RATE_A (MVA), most loaded first.
    pub overloads: Vec<usize>,
}

pub fn ac_totals(net: &Network, r: &AcResult) -> AcTotals {
    let bm = &net.bus;
    let live: Vec<usize> = (0..bm.rows()).filter(|&i| bm.get(i, bus::BUS_TYPE) != bus::NONE).collect();
    let load_mw = live.iter().map(|&i| bm.get(i, bus::PD)).sum();
    let load_mvar = live.iter().map(|&i| bm.get(i, bus::QD)).sum();
    let mut vm_min = (f64::INFINITY, 0);
    let mut vm_max = (f64::NEG_INFINITY, 0);
    for &i in &live {
        if r.vm_pu[i] < vm_min.0 {
            vm_min = (r.vm_pu[i], i);
        }
        if r.vm_pu[i] > vm_max.0 {
            vm_max = (r.vm_pu[i], i);
        }
    }
    let dev = |i: usize| (r.vm_pu[i] - 1.0).abs();
    let mut off_band: Vec<usize> =
        live.iter().copied().filter(|&i| r.vm_pu[i] < VOLTAGE_BAND_PU.0 || r.vm_pu[i] > VOLTAGE_BAND_PU.1).collect();
    off_band.sort_by(|&a, &b| dev(b).total_cmp(&dev(a)));
    let ranked = most_loaded(r);
    AcTotals {
        load_mw,
        load_mvar,
        generation_mw: r.pg_mw.iter().sum(),
        generation_mvar: r.qg_mvar.iter().sum(),
        losses_mw: r.loss_mw.iter().sum(),
        losses_mvar: r.loss_mvar.iter().sum(),
        vm_min,
        vm_max,
        off_band,
        overloads: ranked.into_iter().filter(|&i| r.loading_pct[i] > 100.0).collect(),
    }
}

/// Rated in-service branch rows by MVA loading, most loaded first: the ten most loaded
/// and every one over 100 %.
pub fn most_loaded(r: &AcResult) -> Vec<usize> {
    super::output::rank_loaded(&r.loading_pct, &r.branch_in_service, 10)
}

fn kv(r: &AcResult, i: usize) -> String {
    if r.vm_kv[i].is_finite() {
        format!(" ({:.4} kV)", r.vm_kv[i])
    } else {
        String::new()
    }
}

pub fn text_summary(net: &Network, r: &AcResult, t: &AcTotals, output: Option<&str>, solve_s: f64) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "thermogrid powerflow --ac · {} ({})", net.name, net.source);
    let _ = writeln!(
        o,
        "{} · AC power flow (Newton, {} iterations, worst mismatch {:.1e} MVA) in {:.2} ms",
        super::output::network_line(net, &r.branch_in_service, r.islands, &r.ref_buses),
        r.iterations,
        r.max_mismatch_mva,
        solve_s * 1e3
    );
    let _ = writeln!(
        o,
        "load {:.3} MW + {:.3} MVAr · generation {:.3} MW + {:.3} MVAr · losses {:.4} MW + {:.4} MVAr ({:.3} % of load)",
        t.load_mw,
        t.load_mvar,
        t.generation_mw,
        t.generation_mvar,
        t.losses_mw,
        t.losses_mvar,
        if t.load_mw > 0.0 { 100.0 * t.losses_mw / t.load_mw } else { 0.0 }
    );
    let _ = writeln!(
        o,
        "voltage {:.4} pu at {}{} … {:.4} pu at {}{}",
        t.vm_min.0,
        net.bus_name(t.vm_min.1),
        kv(r, t.vm_min.1),
        t.vm_max.0,
        net.bus_name(t.vm_max.1),
        kv(r, t.vm_max.1)
    );
    let _ =
        writeln!(o, "buses outside {:.2}–{:.2} pu (±5 %): {}", VOLTAGE_BAND_PU.0, VOLTAGE_BAND_PU.1, t.off_band.len());
    for &i in t.off_band.iter().take(10) {
        let _ = writeln!(o, "  {}: {:.4} pu{}", net.bus_name(i), r.vm_pu[i], kv(r, i));
    }
    if !r.gens_at_q_limit.is_empty() {
        let _ = writeln!(o, "generators held at a reactive limit: {}", r.gens_at_q_limit.len());
    }
    let ranked = most_loaded(r);
    if ranked.is_empty() {
        let _ = writeln!(o, "no branch has a rating (RATE_A): loadings not computed");
    } else {
        let names = net.branch_name_map(ranked.iter().take(5).chain(t.overloads.iter().take(10)).copied());
        let _ = writeln!(o, "most loaded branches           MW at from   MVAr     MVA   loading %   loss kW");
        for &i in ranked.iter().take(5) {
            let _ = writeln!(
                o,
                "  {:<26} {:>10.3} {:>8.3} {:>8.3} {:>10.1} {:>9.2}",
                names[&i],
                r.pf_mw[i],
                r.qf_mvar[i],
                r.s_mva[i],
                r.loading_pct[i],
                r.loss_mw[i] * 1e3
            );
        }
        let _ = writeln!(o, "over their MVA rating (> 100 % of RATE_A): {}", t.overloads.len());
        for &i in t.overloads.iter().take(10) {
            let _ = writeln!(o, "  {}: {:.1} % ({:.3} MVA)", names[&i], r.loading_pct[i], r.s_mva[i]);
        }
    }
    if let Some(out) = output {
        let _ = writeln!(o, "results: {out}");
    }
    o
}

pub fn json_summary(
    net: &Network,
    r: &AcResult,
    t: &AcTotals,
    output: Option<&str>,
    solve_s: f64,
    enforce_q_lims: bool,
) -> serde_json::Value {
    let ranked = most_loaded(r);
    let bus_json = |i: usize| {
        json!({"row": i, "name": net.bus_name(i), "bus_i": r.bus_i[i], "vm_pu": r.vm_pu[i],
               "vm_kv": if r.vm_kv[i].is_finite() { Some(r.vm_kv[i]) } else { None }})
    };
    let names = net.branch_name_map(ranked.iter().take(10).chain(&t.overloads).copied());
    let branch_json = |i: usize| {
        json!({"row": i, "name": names[&i], "f_bus": r.f_bus[i], "t_bus": r.t_bus[i],
               "pf_mw": r.pf_mw[i], "qf_mvar": r.qf_mvar[i], "s_mva": r.s_mva[i],
               "loading_pct": r.loading_pct[i], "loss_mw": r.loss_mw[i]})
    };
    json!({
        "model": "ac",
        "name": net.name,
        "input": net.source,
        "output": output,
        "n_bus": net.bus.rows(),
        "n_branch": net.branch.rows(),
        "n_gen": net.gen.rows(),
        "islands": r.islands,
        "ref_buses": r.ref_buses,
        "converged": true,
        "iterations": r.iterations,
        "max_mismatch_mva": r.max_mismatch_mva,
        "enforce_q_lims": enforce_q_lims,
        "gens_at_q_limit": r.gens_at_q_limit,
        "buses_switched_to_pq": r.buses_switched_to_pq,
        "load_mw": t.load_mw,
        "load_mvar": t.load_mvar,
        "generation_mw": t.generation_mw,
        "generation_mvar": t.generation_mvar,
        "losses_mw": t.losses_mw,
        "losses_mvar": t.losses_mvar,
        "vm_min": bus_json(t.vm_min.1),
        "vm_max": bus_json(t.vm_max.1),
        "voltage_band_pu": [VOLTAGE_BAND_PU.0, VOLTAGE_BAND_PU.1],
        "buses_outside_band": t.off_band.iter().map(|&i| bus_json(i)).collect::<Vec<_>>(),
        "solve_s": solve_s,
        "most_loaded": ranked.iter().take(10).map(|&i| branch_json(i)).collect::<Vec<_>>(),
        "overloads": t.overloads.len(),
        "overloaded": t.overloads.iter().map(|&i| branch_json(i)).collect::<Vec<_>>(),
        "ignored_fields": net.ignored,
    })
}
