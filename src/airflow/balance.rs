//! Sealed containment: the air entering each region must leave it. Racks draw fixed
//! flows and tiles deliver fixed flows; cooling units adjust (the fans of contained
//! halls follow the containment's differential pressure). The unit flows `v` that
//! balance every region with the least relative change from their nominal `v₀`:
//!
//! ```text
//!   min Σ_u ((v_u − v₀_u) / v₀_u)²   subject to   r + B v = 0,
//!   v = v₀ + W Bᵀ λ,   (B W Bᵀ) λ = −(r + B v₀),   W = diag(v₀²)
//! ```
//!
//! with `r` the fixed net inflow of each region and `B[region][unit]` the fraction of
//! the unit's supply cells in the region minus the fraction of its return cells there.
//! One equation is redundant (the hall as a whole balances); a tiny diagonal shift keeps
//! the small dense system solvable, and the result is checked.

use super::regions::{net_per_region, where_is};
use crate::grid::Grid;

/// One unit's air: cells it blows into (empty for CRAHs feeding tiles) and takes from.
pub struct UnitAir<'a> {
    /// The unit's (or tile region's) id, for messages.
    pub name: &'a str,
    pub supply: &'a [usize],
    pub ret: &'a [usize],
}

/// Adjust `flow` (m³/s per unit, nominal in) so that every region (`label`, `count` from
/// [`super::regions::regions`]) balances; `fixed`
/// is the rest of the air (racks, tiles) per cell, m³/s. Errors are messages naming
/// the region.
pub fn balance_units(
    g: &Grid,
    (label, count): (&[u32], usize),
    fixed: &[f64],
    units: &[UnitAir],
    flow: &mut [f64],
) -> Result<(), String> {
    let total: f64 = fixed.iter().map(|s| s.abs()).sum::<f64>() / 2.0 + flow.iter().sum::<f64>();
    let tol = 1e-10 * total.max(1e-300);
    // B as (unit, region, coefficient).
    let mut b: Vec<(usize, usize, f64)> = Vec::new();
    for (u, air) in units.iter().enumerate() {
        if flow[u] == 0.0 {
            continue;
        }
        let mut add = |cells: &[usize], sign: f64| {
            for &c in cells {
                b.push((u, label[c] as usize, sign / cells.len() as f64));
            }
        };
        add(air.supply, 1.0);
        add(air.ret, -1.0);
    }
    let imbalance = |flow: &[f64]| -> Vec<f64> {
        let mut net = net_per_region(label, count, fixed);
        b.iter().for_each(|&(u, r, c)| net[r] += c * flow[u]);
        net
    };
    let imb = imbalance(flow);
    if imb.iter().all(|x| x.abs() <= tol) {
        return Ok(());
    }
    // Regions a unit reaches (the unknowns λ); others must already balance.
    let mut index = vec![usize::MAX; count];
    let mut active = Vec::new();
    b.iter().for_each(|&(_, r, _)| {
        if index[r] == usize::MAX {
            index[r] = active.len();
            active.push(r);
        }
    });
    for (r, x) in imb.iter().enumerate() {
        if index[r] == usize::MAX && x.abs() > tol {
            let (px, py, pz) = where_is(g, label, r);
            return Err(format!(
                "a sealed air region around ({px:.2}, {py:.2}, {pz:.2}) m takes in {:.3} m³/s more than leaves it \
                 and no cooling unit serves it",
                x
            ));
        }
    }
    // Per unit, its coefficients summed per region.
    let na = active.len();
    let mut cols: Vec<Vec<(usize, f64)>> = vec![Vec::new(); units.len()];
    for &(u, r, c) in &b {
        let i = index[r];
        match cols[u].iter_mut().find(|(j, _)| *j == i) {
            Some(e) => e.1 += c,
            None => cols[u].push((i, c)),
        }
    }
    let w: Vec<f64> = flow.iter().map(|v| v * v).collect();
    let mut m = vec![0.0; na * na];
    for (u, col) in cols.iter().enumerate() {
        for &(i, ci) in col {
            for &(j, cj) in col {
                m[i * na + j] += w[u] * ci * cj;
            }
        }
    }
    let shift = 1e-12 * (0..na).map(|i| m[i * na + i]).fold(0.0, f64::max);
    (0..na).for_each(|i| m[i * na + i] += shift);
    let mut rhs: Vec<f64> = active.iter().map(|&r| -imb[r]).collect();
    let lambda = solve_dense(&mut m, &mut rhs, na).ok_or("the cooling units' flows cannot balance the air regions")?;
    let v0 = flow.to_vec();
    for (u, col) in cols.iter().enumerate() {
        flow[u] = v0[u] + w[u] * col.iter().map(|&(i, c)| c * lambda[i]).sum::<f64>();
    }
    if let Some(u) = (0..flow.len()).find(|&u| !(flow[u] >= 0.0)) {
        return Err(format!(
            "balancing the sealed air regions would need \"{}\" to run backwards ({:.3} m³/s)",
            units[u].name, flow[u]
        ));
    }
    let after = imbalance(flow);
    // As strict as the potential's own check (1e-9 of the total flow).
    if let Some((r, x)) = after.iter().enumerate().find(|(_, x)| !(x.abs() <= 10.0 * tol)) {
        let (px, py, pz) = where_is(g, label, r);
        return Err(format!(
            "the sealed air region around ({px:.2}, {py:.2}, {pz:.2}) m cannot be balanced by its cooling units \
             ({x:.3e} m³/s left)"
        ));
    }
    Ok(())
}

/// Gaussian elimination with partial pivoting on the row-major `n × n` matrix `a`.
fn solve_dense(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| a[i * n + k].abs().total_cmp(&a[j * n + k].abs()))?;
        if a[p * n + k] == 0.0 {
            return None;
        }
        if p != k {
            for j in 0..n {
                a.swap(k * n + j, p * n + j);
            }
            b.swap(k, p);
        }
        for i in k + 1..n {
            let f = a[i * n + k] / a[k * n + k];
            if f != 0.0 {
                for j in k..n {
                    a[i * n + j] -= f * a[k * n + j];
                }
                b[i] -= f * b[k];
            }
        }
    }
    let mut x = vec![0.0; n];
    for k in (0..n).rev() {
        let s: f64 = (k + 1..n).map(|j| a[k * n + j] * x[j]).sum();
        x[k] = (b[k] - s) / a[k * n + k];
    }
    Some(x)
}
