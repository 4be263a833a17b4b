//! A facility's `[network]` as a [`Network`] in MATPOWER layout, with the racks' IT
//! power and the cooling units' electric draw attached as loads on their feed buses.
//!
//! Buses are numbered 1, 2, … in file order. A reference bus is BUS_TYPE 3 and gets a
//! generator if it has none (the utility infeed, `<bus>-infeed`), so it can pick up the
//! balance; buses with generators or batteries are type 2, others type 1. Branch
//! reactance in ohms becomes per unit as `x_pu = x_ohm · baseMVA / kV²`. Batteries are
//! generators with PG = 0 (idle) and PMIN = −PMAX = −power.
//!
//! For the AC model: resistance `r_pu` or `r_ohm` (the same base), loads lagging at
//! their power factors (racks `it_power_factor`, cooling `cooling_power_factor`,
//! `[[network.load]]` `power_factor`), generators and batteries holding their bus's
//! `v_pu` (1.0) with unlimited reactive power, and RATE_A the branch's
//! `rating_kva`/`rating_mva` or `rating_mw`.

use super::network::{branch as br, bus, gen, Matrix, Network};
use crate::facility::network::{reactive, COOLING_POWER_FACTOR, IT_POWER_FACTOR, LOAD_POWER_FACTOR};
use crate::facility::Facility;
use std::collections::HashMap;

/// Loads attached to a network, MW, for the summary.
#[derive(Clone, Debug, Default)]
pub struct AttachedLoads {
    pub it_mw: f64,
    pub cooling_mw: f64,
    pub other_mw: f64,
    /// IT power of racks with no feed bus, MW (not in the network).
    pub unattached_it_mw: f64,
    /// IT power per bus row, MW.
    pub it_mw_by_bus: Vec<f64>,
    /// The first battery: its bus row and ratings (MW, MWh, SoC, efficiency).
    pub battery: Option<(usize, f64, f64, Option<f64>, Option<f64>)>,
}

/// Build the network of a facility with each cooling unit at its rated electric draw;
/// `None` when the file has no `[network]`.
pub fn facility_network(f: &Facility) -> Option<(Network, AttachedLoads)> {
    let rated: Vec<f64> = f.cooling.iter().map(|u| u.electric_kw).collect();
    facility_network_with(f, &rated)
}

