//! Sensitivities and N-1 screening on the CPU, in f64: PTDF, LODF, bridges, and the
//! post-contingency flows of every in-service branch outage.
//!
//! With `X = B_rr⁻¹` (references fixed): `PTDF[l, b] = b_l (X[f_l, b] − X[t_l, b])`, the
//! MW on branch l per MW injected at bus b and taken out at its island's reference.
//! `M[l, k] = PTDF[l, f_k] − PTDF[l, t_k]` and `LODF[l, k] = M[l, k] / (1 − M[k, k])`:
//! after outage k, `f_l' = f_l + LODF[l, k] f_k`.
//!
//! An outage of a bridge (a branch whose loss splits its island) has `M[k, k] = 1`; it is
//! found combinatorially (Tarjan), flagged `islanding`, and never divided by zero. The
//! part cut off from every reference goes dark (its load is reported as lost); the rest
//! sees the bridge's flow vanish at its own end: `f_l' = f_l + PTDF[l, a] Δp_a`.
//!
//! The screening never forms X or M whole: outages are taken in blocks of columns
//! `e_f − e_t`, solved on the kept factorization, and reduced at once to loadings.

use super::dcpf::{DcPowerFlow, MAX_RESULT_MW};
use super::network::{branch as br, bus, Network};
use crate::error::InputError;
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Columns solved together.
const BLOCK: usize = 64;

/// What one outage does.
#[derive(Clone, Debug, PartialEq)]
pub struct OutageResult {
    /// Branch row taken out (0-based, file order).
    pub branch: usize,
    /// The outage splits an island.
    pub islanding: bool,
    /// Highest post-contingency loading over rated branches, % (0 when none is rated).
    pub max_loading_pct: f64,
    /// The branch row with that loading.
    pub worst_branch: Option<usize>,
    /// Load left without a reference (islanding outages), MW.
    pub lost_load_mw: f64,
    /// Why this outage has no result (a failed re-solve, a non-finite or impossible
    /// post-contingency flow); its loading is then NaN, never a made-up 0.
    /// [`N1::check`] turns it into an error.
    pub failed: Option<String>,
}

/// Relative margin by which a loading must exceed the threshold to be a violation. A
/// post-contingency flow that equals a rating in exact arithmetic (one of two equal
/// parallel branches, rated for the pair's flow, carrying all of it) lands a few ulps
/// either side of it depending on the order of the arithmetic — CPU and GPU screens,
/// or two factorizations, would then disagree on round-off. Ratings carry 3–6
/// significant digits, so 1e-9 is far below anything the data tell apart.
pub const TIE_REL: f64 = 1e-9;

/// Whether `loading_pct` is over `threshold_pct` by more than round-off ([`TIE_REL`]).
#[inline]
pub fn over_threshold(loading_pct: f64, threshold_pct: f64) -> bool {
    loading_pct > threshold_pct * (1.0 + TIE_REL)
}

/// A post-contingency loading above the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub outage: usize,
    pub branch: usize,
    pub loading_pct: f64,
    pub flow_mw: f64,
}

/// N-1 screening results.
#[derive(Clone, Debug)]
pub struct N1 {
    pub outages: Vec<OutageResult>,
    pub violations: Vec<Violation>,
    /// Post-contingency flows, one row per outage (order of `outages`), one column per
    /// branch row, MW (with `full`).
    pub flows_mw: Option<Vec<f64>>,
    /// Violations beyond [`max_violations`] that were not recorded.
    pub violations_dropped: usize,
}

/// Bytes an N-1 screening of `n_out` outages over `nl` branches needs beyond the
/// network: with `full` the post-contingency flow matrix (`16` B per pair: f64 rows and
/// their concatenation); on the GPU (`dense`) the dense LODF (`12` B per pair: f64 rows
/// and their f32 upload), `32` B per pair with `full`. See [`super::limits`].
pub fn n1_bytes(n_out: usize, nl: usize, full: bool, dense: bool) -> u128 {
    let pairs = n_out as u128 * nl as u128;
    pairs
        * match (dense, full) {
            (false, false) => 0,
            (false, true) => 16,
            (true, false) => 12,
            (true, true) => 32,
        }
}

