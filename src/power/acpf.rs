//! AC power flow exactly as MATPOWER's `runpf` computes it (Newton, polar power
//! balance, default options; see `tests/data/cases/README.md` and the `conventions` of
//! any `<case>.acpf.json`):
//!
//! - filtering as for DC (type-4 buses, off-line generators, out-of-service branches);
//! - `Ybus` from r, x, b, tap, shift and bus shunts ([`super::ybus`]);
//! - `Sbus = (Σ on-line (PG + jQG) − (PD + jQD)) / baseMVA`, constant power;
//! - bus types (`bustypes`): reference = type 3 with an on-line generator, PV = type 2
//!   with one, PQ the rest; without a reference the first PV bus becomes one;
//! - start point: VM∠VA of the bus matrix, |V| at reference and PV buses set to VG of
//!   the last on-line generator there; the reference angle is the file's VA;
//! - Newton ([`super::newton`]) to max |mismatch| < 1e-8 pu in at most 10 steps;
//! - generator outputs (`pfsoln`): at each reference and PV bus the on-line generators
//!   share the bus's Q in proportion to their Q ranges; the first on-line generator at
//!   each reference bus takes up the P balance (losses included);
//! - optional Q limits (`pf.enforce_q_lims = 1`): generators beyond QMAX/QMIN by more
//!   than 5e-6 MVAr are fixed at the limit and their buses become PQ, all at once, and
//!   the flow is solved again from the last voltages until none is beyond; a reference
//!   bus turned PQ hands the slack to the first PV bus left, and at the end the angles
//!   are shifted so that the original reference keeps its VA.

use super::dcpf::{check_islands, union_find_root};
use super::network::{branch as br, bus, gen, Network};
use super::newton::{newton, Kind};
use super::validate::validate;
use super::ybus::{BranchY, Ybus};
use crate::error::{Error, InputError};
use faer::c64;

/// Options of an AC solve (MATPOWER's defaults).
#[derive(Clone, Copy, Debug)]
pub struct AcOptions {
    /// Largest |mismatch| accepted, pu (`pf.tol`).
    pub tol_pu: f64,
    /// Newton steps per solve (`pf.nr.max_it`).
    pub max_iter: usize,
    /// Enforce generator reactive limits (`pf.enforce_q_lims = 1`).
    pub enforce_q_lims: bool,
}

impl Default for AcOptions {
    fn default() -> Self {
        AcOptions { tol_pu: 1e-8, max_iter: 10, enforce_q_lims: false }
    }
}

/// MATPOWER's tolerance on a Q-limit violation, MVAr (`opf.violation`).
const Q_VIOLATION_MVAR: f64 = 5e-6;
/// Largest number of Q-limit rounds (each fixes at least one generator).
const MAX_Q_ROUNDS: usize = 10_000;

/// Results in file row order.
#[derive(Clone, Debug)]
pub struct AcResult {
    pub bus_i: Vec<f64>,
    pub vm_pu: Vec<f64>,
    pub va_deg: Vec<f64>,
    /// `vm_pu · BASE_KV`, kV; NaN where BASE_KV is 0.
    pub vm_kv: Vec<f64>,
    pub f_bus: Vec<f64>,
    pub t_bus: Vec<f64>,
    pub branch_in_service: Vec<bool>,
    /// Power into the branch at its from and to ends, MW and MVAr (0 when out).
    pub pf_mw: Vec<f64>,
    pub qf_mvar: Vec<f64>,
    pub pt_mw: Vec<f64>,
    pub qt_mvar: Vec<f64>,
    /// `max(|Sf|, |St|)`, MVA.
    pub s_mva: Vec<f64>,
    /// `s_mva / RATE_A`, %; NaN where RATE_A is 0.
    pub loading_pct: Vec<f64>,
    /// `pf + pt`, MW, and `qf + qt`, MVAr.
    pub loss_mw: Vec<f64>,
    pub loss_mvar: Vec<f64>,
    pub gen_bus: Vec<f64>,
    pub gen_in_service: Vec<bool>,
    pub pg_mw: Vec<f64>,
    pub qg_mvar: Vec<f64>,
    /// External numbers of the reference buses (after Q limits, if they moved it).
    pub ref_buses: Vec<f64>,
    pub islands: usize,
    /// Newton iterations, over all Q-limit rounds.
    pub iterations: usize,
    /// Largest |mismatch| at the solution, MVA.
    pub max_mismatch_mva: f64,
    /// Generator rows fixed at a Q limit, and the external numbers of the buses that
    /// became PQ.
    pub gens_at_q_limit: Vec<usize>,
    pub buses_switched_to_pq: Vec<f64>,
}

