//! `thermogrid contingency`: N-1 screening on the chosen backend, its HDF5 output and
//! summaries.
//!
//! HDF5 (`/power/contingency/`, one row per in-service branch outage, file order):
//! `outage` (branch row, 0-based), `islanding`, `max_loading_pct`, `worst_branch`
//! (row, −1 when no branch is rated), `lost_load_mw`; the violation table
//! `violations/{outage, branch, loading_pct, flow_mw}`; with `--full`, `flows_mw`
//! (n_outage × n_branch, MW, branch columns in file row order).

use super::contingency::{n1_bytes, n1_cpu, N1};
use super::dcpf::DcPowerFlow;
use super::network::Network;
use crate::backend::Backend;
use crate::error::{Error, InputError};
use crate::gpu::GpuError;
use serde_json::json;
use std::fmt::Write;

/// Screen on `backend`; returns the results and the backend used ("cpu" or the adapter).
///
/// Before any work the memory is estimated ([`n1_bytes`], [`super::limits`]): `--full`
/// beyond the available memory is refused; the GPU's dense LODF beyond it is refused
/// under `gpu` and screened on the CPU (which never forms it) under `auto`. After the
/// work, [`N1::check`]: a failed or non-finite outage is an error, never a row of zeros.
pub fn screen(
    pf: &DcPowerFlow,
    net: &Network,
    base: &[f64],
    threshold: f64,
    full: bool,
    backend: Backend,
) -> Result<(N1, String), Error> {
    let nl = pf.b.len();
    let n_out = pf.in_service.iter().filter(|&&s| s).count();
    let what = |dense: bool| {
        format!(
            "{}{n_out} outages × {nl} branches",
            match (dense, full) {
                (true, true) => "the GPU's dense LODF and the --full flows of ",
                (true, false) => "the GPU's dense LODF of ",
                _ => "the --full post-contingency flows of ",
            }
        )
    };
    super::limits::check(
        &net.source,
        "--full",
        &what(false),
        n1_bytes(n_out, nl, full, false),
        "drop --full (the screening itself needs little memory), or screen a smaller network",
    )?;
    let mut backend = backend;
    let dense = n1_bytes(n_out, nl, full, true);
    if backend != Backend::Cpu && !super::limits::fits(dense) {
        if backend == Backend::Gpu {
            super::limits::check(
                &net.source,
                "--backend gpu",
                &what(true),
                dense,
                "use --backend cpu, which never forms the LODF whole",
            )?;
        }
        eprintln!("warning: {} would need {:.1} GiB; screening on the CPU", what(true), super::limits::gib(dense));
        backend = Backend::Cpu;
    }
    let ctx = crate::backend::gpu_for(backend).map_err(gpu_error)?;
    let (n1, used) = crate::backend::run_on(
        backend,
        ctx.as_ref(),
        "N-1 screening",
        |c| super::gpu::n1_gpu(c, pf, net, base, threshold, full).map(|r| (r, format!("gpu ({})", c.adapter.name))),
        || Ok((n1_cpu(pf, net, base, threshold, full), "cpu".into())),
        |_| true,
    )
    .map_err(gpu_error)?;
    n1.check(net, threshold)?;
    Ok((n1, used))
}

/// A GPU failure: a buffer beyond the adapter's limits is a request this machine cannot
/// serve (exit 2, with the way out); anything else failed inside (exit 1).
pub fn gpu_error(e: GpuError) -> Error {
    match e {
        GpuError::TooLarge { .. } => {
            Error::Input(InputError::new("command line", "--backend gpu", e.to_string(), "use --backend cpu or auto"))
        }
        other => Error::Internal(other.to_string()),
    }
}

/// Outages by severity: the most load lost first, then the highest loading.
fn ranked(n1: &N1) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n1.outages.len()).collect();
    let o = &n1.outages;
    v.sort_by(|&a, &b| {
        o[b].lost_load_mw.total_cmp(&o[a].lost_load_mw).then(o[b].max_loading_pct.total_cmp(&o[a].max_loading_pct))
    });
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
    let _ = writeln!(o, "worst outages (lost load first)    max loading %   worst branch");
    for &i in ranked(n1).iter().take(top) {
        let x = &n1.outages[i];
        let w = x.worst_branch.map(|w| net.branch_name(w)).unwrap_or_else(|| "—".into());
        let tag = if x.islanding { format!(" (islanding, {:.1} MW lost)", x.lost_load_mw) } else { String::new() };
        let _ = writeln!(o, "  {:<32} {:>12.1}   {}{}", net.branch_name(x.branch), x.max_loading_pct, w, tag);
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
            json!({"outage": x.branch, "outage_name": net.branch_name(x.branch), "max_loading_pct": x.max_loading_pct, "worst_branch": x.worst_branch, "worst_branch_name": x.worst_branch.map(|w| net.branch_name(w)), "islanding": x.islanding, "lost_load_mw": x.lost_load_mw})
        }).collect::<Vec<_>>(),
    })
}