/// Most violations one screening records: a quarter of the available memory.
pub fn max_violations() -> usize {
    let per = std::mem::size_of::<Violation>() as u64;
    (super::limits::available_memory_bytes() / 4 / per).min(usize::MAX as u64) as usize
}

impl N1 {
    /// `Ok` when every outage has a finite result and every violation was recorded;
    /// else an input error naming the first failed outage (its branch row and line).
    pub fn check(&self, net: &Network, threshold_pct: f64) -> Result<(), InputError> {
        for o in &self.outages {
            let bad = o.failed.clone().or_else(|| {
                (!(o.max_loading_pct.is_finite() && o.lost_load_mw.is_finite())).then(|| {
                    format!(
                        "its result is not finite (max loading {} %, lost load {} MW)",
                        o.max_loading_pct, o.lost_load_mw
                    )
                })
            });
            if let Some(why) = bad {
                let line = net.branch.lines.get(o.branch).copied().unwrap_or(0);
                let e = InputError::new(
                    &net.source,
                    format!("outage of branch row {}", o.branch + 1),
                    format!("the post-contingency power flow has no valid answer: {why}"),
                    "check BR_X, TAP and SHIFT of the branches near it (negative reactances can make the network singular without it)",
                );
                return Err(if line > 0 { e.at(Some((line, 1))) } else { e });
            }
        }
        if let Some(f) = &self.flows_mw {
            if let Some((i, v)) = crate::outcome::first_non_finite(f) {
                let nl = net.branch.rows().max(1);
                return Err(InputError::new(
                    &net.source,
                    format!("outage {} of the flow matrix", i / nl),
                    format!("post-contingency flow on branch row {} is {v}", i % nl + 1),
                    "check BR_X, TAP and SHIFT of the branches near it",
                ));
            }
        }
        if self.violations_dropped > 0 {
            return Err(InputError::new(
                "command line",
                "--threshold",
                format!(
                    "{} violations at {threshold_pct} % are more than fit in memory ({} recorded)",
                    self.violations.len() + self.violations_dropped,
                    self.violations.len()
                ),
                "raise --threshold (e.g. 100)",
            ));
        }
        Ok(())
    }
}

/// Bridges of the in-service branch graph, with the DFS tree that found them: the bus
/// `v` lies below bridge `k` when `tin[child[k]] ≤ tin[v] < tout[child[k]]`.
pub struct BridgeTree {
    pub is_bridge: Vec<bool>,
    /// Per bridge branch row: the endpoint deeper in the DFS tree (internal index).
    pub child: Vec<usize>,
    pub tin: Vec<usize>,
    pub tout: Vec<usize>,
    /// DFS root (island) of each bus.
    pub root: Vec<usize>,
    /// Buses in DFS entry order.
    pub order: Vec<usize>,
}

impl BridgeTree {
    /// Is bus `v` in the subtree below bridge `k`?
    #[inline]
    pub fn below(&self, k: usize, v: usize) -> bool {
        let c = self.child[k];
        self.root[v] == self.root[c] && self.tin[c] <= self.tin[v] && self.tin[v] < self.tout[c]
    }
}

/// Tarjan's bridge search over the in-service branches (parallel branches are never
/// bridges).
pub fn bridge_tree(pf: &DcPowerFlow) -> BridgeTree {
    let n = pf.bus_row.len();
    let nl = pf.b.len();
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for k in 0..nl {
        if pf.in_service[k] {
            adj[pf.f_idx[k]].push((pf.t_idx[k], k));
            adj[pf.t_idx[k]].push((pf.f_idx[k], k));
        }
    }
    let mut is_bridge = vec![false; nl];
    let mut child = vec![usize::MAX; nl];
    let (mut tin, mut tout, mut low, mut root) =
        (vec![usize::MAX; n], vec![0usize; n], vec![0usize; n], vec![0usize; n]);
    let mut order = Vec::with_capacity(n);
    let mut timer = 0;
    for r in 0..n {
        if tin[r] != usize::MAX {
            continue;
        }
        // Iterative DFS: (vertex, edge used to enter it, next adjacency position).
        let mut stack: Vec<(usize, usize, usize)> = vec![(r, usize::MAX, 0)];
        tin[r] = timer;
        low[r] = timer;
        root[r] = r;
        order.push(r);
        timer += 1;
        while let Some(&mut (v, pe, ref mut pos)) = stack.last_mut() {
            if *pos < adj[v].len() {
                let (w, e) = adj[v][*pos];
                *pos += 1;
                if e == pe {
                    continue;
                }
                if tin[w] == usize::MAX {
                    tin[w] = timer;
                    low[w] = timer;
                    root[w] = r;
                    order.push(w);
                    timer += 1;
                    stack.push((w, e, 0));
                } else {
                    low[v] = low[v].min(tin[w]);
                }
            } else {
                tout[v] = timer;
                stack.pop();
                if let Some(&(u, _, _)) = stack.last() {
                    low[u] = low[u].min(low[v]);
                    if low[v] > tin[u] {
                        is_bridge[pe] = true;
                        child[pe] = v;
                    }
                }
            }
        }
    }
    BridgeTree { is_bridge, child, tin, tout, root, order }
}