/// The same with each cooling unit drawing `cooling_kw[i]` (one per facility unit).
pub fn facility_network_with(f: &Facility, cooling_kw: &[f64]) -> Option<(Network, AttachedLoads)> {
    let spec = f.network.as_ref()?;
    let nb = spec.bus.len();
    let id: HashMap<&str, usize> = spec.bus.iter().enumerate().map(|(i, b)| (b.get_ref().id.as_str(), i)).collect();
    let mut pd = vec![0.0; nb];
    let mut qd = vec![0.0; nb];
    let it_pf = spec.it_power_factor.unwrap_or(IT_POWER_FACTOR);
    let cooling_pf = spec.cooling_power_factor.unwrap_or(COOLING_POWER_FACTOR);
    let mut loads = AttachedLoads { it_mw_by_bus: vec![0.0; nb], ..Default::default() };
    loads.battery = spec.battery.first().map(|b| {
        let b = b.get_ref();
        (id[b.bus.as_str()], b.power_mw, b.energy_mwh, b.soc, b.efficiency)
    });
    // A dual-fed load sits on its two buses by its shares.
    let sides = |feed: &crate::facility::Feed| -> Vec<(usize, f64)> {
        let (sa, sb) = feed.shares(true, true);
        [(feed.a.as_deref(), sa), (feed.b.as_deref(), sb)]
            .into_iter()
            .filter_map(|(b, s)| b.and_then(|b| id.get(b)).map(|&i| (i, s)))
            .filter(|&(_, s)| s > 0.0)
            .collect()
    };
    for r in &f.racks {
        let on = sides(&r.feed());
        if on.is_empty() {
            loads.unattached_it_mw += r.power_kw / 1e3;
        }
        for (i, share) in on {
            let p = r.power_kw / 1e3 * share;
            pd[i] += p;
            qd[i] += reactive(p, it_pf);
            loads.it_mw_by_bus[i] += p;
            loads.it_mw += p;
        }
    }
    for (u, &kw) in f.cooling.iter().zip(cooling_kw) {
        for (i, share) in sides(&u.feed()) {
            pd[i] += kw / 1e3 * share;
            qd[i] += reactive(kw / 1e3 * share, cooling_pf);
            loads.cooling_mw += kw / 1e3 * share;
        }
    }
    for c in &f.chillers {
        for (i, share) in sides(&c.feed) {
            pd[i] += c.electric_kw / 1e3 * share;
            qd[i] += reactive(c.electric_kw / 1e3 * share, cooling_pf);
            loads.cooling_mw += c.electric_kw / 1e3 * share;
        }
    }
    for l in &spec.load {
        let l = l.get_ref();
        pd[id[l.bus.as_str()]] += l.p_mw;
        qd[id[l.bus.as_str()]] += reactive(l.p_mw, l.power_factor.unwrap_or(LOAD_POWER_FACTOR));
        loads.other_mw += l.p_mw;
    }
    // UPS losses at their inputs (normal operation: every branch as written).
    let closed: Vec<bool> = spec.branch.iter().map(|b| b.get_ref().in_service).collect();
    for (bus_row, mw) in UpsLosses::of(spec, &id).losses(&closed, &pd, &vec![true; nb]) {
        pd[bus_row] += mw;
        qd[bus_row] += reactive(mw, cooling_pf);
        loads.other_mw += mw;
    }
    // Generators: the file's, batteries, then an infeed at each reference bus without one.
    let mut gens: Vec<(usize, f64, f64, f64, bool, String)> = Vec::new();
    for g in &spec.generator {
        let g = g.get_ref();
        // A standby set is off in normal operation.
        gens.push((
            id[g.bus.as_str()],
            g.p_mw,
            g.p_max_mw.unwrap_or(f64::INFINITY),
            0.0,
            g.in_service && !g.standby,
            g.id.clone(),
        ));
    }
    for b in &spec.battery {
        let b = b.get_ref();
        gens.push((id[b.bus.as_str()], 0.0, b.power_mw, -b.power_mw, true, b.id.clone()));
    }
    for (i, b) in spec.bus.iter().enumerate() {
        let b = b.get_ref();
        if b.is_reference() && !gens.iter().any(|g| g.0 == i && g.4) {
            gens.push((i, 0.0, f64::INFINITY, 0.0, true, format!("{}-infeed", b.id)));
        }
    }
    let mut busm = Matrix::new(bus::MIN_COLS);
    for (i, b) in spec.bus.iter().enumerate() {
        let b = b.get_ref();
        let t = if b.is_reference() {
            bus::REF
        } else if gens.iter().any(|g| g.0 == i) {
            bus::PV
        } else {
            bus::PQ
        };
        busm.push(
            &[(i + 1) as f64, t, pd[i], qd[i], 0.0, 0.0, 1.0, b.v_pu.unwrap_or(1.0), 0.0, b.kv, 1.0, 1.05, 0.95],
            0,
        );
    }
    // Generators hold their bus's voltage set-point, without reactive limits.
    let mut genm = Matrix::new(gen::MIN_COLS);
    for g in &gens {
        let vg = spec.bus[g.0].get_ref().v_pu.unwrap_or(1.0);
        genm.push(
            &[
                (g.0 + 1) as f64,
                g.1,
                0.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
                vg,
                spec.base_mva,
                if g.4 { 1.0 } else { 0.0 },
                g.2,
                g.3,
            ],
            0,
        );
    }
    let mut brm = Matrix::new(13);
    for l in &spec.branch {
        let l = l.get_ref();
        let (fi, ti) = (id[l.from.as_str()], id[l.to.as_str()]);
        let z_base = {
            let kv = l.kv.unwrap_or(spec.bus[fi].get_ref().kv);
            kv * kv / spec.base_mva
        };
        let x = match (l.x_pu, l.x_ohm) {
            (Some(x), _) => x,
            (None, Some(x)) => x / z_base,
            (None, None) => unreachable!("validated: one of x_pu and x_ohm"),
        };
        let r = l.r_pu.or(l.r_ohm.map(|r| r / z_base)).unwrap_or(0.0);
        let row = [
            (fi + 1) as f64,
            (ti + 1) as f64,
            r,
            x,
            0.0,
            l.rating_mva().or(l.rating_mw).unwrap_or(0.0),
            0.0,
            0.0,
            l.tap.unwrap_or(0.0),
            l.shift_deg.unwrap_or(0.0),
            if l.in_service { 1.0 } else { 0.0 },
            -360.0,
            360.0,
        ];
        brm.push(&row, 0);
    }
    debug_assert_eq!(brm.cols, br::ANGMAX + 1);
    let net = Network {
        name: f.name.clone(),
        source: f.path.clone(),
        base_mva: spec.base_mva,
        bus: busm,
        gen: genm,
        branch: brm,
        ignored: vec![],
        bus_names: spec.bus.iter().map(|b| b.get_ref().id.clone()).collect(),
        branch_names: spec.branch.iter().map(|b| b.get_ref().id.clone()).collect(),
        gen_names: gens.iter().map(|g| g.5.clone()).collect(),
    };
    Some((net, loads))
}

