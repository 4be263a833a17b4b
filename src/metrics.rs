//! Rack and cooling-unit temperatures and loads from a solved field.

use crate::facility::Facility;
use crate::raster::Raster;

/// ASHRAE recommended intake band for IT equipment, °C.
pub const ASHRAE_RECOMMENDED_C: (f64, f64) = (18.0, 27.0);

/// Temperatures of one rack, °C.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RackResult {
    pub id: String,
    /// South-west corner of the footprint, m.
    pub x_m: f64,
    pub y_m: f64,
    pub power_kw: f64,
    /// Heat into the room air, kW.
    pub air_heat_kw: f64,
    pub mean_c: f64,
    pub max_c: f64,
    /// Mean over the cells in front of the intake.
    pub intake_c: f64,
}

impl RackResult {
    /// Intake inside the ASHRAE recommended 18–27 °C band.
    pub fn intake_in_band(&self) -> bool {
        self.intake_c >= ASHRAE_RECOMMENDED_C.0 && self.intake_c <= ASHRAE_RECOMMENDED_C.1
    }
}

/// Heat removed by one air-side cooling unit.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CoolingResult {
    pub id: String,
    pub kind: String,
    pub capacity_kw: f64,
    pub removed_kw: f64,
    /// removed / capacity, %.
    pub load_pct: f64,
}

pub fn rack_results(f: &Facility, r: &Raster, t: &[f64]) -> Vec<RackResult> {
    let g = &r.problem.grid;
    f.racks
        .iter()
        .zip(&r.racks)
        .map(|(rack, cells)| {
            let (mut sum, mut max, mut n) = (0.0, f64::NEG_INFINITY, 0usize);
            for c in cells.cells.cells(g) {
                sum += t[c];
                max = max.max(t[c]);
                n += 1;
            }
            let intake = cells.intake.iter().map(|&c| t[c]).sum::<f64>() / cells.intake.len() as f64;
            RackResult {
                id: rack.id.clone(),
                x_m: rack.rect.x0,
                y_m: rack.rect.y0,
                power_kw: rack.power_kw,
                air_heat_kw: rack.air_heat_w() / 1e3,
                mean_c: sum / n as f64,
                max_c: max,
                intake_c: intake,
            }
        })
        .collect()
}

pub fn cooling_results(f: &Facility, r: &Raster, t: &[f64]) -> Vec<CoolingResult> {
    let p = &r.problem;
    let v = p.grid.cell_volume_m3();
    f.cooling
        .iter()
        .zip(&r.cooling)
        .filter(|(u, _)| u.is_air_side())
        .map(|(u, b)| {
            let removed: f64 = b.map(|b| b.cells(&p.grid).map(|c| p.h[c] * (t[c] - p.t_s[c]) * v).sum()).unwrap_or(0.0);
            CoolingResult {
                id: u.id.clone(),
                kind: format!("{:?}", u.kind).to_lowercase(),
                capacity_kw: u.capacity_kw,
                removed_kw: removed / 1e3,
                load_pct: 100.0 * removed / (u.capacity_kw * 1e3),
            }
        })
        .collect()
}