/// In-service branches whose outage splits an island (per branch row).
pub fn bridges(pf: &DcPowerFlow) -> Vec<bool> {
    bridge_tree(pf).is_bridge
}

/// Full angles (rad, internal order, references at 0) from a reduced solution column.
#[inline]
fn expand(pf: &DcPowerFlow, col: &[f64], out: &mut [f64]) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = pf.reduced(i).map(|r| col[r]).unwrap_or(0.0);
    }
}

/// Solve for unit injection patterns: `cols[c]` lists (internal bus, value) pairs; each
/// result is a full angle vector (internal order, references 0), handed to `each`.
fn solve_columns<R: Send>(
    pf: &DcPowerFlow,
    cols: &[Vec<(usize, f64)>],
    each: impl Fn(usize, &[f64]) -> R + Sync,
) -> Vec<R> {
    let nr = pf.n_reduced();
    let n = pf.bus_row.len();
    let blocks: Vec<usize> = (0..cols.len()).step_by(BLOCK).collect();
    let out: Vec<Vec<R>> = blocks
        .par_iter()
        .map(|&c0| {
            let c1 = (c0 + BLOCK).min(cols.len());
            let w = c1 - c0;
            let mut rhs = vec![0.0; nr * w];
            for (j, col) in cols[c0..c1].iter().enumerate() {
                for &(i, v) in col {
                    if let Some(r) = pf.reduced(i) {
                        rhs[j * nr + r] += v;
                    }
                }
            }
            pf.solve_block(&mut rhs, w);
            let mut full = vec![0.0; n];
            (0..w)
                .map(|j| {
                    expand(pf, &rhs[j * nr..(j + 1) * nr], &mut full);
                    each(c0 + j, &full)
                })
                .collect()
        })
        .collect();
    out.into_iter().flatten().collect()
}

/// Flow on branch row `l` (per unit) for angles `x` (internal order); 0 out of service.
#[inline]
fn branch_flow(pf: &DcPowerFlow, x: &[f64], l: usize) -> f64 {
    if pf.in_service[l] {
        pf.b[l] * (x[pf.f_idx[l]] - x[pf.t_idx[l]])
    } else {
        0.0
    }
}

/// PTDF, MW/MW: rows are branch rows, columns bus rows (file order); zero for
/// out-of-service branches, isolated and reference buses.
pub fn ptdf(pf: &DcPowerFlow, nbus_rows: usize) -> Vec<f64> {
    let nl = pf.b.len();
    let buses: Vec<usize> = (0..pf.bus_row.len()).filter(|&i| pf.reduced(i).is_some()).collect();
    let cols: Vec<Vec<(usize, f64)>> = buses.iter().map(|&i| vec![(i, 1.0)]).collect();
    let columns = solve_columns(pf, &cols, |_, x| (0..nl).map(|l| branch_flow(pf, x, l)).collect::<Vec<f64>>());
    let mut out = vec![0.0; nl * nbus_rows];
    for (c, &i) in buses.iter().enumerate() {
        let row = pf.bus_row[i];
        for l in 0..nl {
            out[l * nbus_rows + row] = columns[c][l];
        }
    }
    out
}

/// PTDF columns (MW per MW, per branch row) of the given bus rows (0 for references and
/// isolated buses).
pub fn ptdf_columns(pf: &DcPowerFlow, bus_rows: &[usize]) -> Vec<Vec<f64>> {
    let nl = pf.b.len();
    let cols: Vec<Vec<(usize, f64)>> =
        bus_rows.iter().map(|&r| pf.bus_idx[r].map(|i| vec![(i, 1.0)]).unwrap_or_default()).collect();
    solve_columns(pf, &cols, |_, x| (0..nl).map(|l| branch_flow(pf, x, l)).collect())
}

