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

use super::dcpf::DcPowerFlow;
use super::network::{branch as br, bus, Network};
use rayon::prelude::*;

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
}

/// In-service branches whose outage splits an island (per branch row).
pub fn bridges(pf: &DcPowerFlow) -> Vec<bool> {
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
    let (mut tin, mut low) = (vec![usize::MAX; n], vec![0usize; n]);
    let mut timer = 0;
    for root in 0..n {
        if tin[root] != usize::MAX {
            continue;
        }
        // Iterative DFS: (vertex, edge used to enter it, next adjacency position).
        let mut stack: Vec<(usize, usize, usize)> = vec![(root, usize::MAX, 0)];
        tin[root] = timer;
        low[root] = timer;
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
                    timer += 1;
                    stack.push((w, e, 0));
                } else {
                    low[v] = low[v].min(tin[w]);
                }
            } else {
                stack.pop();
                if let Some(&(u, _, _)) = stack.last() {
                    low[u] = low[u].min(low[v]);
                    if low[v] > tin[u] {
                        is_bridge[pe] = true;
                    }
                }
            }
        }
    }
    is_bridge
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
fn solve_columns<R: Send>(pf: &DcPowerFlow, cols: &[Vec<(usize, f64)>], each: impl Fn(usize, &[f64]) -> R + Sync) -> Vec<R> {
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

/// PTDF, MW/MW: rows are branch rows, columns bus rows (file order); zero for
/// out-of-service branches, isolated and reference buses.
pub fn ptdf(pf: &DcPowerFlow, nbus_rows: usize) -> Vec<f64> {
    let nl = pf.b.len();
    let buses: Vec<usize> = (0..pf.bus_row.len()).filter(|&i| pf.reduced(i).is_some()).collect();
    let cols: Vec<Vec<(usize, f64)>> = buses.iter().map(|&i| vec![(i, 1.0)]).collect();
    let columns = solve_columns(pf, &cols, |_, x| (0..nl).map(|l| if pf.in_service[l] { pf.b[l] * (x[pf.f_idx[l]] - x[pf.t_idx[l]]) } else { 0.0 }).collect::<Vec<f64>>());
    let mut out = vec![0.0; nl * nbus_rows];
    for (c, &i) in buses.iter().enumerate() {
        let row = pf.bus_row[i];
        for l in 0..nl {
            out[l * nbus_rows + row] = columns[c][l];
        }
    }
    out
}

/// LODF (rows: monitored branch, columns: outage branch, file order) and the islanding
/// flag of each outage. `LODF[k, k] = −1`; columns of bridges and out-of-service
/// branches are 0 apart from that.
pub fn lodf(pf: &DcPowerFlow) -> (Vec<f64>, Vec<bool>) {
    let nl = pf.b.len();
    let bridge = bridges(pf);
    let outs: Vec<usize> = (0..nl).filter(|&k| pf.in_service[k] && !bridge[k]).collect();
    let cols: Vec<Vec<(usize, f64)>> = outs.iter().map(|&k| vec![(pf.f_idx[k], 1.0), (pf.t_idx[k], -1.0)]).collect();
    let m = solve_columns(pf, &cols, |c, x| {
        let k = outs[c];
        let col: Vec<f64> = (0..nl).map(|l| if pf.in_service[l] { pf.b[l] * (x[pf.f_idx[l]] - x[pf.t_idx[l]]) } else { 0.0 }).collect();
        let denom = 1.0 - col[k];
        col.iter().map(|v| v / denom).collect::<Vec<f64>>()
    });
    let mut out = vec![0.0; nl * nl];
    for (c, &k) in outs.iter().enumerate() {
        for l in 0..nl {
            out[l * nl + k] = m[c][l];
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
/// post-contingency flows `post`, reduced to the maximum and its branch.
pub fn n1_screen(post: &[f64], inv_rate: &[f64], skip: usize) -> (f64, Option<usize>) {
    let (mut m, mut w) = (0.0, None);
    for (l, (&p, &ir)) in post.iter().zip(inv_rate).enumerate() {
        if l == skip || ir == 0.0 {
            continue;
        }
        let ld = p.abs() * ir * 100.0;
        if w.is_none() || ld > m {
            m = ld;
            w = Some(l);
        }
    }
    (m, w)
}

struct Outcome {
    result: OutageResult,
    violations: Vec<Violation>,
    flows: Option<Vec<f64>>,
}

fn finish(k: usize, islanding: bool, lost: f64, post: Vec<f64>, inv_rate: &[f64], threshold: f64, full: bool) -> Outcome {
    let (max, worst) = n1_screen(&post, inv_rate, k);
    let violations = post
        .iter()
        .enumerate()
        .filter(|&(l, &p)| l != k && inv_rate[l] > 0.0 && p.abs() * inv_rate[l] * 100.0 > threshold)
        .map(|(l, &p)| Violation { outage: k, branch: l, loading_pct: p.abs() * inv_rate[l] * 100.0, flow_mw: p })
        .collect();
    Outcome {
        result: OutageResult { branch: k, islanding, max_loading_pct: max, worst_branch: worst, lost_load_mw: lost },
        violations,
        flows: full.then_some(post),
    }
}

/// Post-contingency flows of one islanding (bridge) outage, with the load lost.
pub fn islanding_flows(pf: &DcPowerFlow, net: &Network, base: &[f64], k: usize) -> (Vec<f64>, f64) {
    let n = pf.bus_row.len();
    let nl = pf.b.len();
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for e in 0..nl {
        if pf.in_service[e] && e != k {
            adj[pf.f_idx[e]].push((pf.t_idx[e], e));
            adj[pf.t_idx[e]].push((pf.f_idx[e], e));
        }
    }
    // The buses still connected to each end.
    let reach = |start: usize| {
        let mut seen = vec![false; n];
        let mut st = vec![start];
        seen[start] = true;
        while let Some(v) = st.pop() {
            for &(w, _) in &adj[v] {
                if !seen[w] {
                    seen[w] = true;
                    st.push(w);
                }
            }
        }
        seen
    };
    let side_f = reach(pf.f_idx[k]);
    let side_t = reach(pf.t_idx[k]);
    let ref_f = pf.ref_idx.iter().any(|&i| side_f[i]);
    let ref_t = pf.ref_idx.iter().any(|&i| side_t[i]);
    if ref_f && ref_t {
        // Both sides keep a reference: re-solve without the branch.
        let mut cut = net.clone();
        cut.branch.set(k, br::BR_STATUS, 0.0);
        let flows = DcPowerFlow::new(&cut).map(|p| p.solve(&cut).pf_mw).unwrap_or_else(|_| vec![0.0; nl]);
        return (flows, 0.0);
    }
    // The side without a reference goes dark; the lit side sees the bridge flow vanish.
    let dark_is_f = !ref_f;
    let in_dark = if dark_is_f { side_f } else { side_t };
    let lost: f64 = (0..n).filter(|&i| in_dark[i]).map(|i| net.bus.get(pf.bus_row[i], bus::PD) + net.bus.get(pf.bus_row[i], bus::GS)).sum();
    let (a, dp) = if dark_is_f { (pf.t_idx[k], -base[k]) } else { (pf.f_idx[k], base[k]) };
    let col = solve_columns(pf, &[vec![(a, 1.0)]], |_, x| x.to_vec()).pop().expect("one column");
    let post = (0..nl)
        .map(|l| {
            if !pf.in_service[l] || l == k || in_dark[pf.f_idx[l]] {
                0.0
            } else {
                base[l] + pf.b[l] * (col[pf.f_idx[l]] - col[pf.t_idx[l]]) * dp
            }
        })
        .collect();
    (post, lost)
}

/// N-1 screening of every in-service branch outage against RATE_A, on the CPU in f64.
pub fn n1_cpu(pf: &DcPowerFlow, net: &Network, base: &[f64], threshold_pct: f64, full: bool) -> N1 {
    let nl = pf.b.len();
    let bridge = bridges(pf);
    let inv_rate = inverse_ratings(net);
    let outs: Vec<usize> = (0..nl).filter(|&k| pf.in_service[k] && !bridge[k]).collect();
    let cols: Vec<Vec<(usize, f64)>> = outs.iter().map(|&k| vec![(pf.f_idx[k], 1.0), (pf.t_idx[k], -1.0)]).collect();
    let mut outcomes: Vec<Outcome> = solve_columns(pf, &cols, |c, x| {
        let k = outs[c];
        let mk = pf.b[k] * (x[pf.f_idx[k]] - x[pf.t_idx[k]]);
        let scale = base[k] / (1.0 - mk);
        let post: Vec<f64> = (0..nl)
            .map(|l| {
                if !pf.in_service[l] || l == k {
                    0.0
                } else {
                    base[l] + pf.b[l] * (x[pf.f_idx[l]] - x[pf.t_idx[l]]) * scale
                }
            })
            .collect();
        finish(k, false, 0.0, post, &inv_rate, threshold_pct, full)
    });
    let islanding: Vec<Outcome> = (0..nl)
        .filter(|&k| bridge[k])
        .collect::<Vec<_>>()
        .par_iter()
        .map(|&k| {
            let (post, lost) = islanding_flows(pf, net, base, k);
            finish(k, true, lost, post, &inv_rate, threshold_pct, full)
        })
        .collect();
    outcomes.extend(islanding);
    outcomes.sort_by_key(|o| o.result.branch);
    let mut flows = full.then(|| Vec::with_capacity(outcomes.len() * nl));
    let mut violations = Vec::new();
    let mut results = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        if let (Some(f), Some(p)) = (flows.as_mut(), o.flows) {
            f.extend(p);
        }
        violations.extend(o.violations);
        results.push(o.result);
    }
    N1 { outages: results, violations, flows_mw: flows }
}
