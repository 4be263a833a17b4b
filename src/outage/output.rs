//! Facility contingencies for people (text), programs (JSON) and files (HDF5 that is
//! also netCDF-4: one row per outage along `outage`, racks along `rack`).

use super::{Contingencies, OutageResult};
use crate::io::h5util::{attr_f64, attr_str, attr_u64, dataset, string_dataset, write_atomic};
use crate::io::netcdf::{attach, attach_all, global_attrs, string_coord};
use serde_json::json;
use std::fmt::Write;

fn opt(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

fn max_loading(o: &OutageResult) -> Option<f64> {
    o.overloaded.iter().map(|x| x.loading_pct).reduce(f64::max)
}

/// One outage as JSON.
pub fn outage_json(o: &OutageResult) -> serde_json::Value {
    let th = o.thermal.as_ref();
    json!({
        "element": o.element,
        "kind": o.kind,
        "lost_it_mw": o.lost_it_mw,
        "lost_it_at_end_mw": o.lost_it_at_end_mw,
        "racks_unpowered": o.racks_unpowered,
        "overloaded": o.overloaded,
        "collapsed": o.collapsed,
        "liquid": o.liquid,
        "cooling_units_down": o.cooling_units_down,
        "transfers": o.transfers.iter().map(|(id, t)| json!({"id": id, "at_s": t})).collect::<Vec<_>>(),
        "ups_on_battery": o.ups_on_battery.iter().map(|(id, a, b)| json!({"id": id, "from_s": a, "battery_empty_s": b})).collect::<Vec<_>>(),
        "generators_on_line": o.generators_on_line.iter().map(|(id, t)| json!({"id": id, "at_s": t})).collect::<Vec<_>>(),
        "buses_dead_at_end": o.buses_dead_at_end,
        "thermal_simulated": th.is_some(),
        "racks_over_27c": th.map(|t| t.racks_over_27c),
        "racks_over_32c": th.map(|t| t.racks_over_32c),
        "first_time_to_27c_s": th.and_then(|t| t.first_time_to_27c_s),
        "first_time_to_32c_s": th.and_then(|t| t.first_time_to_32c_s),
        "max_intake_c": th.map(|t| t.max_intake_c),
        "racks": th.map(|t| t.racks.iter().map(|(id, a, b, m)| json!({"id": id, "time_to_27c_s": a, "time_to_32c_s": b, "max_intake_c": m})).collect::<Vec<_>>()),
    })
}

/// The `--json` summary.
pub fn json_summary(name: &str, c: &Contingencies, thermal_s: f64, output: Option<&str>) -> serde_json::Value {
    json!({
        "name": name,
        "output": output,
        "elements": c.elements,
        "screen_s": c.screen_s,
        "thermal_s": thermal_s,
        "outages_losing_it": c.outages.iter().filter(|o| o.lost_it_mw > 0.0).count(),
        "outages_with_overloads": c.outages.iter().filter(|o| !o.overloaded.is_empty()).count(),
        "outages": c.outages.iter().map(outage_json).collect::<Vec<_>>(),
    })
}

/// The terminal summary: the `top` most severe outages.
pub fn text_summary(name: &str, c: &Contingencies, top: usize, thermal_s: f64, output: Option<&str>) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "thermogrid · facility contingencies · {name}");
    let simulated = c.outages.iter().filter(|x| x.thermal.is_some()).count();
    let _ = writeln!(
        o,
        "{} elements lost one at a time · electrical {:.3} s · room transients for {simulated} of them {:.1} s",
        c.elements, c.screen_s, thermal_s
    );
    let losing = c.outages.iter().filter(|x| x.lost_it_mw > 0.0).count();
    let over = c.outages.iter().filter(|x| !x.overloaded.is_empty()).count();
    let _ = writeln!(o, "{losing} outages lose IT power; {over} overload a branch");
    let _ = writeln!(
        o,
        "{:<22} {:<15} {:>8} {:>9} {:>6} {:>9} {:>10}",
        "element", "kind", "IT lost", "overload", "units", "racks>32", "first 32°C"
    );
    for x in c.outages.iter().take(top) {
        let th = x.thermal.as_ref();
        let t32 = th.and_then(|t| t.first_time_to_32c_s).map(|t| format!("{t:.0} s")).unwrap_or_else(|| {
            if th.is_some() {
                "never".into()
            } else {
                "–".into()
            }
        });
        let _ = writeln!(
            o,
            "{:<22} {:<15} {:>5.2} MW {:>8} {:>6} {:>9} {:>10}",
            x.element,
            x.kind,
            x.lost_it_mw,
            max_loading(x).map(|l| format!("{l:.0} %")).unwrap_or_else(|| "–".into()),
            x.cooling_units_down.iter().map(|d| &d.id).collect::<std::collections::BTreeSet<_>>().len(),
            th.map(|t| t.racks_over_32c.to_string()).unwrap_or_else(|| "–".into()),
            t32
        );
    }
    if let Some(p) = output {
        let _ = writeln!(o, "results: {p}");
    }
    o
}

