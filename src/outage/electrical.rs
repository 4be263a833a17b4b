//! The electrical side of one outage in a facility: which buses keep their supply, from
//! when to when, and from what.
//!
//! Sources are the utility infeeds (reference buses), running generators, standby
//! generators once started (`start_delay_s` after the supply is first lost anywhere)
//! and UPS batteries (a UPS whose input is lost carries its output side for its
//! ride-through, then drops it). Transfer switches move their load bus from the normal
//! branch to the alternate one `transfer_s` after the normal side is lost, once the
//! alternate side is live: an ATS (upstream of the UPS) senses the supply without the
//! UPS batteries, an STS (downstream) with them.
//!
//! The march is event by event (no time step): generator on line, transfer done, UPS
//! battery empty. After each, the live buses are found by a breadth-first search over
//! the closed branches. The result is the piecewise-constant liveness of every bus.

use crate::facility::network::NetworkSpec;
use crate::facility::Facility;
use std::collections::HashMap;

/// Default UPS ride-through at rated load, s (a common battery autonomy).
pub const UPS_RIDE_THROUGH_S: f64 = 300.0;
/// Default standby generator start delay, s (NFPA 110 Type 10).
pub const GENERATOR_START_S: f64 = 10.0;
/// Default transfer times, s: an ATS, an STS (a quarter cycle).
pub const ATS_TRANSFER_S: f64 = 5.0;
pub const STS_TRANSFER_S: f64 = 0.004;

/// One element of the facility that can be lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Element {
    /// A branch of `[network]` that is not a UPS (cable, busway, transformer, breaker).
    Branch(usize),
    /// A `[[network.ups]]` module: its branch and its battery.
    Ups(usize),
    /// A `[[network.generator]]`.
    Generator(usize),
    /// The utility infeed at a reference bus (bus index).
    Utility(usize),
    /// A transfer switch that fails: its normal branch opens and it never transfers.
    Transfer(usize),
    /// A `[[chiller]]`.
    Chiller(usize),
    /// A `[[cooling]]` unit.
    CoolingUnit(usize),
}

/// A source of supply.
#[derive(Clone, Debug)]
struct Source {
    bus: usize,
    /// On line from the start (utility, running generator) or after `delay` once started.
    standby: bool,
    delay: f64,
    element: Element,
}

/// A UPS: its branch, input and output buses, and battery.
#[derive(Clone, Debug)]
struct Ups {
    branch: usize,
    input: usize,
    output: usize,
    ride_through_s: f64,
}

#[derive(Clone, Debug)]
struct Transfer {
    normal: usize,
    alternate: usize,
    /// The bus it switches, and the far (source) ends of its two branches.
    normal_far: usize,
    alternate_far: usize,
    delay: f64,
    /// Senses its supply with the UPS batteries (an STS downstream of the UPS).
    sts: bool,
}

/// The facility's network as the outage march sees it.
#[derive(Clone, Debug)]
pub struct Topology {
    pub bus_ids: Vec<String>,
    /// (from, to) bus indices of every branch.
    ends: Vec<(usize, usize)>,
    closed: Vec<bool>,
    ups: Vec<Ups>,
    transfers: Vec<Transfer>,
    sources: Vec<Source>,
    /// The buses live in normal operation.
    normal: Vec<bool>,
    /// Every branch at each bus: `adj[adj_at[i]..adj_at[i + 1]]` = (other bus, branch).
    adj_at: Vec<usize>,
    adj: Vec<(usize, usize)>,
    /// Whether each branch is a UPS.
    is_ups: Vec<bool>,
    /// Each bus's group (a campus's hall, from 1; 0: the campus's own buses, or every
    /// bus of a single facility). A standby set starts when a normally live bus of its
    /// own group loses supply.
    group: Vec<usize>,
}