/// A prepared AC power flow.
pub struct AcPowerFlow {
    base_mva: f64,
    /// Internal index of each bus row (`None` for type 4) and the row of each index.
    bus_idx: Vec<Option<usize>>,
    bus_row: Vec<usize>,
    /// π models of the in-service branches and their rows.
    branches: Vec<BranchY>,
    branch_rows: Vec<usize>,
    ybus: Ybus,
    /// Internal bus of each generator row (`None` at type-4 buses).
    gen_idx: Vec<Option<usize>>,
    islands: usize,
}

fn bad(net: &Network, item: String, line: usize, msg: String, fix: &str) -> InputError {
    let e = InputError::new(&net.source, item, msg, fix);
    if line > 0 {
        e.at(Some((line, 1)))
    } else {
        e
    }
}

impl AcPowerFlow {
    /// Validate (the DC checks, and the AC data: r, b, Qd, Bs, VM and VG), index and
    /// build Ybus.
    pub fn new(net: &Network) -> Result<Self, InputError> {
        let idx = validate(net)?;
        Self::build(net, &idx)
    }

    /// The same for a network already validated ([`validate`] returned `idx`).
    pub fn build(net: &Network, idx: &super::validate::BusIndex) -> Result<Self, InputError> {
        let (bm, gm, lm) = (&net.bus, &net.gen, &net.branch);
        let mut bus_idx = vec![None; bm.rows()];
        let mut bus_row = Vec::new();
        for r in 0..bm.rows() {
            if bm.get(r, bus::BUS_TYPE) != bus::NONE {
                bus_idx[r] = Some(bus_row.len());
                bus_row.push(r);
            }
        }
        let n = bus_row.len();
        let mut shunt = vec![c64::new(0.0, 0.0); n];
        for (i, &r) in bus_row.iter().enumerate() {
            let item = || format!("bus {}", bm.get(r, bus::BUS_I));
            for (c, name) in [(bus::QD, "QD"), (bus::BS, "BS")] {
                if !bm.get(r, c).is_finite() {
                    return Err(bad(net, item(), bm.lines[r], format!("{name} is not finite"), "give a number"));
                }
            }
            let vm = bm.get(r, bus::VM);
            if !(vm.is_finite() && vm > 0.0 && vm < 10.0) {
                return Err(bad(
                    net,
                    item(),
                    bm.lines[r],
                    format!("VM = {vm} cannot start an AC power flow"),
                    "give the bus voltage magnitude in per unit (1 for a flat start)",
                ));
            }
            shunt[i] = c64::new(bm.get(r, bus::GS), bm.get(r, bus::BS)) / net.base_mva;
        }
        let mut gen_idx = vec![None; gm.rows()];
        for g in 0..gm.rows() {
            gen_idx[g] = bus_idx[idx.get(gm.get(g, gen::GEN_BUS)).expect("validated")];
            let vg = gm.get(g, gen::VG);
            let qok = [gen::QG, gen::QMAX, gen::QMIN].iter().all(|&c| !gm.get(g, c).is_nan())
                && gm.get(g, gen::QG).is_finite();
            if net.gen_status(g) && !(vg.is_finite() && vg > 0.0 && vg < 10.0 && qok) {
                return Err(bad(
                    net,
                    format!("generator row {}", g + 1),
                    gm.lines[g],
                    format!("VG = {vg} or its QG/QMAX/QMIN cannot be used by an AC power flow"),
                    "give the voltage set-point VG in per unit and finite QG (QMAX/QMIN may be ±Inf)",
                ));
            }
        }
        let mut branches = Vec::new();
        let mut branch_rows = Vec::new();
        let mut parent: Vec<usize> = (0..n).collect();
        for r in 0..lm.rows() {
            let fr = idx.get(lm.get(r, br::F_BUS)).expect("validated");
            let tr = idx.get(lm.get(r, br::T_BUS)).expect("validated");
            let (Some(f), Some(t)) = (bus_idx[fr], bus_idx[tr]) else { continue };
            if !net.branch_status(r) {
                continue;
            }
            let (rr, x, b) = (lm.get(r, br::BR_R), lm.get(r, br::BR_X), lm.get(r, br::BR_B));
            if !(rr.is_finite() && rr.abs() < 1e6 && b.is_finite() && b.abs() < 1e6) {
                return Err(bad(
                    net,
                    format!("branch row {}", r + 1),
                    lm.lines[r],
                    format!("BR_R = {rr} or BR_B = {b} cannot be used by an AC power flow"),
                    "give the series resistance and the total line charging in per unit",
                ));
            }
            let tap = lm.get(r, br::TAP);
            let tau = if tap != 0.0 { tap } else { 1.0 };
            branches.push(BranchY::new(f, t, rr, x, b, tau, lm.get(r, br::SHIFT).to_radians()));
            branch_rows.push(r);
            let (a, c) = (union_find_root(&mut parent, f), union_find_root(&mut parent, t));
            parent[a] = c;
        }
        let has_gen = on_line_at(&gen_idx, &(0..gm.rows()).map(|g| net.gen_status(g)).collect::<Vec<_>>(), n);
        let file_type: Vec<f64> = bus_row.iter().map(|&r| bm.get(r, bus::BUS_TYPE)).collect();
        let (_, refs) = bustypes(&file_type, &has_gen);
        if refs.is_empty() {
            return Err(InputError::new(
                &net.source,
                "reference bus",
                "no bus can be the reference: no type-3 (or type-2) bus has an on-line generator",
                "make a bus with an on-line generator BUS_TYPE 3",
            ));
        }
        let islands = check_islands(net, &bus_row, &mut parent, &refs)?;
        let ybus = Ybus::new(n, &branches, &shunt);
        Ok(AcPowerFlow { base_mva: net.base_mva, bus_idx, bus_row, branches, branch_rows, ybus, gen_idx, islands })
    }

