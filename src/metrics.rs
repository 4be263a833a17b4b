//! Rack and cooling-unit temperatures and loads from a solved field.

use crate::facility::Facility;
use crate::raster::Raster;

/// ASHRAE recommended intake band for IT equipment, °C.
pub const ASHRAE_RECOMMENDED_C: (f64, f64) = (18.0, 27.0);

/// ASHRAE allowable intake ranges (2021 thermal guidelines), °C: (class, min, max).
pub const ASHRAE_ALLOWABLE_C: [(&str, f64, f64); 4] =
    [("A1", 15.0, 32.0), ("A2", 10.0, 35.0), ("A3", 5.0, 40.0), ("A4", 5.0, 45.0)];

/// The most demanding ASHRAE class whose allowable range holds `t` (°C), or "none".
pub fn ashrae_class(t: f64) -> &'static str {
    ASHRAE_ALLOWABLE_C.iter().find(|(_, lo, hi)| t >= *lo && t <= *hi).map(|c| c.0).unwrap_or("none")
}

/// Rack Cooling Index (Herrlin), %: `(RCI_HI, RCI_LO)` of intake temperatures against
/// the recommended 18–27 °C and allowable 15–32 °C (class A1) limits. 100 % means no
/// intake outside the recommended range.
pub fn rack_cooling_index(intakes: &[f64]) -> (f64, f64) {
    let n = intakes.len().max(1) as f64;
    let (rec_lo, rec_hi) = ASHRAE_RECOMMENDED_C;
    let (all_lo, all_hi) = (15.0, 32.0);
    let over: f64 = intakes.iter().map(|&t| (t - rec_hi).max(0.0)).sum();
    let under: f64 = intakes.iter().map(|&t| (rec_lo - t).max(0.0)).sum();
    (100.0 * (1.0 - over / (n * (all_hi - rec_hi))), 100.0 * (1.0 - under / (n * (rec_lo - all_lo))))
}

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
    /// Mean over the intake cells of the rack's top cell layer (top of rack; the whole
    /// intake in 2-D).
    pub intake_top_c: f64,
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
            let top_layer = cells.cells.k1.saturating_sub(1);
            let top: Vec<f64> =
                cells.intake.iter().filter(|&&c| c / (g.nx * g.ny) == top_layer).map(|&c| t[c]).collect();
            let intake_top = if top.is_empty() { intake } else { top.iter().sum::<f64>() / top.len() as f64 };
            RackResult {
                id: rack.id.clone(),
                x_m: rack.rect.x0,
                y_m: rack.rect.y0,
                power_kw: rack.power_kw,
                air_heat_kw: rack.air_heat_w() / 1e3,
                mean_c: sum / n as f64,
                max_c: max,
                intake_c: intake,
                intake_top_c: intake_top,
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
                kind: u.kind.name().to_string(),
                capacity_kw: u.capacity_kw,
                removed_kw: removed / 1e3,
                load_pct: 100.0 * removed / (u.capacity_kw * 1e3),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_rci() {
        assert_eq!(ashrae_class(25.0), "A1");
        assert_eq!(ashrae_class(33.0), "A2");
        assert_eq!(ashrae_class(38.0), "A3");
        assert_eq!(ashrae_class(44.0), "A4");
        assert_eq!(ashrae_class(50.0), "none");
        assert_eq!(rack_cooling_index(&[20.0, 25.0]), (100.0, 100.0));
        // One of two racks at the allowable maximum: RCI_HI = 1 − 5 / (2 · 5) = 50 %.
        assert!((rack_cooling_index(&[32.0, 22.0]).0 - 50.0).abs() < 1e-12);
        assert!((rack_cooling_index(&[15.0, 22.0]).1 - 50.0).abs() < 1e-12);
    }
}