/// The UPS modules of a network as their losses need them: each one's input draws its
/// share of the load on its output side × (1/η − 1). The output side is what the output
/// bus reaches over closed branches without crossing any UPS; modules whose outputs lie
/// on one side share its load by their ratings (equally where one has none); a UPS
/// whose input lies on its own output side (a loop around it) is left lossless, its
/// load not attributable. A side's load includes what the UPS fed from it carry (their
/// own load and losses), so nested UPS are counted through.
#[derive(Clone, Debug)]
pub struct UpsLosses {
    /// (branch, input bus, output bus, 1/η − 1, rating MVA or NaN).
    ups: Vec<(usize, usize, usize, f64, f64)>,
    adj_at: Vec<usize>,
    adj: Vec<(usize, usize)>,
    is_ups: Vec<bool>,
}

impl UpsLosses {
    pub fn of(spec: &crate::facility::network::NetworkSpec, id: &HashMap<&str, usize>) -> UpsLosses {
        let ends: Vec<(usize, usize)> =
            spec.branch.iter().map(|b| (id[b.get_ref().from.as_str()], id[b.get_ref().to.as_str()])).collect();
        let (adj_at, adj) = adjacency(spec.bus.len(), &ends);
        let mut is_ups = vec![false; ends.len()];
        let ups = spec
            .ups
            .iter()
            .filter_map(|u| {
                let u = u.get_ref();
                let b = spec.branch.iter().position(|x| x.get_ref().id == u.branch)?;
                is_ups[b] = true;
                let eta = u.efficiency.unwrap_or(crate::facility::network::UPS_EFFICIENCY);
                let rating = spec.branch[b].get_ref().rating_mva().or(spec.branch[b].get_ref().rating_mw);
                Some((b, ends[b].0, ends[b].1, 1.0 / eta - 1.0, rating.unwrap_or(f64::NAN)))
            })
            .collect();
        UpsLosses { ups, adj_at, adj, is_ups }
    }

