//! The result of one thermal study (steady or transient): the data every writer
//! (HDF5, summaries, batch) reads. Its own module so that `io` and `report` can depend on
//! it without depending on the code that runs studies.

use crate::metrics::{CoolingResult, RackResult};
use crate::thermal::energy::EnergyBalance;
use crate::thermal::{SolveReport, ThermalProblem};

/// Everything a steady study produced.
pub struct Study {
    pub name: String,
    pub input_path: String,
    pub input_sha256: String,
    pub problem: ThermalProblem,
    /// Material id per cell (facility inputs only).
    pub material: Option<Vec<u8>>,
    /// °C, compact grid order.
    pub t: Vec<f64>,
    pub report: SolveReport,
    /// Whole run, s (reading, rasterizing, solving, metrics).
    pub wall_s: f64,
    pub energy: EnergyBalance,
    pub racks: Vec<RackResult>,
    pub cooling: Vec<CoolingResult>,
    /// Heat to liquid loops, W.
    pub liquid_heat_w: f64,
    /// CDU capacity, W.
    pub cdu_capacity_w: f64,
    /// For fields files with an answer: max |T − T_expected|, K, and the file's tolerance.
    pub expected_error_k: Option<(f64, Option<f64>)>,
    pub t_amb: Option<f64>,
    /// The electrical side for this thermal state (facilities with a `[network]`).
    pub coupling: Option<crate::coupling::Coupling>,
    /// With the airflow model: the largest per-cell mass imbalance / total flow.
    pub airflow_mass_residual: Option<f64>,
    /// With the airflow model: cell-centred air velocity (x, y, z), m/s.
    pub velocity_m_s: Option<[Vec<f64>; 3]>,
    /// Physically implausible inputs or answers ([`crate::guard`]).
    pub warnings: Vec<String>,
}

impl Study {
    /// The first quantity of the result that is NaN or ±Inf, named; `None` when every
    /// number a writer or summary reads is finite. A study with one is never reported
    /// as a success.
    pub fn first_non_finite(&self) -> Option<String> {
        use crate::outcome::first_non_finite;
        if let Some((i, v)) = first_non_finite(&self.t) {
            return Some(format!("T = {v} at cell {i}"));
        }
        let e = &self.energy;
        let mut scalars = vec![
            ("relative residual", self.report.relative_residual),
            ("heat injected (W)", e.injected_w),
            ("heat removed by cooling (W)", e.removed_by_cooling_w),
            ("heat removed by walls (W)", e.removed_by_walls_w),
            ("energy balance error", e.rel_error),
            ("liquid heat (W)", self.liquid_heat_w),
        ];
        if let Some(m) = self.airflow_mass_residual {
            scalars.push(("airflow mass residual", m));
        }
        if let Some(c) = &self.coupling {
            scalars.extend([
                ("IT power (MW)", c.it_mw),
                ("cooling power (MW)", c.cooling_mw),
                ("facility input (MW)", c.facility_input_mw),
                ("highest branch loading (%)", c.max_loading_pct),
            ]);
        }
        if let Some((what, v)) = scalars.iter().find(|(_, v)| !v.is_finite()) {
            return Some(format!("{what} = {v}"));
        }
        for r in &self.racks {
            for (what, v) in [("mean", r.mean_c), ("max", r.max_c), ("intake", r.intake_c)] {
                if !v.is_finite() {
                    return Some(format!("rack \"{}\" {what} temperature = {v}", r.id));
                }
            }
        }
        for c in &self.cooling {
            for (what, v) in [("heat removed (kW)", c.removed_kw), ("load (%)", c.load_pct)] {
                if !v.is_finite() {
                    return Some(format!("cooling unit \"{}\" {what} = {v}", c.id));
                }
            }
        }
        if let Some(vel) = &self.velocity_m_s {
            if let Some((i, v)) = vel.iter().find_map(|c| first_non_finite(c)) {
                return Some(format!("air velocity = {v} at cell {i}"));
            }
        }
        None
    }

    /// `Err` naming the first non-finite quantity (see [`Study::first_non_finite`]).
    pub fn check_finite(&self) -> Result<(), crate::error::Error> {
        match self.first_non_finite() {
            Some(m) => Err(crate::error::Error::Internal(format!(
                "the result of {} is not finite ({m}); nothing was written",
                self.input_path
            ))),
            None => Ok(()),
        }
    }
}

/// Maximum of the temperature field, °C.
pub fn max_temperature_c(s: &Study) -> f64 {
    crate::outcome::nan_max(s.t.iter().copied())
}

/// (RCI_HI, RCI_LO) of the racks' intakes, % (None without racks).
pub fn rci(s: &Study) -> (Option<f64>, Option<f64>) {
    if s.racks.is_empty() {
        return (None, None);
    }
    let t: Vec<f64> = s.racks.iter().map(|r| r.intake_c).collect();
    let (hi, lo) = crate::metrics::rack_cooling_index(&t);
    (Some(hi), Some(lo))
}

/// Which air model ran on a facility: "cfd" (momentum), "potential" or "diffusion";
/// `None` for a fields file.
pub fn air_model(s: &Study) -> Option<&'static str> {
    if s.material.is_none() {
        return None;
    }
    Some(match s.airflow_mass_residual {
        None => "diffusion",
        Some(_) if s.report.method.contains("cfd") => "cfd",
        Some(_) => "potential",
    })
}
