//! Power results as HDF5 (`/power/…`, file row order, units on every dataset): the
//! power side returns data, this module writes it.

use super::h5util::{attr_f64, attr_str, attr_u64, dataset, string_dataset, write_atomic};
use super::netcdf::{attach, attach_all, coord, global_attrs, index_coord, make_scale, string_coord};
use crate::power::contingency::N1;
use crate::power::timeseries::TimeSeries;
use crate::power::{AcResult, DcResult, Network};
use std::path::Path;

/// The rows' identities, written the same way for DC and AC: file attributes, the
/// `/power` group and its `bus`, `branch` and `gen` groups with numbers, names, ends and
/// status. Returns the three groups.
#[allow(clippy::too_many_arguments)]
fn identities(
    f: &hdf5::File,
    net: &Network,
    islands: usize,
    model: &str,
    bus_i: &[f64],
    ends: (&[f64], &[f64], &[bool]),
    gens: (&[f64], &[bool]),
) -> hdf5::Result<(hdf5::Group, hdf5::Group, hdf5::Group, hdf5::Group)> {
    global_attrs(f, &format!("thermogrid power flow: {}", net.name))?;
    attr_str(f, "network_name", &net.name)?;
    attr_str(f, "input_path", &net.source)?;
    attr_str(f, "thermogrid_version", env!("CARGO_PKG_VERSION"))?;
    let p = f.create_group("power")?;
    attr_f64(&p, "base_mva", net.base_mva)?;
    attr_u64(&p, "islands", islands as u64)?;
    attr_str(&p, "model", model)?;
    let flag = |v: &[bool]| v.iter().map(|&x| u8::from(x)).collect::<Vec<u8>>();
    let b = p.create_group("bus")?;
    let nb = [bus_i.len()];
    dataset(&b, "bus_i", &nb, bus_i, "1", "external bus number, file row order")?;
    let bus_names: Vec<String> = (0..nb[0]).map(|i| net.bus_name(i)).collect();
    string_dataset(&b, "name", &bus_names, "facility bus id, else the bus number")?;
    string_coord(&b, "bus", &bus_names, "bus: facility bus id, else the bus number")?;
    let l = p.create_group("branch")?;
    let nl = [ends.0.len()];
    string_dataset(
        &l,
        "name",
        &net.branch_labels(),
        "facility branch id, else from–to bus numbers (#k: k-th parallel)",
    )?;
    string_coord(&l, "branch", &net.branch_labels(), "branch: facility branch id, else from–to bus numbers")?;
    dataset(&l, "f_bus", &nl, ends.0, "1", "from bus number")?;
    dataset(&l, "t_bus", &nl, ends.1, "1", "to bus number")?;
    dataset(&l, "in_service", &nl, &flag(ends.2), "1", "1 in service, 0 out")?;
    let g = p.create_group("gen")?;
    let ng = [gens.0.len()];
    let gen_names: Vec<String> = (0..ng[0]).map(|i| net.gen_name(i)).collect();
    string_dataset(&g, "name", &gen_names, "facility generator id, else its row and bus")?;
    string_coord(&g, "gen", &gen_names, "generator: facility id, else its row and bus")?;
    dataset(&g, "gen_bus", &ng, gens.0, "1", "bus number")?;
    dataset(&g, "in_service", &ng, &flag(gens.1), "1", "1 on line, 0 off")?;
    Ok((p, b, l, g))
}

/// Name the axes of every `/power/{bus,branch,gen}` variable after its group's
/// coordinate (called once all of them are written).
fn name_row_dims(b: &hdf5::Group, l: &hdf5::Group, g: &hdf5::Group) -> hdf5::Result<()> {
    attach_all(b, &[&b.dataset("bus")?])?;
    attach_all(l, &[&l.dataset("branch")?])?;
    attach_all(g, &[&g.dataset("gen")?])
}

/// Write `/power/{bus,branch,gen}` in file row order.
pub fn write_powerflow(out: &Path, net: &Network, r: &DcResult) -> Result<(), String> {
    write_atomic(out, |f| {
        let (_, b, l, g) = identities(
            f,
            net,
            r.islands,
            "DC power flow, MATPOWER conventions (makeBdc/dcpf); lossless",
            &r.bus_i,
            (&r.f_bus, &r.t_bus, &r.branch_in_service),
            (&r.gen_bus, &r.gen_in_service),
        )?;
        let (nb, nl, ng) = ([r.bus_i.len()], [r.f_bus.len()], [r.gen_bus.len()]);
        dataset(&b, "va_deg", &nb, &r.va_deg, "deg", "voltage angle")?;
        dataset(&l, "pf_mw", &nl, &r.pf_mw, "MW", "active power at the from end")?;
        dataset(&l, "pt_mw", &nl, &r.pt_mw, "MW", "active power at the to end")?;
        dataset(&l, "loading_pct", &nl, &r.loading_pct, "%", "|pf| / RATE_A; NaN where no rating")?;
        dataset(&g, "pg_mw", &ng, &r.pg_mw, "MW", "active power output")?;
        name_row_dims(&b, &l, &g)
    })
}

