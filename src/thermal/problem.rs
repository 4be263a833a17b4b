//! A steady thermal problem on a grid: the fields of the equation and its walls.

use crate::grid::{Grid, Wall, Walls, WALL_NAMES};

/// The steady heat equation `-div(k grad T) + h (T - T_s) = q` on a grid.
///
/// All fields are compact arrays in the grid's index order (see [`crate::grid`]).
#[derive(Clone, Debug)]
pub struct ThermalProblem {
    pub grid: Grid,
    /// Conductivity, W/(m·K), > 0.
    pub k: Vec<f64>,
    /// Heat source, W/m³, any sign.
    pub q: Vec<f64>,
    /// Volumetric heat-transfer coefficient towards `t_s`, W/(m³·K), ≥ 0.
    pub h: Vec<f64>,
    /// Temperature that `h` pulls towards, °C (supply temperature of cooling units).
    pub t_s: Vec<f64>,
    pub walls: Walls,
}

/// Something wrong with the fields of a thermal problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProblemError {
    #[error("field `{field}` has {got} values but the grid has {expected} cells")]
    Shape { field: &'static str, got: usize, expected: usize },
    #[error("{field} at cell (i={i}, j={j}, k={k}) is {value}: {rule}")]
    BadValue { field: &'static str, i: usize, j: usize, k: usize, value: f64, rule: &'static str },
    #[error("wall {wall} has temperature {value}: a fixed wall needs a finite °C value")]
    BadWall { wall: &'static str, value: f64 },
    #[error("grid spacing dx = {0} m: it must be finite and > 0")]
    BadSpacing(f64),
    #[error("the grid has no cells")]
    Empty,
    #[error(
        "no heat path out of the domain: every wall is adiabatic and h = 0 everywhere, so the \
         steady problem is singular; add a cooling unit or supply region (h > 0) or hold a \
         wall at a fixed temperature"
    )]
    NoHeatPath,
}

impl ThermalProblem {
    /// Check every value; on success the operator is symmetric positive definite.
    pub fn validate(&self) -> Result<(), ProblemError> {
        self.validate_fields()?;
        if !self.walls.any_fixed(&self.grid) && self.h.iter().all(|&h| h == 0.0) {
            return Err(ProblemError::NoHeatPath);
        }
        Ok(())
    }

    /// Check every value, but allow a problem with no heat path (well posed in time).
    pub fn validate_fields(&self) -> Result<(), ProblemError> {
        let g = &self.grid;
        if !(g.dx.is_finite() && g.dx > 0.0) || !(g.slab_m.is_finite() && g.slab_m > 0.0) {
            return Err(ProblemError::BadSpacing(g.dx));
        }
        let n = g.cells();
        if n == 0 {
            return Err(ProblemError::Empty);
        }
        for (field, v) in [("k", &self.k), ("q", &self.q), ("h", &self.h), ("T_s", &self.t_s)] {
            if v.len() != n {
                return Err(ProblemError::Shape { field, got: v.len(), expected: n });
            }
        }
        let at = |c: usize| (c % g.nx, (c / g.nx) % g.ny, c / (g.nx * g.ny));
        let bad = |field, c: usize, value, rule| {
            let (i, j, k) = at(c);
            Err(ProblemError::BadValue { field, i, j, k, value, rule })
        };
        for c in 0..n {
            if !(self.k[c].is_finite() && self.k[c] > 0.0) {
                return bad("conductivity k", c, self.k[c], "must be finite and > 0 W/(m·K)");
            }
            if !self.q[c].is_finite() {
                return bad("heat source q", c, self.q[c], "must be finite (W/m³)");
            }
            if !(self.h[c].is_finite() && self.h[c] >= 0.0) {
                return bad("heat-transfer coefficient h", c, self.h[c], "must be finite and ≥ 0 W/(m³·K)");
            }
            if self.h[c] > 0.0 && !self.t_s[c].is_finite() {
                return bad("supply temperature", c, self.t_s[c], "must be finite (°C) where h > 0");
            }
        }
        let nw = if g.is_3d() { 6 } else { 4 };
        for (w, name) in self.walls.as_array()[..nw].iter().zip(WALL_NAMES) {
            if let Wall::Fixed(t) = w {
                if !t.is_finite() {
                    return Err(ProblemError::BadWall { wall: name, value: *t });
                }
            }
        }
        Ok(())
    }
}
