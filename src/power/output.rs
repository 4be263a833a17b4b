//! Power-flow results: HDF5 (`/power/…`, file row order, units on every dataset), the
//! terminal summary and the JSON summary.

use super::dcpf::DcResult;
use super::network::Network;
use crate::io::h5util::{attr_f64, attr_str, attr_u64, dataset, write_atomic};
use serde_json::json;
use std::fmt::Write;
use std::path::Path;

/// Totals of a solved network, MW.
#[derive(Clone, Debug)]
pub struct Totals {
    pub load_mw: f64,
    pub generation_mw: f64,
    pub slack_mw: f64,
}

pub fn totals(net: &Network, r: &DcResult, pf: &super::DcPowerFlow) -> Totals {
    use super::network::bus;
    let load = (0..net.bus.rows())
        .filter(|&i| pf.bus_idx[i].is_some())
        .map(|i| net.bus.get(i, bus::PD) + net.bus.get(i, bus::GS))
        .sum();
    let slack = pf.slack_gen.iter().flatten().map(|&g| r.pg_mw[g]).sum();
    Totals { load_mw: load, generation_mw: r.pg_mw.iter().sum(), slack_mw: slack }
}

fn name(names: &[String], i: usize, fallback: String) -> String {
    names.get(i).cloned().unwrap_or(fallback)
}

/// Branch rows by loading, most loaded first (rated, in-service branches only).
pub fn most_loaded(r: &DcResult) -> Vec<usize> {
    let mut v: Vec<usize> =
        (0..r.pf_mw.len()).filter(|&i| r.branch_in_service[i] && r.loading_pct[i].is_finite()).collect();
    v.sort_by(|&a, &b| r.loading_pct[b].total_cmp(&r.loading_pct[a]));
    v
}

pub fn text_summary(net: &Network, r: &DcResult, t: &Totals, output: Option<&str>, setup_s: f64) -> String {
    let mut o = String::new();
    let nin = r.branch_in_service.iter().filter(|&&b| b).count();
    let _ = writeln!(o, "thermogrid powerflow · {} ({})", net.name, net.source);
    let _ = writeln!(
        o,
        "{} buses, {} branches ({} in service), {} generators · {} island(s), reference bus(es) {} · DC power flow in {:.2} ms",
        net.bus.rows(),
        net.branch.rows(),
        nin,
        net.gen.rows(),
        r.islands,
        r.ref_buses.iter().map(|b| format!("{b}")).collect::<Vec<_>>().join(", "),
        setup_s * 1e3
    );
    let _ = writeln!(
        o,
        "load {:.2} MW · generation {:.2} MW (slack {:.2} MW) · losses 0 MW (the DC model is lossless)",
        t.load_mw, t.generation_mw, t.slack_mw
    );
    let ranked = most_loaded(r);
    if ranked.is_empty() {
        let _ = writeln!(o, "no branch has a rating (RATE_A): loadings not computed");
    } else {
        let _ = writeln!(o, "most loaded branches          from → to         flow MW   loading %");
        for &i in ranked.iter().take(5) {
            let n = name(&net.branch_names, i, format!("row {}", i + 1));
            let _ = writeln!(
                o,
                "  {:<26} {:>6} → {:<6} {:>10.2} {:>10.1}",
                n, r.f_bus[i], r.t_bus[i], r.pf_mw[i], r.loading_pct[i]
            );
        }
        let over: Vec<usize> = ranked.iter().copied().filter(|&i| r.loading_pct[i] > 100.0).collect();
        let _ = writeln!(o, "overloads (> 100 % of RATE_A): {}", over.len());
        for &i in over.iter().take(10) {
            let n = name(&net.branch_names, i, format!("row {}", i + 1));
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
    let ranked = most_loaded(r);
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
        "most_loaded": ranked.iter().take(10).map(|&i| json!({
            "row": i, "name": name(&net.branch_names, i, String::new()), "f_bus": r.f_bus[i], "t_bus": r.t_bus[i],
            "pf_mw": r.pf_mw[i], "loading_pct": r.loading_pct[i],
        })).collect::<Vec<_>>(),
        "overloads": ranked.iter().filter(|&&i| r.loading_pct[i] > 100.0).count(),
        "ignored_fields": net.ignored,
    })
}

/// Write `/power/{bus,branch,gen}` in file row order.
pub fn write_hdf5(out: &Path, net: &Network, r: &DcResult) -> Result<(), String> {
    write_atomic(out, |f| {
        attr_str(f, "network_name", &net.name)?;
        attr_str(f, "input_path", &net.source)?;
        attr_str(f, "thermogrid_version", env!("CARGO_PKG_VERSION"))?;
        let p = f.create_group("power")?;
        attr_f64(&p, "base_mva", net.base_mva)?;
        attr_u64(&p, "islands", r.islands as u64)?;
        attr_str(&p, "model", "DC power flow, MATPOWER conventions (makeBdc/dcpf); lossless")?;
        let b = p.create_group("bus")?;
        let nb = [r.bus_i.len()];
        dataset(&b, "bus_i", &nb, &r.bus_i, "1", "external bus number, file row order")?;
        dataset(&b, "va_deg", &nb, &r.va_deg, "deg", "voltage angle")?;
        let l = p.create_group("branch")?;
        let nl = [r.f_bus.len()];
        let flag = |v: &[bool]| v.iter().map(|&x| u8::from(x)).collect::<Vec<u8>>();
        dataset(&l, "f_bus", &nl, &r.f_bus, "1", "from bus number")?;
        dataset(&l, "t_bus", &nl, &r.t_bus, "1", "to bus number")?;
        dataset(&l, "in_service", &nl, &flag(&r.branch_in_service), "1", "1 in service, 0 out")?;
        dataset(&l, "pf_mw", &nl, &r.pf_mw, "MW", "active power at the from end")?;
        dataset(&l, "pt_mw", &nl, &r.pt_mw, "MW", "active power at the to end")?;
        dataset(&l, "loading_pct", &nl, &r.loading_pct, "%", "|pf| / RATE_A; NaN where no rating")?;
        let g = p.create_group("gen")?;
        let ng = [r.gen_bus.len()];
        dataset(&g, "gen_bus", &ng, &r.gen_bus, "1", "bus number")?;
        dataset(&g, "in_service", &ng, &flag(&r.gen_in_service), "1", "1 on line, 0 off")?;
        dataset(&g, "pg_mw", &ng, &r.pg_mw, "MW", "active power output")?;
        Ok(())
    })
}