/// LODF columns of the in-service, non-bridge outages `outs`, one row per outage:
/// `rows[c][l] = LODF[l, outs[c]]` (−1 at the outage itself).
pub fn lodf_rows(pf: &DcPowerFlow, outs: &[usize]) -> Vec<Vec<f64>> {
    let nl = pf.b.len();
    let cols: Vec<Vec<(usize, f64)>> = outs.iter().map(|&k| vec![(pf.f_idx[k], 1.0), (pf.t_idx[k], -1.0)]).collect();
    solve_columns(pf, &cols, |c, x| {
        let k = outs[c];
        let sens = |l: usize| branch_flow(pf, x, l);
        let denom = 1.0 - sens(k);
        (0..nl).map(|l| if l == k { -1.0 } else { sens(l) / denom }).collect()
    })
}

/// LODF (rows: monitored branch, columns: outage branch, file order) and the islanding
/// flag of each outage. `LODF[k, k] = −1`; columns of bridges and out-of-service
/// branches are 0 apart from that.
pub fn lodf(pf: &DcPowerFlow) -> (Vec<f64>, Vec<bool>) {
    let nl = pf.b.len();
    let bridge = bridges(pf);
    let outs: Vec<usize> = (0..nl).filter(|&k| pf.in_service[k] && !bridge[k]).collect();
    let rows = lodf_rows(pf, &outs);
    let mut out = vec![0.0; nl * nl];
    for (c, &k) in outs.iter().enumerate() {
        for l in 0..nl {
            out[l * nl + k] = rows[c][l];
        }
    }
    for k in 0..nl {
        if pf.in_service[k] {
            out[k * nl + k] = -1.0;
        }
    }
    (out, bridge)
}

/// `1 / RATE_A` per branch row (0 where there is no rating).
pub fn inverse_ratings(net: &Network) -> Vec<f64> {
    (0..net.branch.rows())
        .map(|r| {
            let rate = net.branch.get(r, br::RATE_A);
            if rate > 0.0 && rate.is_finite() {
                1.0 / rate
            } else {
                0.0
            }
        })
        .collect()
}

/// The CPU twin of `shaders/power/n1_screen.wgsl`: loadings of one outage's
/// post-contingency flows `post`, reduced to the maximum and its branch. A NaN loading
/// is the maximum (never dropped).
pub fn n1_screen(post: &[f64], inv_rate: &[f64], skip: usize) -> (f64, Option<usize>) {
    let (mut m, mut w) = (0.0, None);
    for (l, (&p, &ir)) in post.iter().zip(inv_rate).enumerate() {
        if l == skip || ir == 0.0 {
            continue;
        }
        let ld = p.abs() * ir * 100.0;
        if ld.is_nan() {
            return (f64::NAN, Some(l));
        }
        if w.is_none() || ld > m {
            m = ld;
            w = Some(l);
        }
    }
    (m, w)
}

/// How many violations may still be recorded, shared by the outages of one screening.
pub struct ViolationBudget {
    left: AtomicUsize,
    dropped: AtomicUsize,
}