/// Write an AC solution: `/power/{bus,branch,gen}` in file row order, with voltages,
/// both ends' P and Q, MVA loading and losses.
pub fn write_powerflow_ac(out: &Path, net: &Network, r: &AcResult, enforce_q_lims: bool) -> Result<(), String> {
    write_atomic(out, |f| {
        let (p, b, l, g) = identities(
            f,
            net,
            r.islands,
            "AC power flow, MATPOWER runpf conventions (makeYbus, Newton on the polar power balance, pfsoln)",
            &r.bus_i,
            (&r.f_bus, &r.t_bus, &r.branch_in_service),
            (&r.gen_bus, &r.gen_in_service),
        )?;
        attr_u64(&p, "iterations", r.iterations as u64)?;
        attr_f64(&p, "max_mismatch_mva", r.max_mismatch_mva)?;
        attr_u64(&p, "enforce_q_lims", u64::from(enforce_q_lims))?;
        let (nb, nl, ng) = ([r.bus_i.len()], [r.f_bus.len()], [r.gen_bus.len()]);
        dataset(&b, "vm_pu", &nb, &r.vm_pu, "pu", "voltage magnitude")?;
        dataset(&b, "vm_kv", &nb, &r.vm_kv, "kV", "voltage magnitude, vm_pu · BASE_KV; NaN where BASE_KV is 0")?;
        dataset(&b, "va_deg", &nb, &r.va_deg, "deg", "voltage angle")?;
        dataset(&l, "pf_mw", &nl, &r.pf_mw, "MW", "active power into the branch at the from end")?;
        dataset(&l, "qf_mvar", &nl, &r.qf_mvar, "MVAr", "reactive power into the branch at the from end")?;
        dataset(&l, "pt_mw", &nl, &r.pt_mw, "MW", "active power into the branch at the to end")?;
        dataset(&l, "qt_mvar", &nl, &r.qt_mvar, "MVAr", "reactive power into the branch at the to end")?;
        dataset(&l, "s_mva", &nl, &r.s_mva, "MVA", "apparent power, the larger of the two ends")?;
        dataset(&l, "loading_pct", &nl, &r.loading_pct, "%", "s_mva / RATE_A; NaN where no rating")?;
        dataset(&l, "loss_mw", &nl, &r.loss_mw, "MW", "active losses, pf + pt")?;
        dataset(&l, "loss_mvar", &nl, &r.loss_mvar, "MVAr", "reactive losses, qf + qt (charging included)")?;
        dataset(&g, "pg_mw", &ng, &r.pg_mw, "MW", "active power output")?;
        dataset(&g, "qg_mvar", &ng, &r.qg_mvar, "MVAr", "reactive power output")?;
        let lim: Vec<u8> = (0..ng[0]).map(|k| u8::from(r.gens_at_q_limit.contains(&k))).collect();
        dataset(&g, "at_q_limit", &ng, &lim, "1", "1 where held at QMAX or QMIN (Q limits enforced)")?;
        name_row_dims(&b, &l, &g)
    })
}

pub fn write_contingency(out: &Path, net: &Network, n1: &N1, threshold: f64, backend: String) -> Result<(), String> {
    write_atomic(out, |f| {
        global_attrs(f, &format!("thermogrid N-1 contingency screening: {}", net.name))?;
        attr_str(f, "network_name", &net.name)?;
        attr_str(f, "input_path", &net.source)?;
        let p = f.create_group("power")?;
        let c = p.create_group("contingency")?;
        attr_f64(&c, "threshold_pct", threshold)?;
        attr_str(&c, "backend", &backend)?;
        attr_str(&c, "model", "DC N-1: every in-service branch outage; loading = |flow| / RATE_A")?;
        let n = [n1.outages.len()];
        let col =
            |g: fn(&crate::power::contingency::OutageResult) -> f64| n1.outages.iter().map(g).collect::<Vec<f64>>();
        let outage: Vec<u64> = n1.outages.iter().map(|x| x.branch as u64).collect();
        dataset(&c, "outage", &n, &outage, "1", "branch row taken out, 0-based, file order")?;
        let labels = net.branch_labels();
        let label = |r: usize| labels.get(r).cloned().unwrap_or_default();
        let outage_names: Vec<String> = n1.outages.iter().map(|x| label(x.branch)).collect();
        string_dataset(&c, "outage_name", &outage_names, "name of the branch taken out")?;
        // The outages' coordinate is the branch row each takes out (outage_name its name).
        let outage_dim = c.dataset("outage")?;
        make_scale(&outage_dim)?;
        let worst_names: Vec<String> =
            n1.outages.iter().map(|x| x.worst_branch.map(|w| label(w)).unwrap_or_default()).collect();
        string_dataset(
            &c,
            "worst_branch_name",
            &worst_names,
            "name of the most loaded branch (empty if none is rated)",
        )?;
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
        let violation = index_coord(&v, "violation", n1.violations.len(), "violation number")?;
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
        let vo: Vec<String> = n1.violations.iter().map(|x| label(x.outage)).collect();
        string_dataset(&v, "outage_name", &vo, "name of the branch taken out")?;
        let vb: Vec<String> = n1.violations.iter().map(|x| label(x.branch)).collect();
        string_dataset(&v, "branch_name", &vb, "name of the overloaded branch")?;
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
            let branch = string_coord(&c, "branch", &labels, "branch: facility branch id, else from–to bus numbers")?;
            attach(&c.dataset("flows_mw")?, &[&outage_dim, &branch])?;
        }
        attach_all(&c, &[&outage_dim])?;
        attach_all(&v, &[&violation])
    })
}

