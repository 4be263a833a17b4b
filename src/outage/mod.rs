//! Facility contingencies: lose any one element — a cable, transformer, UPS, generator,
//! the utility, a transfer switch, a chiller, a cooling unit — and see every rack.
//!
//! For each element: the electrical march of [`electrical`] (UPS ride-through, standby
//! generators, transfers), which racks lose power (even for an instant: the IT lost),
//! the DC power flow of the end state (overloads on the surviving path), the cooling
//! units that stop (their power, or their chiller's) and when they run again; then,
//! for the worst outages, a transient of the room air from the design's steady state
//! with those units stopping and restarting ([`thermal`]): each rack's time to 27 °C
//! and 32 °C. Outages are ranked by severity: IT lost, racks above 32 °C, time to 32 °C,
//! overload, units down.

pub mod campus;
pub mod electrical;
pub mod liquid;
pub mod thermal;

use crate::error::{Error, InputError};
use crate::facility::network::NetworkSpec;
use crate::facility::Facility;
use electrical::{dark_intervals, Element, Timeline, Topology};
use std::collections::HashMap;

/// Time from power back to a cooling unit moving air and cooling again, s (fan drives
/// and controls restarting).
pub const UNIT_RESTART_S: f64 = 30.0;
/// Longest loss of voltage IT equipment rides through on its power supplies' hold-up,
/// s (the ITIC/CBEMA curve: 20 ms at zero voltage). An STS transfer (4 ms) is within it.
pub const IT_HOLD_UP_S: f64 = 0.02;

/// A cooling unit out of service for a while.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct UnitDown {
    pub id: String,
    pub from_s: f64,
    /// When it cools again (`None`: not within the outage).
    pub until_s: Option<f64>,
    /// Whether its fans keep moving air meanwhile (it lost its chiller, not its power).
    pub fans_on: bool,
}

/// A branch above its rating after the outage.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Overload {
    pub branch: String,
    pub loading_pct: f64,
    pub flow_mw: f64,
}

/// What the room air did after an outage.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ThermalOutcome {
    pub duration_s: f64,
    pub racks_over_27c: usize,
    pub racks_over_32c: usize,
    pub first_time_to_27c_s: Option<f64>,
    pub first_time_to_32c_s: Option<f64>,
    pub max_intake_c: f64,
    /// Per rack: id, time to 27 °C, time to 32 °C, warmest intake.
    pub racks: Vec<(String, Option<f64>, Option<f64>, f64)>,
    pub wall_s: f64,
    /// Recorded times, s, and the intakes at each (one row of racks per time), °C.
    #[serde(skip)]
    pub time_s: Vec<f64>,
    #[serde(skip)]
    pub intake_c: Vec<f64>,
}

/// One element's outage.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OutageResult {
    pub element: String,
    pub kind: &'static str,
    /// IT power of the racks that lose power, even for an instant, MW.
    pub lost_it_mw: f64,
    pub racks_unpowered: Vec<String>,
    /// IT still without power at the end, MW.
    pub lost_it_at_end_mw: f64,
    pub overloaded: Vec<Overload>,
    /// Islands left without enough sources, which collapsed (their loads lost).
    pub collapsed: Vec<Collapse>,
    pub cooling_units_down: Vec<UnitDown>,
    pub transfers: Vec<(String, f64)>,
    pub ups_on_battery: Vec<(String, f64, Option<f64>)>,
    pub generators_on_line: Vec<(String, f64)>,
    /// Buses without supply at the end.
    pub buses_dead_at_end: Vec<String>,
    /// Each rack's time without power: (rack, from s, until s; `None`: for good).
    #[serde(skip)]
    pub rack_dark: Vec<(String, f64, Option<f64>)>,
    pub thermal: Option<ThermalOutcome>,
    /// The racks' liquid loop (facilities with CDUs and liquid-cooled racks).
    pub liquid: Option<liquid::LiquidOutcome>,
}