/// A group or file name for outage `k` (rank from 1) of `element`: letters, digits,
/// `-` and `_` kept, anything else `_`.
pub fn group_name(k: usize, element: &str) -> String {
    let safe: String = element
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(64)
        .collect();
    format!("{:02}_{safe}", k + 1)
}

/// `/outages/…` along `outage` (ranked, most severe first); the simulated ones' per-rack
/// times along `simulated, rack` (NaN: never reached, or the rack's hall not simulated).
pub fn write_h5(out: &std::path::Path, name: &str, racks: &[String], c: &Contingencies) -> Result<(), String> {
    write_atomic(out, |f| {
        global_attrs(f, &format!("thermogrid facility contingencies: {name}"))?;
        attr_str(f, "facility_name", name)?;
        let g = f.create_group("outages")?;
        attr_u64(&g, "elements", c.elements as u64)?;
        attr_f64(&g, "screen_s", c.screen_s)?;
        let n = [c.outages.len()];
        let ids: Vec<String> = c.outages.iter().map(|o| o.element.clone()).collect();
        let outage = string_coord(&g, "outage", &ids, "element lost (ranked, most severe first)")?;
        let rack = string_coord(&g, "rack", racks, "rack id")?;
        string_dataset(
            &g,
            "kind",
            &c.outages.iter().map(|o| o.kind.to_string()).collect::<Vec<_>>(),
            "kind of element",
        )?;
        let col = |get: &dyn Fn(&OutageResult) -> f64| c.outages.iter().map(get).collect::<Vec<f64>>();
        dataset(
            &g,
            "lost_it_mw",
            &n,
            &col(&|o| o.lost_it_mw),
            "MW",
            "IT power of racks losing power, even for an instant",
        )?;
        dataset(
            &g,
            "lost_it_at_end_mw",
            &n,
            &col(&|o| o.lost_it_at_end_mw),
            "MW",
            "IT power still without power at the end",
        )?;
        dataset(
            &g,
            "max_loading_pct",
            &n,
            &col(&|o| opt(max_loading(o))),
            "%",
            "highest loading above 100 % after the outage (NaN: none)",
        )?;
        dataset(
            &g,
            "overloaded_branches",
            &n,
            &col(&|o| o.overloaded.len() as f64),
            "1",
            "branches above their rating",
        )?;
        dataset(&g, "cooling_units_down", &n, &col(&|o| o.cooling_units_down.len() as f64), "1", "cooling-unit stops")?;
        dataset(
            &g,
            "collapsed_islands",
            &n,
            &col(&|o| o.collapsed.len() as f64),
            "1",
            "islands whose sources could not carry their load",
        )?;
        let lq = |get: &dyn Fn(&super::liquid::LiquidOutcome) -> f64| {
            col(&|o: &OutageResult| o.liquid.as_ref().map_or(f64::NAN, get))
        };
        dataset(
            &g,
            "liquid_max_deficit_mw",
            &n,
            &lq(&|l| l.max_deficit_mw),
            "MW",
            "largest shortfall of running CDU capacity under the racks' liquid heat (NaN: no liquid loop)",
        )?;
        dataset(
            &g,
            "liquid_time_to_limit_s",
            &n,
            &lq(&|l| opt(l.time_to_limit_s)),
            "s",
            "liquid loop at its allowed rise (NaN: never within the horizon, or no liquid loop)",
        )?;
        dataset(
            &g,
            "liquid_racks_over_limit",
            &n,
            &lq(&|l| l.racks_over_limit as f64),
            "1",
            "liquid-cooled racks with power when their loop reaches its limit (NaN: no liquid loop)",
        )?;
        let th = |get: &dyn Fn(&super::ThermalOutcome) -> f64| {
            col(&|o: &OutageResult| o.thermal.as_ref().map_or(f64::NAN, get))
        };
        dataset(
            &g,
            "racks_over_27c",
            &n,
            &th(&|t| t.racks_over_27c as f64),
            "1",
            "racks whose intake reaches 27 degC (NaN: not simulated)",
        )?;
        dataset(
            &g,
            "racks_over_32c",
            &n,
            &th(&|t| t.racks_over_32c as f64),
            "1",
            "racks whose intake reaches 32 degC (NaN: not simulated)",
        )?;
        dataset(
            &g,
            "first_time_to_27c_s",
            &n,
            &th(&|t| opt(t.first_time_to_27c_s)),
            "s",
            "first rack intake at 27 degC (NaN: never or not simulated)",
        )?;
        dataset(
            &g,
            "first_time_to_32c_s",
            &n,
            &th(&|t| opt(t.first_time_to_32c_s)),
            "s",
            "first rack intake at 32 degC (NaN: never or not simulated)",
        )?;
        dataset(&g, "max_intake_c", &n, &th(&|t| t.max_intake_c), "degC", "warmest rack intake during the transient")?;
        attach_all(&g, &[&outage])?;
        // Per rack, the simulated outages only (a campus screens thousands).
        let sim: Vec<&OutageResult> = c.outages.iter().filter(|o| o.thermal.is_some()).collect();
        let sim_ids: Vec<String> = sim.iter().map(|o| o.element.clone()).collect();
        let simulated = string_coord(&g, "simulated", &sim_ids, "simulated outage (ranked, most severe first)")?;
        let at: std::collections::HashMap<&str, usize> =
            racks.iter().enumerate().map(|(i, r)| (r.as_str(), i)).collect();
        let per_rack = |k: usize| -> Vec<f64> {
            let mut out = vec![f64::NAN; sim.len() * racks.len()];
            for (i, o) in sim.iter().enumerate() {
                for (id, t27, t32, _) in &o.thermal.as_ref().expect("simulated").racks {
                    if let Some(&r) = at.get(id.as_str()) {
                        out[i * racks.len() + r] = opt(if k == 0 { *t27 } else { *t32 });
                    }
                }
            }
            out
        };
        let shape = [sim.len(), racks.len()];
        let a = dataset(
            &g,
            "time_to_27c_s",
            &shape,
            &per_rack(0),
            "s",
            "each rack's intake at 27 degC (NaN: never, or the rack's hall not simulated)",
        )?;
        attach(&a, &[&simulated, &rack])?;
        let b = dataset(
            &g,
            "time_to_32c_s",
            &shape,
            &per_rack(1),
            "s",
            "each rack's intake at 32 degC (NaN: never, or the rack's hall not simulated)",
        )?;
        attach(&b, &[&simulated, &rack])?;
        // The intake histories of the simulated outages, one group each (rank order).
        let h = g.create_group("transients")?;
        attr_str(&h, "long_name", "rack intakes in time after each simulated outage, one group per outage")?;
        for (k, o) in c.outages.iter().enumerate() {
            let Some(t) = &o.thermal else { continue };
            let sub = h.create_group(&group_name(k, &o.element))?;
            attr_str(&sub, "element", &o.element)?;
            attr_str(&sub, "kind", o.kind)?;
            let time = crate::io::netcdf::coord(&sub, "time", &t.time_s, "s", "time since the outage", None)?;
            let ids: Vec<String> = t.racks.iter().map(|r| r.0.clone()).collect();
            let rk = string_coord(&sub, "rack", &ids, "rack id")?;
            let ds = dataset(
                &sub,
                "intake_c",
                &[t.time_s.len(), ids.len()],
                &t.intake_c,
                "degC",
                "rack intake temperature",
            )?;
            attach(&ds, &[&time, &rk])?;
        }
        Ok(())
    })
}
