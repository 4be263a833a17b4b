//! `thermogrid contingency`: N-1 screening on the chosen backend, its HDF5 output and
//! summaries.
//!
//! HDF5 (`/power/contingency/`, one row per in-service branch outage, file order):
//! `outage` (branch row, 0-based), `islanding`, `max_loading_pct`, `worst_branch`
//! (row, −1 when no branch is rated), `lost_load_mw`; the violation table
//! `violations/{outage, branch, loading_pct, flow_mw}`; with `--full`, `flows_mw`
//! (n_outage × n_branch, MW, branch columns in file row order).

use super::contingency::{n1_cpu, N1};
use super::dcpf::DcPowerFlow;
use super::network::Network;
use crate::gpu::GpuError;
use crate::io::h5util::{attr_f64, attr_str, dataset, write_atomic};
use crate::run::Backend;
use serde_json::json;
use std::fmt::Write;
use std::path::Path;

/// Screen on `backend`; returns the results and the backend used ("cpu" or the adapter).
pub fn screen(
    pf: &DcPowerFlow,
    net: &Network,
    base: &[f64],
    threshold: f64,
    full: bool,
    backend: Backend,
) -> Result<(N1, String), GpuError> {
    let ctx = crate::run::gpu_for(backend)?;
    match ctx {
        None => Ok((n1_cpu(pf, net, base, threshold, full), "cpu".into())),
        Some(ctx) => match super::gpu::n1_gpu(&ctx, pf, net, base, threshold, full) {
            Ok(r) => Ok((r, format!("gpu ({})", ctx.adapter.name))),
            // `auto` falls back to the CPU on a GPU failure; `gpu` reports it.
            Err(e) if backend == Backend::Auto => {
                eprintln!("warning: GPU screening failed ({e}); using the CPU");
                Ok((n1_cpu(pf, net, base, threshold, full), "cpu".into()))
            }
            Err(e) => Err(e),
        },
    }
}

fn branch_name(net: &Network, r: usize) -> String {
    net.branch_names
        .get(r)
        .cloned()
        .unwrap_or_else(|| format!("row {r} ({}–{})", net.branch.get(r, 0), net.branch.get(r, 1)))
}

fn ranked(n1: &N1) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n1.outages.len()).collect();
    v.sort_by(|&a, &b| n1.outages[b].max_loading_pct.total_cmp(&n1.outages[a].max_loading_pct));
    v
}

pub fn text_summary(net: &Network, n1: &N1, top: usize, secs: f64, backend: String, output: Option<&str>) -> String {
    let mut o = String::new();
    let isl = n1.outages.iter().filter(|x| x.islanding).count();
    let with_viol: std::collections::BTreeSet<usize> = n1.violations.iter().map(|v| v.outage).collect();
    let _ = writeln!(o, "thermogrid contingency · {} ({})", net.name, net.source);
    let _ =
        writeln!(o, "{} outages screened ({} islanding) on {} in {:.1} ms", n1.outages.len(), isl, backend, secs * 1e3);
    let _ = writeln!(o, "{} violations in {} outages", n1.violations.len(), with_viol.len());
    let _ = writeln!(o, "worst outages                       max loading %   worst branch");
    for &i in ranked(n1).iter().take(top) {
        let x = &n1.outages[i];
        let w = x.worst_branch.map(|w| branch_name(net, w)).unwrap_or_else(|| "—".into());
        let tag = if x.islanding { format!(" (islanding, {:.1} MW lost)", x.lost_load_mw) } else { String::new() };
        let _ = writeln!(o, "  {:<32} {:>12.1}   {}{}", branch_name(net, x.branch), x.max_loading_pct, w, tag);
    }
    if let Some(out) = output {
        let _ = writeln!(o, "results: {out}");
    }
    o
}

pub fn json_summary(
    net: &Network,
    n1: &N1,
    top: usize,
    secs: f64,
    backend: String,
    output: Option<&str>,
) -> serde_json::Value {
    json!({
        "name": net.name,
        "input": net.source,
        "output": output,
        "backend": backend,
        "outages": n1.outages.len(),
        "islanding": n1.outages.iter().filter(|x| x.islanding).count(),
        "violations": n1.violations.len(),
        "seconds": secs,
        "worst": ranked(n1).iter().take(top).map(|&i| {
            let x = &n1.outages[i];
            json!({"outage": x.branch, "max_loading_pct": x.max_loading_pct, "worst_branch": x.worst_branch, "islanding": x.islanding, "lost_load_mw": x.lost_load_mw})
        }).collect::<Vec<_>>(),
    })
}

pub fn write_hdf5(out: &Path, net: &Network, n1: &N1, threshold: f64, backend: String) -> Result<(), String> {
    write_atomic(out, |f| {
        attr_str(f, "network_name", &net.name)?;
        attr_str(f, "input_path", &net.source)?;
        let p = f.create_group("power")?;
        let c = p.create_group("contingency")?;
        attr_f64(&c, "threshold_pct", threshold)?;
        attr_str(&c, "backend", &backend)?;
        attr_str(&c, "model", "DC N-1: every in-service branch outage; loading = |flow| / RATE_A")?;
        let n = [n1.outages.len()];
        let col = |g: fn(&super::contingency::OutageResult) -> f64| n1.outages.iter().map(g).collect::<Vec<f64>>();
        let outage: Vec<u64> = n1.outages.iter().map(|x| x.branch as u64).collect();
        dataset(&c, "outage", &n, &outage, "1", "branch row taken out, 0-based, file order")?;
        let isl: Vec<u8> = n1.outages.iter().map(|x| u8::from(x.islanding)).collect();
        dataset(&c, "islanding", &n, &isl, "1", "1 when the outage splits an island")?;
        dataset(
            &c,
            "max_loading_pct",
            &n,
            &col(|x| x.max_loading_pct),
            "%",
            "highest post-contingency loading over rated branches",
        )?;
        let worst: Vec<i64> = n1.outages.iter().map(|x| x.worst_branch.map(|w| w as i64).unwrap_or(-1)).collect();
        dataset(&c, "worst_branch", &n, &worst, "1", "branch row with the highest loading, -1 if none is rated")?;
        dataset(&c, "lost_load_mw", &n, &col(|x| x.lost_load_mw), "MW", "load cut off from every reference bus")?;
        let v = c.create_group("violations")?;
        let m = [n1.violations.len()];
        dataset(
            &v,
            "outage",
            &m,
            &n1.violations.iter().map(|x| x.outage as u64).collect::<Vec<_>>(),
            "1",
            "branch row taken out",
        )?;
        dataset(
            &v,
            "branch",
            &m,
            &n1.violations.iter().map(|x| x.branch as u64).collect::<Vec<_>>(),
            "1",
            "overloaded branch row",
        )?;
        dataset(
            &v,
            "loading_pct",
            &m,
            &n1.violations.iter().map(|x| x.loading_pct).collect::<Vec<_>>(),
            "%",
            "post-contingency loading",
        )?;
        dataset(
            &v,
            "flow_mw",
            &m,
            &n1.violations.iter().map(|x| x.flow_mw).collect::<Vec<_>>(),
            "MW",
            "post-contingency flow at the from end",
        )?;
        if let Some(fl) = &n1.flows_mw {
            dataset(
                &c,
                "flows_mw",
                &[n1.outages.len(), net.branch.rows()],
                fl,
                "MW",
                "post-contingency flows: rows outages, columns branch rows",
            )?;
        }
        Ok(())
    })
}