impl OutageResult {
    /// Sort key, most severe first: IT lost, racks over their limit (air intakes above
    /// 32 °C, liquid loops past their limit), the first time to a limit, overload, units.
    fn severity(&self) -> (f64, usize, f64, f64, usize) {
        let th = self.thermal.as_ref();
        let lq = self.liquid.as_ref();
        let first = th.and_then(|t| t.first_time_to_32c_s).unwrap_or(f64::INFINITY);
        (
            -self.lost_it_mw,
            usize::MAX - th.map_or(0, |t| t.racks_over_32c) - lq.map_or(0, |l| l.racks_over_limit),
            first.min(lq.and_then(|l| l.time_to_limit_s).unwrap_or(f64::INFINITY)),
            -self.overloaded.iter().map(|o| o.loading_pct).fold(0.0, f64::max),
            usize::MAX - self.cooling_units_down.len(),
        )
    }
    /// Whether the outage touches the room's cooling or racks (worth a transient).
    pub fn affects_room(&self) -> bool {
        !self.cooling_units_down.is_empty() || !self.racks_unpowered.is_empty()
    }
    /// The outage's identity: element ids are unique within a kind, not across kinds.
    pub fn key(&self) -> (&'static str, &str) {
        (self.kind, &self.element)
    }
}

/// Every outage of a facility, ranked.
pub struct Contingencies {
    pub outages: Vec<OutageResult>,
    pub elements: usize,
    /// Seconds of the electrical screening (all elements).
    pub screen_s: f64,
}

