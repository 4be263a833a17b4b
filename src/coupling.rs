//! Thermal ↔ electrical coupling: the heat each cooling unit removes (from the thermal
//! solution) sets its electric draw, which becomes a load on its feed bus; the DC power
//! flow of the whole facility then gives the facility input, PUE and overloads.
//!
//! Electric draw of an air-side unit removing Q at supply temperature T_s:
//! `Q (1 / COP(T_s) + 0.04)` — the chilled-water plant's share at
//! `COP(T_s) = 4 + 0.25 (T_s − 18 °C)` (clamped to 2–12: warmer supply air, warmer
//! chilled water, a more efficient chiller, ≈ 3–6 %/K) plus fans at 4 % of the heat moved.
//! A unit with `electric_kw` in the file instead draws that × its load fraction (heat
//! removed / capacity). CDUs take the racks' liquid heat in proportion to their capacity
//! and draw their `electric_kw` (default 5 % of capacity: pumps and dry coolers) × load.
//!
//! Energy balance: facility input (all generation, the utility infeed included) = IT +
//! cooling + other loads, exactly (the DC model is lossless); the check is reported.

use crate::facility::Facility;
use crate::metrics::CoolingResult;
use crate::power::facility_net::facility_network_with;
use crate::power::DcPowerFlow;

/// The facility's electrical picture for one thermal state.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Coupling {
    pub it_mw: f64,
    pub cooling_mw: f64,
    pub other_mw: f64,
    /// Σ generation (utility infeed, turbines, batteries), MW.
    pub facility_input_mw: f64,
    /// facility input / IT; `None` without IT load (PUE is undefined there).
    pub pue: Option<f64>,
    /// |input − (IT + cooling + other)| / input.
    pub energy_balance_rel_error: f64,
    /// (branch, loading %) above 100 % of rating.
    pub overloads: Vec<(String, f64)>,
    /// Highest branch loading, %.
    pub max_loading_pct: f64,
    /// Per cooling unit (facility order): electric draw, kW.
    pub cooling_kw: Vec<f64>,
}

/// Chiller-plant coefficient of performance at supply air temperature `t_s` (°C).
pub fn cop(t_s: f64) -> f64 {
    (4.0 + 0.25 * (t_s - 18.0)).clamp(2.0, 12.0)
}

/// Fan power per unit of heat moved by an air-side unit.
pub const FAN_FRACTION: f64 = 0.04;

/// Electric draw of every cooling unit (facility order), kW.
pub fn cooling_draw_kw(f: &Facility, cooling: &[CoolingResult]) -> Vec<f64> {
    let liquid_w: f64 = f.racks.iter().map(|r| r.liquid_heat_w()).sum();
    let cdu_cap_w: f64 = f.cooling.iter().filter(|u| !u.is_air_side()).map(|u| u.capacity_kw * 1e3).sum();
    f.cooling
        .iter()
        .map(|u| {
            if u.is_air_side() {
                let removed = cooling.iter().find(|c| c.id == u.id).map(|c| c.removed_kw).unwrap_or(0.0).max(0.0);
                if u.electric_kw_given {
                    u.electric_kw * removed / u.capacity_kw
                } else {
                    removed * (1.0 / cop(u.supply_c) + FAN_FRACTION)
                }
            } else if cdu_cap_w > 0.0 {
                u.electric_kw * (liquid_w / cdu_cap_w)
            } else {
                0.0
            }
        })
        .collect()
}

/// Couple a solved thermal state to the facility network (None without `[network]`).
pub fn couple(f: &Facility, cooling: &[CoolingResult]) -> Result<Option<Coupling>, crate::error::InputError> {
    let kw = cooling_draw_kw(f, cooling);
    let Some((net, loads)) = facility_network_with(f, &kw) else { return Ok(None) };
    let pf = DcPowerFlow::new(&net)?;
    // No NaN, Inf or impossible flow reaches the coupling's numbers.
    let r = pf.solve_checked(&net)?;
    let input: f64 = r.pg_mw.iter().sum();
    let demand = loads.it_mw + loads.cooling_mw + loads.other_mw;
    let mut overloads: Vec<(String, f64)> = (0..net.branch.rows())
        .filter(|&k| r.loading_pct[k] > 100.0)
        .map(|k| (net.branch_names.get(k).cloned().unwrap_or_else(|| format!("row {k}")), r.loading_pct[k]))
        .collect();
    overloads.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(Some(Coupling {
        it_mw: loads.it_mw,
        cooling_mw: loads.cooling_mw,
        other_mw: loads.other_mw,
        facility_input_mw: input,
        pue: (loads.it_mw > 0.0).then(|| input / loads.it_mw),
        energy_balance_rel_error: (input - demand).abs() / input.abs().max(f64::MIN_POSITIVE),
        // NaN marks branches without a rating (flows are checked finite above).
        max_loading_pct: crate::outcome::nan_max(r.loading_pct.iter().copied().filter(|v| !v.is_nan())).max(0.0),
        overloads,
        cooling_kw: kw,
    }))
}
