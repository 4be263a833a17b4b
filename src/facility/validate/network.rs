//! `[network]`: buses, branches, generators, batteries and loads, every island with a
//! reference; and the feed buses racks and cooling units name.

use super::Ctx;
use crate::error::InputError;
use crate::facility::network::{
    NetworkSpec, BASE_MVA_RANGE, MAX_MW, MAX_SHIFT_DEG, RATE_RANGE, TAP_RANGE, V_SETPOINT_RANGE, X_RANGE,
};
use crate::facility::{Chiller, CoolingUnit, Pos, Rack};
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
        if let Some(d) = g.start_delay_s {
            cx.within(p, &item, "start_delay_s", d, (0.0, MAX_DELAY_S), "s")?;
        }
        if let Some(r) = g.ramp_mw_per_s {
            cx.positive(p, &item, "ramp_mw_per_s", r)?;
            if g.p_max_mw.is_none() || !g.standby {
                return Err(cx.err(
                    p,
                    item,
                    "ramp_mw_per_s is a standby set's loading rate and needs its p_max_mw",
                    "give p_max_mw and standby = true, or remove ramp_mw_per_s",
                ));
            }
        }
    }
    let branch_index = |p: Pos, item: &str, key: &str, id: &str| -> Result<usize, InputError> {
        n.branch.iter().position(|b| b.get_ref().id == id).ok_or_else(|| {
            cx.err(
                p,
                item,
                format!("{key} = \"{id}\" is not a branch of [network]"),
                "name a branch defined in [[network.branch]]",
            )
        })
    };
    let mut ups_ids = HashSet::new();
    let mut ups_branches = HashSet::new();
    for u in &n.ups {
        let p = cx.pos(u);
        let u = u.get_ref();
        let item = format!("ups \"{}\"", u.id);
        if !ups_ids.insert(u.id.as_str()) {
            return Err(cx.err(p, item, "duplicate UPS id", "give every UPS a unique id"));
        }
        let b = branch_index(p, &item, "branch", &u.branch)?;
        if !ups_branches.insert(b) {
            return Err(cx.err(
                p,
                item,
                format!("branch \"{}\" is already another UPS", u.branch),
                "give each UPS its own branch",
            ));
        }
        match (u.ride_through_s, u.energy_kwh) {
            (Some(_), Some(_)) => {
                return Err(cx.err(
                    p,
                    item,
                    "gives both ride_through_s and energy_kwh",
                    "give the battery once: its autonomy in s or its energy in kWh",
                ))
            }
            (Some(t), None) => cx.within(p, &item, "ride_through_s", t, (0.0, MAX_DELAY_S), "s").map(|_| ())?,
            (None, Some(e)) => cx.within(p, &item, "energy_kwh", e, (0.0, MAX_MW * 1e3), "kWh").map(|_| ())?,
            (None, None) => {}
        }
        if let Some(e) = u.efficiency {
            cx.within(p, &item, "efficiency", e, (0.5, 1.0), "")?;
        }
    }
    let mut transfer_ids = HashSet::new();
    for t in &n.transfer {
        let p = cx.pos(t);
        let t = t.get_ref();
        let item = format!("transfer \"{}\"", t.id);
        if !transfer_ids.insert(t.id.as_str()) {
            return Err(cx.err(p, item, "duplicate transfer switch id", "give every transfer switch a unique id"));
        }
        let a = n.branch[branch_index(p, &item, "normal", &t.normal)?].get_ref();
        let b = n.branch[branch_index(p, &item, "alternate", &t.alternate)?].get_ref();
        if t.normal == t.alternate {
            return Err(cx.err(
                p,
                item,
                "normal and alternate are the same branch",
                "name two branches that feed the same load bus",
            ));
        }
        if ![&a.from, &a.to].iter().any(|x| *x == &b.from || *x == &b.to) {
            return Err(cx.err(
                p,
                item,
                format!("branches \"{}\" and \"{}\" share no bus (the load bus they switch)", t.normal, t.alternate),
                "name two branches that end at the same load bus",
            ));
        }
        if !a.in_service || b.in_service {
            return Err(cx.err(
                p,
                item,
                "the normal branch must be in service and the alternate open",
                format!("set in_service = false on branch \"{}\" (and true on \"{}\")", t.alternate, t.normal),
            ));
        }
        if let Some(s) = t.transfer_s {
            cx.within(p, &item, "transfer_s", s, (0.0, MAX_DELAY_S), "s")?;
        }
        match t.kind.as_deref() {
            None | Some("ats") | Some("sts") => {}
            Some(k) => {
                return Err(cx.err(
                    p,
                    item,
                    format!("kind = \"{k}\" is not a transfer switch"),
                    "write kind = \"ats\" or \"sts\"",
                ))
            }
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

/// Longest delay, ride-through or restart accepted, s (a week).
pub const MAX_DELAY_S: f64 = 604_800.0;

/// The A side's share of a load fed from `a` and `b` (1 when single-fed; default 0.5).
pub(super) fn a_share(
    cx: &Ctx,
    pos: Pos,
    item: &str,
    a: Option<&str>,
    b: Option<&str>,
    share: Option<f64>,
) -> Result<f64, InputError> {
    match (a, b, share) {
        (None, Some(_), _) => Err(cx.err(pos, item, "has feed_b_bus but no feed_bus", "give the A side as feed_bus")),
        (Some(a), Some(b), _) if a == b => Err(cx.err(
            pos,
            item,
            format!("feed_bus and feed_b_bus are both \"{a}\""),
            "feed the B side from another bus, or remove feed_b_bus",
        )),
        (_, None, Some(_)) => Err(cx.err(
            pos,
            item,
            "feed_a_share without feed_b_bus",
            "add the B side (feed_b_bus) or remove feed_a_share",
        )),
        (_, Some(_), Some(s)) => {
            cx.finite(pos, item, "feed_a_share", s)?;
            if (0.0..=1.0).contains(&s) {
                Ok(s)
            } else {
                Err(cx.err(
                    pos,
                    item,
                    format!("feed_a_share = {s} is outside 0–1"),
                    "give the A side's share as a fraction, e.g. 0.5",
                ))
            }
        }
        (_, Some(_), None) => Ok(0.5),
        (_, None, None) => Ok(1.0),
    }
}

pub(super) fn feed_buses(
    cx: &Ctx,
    n: Option<&NetworkSpec>,
    racks: &[Rack],
    cooling: &[CoolingUnit],
    chillers: &[Chiller],
) -> Result<(), InputError> {
    let items = racks
        .iter()
        .flat_map(|r| {
            let it = format!("rack \"{}\"", r.id);
            [(it.clone(), "feed_bus", &r.feed_bus, r.pos), (it, "feed_b_bus", &r.feed_b_bus, r.pos)]
        })
        .chain(cooling.iter().flat_map(|c| {
            let it = format!("cooling \"{}\"", c.id);
            [(it.clone(), "feed_bus", &c.feed_bus, c.pos), (it, "feed_b_bus", &c.feed_b_bus, c.pos)]
        }))
        .chain(chillers.iter().flat_map(|c| {
            let it = format!("chiller \"{}\"", c.id);
            [(it.clone(), "feed_bus", &c.feed.a, c.pos), (it, "feed_b_bus", &c.feed.b, c.pos)]
        }));
    for u in cooling {
        if let Some(ch) = &u.chiller {
            if !chillers.iter().any(|c| &c.id == ch) {
                return Err(cx.err(
                    u.pos,
                    format!("cooling \"{}\"", u.id),
                    format!("chiller = \"{ch}\" is not a [[chiller]]"),
                    "name a chiller defined in [[chiller]], or remove chiller",
                ));
            }
        }
    }
    for (item, key, bus, pos) in items {
        let Some(bus) = bus else { continue };
        match n {
            None => {
                return Err(cx.err(
                    pos,
                    item,
                    format!("{key} = \"{bus}\" but the file has no [network]"),
                    format!("add a [network] with that bus, or remove {key}"),
                ))
            }
            Some(n) if !n.bus.iter().any(|b| b.get_ref().id == *bus) => {
                return Err(cx.err(
                    pos,
                    item,
                    format!("{key} \"{bus}\" is not a bus of [network]"),
                    "name a bus defined in [[network.bus]]",
                ))
            }
            _ => {}
        }
    }
    Ok(())
}
