//! A campus's contingencies: every element of the campus network and of every hall's,
//! screened on the joined network ([`super::screen`] of the campus's plant); then, per
//! hall, the room transients of the outages that touch that hall, the worst first.
//!
//! Transients are batched per hall: an outage whose consequences in a hall (units
//! stopping and restarting, racks dark) are the same as another's in the same design
//! (the same facility file, e.g. four copies of one hall) is simulated once; and each
//! hall design's steady start is solved once and shared by all its transients.

use super::{rank, thermal, Contingencies, OutageResult, ThermalOutcome};
use crate::error::Error;
use crate::facility::campus::{Campus, SEP};
use std::collections::HashMap;

/// What the transients of a campus cost.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CampusThermal {
    /// (hall, outage) pairs given a transient (after the per-hall limit).
    pub pairs: usize,
    /// Transients actually run (pairs with the same design and consequences share one).
    pub runs: usize,
    /// Steady starts solved (one per hall design with a transient).
    pub steady_starts: usize,
    /// Seconds of all of it.
    pub wall_s: f64,
}

/// The part of outage `o` that falls in hall `h`, with hall-local ids; `None` when it
/// touches neither its racks nor its cooling units.
pub fn local(c: &Campus, h: usize, o: &OutageResult) -> Option<OutageResult> {
    let here = |id: &str| c.split(id).filter(|&(k, _)| k == h).map(|(_, rest)| rest.to_string());
    let mut l = o.clone();
    l.cooling_units_down =
        o.cooling_units_down.iter().filter_map(|d| here(&d.id).map(|id| super::UnitDown { id, ..d.clone() })).collect();
    l.rack_dark = o.rack_dark.iter().filter_map(|(r, a, b)| here(r).map(|id| (id, *a, *b))).collect();
    l.racks_unpowered = o.racks_unpowered.iter().filter_map(|r| here(r)).collect();
    l.thermal = None;
    l.affects_room().then_some(l)
}

/// A transient's identity: the hall's design and the outage's consequences in it.
fn key(c: &Campus, h: usize, l: &OutageResult) -> String {
    format!("{}|{:?}|{:?}", c.halls[h].facility.input_sha256, l.cooling_units_down, l.rack_dark)
}

/// The outcomes of several halls' transients of one outage as one: counts summed,
/// first times and warmest intake over all, racks `<hall>/<id>`, histories side by side.
fn combine(parts: Vec<(String, ThermalOutcome)>) -> ThermalOutcome {
    let min = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    };
    let mut out = ThermalOutcome {
        duration_s: parts.first().map_or(0.0, |p| p.1.duration_s),
        racks_over_27c: 0,
        racks_over_32c: 0,
        first_time_to_27c_s: None,
        first_time_to_32c_s: None,
        max_intake_c: f64::NEG_INFINITY,
        racks: vec![],
        wall_s: 0.0,
        time_s: parts.first().map_or(vec![], |p| p.1.time_s.clone()),
        intake_c: vec![],
    };
    let nt = out.time_s.len();
    let mut rows: Vec<Vec<f64>> = vec![vec![]; nt];
    for (hall, t) in &parts {
        out.racks_over_27c += t.racks_over_27c;
        out.racks_over_32c += t.racks_over_32c;
        out.first_time_to_27c_s = min(out.first_time_to_27c_s, t.first_time_to_27c_s);
        out.first_time_to_32c_s = min(out.first_time_to_32c_s, t.first_time_to_32c_s);
        out.max_intake_c = out.max_intake_c.max(t.max_intake_c);
        out.wall_s += t.wall_s;
        out.racks.extend(t.racks.iter().map(|(id, a, b, w)| (format!("{hall}{SEP}{id}"), *a, *b, *w)));
        let nr = t.racks.len();
        for (k, row) in rows.iter_mut().enumerate() {
            row.extend_from_slice(&t.intake_c[k * nr..(k + 1) * nr]);
        }
    }
    out.intake_c = rows.concat();
    out
}

/// The full scenario of one hall's transient in one of the most severe outages: the
/// outage's rank (from 0), the hall's id and the scenario.
pub type Worst = (usize, String, crate::scenario::ScenarioResult);