/// `/power/timeseries/…` (units on every dataset).
pub fn write_timeseries(out: &std::path::Path, net: &Network, ts: &TimeSeries) -> Result<(), String> {
    write_atomic(out, |f| {
        global_attrs(f, &format!("thermogrid power time series: {}", net.name))?;
        attr_str(f, "network_name", &net.name)?;
        attr_str(f, "input_path", &net.source)?;
        let g = f.create_group("power")?.create_group("timeseries")?;
        attr_str(&g, "backend", &ts.backend)?;
        let t = [ts.time_s.len()];
        dataset(&g, "time_s", &t, &ts.time_s, "s", "time of each step")?;
        dataset(&g, "it_mw", &t, &ts.it_mw, "MW", "IT power of the training job")?;
        dataset(&g, "keep_busy_mw", &t, &ts.keep_busy_mw, "MW", "dummy work filling synchronization dips")?;
        dataset(&g, "net_load_mw", &t, &ts.net_load_mw, "MW", "load at the utility connection without the battery")?;
        dataset(&g, "grid_mw", &t, &ts.grid_mw, "MW", "utility draw with the battery")?;
        dataset(&g, "battery_mw", &t, &ts.battery_mw, "MW", "battery output, + discharge")?;
        dataset(&g, "soc", &t, &ts.soc, "1", "battery state of charge")?;
        dataset(
            &g,
            "flows_mw",
            &[ts.time_s.len(), net.branch.rows()],
            &ts.flows_mw,
            "MW",
            "branch flows at the from end, rows steps, columns branch rows (f32)",
        )?;
        string_dataset(
            &g,
            "branch_name",
            &net.branch_labels(),
            "name of each branch (the columns of flows_mw, the entries of peak_loading_pct)",
        )?;
        dataset(
            &g,
            "peak_loading_pct",
            &[net.branch.rows()],
            &ts.peak_loading_pct,
            "%",
            "highest |flow| / RATE_A over the series; NaN without rating",
        )?;
        attr_f64(&g, "max_ramp_grid_mw_per_s", ts.max_ramp_grid_mw_per_s)?;
        attr_f64(&g, "max_ramp_unsmoothed_mw_per_s", ts.max_ramp_unsmoothed_mw_per_s)?;
        attr_f64(&g, "battery_cycled_mwh", ts.battery_cycled_mwh)?;
        attr_f64(&g, "battery_losses_mwh", ts.battery_losses_mwh)?;
        attr_f64(&g, "keep_busy_mwh", ts.keep_busy_mwh)?;
        attr_f64(&g, "max_ramp_limit_mw_per_s", ts.ramp_limit_mw_per_s)?;
        attr_u64(&g, "ramp_limit_held", u64::from(ts.ramp.held()))?;
        attr_u64(&g, "ramp_violations", ts.ramp.violations as u64)?;
        attr_f64(&g, "worst_ramp_mw_per_s", ts.ramp.worst_mw_per_s)?;
        // Only where the limit broke: when, and the battery that holds it.
        if let Some(t) = ts.first_violation_s() {
            attr_f64(&g, "first_violation_s", t)?;
        }
        if let Some(s) = &ts.battery_needed {
            attr_f64(&g, "battery_needed_power_mw", s.power_mw)?;
            attr_f64(&g, "battery_needed_energy_mwh", s.energy_mwh)?;
        }
        attr_str(&g, "units", "ramps MW/s; energies MWh")?;
        let time = coord(&g, "time", &ts.time_s, "s", "time since the series started", None)?;
        let branch =
            string_coord(&g, "branch", &net.branch_labels(), "branch: facility branch id, else from–to bus numbers")?;
        attach(&g.dataset("flows_mw")?, &[&time, &branch])?;
        attach(&g.dataset("branch_name")?, &[&branch])?;
        attach(&g.dataset("peak_loading_pct")?, &[&branch])?;
        attach_all(&g, &[&time])
    })
}