    /// Solve, with Q limits if asked. Not converging is [`Error::PowerFlowNotConverged`]
    /// (exit 1), naming the worst mismatch and its bus.
    pub fn solve(&self, net: &Network, opt: &AcOptions) -> Result<AcResult, Error> {
        let (bm, gm) = (&net.bus, &net.gen);
        let n = self.bus_row.len();
        let base = self.base_mva;
        // Working copies that Q-limit rounds change.
        let mut gen_on: Vec<bool> = (0..gm.rows()).map(|g| net.gen_status(g) && self.gen_idx[g].is_some()).collect();
        let mut pg: Vec<f64> = (0..gm.rows()).map(|g| gm.get(g, gen::PG)).collect();
        let mut qg: Vec<f64> = (0..gm.rows()).map(|g| gm.get(g, gen::QG)).collect();
        let mut pd: Vec<f64> = self.bus_row.iter().map(|&r| bm.get(r, bus::PD)).collect();
        let mut qd: Vec<f64> = self.bus_row.iter().map(|&r| bm.get(r, bus::QD)).collect();
        let mut file_type: Vec<f64> = self.bus_row.iter().map(|&r| bm.get(r, bus::BUS_TYPE)).collect();
        let (mut kind, mut refs) = bustypes(&file_type, &on_line_at(&self.gen_idx, &gen_on, n));
        let refs0 = refs.clone();
        // Start point.
        let mut vm: Vec<f64> = self.bus_row.iter().map(|&r| bm.get(r, bus::VM)).collect();
        let mut va: Vec<f64> = self.bus_row.iter().map(|&r| bm.get(r, bus::VA).to_radians()).collect();
        for g in 0..gm.rows() {
            if let (true, Some(i)) = (gen_on[g], self.gen_idx[g]) {
                if kind[i] != Kind::Pq {
                    vm[i] = gm.get(g, gen::VG);
                }
            }
        }
        let mut iterations = 0;
        let mut limited: Vec<usize> = Vec::new();
        let mut switched: Vec<usize> = Vec::new();
        let mut rounds = 0;
        let worst = loop {
            let mut sbus: Vec<c64> = (0..n).map(|i| c64::new(-pd[i], -qd[i]) / base).collect();
            for g in 0..gm.rows() {
                if let (true, Some(i)) = (gen_on[g], self.gen_idx[g]) {
                    sbus[i] += c64::new(pg[g], qg[g]) / base;
                }
            }
            let out = newton(&self.ybus, &kind, &sbus, &mut vm, &mut va, opt.tol_pu, opt.max_iter)
                .map_err(Error::Internal)?;
            iterations += out.iterations;
            if !out.converged {
                let r = self.bus_row[out.worst_bus];
                return Err(Error::PowerFlowNotConverged {
                    iterations,
                    mismatch_mva: out.worst_pu * base,
                    kind: if out.worst_is_q { "reactive, MVAr" } else { "active, MW" }.into(),
                    bus: net.bus_name(r),
                });
            }
            self.gen_outputs(net, &kind, &refs, &gen_on, &vm, &va, &pd, &qd, &mut pg, &mut qg);
            if !opt.enforce_q_lims {
                break out.worst_pu;
            }
            // Generators at PV/reference buses beyond their limits.
            let active: Vec<usize> =
                (0..gm.rows()).filter(|&g| gen_on[g] && self.gen_idx[g].is_some_and(|i| kind[i] != Kind::Pq)).collect();
            let mx: Vec<usize> =
                active.iter().copied().filter(|&g| qg[g] > gm.get(g, gen::QMAX) + Q_VIOLATION_MVAR).collect();
            let mn: Vec<usize> =
                active.iter().copied().filter(|&g| qg[g] < gm.get(g, gen::QMIN) - Q_VIOLATION_MVAR).collect();
            if mx.is_empty() && mn.is_empty() {
                break out.worst_pu;
            }
            rounds += 1;
            if (mx.len() + mn.len() == active.len() && (mx.is_empty() || mn.is_empty())) || rounds > MAX_Q_ROUNDS {
                return Err(Error::PowerFlowFailed(format!(
                    "{}: the generators' reactive limits cannot all be met: every remaining voltage-controlling generator is beyond its {} limit",
                    net.source,
                    if mn.is_empty() { "QMAX" } else { "QMIN" }
                )));
            }
            let mut fixed: Vec<usize> = mx.iter().chain(&mn).copied().collect();
            fixed.sort_unstable();
            for &g in &fixed {
                let i = self.gen_idx[g].expect("active");
                qg[g] = if mx.contains(&g) { gm.get(g, gen::QMAX) } else { gm.get(g, gen::QMIN) };
                if refs.len() > 1 && kind[i] == Kind::Ref {
                    return Err(Error::Unsupported(format!(
                        "{}: Q limits cannot be enforced at a reference bus of a network with several references (as MATPOWER)",
                        net.source
                    )));
                }
                // Fixed at its limit: a negative load at its bus, the bus PQ.
                gen_on[g] = false;
                pd[i] -= pg[g];
                qd[i] -= qg[g];
                file_type[i] = bus::PQ;
                if !switched.contains(&i) {
                    switched.push(i);
                }
            }
            limited.extend(fixed);
            (kind, refs) = bustypes(&file_type, &on_line_at(&self.gen_idx, &gen_on, n));
            if refs.is_empty() {
                return Err(Error::PowerFlowFailed(format!(
                    "{}: with the generators fixed at their reactive limits no bus is left to be the reference",
                    net.source
                )));
            }
        };
        if refs != refs0 {
            // The slack moved: keep the original reference at its input angle.
            let shift = va[refs0[0]] - bm.get(self.bus_row[refs0[0]], bus::VA).to_radians();
            va.iter_mut().for_each(|a| *a -= shift);
        }
        let r = self.result(net, &vm, &va, &pg, &qg, &refs, iterations, worst * base, limited, &switched);
        // A converged Newton solve is finite; a flow or output beyond f64 is not a result.
        for (what, v) in [
            ("bus voltage", &r.vm_pu),
            ("bus angle", &r.va_deg),
            ("branch flow", &r.pf_mw),
            ("branch flow", &r.qt_mvar),
            ("generator output", &r.pg_mw),
            ("generator output", &r.qg_mvar),
        ] {
            if let Some((i, x)) = crate::outcome::first_non_finite(v) {
                return Err(Error::PowerFlowFailed(format!("{}: {what} at row {} is {x}", net.source, i + 1)));
            }
        }
        Ok(r)
    }