fn names<'a>(n: &'a NetworkSpec) -> impl Fn(Element) -> (String, &'static str) + 'a {
    move |e| match e {
        Element::Branch(b) => {
            let br = n.branch[b].get_ref();
            let kind = |id: &str| n.bus.iter().find(|x| x.get_ref().id == id).map(|x| x.get_ref().kind);
            use crate::facility::network::BusKind;
            let k = if matches!(kind(&br.to), Some(BusKind::Transformer))
                || matches!(kind(&br.from), Some(BusKind::Transformer))
            {
                "transformer"
            } else {
                "branch"
            };
            (br.id.clone(), k)
        }
        Element::Ups(u) => (n.ups[u].get_ref().id.clone(), "ups"),
        Element::Generator(g) => (n.generator[g].get_ref().id.clone(), "generator"),
        Element::Utility(b) => (format!("{}-utility", n.bus[b].get_ref().id), "utility"),
        Element::Transfer(t) => (n.transfer[t].get_ref().id.clone(), "transfer_switch"),
        Element::Chiller(_) | Element::CoolingUnit(_) => unreachable!("named from the facility"),
    }
}

/// A unit's time out of service as segments of one state each: off (its power lost,
/// until it restarts) or fans on without cooling (its chiller down while it has power).
fn unit_segments(id: &str, power: &[(f64, Option<f64>)], chiller: &[(f64, Option<f64>)]) -> Vec<UnitDown> {
    let inside = |iv: &[(f64, Option<f64>)], t: f64| iv.iter().any(|&(a, b)| a <= t && b.is_none_or(|b| t < b));
    let mut cuts: Vec<f64> = power.iter().chain(chiller).flat_map(|&(a, b)| [Some(a), b]).flatten().collect();
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let mut out: Vec<UnitDown> = Vec::new();
    for (k, &t) in cuts.iter().enumerate() {
        let until = cuts.get(k + 1).copied();
        let state = if inside(power, t) {
            Some(false)
        } else if inside(chiller, t) {
            Some(true)
        } else {
            None
        };
        let Some(fans_on) = state else { continue };
        match out.last_mut() {
            Some(last) if last.fans_on == fans_on && last.until_s == Some(t) => last.until_s = until,
            _ => out.push(UnitDown { id: id.to_string(), from_s: t, until_s: until, fans_on }),
        }
    }
    // At the last cut a unit still down stays down: only an open-ended interval
    // reaches past every finite end.
    out
}

/// Intervals `(from, until)` stretched by `restart` s at their end (until `None` stays).
fn with_restart(iv: &[(f64, Option<f64>)], restart: f64) -> Vec<(f64, Option<f64>)> {
    iv.iter().map(|&(a, b)| (a, b.map(|b| b + restart))).collect()
}

/// A load's feed as bus indices (see [`crate::facility::Feed`]).
#[derive(Clone, Copy, Debug)]
struct FeedIx {
    a: Option<usize>,
    b: Option<usize>,
    a_share: f64,
    /// Whether it names any bus (a load without one is never dark).
    any: bool,
}

impl FeedIx {
    fn of(index: &HashMap<&str, usize>, f: &crate::facility::Feed) -> Self {
        let ix = |b: &Option<String>| b.as_deref().and_then(|b| index.get(b).copied());
        FeedIx { a: ix(&f.a), b: ix(&f.b), a_share: f.a_share, any: f.a.is_some() || f.b.is_some() }
    }
    /// Its share on each side given the live buses (as [`crate::facility::Feed::shares`]).
    fn shares(&self, l: &[bool]) -> (f64, f64) {
        match (self.a.is_some_and(|i| l[i]), self.b.is_some_and(|i| l[i])) {
            (true, true) => (self.a_share, 1.0 - self.a_share),
            (true, false) => (1.0, 0.0),
            (false, true) => (0.0, 1.0),
            (false, false) => (0.0, 0.0),
        }
    }
    fn live(&self, l: &[bool]) -> bool {
        let (a, b) = self.shares(l);
        a + b > 0.0 || !self.any
    }
    /// Add `mw` to `pd` on its live sides.
    fn add(&self, l: &[bool], mw: f64, pd: &mut [f64]) {
        let (sa, sb) = self.shares(l);
        for (side, share) in [(self.a, sa), (self.b, sb)] {
            if let Some(i) = side.filter(|_| share > 0.0) {
                pd[i] += mw * share;
            }
        }
    }
}

/// Hours an island's batteries must carry their share for it to count on them: an
/// island's battery counts for min(power, stored energy / this), MW.
pub const ISLAND_BATTERY_HOURS: f64 = 1.0;

/// What a generator row of the facility's network is.
#[derive(Clone, Copy, Debug)]
enum GenRow {
    /// `[[network.generator]]` k.
    Spec(usize),
    /// A `[[network.battery]]`, with the power it can hold for [`ISLAND_BATTERY_HOURS`], MW.
    Battery(f64),
    /// The utility infeed added at a reference bus.
    Infeed(usize),
    /// The infeed the power model adds at a reference bus that is not the utility (a
    /// standby set's bus marked reference to close its island): no source at all.
    NoSource,
}

/// Everything about the facility the outages share, computed once: the loads' feeds
/// as bus indices and the normal-operation network.
struct Plant {
    /// (from, to) bus of every branch.
    ends: Vec<(usize, usize)>,
    /// The generator rows at each bus.
    rows_at: Vec<Vec<usize>>,
    racks: Vec<FeedIx>,
    units: Vec<FeedIx>,
    chillers: Vec<FeedIx>,
    /// Each unit's chiller (index), if any.
    unit_chiller: Vec<Option<usize>>,
    /// `[[network.load]]` per bus, MW.
    other_mw: Vec<f64>,
    net: crate::power::Network,
    gen_rows: Vec<GenRow>,
    ups_losses: crate::power::facility_net::UpsLosses,
}

impl Plant {
    fn of(f: &Facility, n: &NetworkSpec) -> Option<Plant> {
        let index: HashMap<&str, usize> = n.bus.iter().enumerate().map(|(i, b)| (b.get_ref().id.as_str(), i)).collect();
        let (net, _) = crate::power::facility_net::facility_network(f)?;
        let mut other_mw = vec![0.0; n.bus.len()];
        for l in &n.load {
            other_mw[index[l.get_ref().bus.as_str()]] += l.get_ref().p_mw;
        }
        // The rows as facility_network makes them: generators, batteries, infeeds.
        let mut gen_rows: Vec<GenRow> = (0..n.generator.len()).map(GenRow::Spec).collect();
        gen_rows.extend(n.battery.iter().map(|b| {
            let b = b.get_ref();
            GenRow::Battery(b.power_mw.min(b.energy_mwh * b.soc.unwrap_or(1.0) / ISLAND_BATTERY_HOURS))
        }));
        use crate::power::network::gen;
        // A reference bus is the utility's only when it is a utility bus or has no
        // generator (the outage march's rule, `Topology::of`).
        for r in gen_rows.len()..net.gen.rows() {
            let b = net.gen.get(r, gen::GEN_BUS) as usize - 1;
            let spec = n.bus[b].get_ref();
            let any_gen = n.generator.iter().any(|g| index[g.get_ref().bus.as_str()] == b);
            gen_rows.push(if spec.kind == crate::facility::network::BusKind::Utility || !any_gen {
                GenRow::Infeed(b)
            } else {
                GenRow::NoSource
            });
        }
        Some(Plant {
            racks: f.racks.iter().map(|r| FeedIx::of(&index, &r.feed())).collect(),
            units: f.cooling.iter().map(|u| FeedIx::of(&index, &u.feed())).collect(),
            chillers: f.chillers.iter().map(|c| FeedIx::of(&index, &c.feed)).collect(),
            unit_chiller: f
                .cooling
                .iter()
                .map(|u| u.chiller.as_ref().and_then(|c| f.chillers.iter().position(|x| &x.id == c)))
                .collect(),
            other_mw,
            ups_losses: crate::power::facility_net::UpsLosses::of(n, &index),
            ends: n.branch.iter().map(|b| (index[b.get_ref().from.as_str()], index[b.get_ref().to.as_str()])).collect(),
            rows_at: {
                let mut at = vec![Vec::new(); n.bus.len()];
                for r in 0..net.gen.rows() {
                    at[net.gen.get(r, gen::GEN_BUS) as usize - 1].push(r);
                }
                at
            },
            net,
            gen_rows,
        })
    }
}

/// An island that its running sources could not carry: it collapses.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Collapse {
    /// Its buses (ids).
    pub buses: usize,
    /// Its load, MW.
    pub load_mw: f64,
    /// What its sources could give, MW (generators to their maximum, batteries for
    /// [`ISLAND_BATTERY_HOURS`]).
    pub capacity_mw: f64,
}