/// Liveness of every bus over time: `live[k]` holds from `times[k]` to `times[k + 1]`
/// (the last one for ever).
#[derive(Clone, Debug)]
pub struct Timeline {
    pub times: Vec<f64>,
    pub live: Vec<Vec<bool>>,
    /// Branches closed at the end (transfers done, the lost element open).
    pub closed_at_end: Vec<bool>,
    /// Transfers that completed: (transfer index, time s).
    pub transfers: Vec<(usize, f64)>,
    /// UPS on battery: (ups index, from s, battery empty at s; `None`: input back first).
    pub ups_on_battery: Vec<(usize, f64, Option<f64>)>,
    /// Standby generators on line: (generator index, time s).
    pub generators_on_line: Vec<(usize, f64)>,
    /// Whether the march reached a state with nothing pending.
    pub complete: bool,
}

impl Timeline {
    /// Whether bus `b` is live at the end.
    pub fn live_at_end(&self, b: usize) -> bool {
        self.live.last().is_some_and(|l| l[b])
    }
}

/// A load's supply over time: the intervals it is without power, `(from, until)`
/// (`until` `None`: for good).
pub fn dark_intervals(tl: &Timeline, live: impl Fn(&[bool]) -> bool) -> Vec<(f64, Option<f64>)> {
    let mut out: Vec<(f64, Option<f64>)> = Vec::new();
    let mut dark_since: Option<f64> = None;
    for (k, l) in tl.live.iter().enumerate() {
        let on = live(l);
        match (on, dark_since) {
            (false, None) => dark_since = Some(tl.times[k]),
            (true, Some(s)) => {
                out.push((s, Some(tl.times[k])));
                dark_since = None;
            }
            _ => {}
        }
    }
    if let Some(s) = dark_since {
        out.push((s, None));
    }
    out
}

impl Topology {
    /// The topology of a facility's network; `None` without `[network]`. `load_mw` is
    /// each bus's load (for UPS given as energy: ride-through = energy / load).
    pub fn of(f: &Facility, load_mw: &[f64]) -> Option<Topology> {
        Self::of_groups(f, load_mw, None)
    }