    /// The buses the output of UPS `u` reaches without crossing a UPS (`None`: its input
    /// among them).
    fn side(&self, u: usize, closed: &[bool], nb: usize) -> Option<Vec<bool>> {
        let (_, input, output, _, _) = self.ups[u];
        let mut seen = vec![false; nb];
        let mut stack = vec![output];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            if i == input {
                return None;
            }
            for &(j, br) in &self.adj[self.adj_at[i]..self.adj_at[i + 1]] {
                if !self.is_ups[br] && closed[br] && !seen[j] {
                    stack.push(j);
                }
            }
        }
        Some(seen)
    }

    /// (input bus row, MW) of each UPS carrying load through `closed` branches from a
    /// `live` input, with bus loads `pd` (MW).
    pub fn losses(&self, closed: &[bool], pd: &[f64], live: &[bool]) -> Vec<(usize, f64)> {
        let nb = pd.len();
        let active: Vec<bool> = self.ups.iter().map(|u| closed[u.0] && live[u.1]).collect();
        let sides: Vec<Option<Vec<bool>>> =
            (0..self.ups.len()).map(|u| if active[u] { self.side(u, closed, nb) } else { None }).collect();
        // What each UPS carries (its share of its side, nested UPS through), MW.
        let mut carried: Vec<Option<f64>> = vec![None; self.ups.len()];
        fn carry(
            me: &UpsLosses,
            u: usize,
            sides: &[Option<Vec<bool>>],
            pd: &[f64],
            carried: &mut Vec<Option<f64>>,
            depth: usize,
        ) -> f64 {
            if let Some(c) = carried[u] {
                return c;
            }
            let Some(side) = &sides[u] else { return 0.0 };
            if depth > me.ups.len() {
                return 0.0;
            }
            let mut load: f64 = side.iter().zip(pd).filter(|(&s, _)| s).map(|(_, &p)| p).sum();
            // UPS fed from this side (their inputs here, their outputs elsewhere).
            for v in 0..me.ups.len() {
                if v != u && side[me.ups[v].1] && sides[v].as_ref().is_some_and(|sv| !sv[me.ups[u].2]) {
                    let c = carry(me, v, sides, pd, carried, depth + 1);
                    load += c * (1.0 + me.ups[v].3);
                }
            }
            // Modules in parallel onto this side share it by rating.
            let peers: Vec<usize> = (0..me.ups.len()).filter(|&v| sides[v].is_some() && side[me.ups[v].2]).collect();
            let rated = peers.iter().all(|&v| me.ups[v].4.is_finite() && me.ups[v].4 > 0.0);
            let share = if rated {
                me.ups[u].4 / peers.iter().map(|&v| me.ups[v].4).sum::<f64>()
            } else {
                1.0 / peers.len().max(1) as f64
            };
            let c = load * share;
            carried[u] = Some(c);
            c
        }
        let mut out = Vec::new();
        for u in 0..self.ups.len() {
            let c = carry(self, u, &sides, pd, &mut carried, 0);
            if c > 0.0 && self.ups[u].3 > 0.0 {
                out.push((self.ups[u].1, c * self.ups[u].3));
            }
        }
        out
    }
}

/// Every branch at each bus, compressed: `adj[adj_at[i]..adj_at[i + 1]]` are the
/// (other bus, branch) pairs at bus `i`, for branches with ends `ends`.
pub fn adjacency(nb: usize, ends: &[(usize, usize)]) -> (Vec<usize>, Vec<(usize, usize)>) {
    let mut adj_at = vec![0usize; nb + 1];
    for &(f, t) in ends {
        adj_at[f + 1] += 1;
        adj_at[t + 1] += 1;
    }
    for i in 0..nb {
        adj_at[i + 1] += adj_at[i];
    }
    let mut fill = adj_at.clone();
    let mut adj = vec![(0, 0); adj_at[nb]];
    for (b, &(f, t)) in ends.iter().enumerate() {
        adj[fill[f]] = (t, b);
        fill[f] += 1;
        adj[fill[t]] = (f, b);
        fill[t] += 1;
    }
    (adj_at, adj)
}