/// Screen every element of the campus, then run each hall's room transients for (at
/// most) `per_hall` of the most severe outages touching it; ranked again with their
/// thermal outcomes. The `keep` most severe simulated outages' transients are run once
/// more, each of their halls, to return their full scenarios (for their files and heat
/// maps; the batch keeps only outcomes), most severe first.
pub fn run(
    c: &Campus,
    per_hall: usize,
    (dt_s, duration_s): (f64, f64),
    keep: usize,
    backend: crate::backend::Backend,
) -> Result<(Contingencies, CampusThermal, Vec<Worst>), Error> {
    let t_screen = std::time::Instant::now();
    // The joined network as the power model reads it (each part was checked alone).
    if let Some((net, _)) = crate::power::facility_net::facility_network(&c.plant) {
        crate::power::validate::validate(&net)?;
    }
    // Each hall's standby sets answer to their own hall's buses.
    let group: Vec<usize> = c
        .plant
        .network
        .as_ref()
        .map(|n| n.bus.iter().map(|b| c.split(&b.get_ref().id).map_or(0, |(h, _)| h + 1)).collect())
        .unwrap_or_default();
    let mut cont = super::screen_with(&c.plant, false, Some(group))?;
    // Each hall's liquid loop (its own CDUs, its own racks), for the outages touching it.
    let liquid_halls: Vec<usize> =
        (0..c.halls.len()).filter(|&h| c.halls[h].facility.racks.iter().any(|r| r.liquid_heat_w() > 0.0)).collect();
    for o in cont.outages.iter_mut() {
        let parts: Vec<_> = liquid_halls
            .iter()
            .filter_map(|&h| {
                let l = local(c, h, o)?;
                super::liquid::loop_outcome(&c.halls[h].facility, &l.cooling_units_down, &l.rack_dark)
            })
            .collect();
        o.liquid = super::liquid::combine(&parts);
    }
    rank(&mut cont.outages);
    cont.screen_s = t_screen.elapsed().as_secs_f64();
    let t0 = std::time::Instant::now();
    let mut cost = CampusThermal::default();
    // Per hall, the most severe outages touching it (screening order), with their
    // hall-local consequences.
    let mut wanted: Vec<(usize, usize, OutageResult)> = Vec::new();
    if per_hall > 0 {
        for h in 0..c.halls.len() {
            wanted.extend(
                cont.outages.iter().enumerate().filter_map(|(k, o)| local(c, h, o).map(|l| (k, h, l))).take(per_hall),
            );
        }
    }
    cost.pairs = wanted.len();
    // One run per distinct (design, consequences); one steady start per design.
    let mut runs: HashMap<String, ThermalOutcome> = HashMap::new();
    let mut starts: HashMap<String, thermal::Start> = HashMap::new();
    for (_, h, l) in &wanted {
        let k = key(c, *h, l);
        if runs.contains_key(&k) {
            continue;
        }
        let f = &c.halls[*h].facility;
        let start = match starts.get(&f.input_sha256) {
            Some(s) => s,
            None => {
                let s = thermal::Start::of(f)?;
                starts.entry(f.input_sha256.clone()).or_insert(s)
            }
        };
        let (outcome, _) = thermal::transient_from(f, start, l, (dt_s, duration_s), backend)?;
        runs.insert(k, outcome);
    }
    cost.runs = runs.len();
    cost.steady_starts = starts.len();
    // Each outage's halls' outcomes, combined.
    let mut parts: HashMap<usize, Vec<(String, ThermalOutcome)>> = HashMap::new();
    for (k, h, l) in &wanted {
        parts.entry(*k).or_default().push((c.halls[*h].id.clone(), runs[&key(c, *h, l)].clone()));
    }
    for (k, p) in parts {
        cont.outages[k].thermal = Some(combine(p));
    }
    // Each simulated outage's hall parts, by the outage's key (ranking moves it).
    let mut by_key: HashMap<(&'static str, String), Vec<(usize, OutageResult)>> = HashMap::new();
    for (k, h, l) in wanted {
        let o = &cont.outages[k];
        by_key.entry((o.kind, o.element.clone())).or_default().push((h, l));
    }
    rank(&mut cont.outages);
    cost.wall_s = t0.elapsed().as_secs_f64();
    let mut worst = Vec::new();
    for (r, o) in cont.outages.iter().enumerate().filter(|(_, o)| o.thermal.is_some()).take(keep) {
        for (h, l) in by_key.get(&(o.kind, o.element.clone())).map(Vec::as_slice).unwrap_or(&[]) {
            let f = &c.halls[*h].facility;
            let start = starts.get(&f.input_sha256).expect("solved for this design's transients");
            let (_, sc) = thermal::transient_from(f, start, l, (dt_s, duration_s), backend)?;
            worst.push((r, c.halls[*h].id.clone(), sc));
        }
    }
    Ok((cont, cost, worst))
}