    /// [`Self::of`] with each bus's group (see `group`); `None`: all in group 0.
    pub fn of_groups(f: &Facility, load_mw: &[f64], group: Option<Vec<usize>>) -> Option<Topology> {
        let n: &NetworkSpec = f.network.as_ref()?;
        let index: HashMap<&str, usize> = n.bus.iter().enumerate().map(|(i, b)| (b.get_ref().id.as_str(), i)).collect();
        let branch_index: HashMap<&str, usize> =
            n.branch.iter().enumerate().map(|(i, b)| (b.get_ref().id.as_str(), i)).collect();
        let ends: Vec<(usize, usize)> =
            n.branch.iter().map(|b| (index[b.get_ref().from.as_str()], index[b.get_ref().to.as_str()])).collect();
        let closed: Vec<bool> = n.branch.iter().map(|b| b.get_ref().in_service).collect();
        // Load carried through each branch in normal operation, for UPS energies: the
        // load of the buses on the output side.
        let ups: Vec<Ups> = n
            .ups
            .iter()
            .map(|u| {
                let u = u.get_ref();
                let b = branch_index[u.branch.as_str()];
                let (input, output) = ends[b];
                // A battery given as energy: its ride-through follows once the load it
                // carries is known (below).
                let ride_through_s = u.ride_through_s.unwrap_or(UPS_RIDE_THROUGH_S);
                Ups { branch: b, input, output, ride_through_s }
            })
            .collect();
        let transfers = n
            .transfer
            .iter()
            .map(|t| {
                let t = t.get_ref();
                let (a, b) = (branch_index[t.normal.as_str()], branch_index[t.alternate.as_str()]);
                let (na, nb) = ends[a];
                let (aa, ab) = ends[b];
                let load = if na == aa || na == ab { na } else { nb };
                let far = |(x, y): (usize, usize)| if x == load { y } else { x };
                let sts = t.kind.as_deref() == Some("sts");
                Transfer {
                    normal: a,
                    alternate: b,
                    normal_far: far((na, nb)),
                    alternate_far: far((aa, ab)),
                    delay: t.transfer_s.unwrap_or(if sts { STS_TRANSFER_S } else { ATS_TRANSFER_S }),
                    sts,
                }
            })
            .collect();
        let mut sources = Vec::new();
        for (i, g) in n.generator.iter().enumerate() {
            let g = g.get_ref();
            if g.in_service {
                // A set that takes load at a ramp carries its rating once ramped up.
                let ramp = match (g.ramp_mw_per_s, g.p_max_mw) {
                    (Some(r), Some(p)) => p / r,
                    _ => 0.0,
                };
                sources.push(Source {
                    bus: index[g.bus.as_str()],
                    standby: g.standby,
                    delay: g.start_delay_s.unwrap_or(GENERATOR_START_S) + ramp,
                    element: Element::Generator(i),
                });
            }
        }
        for (i, b) in n.bus.iter().enumerate() {
            // A reference bus is the utility's infeed unless a generator runs there.
            // (A utility-kind bus whose generator is out of service is still the utility;
            // a generator bus marked reference only to close its island is not.)
            let any_gen = n.generator.iter().any(|g| index[g.get_ref().bus.as_str()] == i);
            let running = sources.iter().any(|s| s.bus == i && !s.standby);
            let b = b.get_ref();
            if b.is_reference() && !running && (b.kind == crate::facility::network::BusKind::Utility || !any_gen) {
                sources.push(Source { bus: i, standby: false, delay: 0.0, element: Element::Utility(i) });
            }
        }
        let nb = n.bus.len();
        let (adj_at, adj) = crate::power::facility_net::adjacency(nb, &ends);
        let mut is_ups = vec![false; ends.len()];
        for u in &ups {
            is_ups[u.branch] = true;
        }
        let mut topo = Topology {
            bus_ids: n.bus.iter().map(|b| b.get_ref().id.clone()).collect(),
            ends,
            closed,
            ups,
            transfers,
            sources,
            normal: Vec::new(),
            adj_at,
            adj,
            is_ups,
            group: group.unwrap_or_else(|| vec![0; nb]),
        };
        // A UPS given as energy: ride-through = energy / the normal load on its output
        // side (reached without crossing any UPS).
        for (k, u) in n.ups.iter().enumerate() {
            if let (None, Some(e)) = (u.get_ref().ride_through_s, u.get_ref().energy_kwh) {
                let side = topo.reach(&topo.closed, &[topo.ups[k].output], true);
                let mw: f64 = side.iter().zip(load_mw).filter(|(&s, _)| s).map(|(_, &p)| p).sum();
                topo.ups[k].ride_through_s = if mw > 0.0 { e / 1e3 / mw * 3600.0 } else { f64::INFINITY };
            }
        }
        let seeds: Vec<usize> = topo.sources.iter().filter(|s| !s.standby).map(|s| s.bus).collect();
        topo.normal = topo.reach(&topo.closed, &seeds, false);
        Some(topo)
    }

    /// The elements whose loss the network side can feel (branches, UPS, generators,
    /// utility infeeds, transfer switches).
    pub fn elements(&self) -> Vec<Element> {
        let mut out = Vec::new();
        for b in 0..self.ends.len() {
            if self.closed[b] && !self.ups.iter().any(|u| u.branch == b) {
                out.push(Element::Branch(b));
            }
        }
        out.extend((0..self.ups.len()).map(Element::Ups));
        out.extend(self.sources.iter().map(|s| s.element));
        out.extend((0..self.transfers.len()).map(Element::Transfer));
        out
    }