    /// MATPOWER's `pfsoln` for generators: Q shared at reference and PV buses, the slack
    /// generator's P.
    #[allow(clippy::too_many_arguments)]
    fn gen_outputs(
        &self,
        net: &Network,
        kind: &[Kind],
        refs: &[usize],
        gen_on: &[bool],
        vm: &[f64],
        va: &[f64],
        pd: &[f64],
        qd: &[f64],
        pg: &mut [f64],
        qg: &mut [f64],
    ) {
        let gm = &net.gen;
        let n = self.bus_row.len();
        let base = self.base_mva;
        let v: Vec<c64> = (0..n).map(|i| c64::new(vm[i] * va[i].cos(), vm[i] * va[i].sin())).collect();
        let mut cur = vec![c64::new(0.0, 0.0); n];
        self.ybus.mul(&v, &mut cur);
        let s: Vec<c64> = (0..n).map(|i| v[i] * cur[i].conj()).collect();
        let mut at: Vec<Vec<usize>> = vec![Vec::new(); n];
        for g in 0..gm.rows() {
            if let (true, Some(i)) = (gen_on[g], self.gen_idx[g]) {
                if kind[i] != Kind::Pq {
                    at[i].push(g);
                }
            }
        }
        for i in 0..n {
            let gs = &at[i];
            if gs.is_empty() {
                continue;
            }
            let qtot = s[i].im * base + qd[i];
            if gs.len() == 1 {
                qg[gs[0]] = qtot;
            } else {
                let k = gs.len() as f64;
                let m: f64 = gs
                    .iter()
                    .map(|&g| {
                        let (qmax, qmin) = (gm.get(g, gen::QMAX), gm.get(g, gen::QMIN));
                        (qtot / k).abs()
                            + if qmax.is_infinite() { 0.0 } else { qmax.abs() }
                            + if qmin.is_infinite() { 0.0 } else { qmin.abs() }
                    })
                    .sum();
                let proxy = |q: f64| if q.is_infinite() { q.signum() * m } else { q };
                let lims: Vec<(f64, f64)> =
                    gs.iter().map(|&g| (proxy(gm.get(g, gen::QMIN)), proxy(gm.get(g, gen::QMAX)))).collect();
                let (smin, smax): (f64, f64) = lims.iter().fold((0.0, 0.0), |a, l| (a.0 + l.0, a.1 + l.1));
                if (smax - smin).abs() < 10.0 * f64::EPSILON {
                    for (&g, l) in gs.iter().zip(&lims) {
                        qg[g] = l.0 + (qtot - smin) / k;
                    }
                } else {
                    let frac = (qtot - smin) / (smax - smin + f64::EPSILON);
                    for (&g, l) in gs.iter().zip(&lims) {
                        qg[g] = l.0 + frac * (l.1 - l.0);
                    }
                }
            }
        }
        for &i in refs {
            let gs = &at[i];
            if let Some((&first, rest)) = gs.split_first() {
                pg[first] = s[i].re * base + pd[i] - rest.iter().map(|&g| pg[g]).sum::<f64>();
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn result(
        &self,
        net: &Network,
        vm: &[f64],
        va: &[f64],
        pg: &[f64],
        qg: &[f64],
        refs: &[usize],
        iterations: usize,
        max_mismatch_mva: f64,
        gens_at_q_limit: Vec<usize>,
        switched: &[usize],
    ) -> AcResult {
        let (bm, gm, lm) = (&net.bus, &net.gen, &net.branch);
        let base = self.base_mva;
        let nb = bm.rows();
        let (mut vm_pu, mut va_deg, mut vm_kv) = (vec![0.0; nb], vec![0.0; nb], vec![0.0; nb]);
        for r in 0..nb {
            let (m, a) = match self.bus_idx[r] {
                Some(i) => (vm[i], va[i].to_degrees()),
                None => (bm.get(r, bus::VM), bm.get(r, bus::VA)),
            };
            let kv = bm.get(r, bus::BASE_KV);
            vm_pu[r] = m;
            va_deg[r] = a;
            vm_kv[r] = if kv > 0.0 { m * kv } else { f64::NAN };
        }
        let n = self.bus_row.len();
        let v: Vec<c64> = (0..n).map(|i| c64::new(vm[i] * va[i].cos(), vm[i] * va[i].sin())).collect();
        let nl = lm.rows();
        let z = vec![0.0; nl];
        let (mut pf, mut qf, mut pt, mut qt, mut s_mva) = (z.clone(), z.clone(), z.clone(), z.clone(), z.clone());
        let mut in_service = vec![false; nl];
        for (b, &r) in self.branches.iter().zip(&self.branch_rows) {
            let (sf, st) = b.flows(&v);
            in_service[r] = true;
            (pf[r], qf[r], pt[r], qt[r]) = (sf.re * base, sf.im * base, st.re * base, st.im * base);
            s_mva[r] = sf.norm().max(st.norm()) * base;
        }
        let loading_pct = (0..nl)
            .map(|r| {
                let rate = lm.get(r, br::RATE_A);
                if in_service[r] && rate > 0.0 && rate.is_finite() {
                    100.0 * s_mva[r] / rate
                } else {
                    f64::NAN
                }
            })
            .collect();
        let gen_on: Vec<bool> = (0..gm.rows()).map(|g| net.gen_status(g) && self.gen_idx[g].is_some()).collect();
        AcResult {
            bus_i: (0..nb).map(|r| bm.get(r, bus::BUS_I)).collect(),
            vm_pu,
            va_deg,
            vm_kv,
            f_bus: (0..nl).map(|r| lm.get(r, br::F_BUS)).collect(),
            t_bus: (0..nl).map(|r| lm.get(r, br::T_BUS)).collect(),
            branch_in_service: in_service,
            loss_mw: pf.iter().zip(&pt).map(|(a, b)| a + b).collect(),
            loss_mvar: qf.iter().zip(&qt).map(|(a, b)| a + b).collect(),
            pf_mw: pf,
            qf_mvar: qf,
            pt_mw: pt,
            qt_mvar: qt,
            s_mva,
            loading_pct,
            gen_bus: (0..gm.rows()).map(|g| gm.get(g, gen::GEN_BUS)).collect(),
            pg_mw: (0..gm.rows()).map(|g| if gen_on[g] { pg[g] } else { 0.0 }).collect(),
            qg_mvar: (0..gm.rows()).map(|g| if gen_on[g] { qg[g] } else { 0.0 }).collect(),
            gen_in_service: gen_on,
            ref_buses: refs.iter().map(|&i| bm.get(self.bus_row[i], bus::BUS_I)).collect(),
            islands: self.islands,
            iterations,
            max_mismatch_mva,
            gens_at_q_limit,
            buses_switched_to_pq: switched.iter().map(|&i| bm.get(self.bus_row[i], bus::BUS_I)).collect(),
        }
    }
}

/// Whether each internal bus has an on-line generator (`on`: each generator row's
/// status).
fn on_line_at(gen_idx: &[Option<usize>], on: &[bool], n: usize) -> Vec<bool> {
    let mut has = vec![false; n];
    for g in 0..gen_idx.len() {
        if let (true, Some(i)) = (on[g], gen_idx[g]) {
            has[i] = true;
        }
    }
    has
}

/// MATPOWER's `bustypes`: reference = type 3 with an on-line generator, PV = type 2
/// with one, PQ otherwise; without a reference the first PV bus becomes it.
fn bustypes(file_type: &[f64], has_gen: &[bool]) -> (Vec<Kind>, Vec<usize>) {
    let mut kind: Vec<Kind> = file_type
        .iter()
        .zip(has_gen)
        .map(|(&t, &g)| match (t, g) {
            (t, true) if t == bus::REF => Kind::Ref,
            (t, true) if t == bus::PV => Kind::Pv,
            _ => Kind::Pq,
        })
        .collect();
    let mut refs: Vec<usize> = (0..kind.len()).filter(|&i| kind[i] == Kind::Ref).collect();
    if refs.is_empty() {
        if let Some(i) = kind.iter().position(|&k| k == Kind::Pv) {
            kind[i] = Kind::Ref;
            refs.push(i);
        }
    }
    (kind, refs)
}