/// The electrical consequences of losing `lost` (no thermal transient yet).
fn one(f: &Facility, n: &NetworkSpec, topo: &Topology, plant: &Plant, lost: Element) -> Result<OutageResult, Error> {
    // The march; an island left short of sources collapses (its sources trip) and the
    // march runs again with them lost, until every island left carries its load.
    let mut tripped: Vec<usize> = Vec::new();
    let mut collapsed: Vec<Collapse> = Vec::new();
    let (tl, overloaded) = loop {
        let tl = topo.march_with(lost, &tripped);
        if !tl.complete {
            return Err(Error::Internal(format!("the electrical march of the outage of {lost:?} did not settle")));
        }
        let tripped_gens: Vec<usize> = tripped.iter().filter_map(|&i| topo.generator_of(i)).collect();
        // The facility was validated: a failure here is this program's, said with its outage.
        let (overloaded, short) = end_flow(f, n, plant, &tl, lost, &tripped_gens)
            .map_err(|e| Error::Internal(format!("the end-state power flow after losing {lost:?}: {e}")))?;
        let more: Vec<usize> =
            short.iter().flat_map(|(isl, _)| topo.sources_at(isl)).filter(|i| !tripped.contains(i)).collect();
        collapsed.extend(short.into_iter().map(|(_, c)| c));
        if more.is_empty() {
            break (tl, overloaded);
        }
        tripped.extend(more);
    };
    // Loads without supply in normal operation too are not this outage's doing.
    let normal = topo.normal();
    let dark = |feed: &FeedIx| -> Vec<(f64, Option<f64>)> {
        if !feed.live(normal) {
            return vec![];
        }
        dark_intervals(&tl, |l| feed.live(l))
            .into_iter()
            .filter(|&(a, b)| b.is_none_or(|b| b - a > IT_HOLD_UP_S))
            .collect()
    };
    let (element, kind) = match lost {
        Element::Chiller(c) => (f.chillers[c].id.clone(), "chiller"),
        Element::CoolingUnit(u) => (f.cooling[u].id.clone(), "cooling_unit"),
        e => names(n)(e),
    };
    // Racks that lose power at any time.
    let mut racks_unpowered = Vec::new();
    let mut rack_dark = Vec::new();
    let (mut lost_it, mut lost_end) = (0.0, 0.0);
    for (r, feed) in f.racks.iter().zip(&plant.racks) {
        let dark = dark(feed);
        if !dark.is_empty() {
            rack_dark.extend(dark.iter().map(|&(a, b)| (r.id.clone(), a, b)));
            racks_unpowered.push(r.id.clone());
            lost_it += r.power_kw / 1e3;
            if dark.last().is_some_and(|d| d.1.is_none()) {
                lost_end += r.power_kw / 1e3;
            }
        }
    }
    // Chillers down: their power's dark time plus a restart, or for good when lost.
    let chiller_down: Vec<Vec<(f64, Option<f64>)>> = f
        .chillers
        .iter()
        .zip(&plant.chillers)
        .enumerate()
        .map(
            |(i, (c, feed))| {
                if lost == Element::Chiller(i) {
                    vec![(0.0, None)]
                } else {
                    with_restart(&dark(feed), c.restart_s)
                }
            },
        )
        .collect();
    let mut cooling_units_down = Vec::new();
    for (ui, u) in f.cooling.iter().enumerate() {
        if lost == Element::CoolingUnit(ui) {
            cooling_units_down.push(UnitDown { id: u.id.clone(), from_s: 0.0, until_s: None, fans_on: false });
            continue;
        }
        let power = with_restart(&dark(&plant.units[ui]), UNIT_RESTART_S);
        let chiller = plant.unit_chiller[ui].map(|ci| chiller_down[ci].clone()).unwrap_or_default();
        if power.is_empty() && chiller.is_empty() {
            continue;
        }
        cooling_units_down.extend(unit_segments(&u.id, &power, &chiller));
    }
    Ok(OutageResult {
        element,
        kind,
        lost_it_mw: lost_it,
        racks_unpowered,
        lost_it_at_end_mw: lost_end,
        overloaded,
        collapsed,
        cooling_units_down,
        transfers: tl.transfers.iter().map(|&(k, t)| (n.transfer[k].get_ref().id.clone(), t)).collect(),
        ups_on_battery: tl.ups_on_battery.iter().map(|&(u, a, b)| (n.ups[u].get_ref().id.clone(), a, b)).collect(),
        generators_on_line: tl
            .generators_on_line
            .iter()
            .map(|&(g, t)| (n.generator[g].get_ref().id.clone(), t))
            .collect(),
        // Buses that are dead in normal operation too (spares, generator buses behind
        // an open transfer switch) are not news.
        buses_dead_at_end: (0..n.bus.len())
            .filter(|&b| normal[b] && !tl.live_at_end(b))
            .map(|b| topo.bus_ids[b].clone())
            .collect(),
        rack_dark,
        thermal: None,
        liquid: None,
    })
}