    /// Buses reached from `seeds` over closed branches (`skip_ups`: never through a UPS).
    fn reach(&self, closed: &[bool], seeds: &[usize], skip_ups: bool) -> Vec<bool> {
        let mut seen = vec![false; self.bus_ids.len()];
        let mut stack: Vec<usize> = seeds.to_vec();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            for &(j, b) in &self.adj[self.adj_at[i]..self.adj_at[i + 1]] {
                if closed[b] && !seen[j] && !(skip_ups && self.is_ups[b]) {
                    stack.push(j);
                }
            }
        }
        seen
    }

    /// The generator (index into `[[network.generator]]`) a source is, if it is one.
    pub fn generator_of(&self, source: usize) -> Option<usize> {
        match self.sources[source].element {
            Element::Generator(g) => Some(g),
            _ => None,
        }
    }

    /// The sources (index into the topology's list) at each of `buses` (a flag per bus).
    pub fn sources_at(&self, buses: &[bool]) -> Vec<usize> {
        (0..self.sources.len()).filter(|&i| buses[self.sources[i].bus]).collect()
    }

    /// The buses live in normal operation.
    pub fn normal(&self) -> &[bool] {
        &self.normal
    }

    /// March the outage of `lost` (electrical elements; chillers and cooling units do
    /// not change the network) to its end state.
    pub fn march(&self, lost: Element) -> Timeline {
        self.march_with(lost, &[])
    }

    /// [`Self::march`] with the sources `tripped` (indices, see [`Self::sources_at`])
    /// lost too: an island whose sources could not carry its load collapses.
    pub fn march_with(&self, lost: Element, tripped: &[usize]) -> Timeline {
        let mut closed = self.closed.clone();
        let mut dead_ups = vec![false; self.ups.len()];
        let mut failed_transfer = vec![false; self.transfers.len()];
        let mut source_lost = vec![false; self.sources.len()];
        match lost {
            Element::Branch(b) => closed[b] = false,
            Element::Ups(u) => {
                closed[self.ups[u].branch] = false;
                dead_ups[u] = true;
            }
            Element::Transfer(t) => {
                closed[self.transfers[t].normal] = false;
                failed_transfer[t] = true;
            }
            Element::Generator(_) | Element::Utility(_) => {
                for (i, s) in self.sources.iter().enumerate() {
                    if s.element == lost {
                        source_lost[i] = true;
                    }
                }
            }
            Element::Chiller(_) | Element::CoolingUnit(_) => {}
        }
        for &i in tripped {
            source_lost[i] = true;
        }
        let normal = &self.normal;
        let mut online: Vec<bool> =
            self.sources.iter().enumerate().map(|(i, s)| !s.standby && !source_lost[i]).collect();
        // Pending events: (time, what).
        #[derive(Clone, Copy, PartialEq)]
        enum Ev {
            Online(usize),
            Transfer(usize),
            Empty(usize),
        }
        let mut pending: Vec<(f64, Ev)> = Vec::new();
        let mut started = vec![false; self.sources.len()];
        let mut on_battery: Vec<Option<(f64, f64)>> = vec![None; self.ups.len()];
        let mut tl = Timeline {
            times: Vec::new(),
            live: Vec::new(),
            closed_at_end: Vec::new(),
            transfers: Vec::new(),
            ups_on_battery: Vec::new(),
            generators_on_line: Vec::new(),
            complete: true,
        };
        let mut t = 0.0;
        // Each round: settle the state at `t` (UPS batteries take over or hand back,
        // generators start, transfers arm), record it, then jump to the next event.
        let guard = 64 * (self.sources.len() + self.transfers.len() + self.ups.len() + 1);
        for round in 0.. {
            if round > guard {
                tl.complete = false;
                break;
            }
            let seeds: Vec<usize> = self.sources.iter().zip(&online).filter(|(_, &o)| o).map(|(s, _)| s.bus).collect();
            let supplied = self.reach(&closed, &seeds, false);
            // UPS: on battery while the input is dead and the battery lasts.
            for (u, ups) in self.ups.iter().enumerate() {
                let feeding = closed[ups.branch] && !dead_ups[u];
                match on_battery[u] {
                    None if feeding && !supplied[ups.input] => {
                        let empty = t + ups.ride_through_s;
                        on_battery[u] = Some((t, empty));
                        tl.ups_on_battery.push((u, t, Some(empty)));
                        if empty.is_finite() {
                            pending.push((empty, Ev::Empty(u)));
                        }
                    }
                    Some((_, empty)) if supplied[ups.input] => {
                        // Input back: the battery is no longer needed (if it still had
                        // charge, it never ran out).
                        on_battery[u] = None;
                        pending.retain(|e| e.1 != Ev::Empty(u));
                        if t < empty {
                            if let Some(last) = tl.ups_on_battery.iter_mut().rev().find(|x| x.0 == u) {
                                last.2 = None;
                            }
                        }
                    }
                    _ => {}
                }
            }
            let mut live = supplied.clone();
            for (u, ups) in self.ups.iter().enumerate() {
                if on_battery[u].is_some_and(|(_, empty)| t < empty) && closed[ups.branch] && !dead_ups[u] {
                    // A battery feeds forward only: never back through a UPS (its own
                    // or a parallel module's) into the dead input side.
                    let side = self.reach(&closed, &[ups.output], true);
                    live.iter_mut().zip(side).for_each(|(l, s)| *l |= s);
                }
            }
            // Standby generators start when a bus of their group that normally has
            // supply loses it.
            let dead_groups: Vec<usize> = {
                let mut g: Vec<usize> =
                    (0..normal.len()).filter(|&b| normal[b] && !supplied[b]).map(|b| self.group[b]).collect();
                g.sort_unstable();
                g.dedup();
                g
            };
            for (i, s) in self.sources.iter().enumerate() {
                let mine = self.group[s.bus];
                if s.standby && !source_lost[i] && !started[i] && !dead_groups.is_empty() && dead_groups.contains(&mine)
                {
                    started[i] = true;
                    pending.push((t + s.delay, Ev::Online(i)));
                }
            }
            // Transfer switches arm when their normal side is dead and the alternate live.
            for (k, x) in self.transfers.iter().enumerate() {
                let sense = if x.sts { &live } else { &supplied };
                let armed = pending.iter().any(|e| e.1 == Ev::Transfer(k));
                let done = closed[x.alternate];
                // Its normal input is dead when the far end is, or the normal branch is open.
                let normal_ok = closed[x.normal] && sense[x.normal_far];
                let wanted = !failed_transfer[k] && !done && !normal_ok && sense[x.alternate_far];
                if wanted && !armed {
                    pending.push((t + x.delay, Ev::Transfer(k)));
                } else if !wanted && armed {
                    // The normal side came back, or the alternate died: no transfer.
                    pending.retain(|e| e.1 != Ev::Transfer(k));
                }
            }
            if tl.times.last() == Some(&t) {
                // Several events at one time: the state after the last of them.
                *tl.live.last_mut().expect("a state per time") = live;
            } else if tl.live.last() != Some(&live) {
                tl.times.push(t);
                tl.live.push(live);
            }
            // The next event.
            let Some(next) = pending.iter().enumerate().min_by(|a, b| a.1 .0.total_cmp(&b.1 .0)).map(|(i, _)| i) else {
                break;
            };
            let (at, ev) = pending.swap_remove(next);
            t = at;
            match ev {
                Ev::Online(i) => {
                    online[i] = true;
                    if let Element::Generator(g) = self.sources[i].element {
                        tl.generators_on_line.push((g, t));
                    }
                }
                Ev::Transfer(k) => {
                    let x = &self.transfers[k];
                    closed[x.normal] = false;
                    closed[x.alternate] = true;
                    tl.transfers.push((k, t));
                }
                Ev::Empty(u) => {
                    on_battery[u] = Some((0.0, t));
                }
            }
        }
        tl.closed_at_end = closed;
        tl
    }
}
