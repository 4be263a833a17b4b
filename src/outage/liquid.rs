//! The racks' liquid loop after an outage: the CDUs of a hall share one secondary
//! (TCS) header and take the liquid share of every powered rack's heat. When the CDUs
//! still running (their power on, their chiller water on) cannot take it all, the loop
//! warms as one lumped mass of water,
//!
//!   C dθ/dt = Q_liquid(t) − Q_cdu(t),   θ ≥ 0,   C = Σ loop_volume_l · 4.18 kJ/(L·K),
//!
//! piecewise exactly (both sides are constant between the outage's events), until it
//! reaches the loop's limit (the least `loop_limit_k` of its CDUs): the time the racks
//! on it would start to throttle. A loop with capacity to spare cools back at the
//! surplus. Racks without power put no heat in.

use super::UnitDown;
use crate::facility::{CoolingKind, Facility};
use serde::Serialize;

/// Volumetric heat capacity of the loop's water, J/(L·K).
pub const WATER_J_LK: f64 = 4180.0;
/// How long after the outage the loop is followed, s.
pub const HORIZON_S: f64 = 3600.0;

/// A hall's liquid loop through an outage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LiquidOutcome {
    /// The racks' liquid heat at design, MW.
    pub heat_mw: f64,
    /// The CDUs' capacity at design, MW.
    pub capacity_mw: f64,
    /// The least CDU capacity running during the outage, MW.
    pub min_capacity_mw: f64,
    /// The largest shortfall (liquid heat − running capacity), MW; 0: none.
    pub max_deficit_mw: f64,
    /// The loop's warmest rise above design within the horizon, K (at most its limit:
    /// past it the racks throttle).
    pub max_rise_k: f64,
    /// The loop's allowed rise, K.
    pub limit_k: f64,
    /// When the loop reaches its limit, s after the outage (`None`: not within
    /// [`HORIZON_S`]).
    pub time_to_limit_s: Option<f64>,
    /// Liquid-cooled racks with power when the loop reaches its limit.
    pub racks_over_limit: usize,
}

fn down_at(iv: &[(f64, Option<f64>)], t: f64) -> bool {
    iv.iter().any(|&(a, b)| a <= t && b.is_none_or(|b| t < b))
}

/// The loop of facility `f` (one header for all its CDUs) through an outage with its
/// units down and racks dark (ids of `f`); `None` when no rack has liquid heat or the
/// facility has no CDU.
pub fn loop_outcome(
    f: &Facility,
    units_down: &[UnitDown],
    rack_dark: &[(String, f64, Option<f64>)],
) -> Option<LiquidOutcome> {
    let cdus: Vec<_> = f.cooling.iter().filter(|u| u.kind == CoolingKind::Cdu).collect();
    let racks: Vec<_> = f.racks.iter().filter(|r| r.liquid_heat_w() > 0.0).collect();
    if cdus.is_empty() || racks.is_empty() {
        return None;
    }
    let cdu_down: Vec<Vec<(f64, Option<f64>)>> = cdus
        .iter()
        .map(|u| units_down.iter().filter(|d| d.id == u.id).map(|d| (d.from_s, d.until_s)).collect())
        .collect();
    let rack_off: Vec<Vec<(f64, Option<f64>)>> =
        racks.iter().map(|r| rack_dark.iter().filter(|d| d.0 == r.id).map(|d| (d.1, d.2)).collect()).collect();
    let heat_at = |t: f64| -> f64 {
        racks.iter().zip(&rack_off).filter(|(_, o)| !down_at(o, t)).map(|(r, _)| r.liquid_heat_w()).sum()
    };
    let cap_at = |t: f64| -> f64 {
        cdus.iter().zip(&cdu_down).filter(|(_, d)| !down_at(d, t)).map(|(u, _)| u.capacity_kw * 1e3).sum()
    };
    let c_j_k: f64 = cdus.iter().map(|u| u.loop_volume_l * WATER_J_LK).sum();
    let limit = cdus.iter().map(|u| u.loop_limit_k).fold(f64::INFINITY, f64::min);
    let mut cuts: Vec<f64> = cdu_down
        .iter()
        .chain(&rack_off)
        .flatten()
        .flat_map(|&(a, b)| [Some(a), b])
        .flatten()
        .filter(|&t| (0.0..HORIZON_S).contains(&t))
        .chain([0.0, HORIZON_S])
        .collect();
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let (mut theta, mut max_theta, mut hit) = (0.0f64, 0.0f64, None);
    let (mut min_cap, mut max_def) = (f64::INFINITY, 0.0f64);
    for w in cuts.windows(2) {
        let (t0, t1) = (w[0], w[1]);
        let (q, cap) = (heat_at(t0), cap_at(t0));
        min_cap = min_cap.min(cap);
        max_def = max_def.max(q - cap);
        let rate = (q - cap) / c_j_k;
        if hit.is_none() && rate > 0.0 && theta + rate * (t1 - t0) >= limit {
            hit = Some(t0 + (limit - theta) / rate);
        }
        theta = (theta + rate * (t1 - t0)).max(0.0);
        max_theta = max_theta.max(theta);
    }
    let racks_over_limit = hit.map_or(0, |t| rack_off.iter().filter(|o| !down_at(o, t)).count());
    // Past its limit the racks throttle and the lumped loop no longer holds.
    if hit.is_some() {
        max_theta = limit;
    }
    Some(LiquidOutcome {
        heat_mw: racks.iter().map(|r| r.liquid_heat_w()).sum::<f64>() / 1e6,
        capacity_mw: cdus.iter().map(|u| u.capacity_kw).sum::<f64>() / 1e3,
        min_capacity_mw: min_cap / 1e6 + 0.0,
        max_deficit_mw: max_def / 1e6,
        max_rise_k: max_theta,
        limit_k: limit,
        time_to_limit_s: hit,
        racks_over_limit,
    })
}

/// Several halls' loops as one line: heat, capacities and shortfalls summed, the
/// warmest rise and the first time to a limit over all, racks over their limit summed.
pub fn combine(parts: &[LiquidOutcome]) -> Option<LiquidOutcome> {
    let first = parts.first()?;
    let mut out = first.clone();
    for p in &parts[1..] {
        out.heat_mw += p.heat_mw;
        out.capacity_mw += p.capacity_mw;
        out.min_capacity_mw += p.min_capacity_mw;
        out.max_deficit_mw += p.max_deficit_mw;
        out.max_rise_k = out.max_rise_k.max(p.max_rise_k);
        out.limit_k = out.limit_k.min(p.limit_k);
        out.time_to_limit_s = match (out.time_to_limit_s, p.time_to_limit_s) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        out.racks_over_limit += p.racks_over_limit;
    }
    Some(out)
}