/// The end state's power flow: the facility's loads on the buses live at the end (a
/// dual-fed load all on its live side), the lost element open, transfers done, standby
/// generators on line; DC power flow, loading against each branch's rating. Each live
/// island must be carried by its running sources (generators to their maximum,
/// batteries for [`ISLAND_BATTERY_HOURS`], a utility without limit): an island short
/// of them is returned (its buses, and its load against its capacity) and not solved.
/// An island cut off from its reference shares its load among its sources by their
/// capacity (droop).
#[allow(clippy::type_complexity)]
fn end_flow(
    f: &Facility,
    n: &NetworkSpec,
    plant: &Plant,
    tl: &Timeline,
    lost: Element,
    tripped_gens: &[usize],
) -> Result<(Vec<Overload>, Vec<(Vec<bool>, Collapse)>), Error> {
    use crate::power::network::{branch as br, bus, gen};
    let live = tl.live.last().cloned().unwrap_or_default();
    // The loads as the end state carries them.
    let mut pd: Vec<f64> = plant.other_mw.clone();
    for (r, feed) in f.racks.iter().zip(&plant.racks) {
        feed.add(&live, r.power_kw / 1e3, &mut pd);
    }
    for (i, (u, feed)) in f.cooling.iter().zip(&plant.units).enumerate() {
        if lost != Element::CoolingUnit(i) {
            feed.add(&live, u.electric_kw / 1e3, &mut pd);
        }
    }
    for (i, (c, feed)) in f.chillers.iter().zip(&plant.chillers).enumerate() {
        if lost != Element::Chiller(i) {
            feed.add(&live, c.electric_kw / 1e3, &mut pd);
        }
    }
    // UPS losses at the inputs of the UPS still carrying load from their input.
    let pd_live: Vec<f64> = pd.iter().zip(&live).map(|(&p, &l)| if l { p } else { 0.0 }).collect();
    for (b, mw) in plant.ups_losses.losses(&tl.closed_at_end, &pd_live, &live) {
        pd[b] += mw;
    }
    let mut net = plant.net.clone();
    for (b, &p) in pd.iter().enumerate() {
        net.bus.set(b, bus::PD, if live[b] { p } else { 0.0 });
        net.bus.set(b, bus::QD, 0.0);
    }
    // Branches as closed at the end; dead buses isolated.
    for (b, &c) in tl.closed_at_end.iter().enumerate() {
        let (fr, to) = plant.ends[b];
        let on = c && live[fr] && live[to];
        net.branch.set(b, br::BR_STATUS, if on { 1.0 } else { 0.0 });
    }
    for (b, &l) in live.iter().enumerate() {
        if !l {
            net.bus.set(b, bus::BUS_TYPE, bus::NONE);
        }
    }
    // Generators: the lost one off, standby sets on line at the end on.
    for (r, row) in plant.gen_rows.iter().enumerate() {
        let bi = net.gen.get(r, gen::GEN_BUS) as usize - 1;
        let lost_here = match (*row, lost) {
            (GenRow::Spec(k), Element::Generator(j)) => k == j || tripped_gens.contains(&k),
            (GenRow::Spec(k), _) => tripped_gens.contains(&k),
            (GenRow::Infeed(b), Element::Utility(u)) => b == u,
            (GenRow::NoSource, _) => true,
            _ => false,
        };
        let standby_on = match *row {
            GenRow::Spec(k) => n.generator[k].get_ref().standby && tl.generators_on_line.iter().any(|x| x.0 == k),
            _ => false,
        };
        let on = !lost_here && live[bi] && (net.gen.get(r, gen::GEN_STATUS) > 0.0 || standby_on);
        net.gen.set(r, gen::GEN_STATUS, if on { 1.0 } else { 0.0 });
    }
    let on_at = |net: &crate::power::Network, b: usize| -> Vec<usize> {
        plant.rows_at[b].iter().copied().filter(|&r| net.gen.get(r, gen::GEN_STATUS) > 0.0).collect()
    };
    let capacity = |net: &crate::power::Network, r: usize| -> f64 {
        match plant.gen_rows[r] {
            GenRow::Spec(_) => net.gen.get(r, gen::PMAX),
            GenRow::Battery(mw) => mw,
            GenRow::Infeed(_) => f64::INFINITY,
            GenRow::NoSource => 0.0,
        }
    };
    let mut short = Vec::new();
    for isl in islands(&net, &live) {
        let gens: Vec<usize> = isl.iter().flat_map(|&b| on_at(&net, b)).collect();
        let load: f64 = isl.iter().map(|&b| net.bus.get(b, bus::PD)).sum();
        let cap: f64 = gens.iter().map(|&r| capacity(&net, r)).sum();
        let has_ref = isl.iter().any(|&b| net.bus.get(b, bus::BUS_TYPE) == bus::REF && !on_at(&net, b).is_empty());
        let shut = |net: &mut crate::power::Network| {
            for &x in &isl {
                net.bus.set(x, bus::BUS_TYPE, bus::NONE);
                net.bus.set(x, bus::PD, 0.0);
            }
            for &r in &gens {
                net.gen.set(r, gen::GEN_STATUS, 0.0);
            }
            for b in 0..net.branch.rows() {
                let (fr, to) = (net.branch.get(b, br::F_BUS) as usize - 1, net.branch.get(b, br::T_BUS) as usize - 1);
                if isl.contains(&fr) || isl.contains(&to) {
                    net.branch.set(b, br::BR_STATUS, 0.0);
                }
            }
        };
        if !gens.iter().any(|&r| !matches!(plant.gen_rows[r], GenRow::Battery(_))) {
            // Live only from a UPS battery that outlasts the study (a battery bank does
            // not form an island alone): no flow to check.
            shut(&mut net);
            continue;
        }
        if load > cap * (1.0 + 1e-9) + 1e-9 {
            let mut flags = vec![false; live.len()];
            isl.iter().for_each(|&b| flags[b] = true);
            short.push((flags, Collapse { buses: isl.len(), load_mw: load, capacity_mw: cap }));
            shut(&mut net);
            continue;
        }
        if has_ref {
            continue;
        }
        // Cut off from its reference: the largest source holds the angle, every source
        // carries the island's load in proportion to its capacity.
        for &x in &isl {
            if net.bus.get(x, bus::BUS_TYPE) == bus::REF {
                net.bus.set(x, bus::BUS_TYPE, bus::PQ);
            }
        }
        let big =
            gens.iter().copied().max_by(|&a, &b| capacity(&net, a).total_cmp(&capacity(&net, b))).expect("a source");
        net.bus.set(net.gen.get(big, gen::GEN_BUS) as usize - 1, bus::BUS_TYPE, bus::REF);
        if cap.is_finite() && cap > 0.0 {
            for &r in &gens {
                net.gen.set(r, gen::PG, capacity(&net, r) * load / cap);
            }
        }
    }
    // Nothing live with a source: nothing flows.
    if (0..net.bus.rows()).all(|b| net.bus.get(b, bus::BUS_TYPE) == bus::NONE) {
        return Ok((vec![], short));
    }
    let pf = crate::power::DcPowerFlow::new(&net)?;
    let r = pf.solve_checked(&net)?;
    let overloads = (0..net.branch.rows())
        .filter(|&b| r.loading_pct[b].is_finite() && r.loading_pct[b] > 100.0 + 1e-9)
        .map(|b| Overload {
            branch: n.branch[b].get_ref().id.clone(),
            loading_pct: r.loading_pct[b],
            flow_mw: r.pf_mw[b],
        })
        .collect();
    Ok((overloads, short))
}

