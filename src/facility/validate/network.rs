//! `[network]`: buses, branches, generators, batteries and loads, every island with a
//! reference; and the feed buses racks and cooling units name.

use super::Ctx;
use crate::error::InputError;
use crate::facility::network::{
    NetworkSpec, BASE_MVA_RANGE, MAX_MW, MAX_SHIFT_DEG, RATE_RANGE, TAP_RANGE, V_SETPOINT_RANGE, X_RANGE,
};
use crate::facility::{CoolingUnit, Pos, Rack};
use std::collections::{HashMap, HashSet};

fn power_factor(cx: &Ctx, p: Pos, item: &str, key: &str, pf: f64) -> Result<(), InputError> {
    cx.finite(p, item, key, pf)?;
    if !(pf > 0.0 && pf <= 1.0) {
        return Err(cx.err(
            p,
            item,
            format!("{key} = {pf} is outside (0, 1]"),
            format!("give {key} as a fraction, e.g. 0.95 (lagging)"),
        ));
    }
    Ok(())
}

pub(super) fn validate_network(cx: &Ctx, pos: Pos, n: &NetworkSpec) -> Result<(), InputError> {
    cx.within(pos, "[network]", "base_mva", n.base_mva, BASE_MVA_RANGE, "MVA")?;
    if n.bus.is_empty() {
        return Err(cx.err(pos, "[network]", "has no buses", "add [[network.bus]] entries or remove [network]"));
    }
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, b) in n.bus.iter().enumerate() {
        let p = cx.pos(b);
        let b = b.get_ref();
        let item = format!("bus \"{}\"", b.id);
        cx.positive(p, &item, "kv", b.kv)?;
        if index.insert(b.id.as_str(), i).is_some() {
            return Err(cx.err(p, item, "duplicate bus id", "give every bus a unique id"));
        }
    }
    let bus = |p: Pos, item: &str, id: &str| -> Result<usize, InputError> {
        index.get(id).copied().ok_or_else(|| {
            cx.err(p, item, format!("bus \"{id}\" does not exist"), "name a bus defined in [[network.bus]]")
        })
    };
    let mut parent: Vec<usize> = (0..n.bus.len()).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut ids = HashSet::new();
    for br in &n.branch {
        let p = cx.pos(br);
        let b = br.get_ref();
        let item = format!("branch \"{}\"", b.id);
        if !ids.insert(b.id.as_str()) {
            return Err(cx.err(p, item, "duplicate branch id", "give every branch a unique id"));
        }
        let f = bus(p, &item, &b.from)?;
        let t = bus(p, &item, &b.to)?;
        if f == t {
            return Err(cx.err(p, item, "connects a bus to itself", "set from and to to different buses"));
        }
        let x = match (b.x_pu, b.x_ohm) {
            (Some(x), None) => cx.finite(p, &item, "x_pu", x)?,
            (None, Some(x)) => {
                let kv = b.kv.unwrap_or(n.bus[f].get_ref().kv);
                cx.positive(p, &item, "kv", kv)?;
                cx.finite(p, &item, "x_ohm", x)? * n.base_mva / (kv * kv)
            }
            _ => {
                return Err(cx.err(
                    p,
                    item,
                    "give exactly one of x_pu and x_ohm",
                    "write the series reactance once, in per unit or in ohms",
                ))
            }
        };
        if x == 0.0 {
            return Err(cx.err(
                p,
                item,
                "reactance is zero: a DC power flow needs 1/x",
                "give the branch its series reactance (a closed breaker: a small value such as x_pu = 1e-4)",
            ));
        }
        if b.in_service && !(X_RANGE.0..=X_RANGE.1).contains(&x.abs()) {
            return Err(cx.err(
                p,
                item,
                format!("series reactance {x:e} per unit is outside ±({:e} … {:e})", X_RANGE.0, X_RANGE.1),
                "give x_pu (or x_ohm at kv) of a real branch; a closed breaker is about x_pu = 1e-4",
            ));
        }
        if let Some(r) = b.rating_mw {
            cx.within(p, &item, "rating_mw", r, RATE_RANGE, "MW")?;
        }
        if b.rating_mw.is_some() && (b.rating_kva.is_some() || b.rating_mva.is_some()) {
            return Err(cx.err(
                p,
                item,
                "gives both an active (rating_mw) and an apparent power rating",
                "give one rating: rating_kva or rating_mva (both models read it, as MATPOWER reads RATE_A), or rating_mw",
            ));
        }
        match (b.rating_kva, b.rating_mva) {
            (Some(_), Some(_)) => {
                return Err(cx.err(
                    p,
                    item,
                    "gives both rating_kva and rating_mva",
                    "give the apparent power rating once",
                ))
            }
            (Some(k), None) => {
                cx.within(p, &item, "rating_kva", k, (RATE_RANGE.0 * 1e3, RATE_RANGE.1 * 1e3), "kVA").map(|_| ())?
            }
            (None, Some(m)) => cx.within(p, &item, "rating_mva", m, RATE_RANGE, "MVA").map(|_| ())?,
            (None, None) => {}
        }
        match (b.r_pu, b.r_ohm) {
            (Some(_), Some(_)) => {
                return Err(cx.err(
                    p,
                    item,
                    "gives both r_pu and r_ohm",
                    "write the series resistance once, in per unit or in ohms",
                ))
            }
            (Some(r), None) => cx.within(p, &item, "r_pu", r, (0.0, X_RANGE.1), "pu").map(|_| ())?,
            (None, Some(r)) => cx.within(p, &item, "r_ohm", r, (0.0, 1e6), "Ω").map(|_| ())?,
            (None, None) => {}
        }
        if let Some(t) = b.tap {
            cx.within(p, &item, "tap", t, TAP_RANGE, "")?;
        }
        if let Some(s) = b.shift_deg {
            cx.within(p, &item, "shift_deg", s, (-MAX_SHIFT_DEG, MAX_SHIFT_DEG), "°")?;
        }
        if b.in_service {
            let (a, c) = (root(&mut parent, f), root(&mut parent, t));
            parent[a] = c;
        }
    }
    for g in &n.generator {
        let p = cx.pos(g);
        let g = g.get_ref();
        let item = format!("generator \"{}\"", g.id);
        bus(p, &item, &g.bus)?;
        cx.within(p, &item, "p_mw", g.p_mw, (-MAX_MW, MAX_MW), "MW")?;
        if let Some(m) = g.p_max_mw {
            cx.non_negative(p, &item, "p_max_mw", m)?;
        }
    }
    for b in &n.battery {
        let p = cx.pos(b);
        let b = b.get_ref();
        let item = format!("battery \"{}\"", b.id);
        bus(p, &item, &b.bus)?;
        cx.within(p, &item, "power_mw", b.power_mw, (0.0, MAX_MW), "MW")?;
        cx.non_negative(p, &item, "energy_mwh", b.energy_mwh)?;
        for (k, v) in [("soc", b.soc), ("efficiency", b.efficiency)] {
            if let Some(v) = v {
                cx.finite(p, &item, k, v)?;
                if !(0.0..=1.0).contains(&v) {
                    return Err(cx.err(
                        p,
                        item,
                        format!("{k} = {v} is outside 0–1"),
                        format!("give {k} as a fraction"),
                    ));
                }
            }
        }
    }
    for l in &n.load {
        let p = cx.pos(l);
        let l = l.get_ref();
        let item = format!("load \"{}\"", l.id);
        bus(p, &item, &l.bus)?;
        cx.within(p, &item, "p_mw", l.p_mw, (-MAX_MW, MAX_MW), "MW")?;
        if let Some(pf) = l.power_factor {
            power_factor(cx, p, &item, "power_factor", pf)?;
        }
    }
    for (k, v) in [("it_power_factor", n.it_power_factor), ("cooling_power_factor", n.cooling_power_factor)] {
        if let Some(pf) = v {
            power_factor(cx, pos, "[network]", k, pf)?;
        }
    }
    for b in &n.bus {
        if let Some(v) = b.get_ref().v_pu {
            let item = format!("bus \"{}\"", b.get_ref().id);
            cx.within(cx.pos(b), &item, "v_pu", v, V_SETPOINT_RANGE, "pu")?;
        }
    }
    // Every island (buses joined by in-service branches) needs an angle reference.
    let mut has_ref = vec![false; n.bus.len()];
    for (i, b) in n.bus.iter().enumerate() {
        if b.get_ref().is_reference() {
            let r = root(&mut parent, i);
            has_ref[r] = true;
        }
    }
    let mut islands: HashMap<usize, Vec<&str>> = HashMap::new();
    for (i, b) in n.bus.iter().enumerate() {
        let r = root(&mut parent, i);
        if !has_ref[r] {
            islands.entry(r).or_default().push(b.get_ref().id.as_str());
        }
    }
    if let Some(buses) = islands.values().min_by_key(|v| v.first().copied()) {
        return Err(cx.err(
            pos,
            "[network]",
            format!("the island of buses {} has no reference bus", buses.iter().map(|b| format!("\"{b}\"")).collect::<Vec<_>>().join(", ")),
            "connect it to the rest with a branch, or mark one of its buses reference = true (utility buses are references)",
        ));
    }
    Ok(())
}

pub(super) fn feed_buses(
    cx: &Ctx,
    n: Option<&NetworkSpec>,
    racks: &[Rack],
    cooling: &[CoolingUnit],
) -> Result<(), InputError> {
    let items = racks
        .iter()
        .map(|r| (format!("rack \"{}\"", r.id), &r.feed_bus, r.pos))
        .chain(cooling.iter().map(|c| (format!("cooling \"{}\"", c.id), &c.feed_bus, c.pos)));
    for (item, bus, pos) in items {
        let Some(bus) = bus else { continue };
        match n {
            None => {
                return Err(cx.err(
                    pos,
                    item,
                    format!("feed_bus = \"{bus}\" but the file has no [network]"),
                    "add a [network] with that bus, or remove feed_bus",
                ))
            }
            Some(n) if !n.bus.iter().any(|b| b.get_ref().id == *bus) => {
                return Err(cx.err(
                    pos,
                    item,
                    format!("feed_bus \"{bus}\" is not a bus of [network]"),
                    "name a bus defined in [[network.bus]]",
                ))
            }
            _ => {}
        }
    }
    Ok(())
}
