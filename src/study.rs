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