/// The live buses grouped by the closed branches joining them.
fn islands(net: &crate::power::Network, live: &[bool]) -> Vec<Vec<usize>> {
    use crate::power::network::branch as br;
    let nb = live.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); nb];
    for b in 0..net.branch.rows() {
        if net.branch.get(b, br::BR_STATUS) > 0.0 {
            let (f, t) = (net.branch.get(b, br::F_BUS) as usize - 1, net.branch.get(b, br::T_BUS) as usize - 1);
            adj[f].push(t);
            adj[t].push(f);
        }
    }
    let mut seen = vec![false; nb];
    let mut out = Vec::new();
    for s in 0..nb {
        if !live[s] || seen[s] {
            continue;
        }
        let mut isl = Vec::new();
        let mut stack = vec![s];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            isl.push(i);
            stack.extend(adj[i].iter().copied().filter(|&j| !seen[j] && live[j]));
        }
        out.push(isl);
    }
    out
}

/// Screen every element of `f` (electrical side, and its liquid loop), ranked by
/// severity.
pub fn screen(f: &Facility) -> Result<Contingencies, Error> {
    screen_with(f, true, None)
}

/// [`screen`], with or without following the liquid loop of `f` as one hall's (a
/// campus follows each hall's own).
pub(crate) fn screen_with(f: &Facility, loops: bool, group: Option<Vec<usize>>) -> Result<Contingencies, Error> {
    let t0 = std::time::Instant::now();
    let n = f.network.as_ref().ok_or_else(|| {
        Error::Input(InputError::new(
            &f.path,
            "[network]",
            "facility contingencies need the electrical network",
            "add [network] with the buses feeding the racks and cooling units (feed_bus)",
        ))
    })?;
    let load_mw = bus_loads(f);
    let topo = Topology::of_groups(f, &load_mw, group).expect("a network");
    let plant = Plant::of(f, n).expect("a network");
    let mut elements = topo.elements();
    elements.extend((0..f.chillers.len()).map(Element::Chiller));
    elements.extend((0..f.cooling.len()).map(Element::CoolingUnit));
    // Every outage is independent of the others: in parallel.
    use rayon::prelude::*;
    let mut outages = elements
        .par_iter()
        .map(|&e| {
            let mut o = one(f, n, &topo, &plant, e)?;
            if loops {
                o.liquid = liquid::loop_outcome(f, &o.cooling_units_down, &o.rack_dark);
            }
            Ok(o)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    rank(&mut outages);
    Ok(Contingencies { elements: elements.len(), outages, screen_s: t0.elapsed().as_secs_f64() })
}

/// Sort most severe first (stable: ties keep the element order).
pub fn rank(outages: &mut [OutageResult]) {
    outages.sort_by(|a, b| {
        let (x, y) = (a.severity(), b.severity());
        x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.total_cmp(&y.2)).then(x.3.total_cmp(&y.3)).then(x.4.cmp(&y.4))
    });
}

/// Each bus's load in normal operation, MW.
fn bus_loads(f: &Facility) -> Vec<f64> {
    use crate::power::network::bus;
    match crate::power::facility_net::facility_network(f) {
        Some((net, _)) => (0..net.bus.rows()).map(|b| net.bus.get(b, bus::PD)).collect(),
        None => vec![],
    }
}

pub mod output;
pub mod study;

/// Screen every element, then run the room transient of the `thermal` most severe
/// outages that touch the room (cooling units or racks), `dt_s` steps over
/// `duration_s`; ranked again with their thermal outcome. Returns the outages, the
/// seconds the transients took and the full scenarios of the `keep` most severe
/// simulated outages (their rank, from 0, and the scenario), most severe first.
pub fn run(
    f: &Facility,
    thermal: usize,
    (dt_s, duration_s): (f64, f64),
    keep: usize,
    backend: crate::backend::Backend,
) -> Result<(Contingencies, f64, Vec<(usize, crate::scenario::ScenarioResult)>), Error> {
    let mut c = screen(f)?;
    let t0 = std::time::Instant::now();
    let mut scenarios = Vec::new();
    let room = !f.racks.is_empty();
    // One steady start shared by every transient (solved only if one runs).
    let mut start: Option<thermal::Start> = None;
    for o in c.outages.iter_mut().filter(|o| room && o.affects_room()).take(thermal) {
        let s = match start.as_ref() {
            Some(s) => s,
            None => start.insert(thermal::Start::of(f)?),
        };
        let (outcome, sc) = thermal::transient_from(f, s, o, (dt_s, duration_s), backend)?;
        o.thermal = Some(outcome);
        if keep > 0 {
            scenarios.push(((o.kind, o.element.clone()), sc));
        }
    }
    rank(&mut c.outages);
    // The scenarios of the most severe simulated outages, in rank order.
    let rank_of = |k: &(&'static str, String)| c.outages.iter().position(|o| o.key() == (k.0, k.1.as_str()));
    scenarios.sort_by_key(|(k, _)| rank_of(k));
    scenarios.truncate(keep);
    let scenarios = scenarios.into_iter().map(|(k, sc)| (rank_of(&k).unwrap_or(0), sc)).collect();
    Ok((c, t0.elapsed().as_secs_f64(), scenarios))
}