impl ViolationBudget {
    pub fn new(cap: usize) -> Self {
        ViolationBudget { left: AtomicUsize::new(cap), dropped: AtomicUsize::new(0) }
    }
    /// Take one slot; false (and counted as dropped) when none is left.
    pub fn take(&self) -> bool {
        let ok = self.left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1)).is_ok();
        if !ok {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The result of an outage that has none: NaN loading, `why` recorded, NaN flows.
pub fn failed_outage(k: usize, islanding: bool, lost: f64, why: String, row: Option<&mut [f64]>) -> OutageResult {
    if let Some(r) = row {
        r.fill(f64::NAN);
    }
    OutageResult {
        branch: k,
        islanding,
        max_loading_pct: f64::NAN,
        worst_branch: None,
        lost_load_mw: lost,
        failed: Some(why),
    }
}

/// Reduce one outage's post-contingency flows (given as a function of the branch row)
/// to its result, its violations and, with `full`, the flow row. A non-finite or
/// impossible flow (beyond ±[`MAX_RESULT_MW`]) makes the outage failed, not 0.
#[allow(clippy::too_many_arguments)]
fn screen_one(
    k: usize,
    islanding: bool,
    lost: f64,
    post: impl Fn(usize) -> f64,
    inv_rate: &[f64],
    threshold: f64,
    violations: &mut Vec<Violation>,
    budget: &ViolationBudget,
    row: Option<&mut [f64]>,
) -> OutageResult {
    let nl = inv_rate.len();
    let (mut m, mut w) = (0.0, None);
    let mut row = row;
    let first = violations.len();
    for l in 0..nl {
        let p = post(l);
        if !(p.abs() <= MAX_RESULT_MW) {
            violations.truncate(first);
            return failed_outage(
                k,
                islanding,
                lost,
                format!("the flow on branch row {} would be {p:e} MW", l + 1),
                row,
            );
        }
        if let Some(r) = row.as_deref_mut() {
            r[l] = p;
        }
        let ir = inv_rate[l];
        if l == k || ir == 0.0 {
            continue;
        }
        let ld = p.abs() * ir * 100.0;
        if w.is_none() || ld > m {
            m = ld;
            w = Some(l);
        }
        if over_threshold(ld, threshold) && budget.take() {
            violations.push(Violation { outage: k, branch: l, loading_pct: ld, flow_mw: p });
        }
    }
    if !lost.is_finite() {
        return failed_outage(k, islanding, lost, format!("the lost load is {lost} MW"), row);
    }
    OutageResult { branch: k, islanding, max_loading_pct: m, worst_branch: w, lost_load_mw: lost, failed: None }
}

/// How a bridge outage splits its island.
enum Split {
    /// The side below (`dark_below`) or above the bridge has no reference and goes dark;
    /// the lit side's endpoint `a` sees the injection change `dp`, MW.
    Dark { dark_below: bool, a: usize, dp: f64, lost_mw: f64 },
    /// Both sides keep a reference: re-solve.
    BothLit,
}

fn split(
    pf: &DcPowerFlow,
    t: &BridgeTree,
    base: &[f64],
    k: usize,
    load_prefix: &[f64],
    ref_prefix: &[usize],
    comp: &std::collections::HashMap<usize, (usize, usize, usize)>,
) -> Split {
    let c = t.child[k];
    let (lo, hi) = (t.tin[c], t.tout[c]);
    let refs_below = ref_prefix[hi] - ref_prefix[lo];
    let (c0, c1, _) = comp[&t.root[c]];
    let refs_all = ref_prefix[c1] - ref_prefix[c0];
    let load_below = load_prefix[hi] - load_prefix[lo];
    let load_all = load_prefix[c1] - load_prefix[c0];
    // Orientation: the parent endpoint is the one that is not the child.
    let parent = if pf.f_idx[k] == c { pf.t_idx[k] } else { pf.f_idx[k] };
    // Injection change at the lit endpoint when the bridge flow (from → to) stops.
    let dp_at = |a: usize| if a == pf.f_idx[k] { base[k] } else { -base[k] };
    if refs_below == 0 {
        Split::Dark { dark_below: true, a: parent, dp: dp_at(parent), lost_mw: load_below }
    } else if refs_all == refs_below {
        Split::Dark { dark_below: false, a: c, dp: dp_at(c), lost_mw: load_all - load_below }
    } else {
        Split::BothLit
    }
}

/// N-1 screening of every in-service branch outage against RATE_A, on the CPU in f64.
/// Outages without a valid answer are flagged ([`OutageResult::failed`]); check the
/// result with [`N1::check`].
pub fn n1_cpu(pf: &DcPowerFlow, net: &Network, base: &[f64], threshold_pct: f64, full: bool) -> N1 {
    n1_cpu_subset(pf, net, base, threshold_pct, full, |_| true)
}

/// The same for the in-service outages `k` with `include(is_bridge[k])`.
pub fn n1_cpu_subset(
    pf: &DcPowerFlow,
    net: &Network,
    base: &[f64],
    threshold_pct: f64,
    full: bool,
    include: impl Fn(bool) -> bool,
) -> N1 {
    let nl = pf.b.len();
    let n = pf.bus_row.len();
    let tree = bridge_tree(pf);
    let inv_rate = inverse_ratings(net);
    // Prefix sums over DFS order: load (MW) and reference count; island extents.
    let mut load_prefix = vec![0.0; n + 1];
    let mut ref_prefix = vec![0usize; n + 1];
    let mut is_ref = vec![false; n];
    pf.ref_idx.iter().for_each(|&i| is_ref[i] = true);
    for (p, &v) in tree.order.iter().enumerate() {
        let row = pf.bus_row[v];
        load_prefix[p + 1] = load_prefix[p] + net.bus.get(row, bus::PD) + net.bus.get(row, bus::GS);
        ref_prefix[p + 1] = ref_prefix[p] + usize::from(is_ref[v]);
    }
    let mut comp: std::collections::HashMap<usize, (usize, usize, usize)> = Default::default();
    for (p, &v) in tree.order.iter().enumerate() {
        let e = comp.entry(tree.root[v]).or_insert((p, p, 0));
        e.1 = p + 1;
        e.2 += 1;
    }
    let outs: Vec<usize> = (0..nl).filter(|&k| pf.in_service[k] && include(tree.is_bridge[k])).collect();
    let budget = ViolationBudget::new(max_violations());
    // Right-hand side per outage: e_f − e_t for ordinary outages, e_a for bridges whose
    // far side goes dark.
    let splits: Vec<Option<Split>> = outs
        .iter()
        .map(|&k| tree.is_bridge[k].then(|| split(pf, &tree, base, k, &load_prefix, &ref_prefix, &comp)))
        .collect();
    let cols: Vec<Vec<(usize, f64)>> = outs
        .iter()
        .zip(&splits)
        .map(|(&k, s)| match s {
            None => vec![(pf.f_idx[k], 1.0), (pf.t_idx[k], -1.0)],
            Some(Split::Dark { a, .. }) => vec![(*a, 1.0)],
            Some(Split::BothLit) => vec![],
        })
        .collect();
    let per: Vec<(OutageResult, Vec<Violation>, Option<Vec<f64>>)> = solve_columns(pf, &cols, |c, x| {
        let k = outs[c];
        let mut v = Vec::new();
        let mut row = full.then(|| vec![0.0; nl]);
        let sens = |l: usize| branch_flow(pf, x, l);
        let res = match &splits[c] {
            None => {
                let scale = base[k] / (1.0 - sens(k));
                let post = |l: usize| if !pf.in_service[l] || l == k { 0.0 } else { base[l] + sens(l) * scale };
                screen_one(k, false, 0.0, post, &inv_rate, threshold_pct, &mut v, &budget, row.as_deref_mut())
            }
            Some(Split::Dark { dark_below, dp, lost_mw, .. }) => {
                let dark = |i: usize| tree.below(k, i) == *dark_below && tree.root[i] == tree.root[tree.child[k]];
                let post = |l: usize| {
                    if !pf.in_service[l] || l == k || dark(pf.f_idx[l]) {
                        0.0
                    } else {
                        base[l] + sens(l) * dp
                    }
                };
                screen_one(k, true, *lost_mw, post, &inv_rate, threshold_pct, &mut v, &budget, row.as_deref_mut())
            }
            Some(Split::BothLit) => {
                let mut cut = net.clone();
                cut.branch.set(k, br::BR_STATUS, 0.0);
                match DcPowerFlow::new(&cut).map(|p| p.solve(&cut).pf_mw) {
                    Ok(f) => screen_one(
                        k,
                        true,
                        0.0,
                        |l| f[l],
                        &inv_rate,
                        threshold_pct,
                        &mut v,
                        &budget,
                        row.as_deref_mut(),
                    ),
                    Err(e) => failed_outage(
                        k,
                        true,
                        0.0,
                        format!("the re-solve without it failed: {}", e.message),
                        row.as_deref_mut(),
                    ),
                }
            }
        };
        (res, v, row)
    });
    let mut flows = full.then(|| Vec::with_capacity(per.len() * nl));
    let mut violations = Vec::new();
    let mut outages = Vec::with_capacity(per.len());
    for (r, v, row) in per {
        if let (Some(f), Some(row)) = (flows.as_mut(), row) {
            f.extend(row);
        }
        violations.extend(v);
        outages.push(r);
    }
    N1 { outages, violations, flows_mw: flows, violations_dropped: budget.dropped() }
}
