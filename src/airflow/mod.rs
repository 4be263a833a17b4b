//! Air that moves : potential flow and upwind advection.
//!
//! **Potential flow.** Open (fluid) cells carry a velocity potential φ with
//! `∇²φ = −s`: `s` (m³/s per cell) is positive where air enters (supply faces, tiles,
//! rack exhausts) and negative where it leaves (returns, rack intakes). Faces touching a
//! closed cell (walls, obstacles, rack bodies) carry no flow. The volume flux through a
//! face is `Q = (φ_P − φ_N) · V / dx²` (m³/s, from P to N), so every open cell conserves
//! mass: `Σ Q_out − s = 0` to the solver's tolerance ([`mass_residual`]). One open cell
//! is pinned (φ = 0) to fix the additive constant; sources must balance.
//!
//! **Advection.** [`add_upwind`] adds `ρc_p ∇·(u T)` to a thermal operator with first-
//! order upwind faces: outflow leaves at the cell's own temperature, inflow brings the
//! upstream one; sinks take air at the cell's temperature and sources bring it at theirs.
//! The result is non-symmetric; [`mg_bicgstab`] solves it with the multigrid of `cpu/`
//! (Galerkin coarse operators work for non-symmetric stencils; the coarsest level falls
//! back to dense LU) as a right preconditioner of BiCGStab.

//!
//! Modules: [`potential`] (the flow), [`upwind`] (advection), [`bicgstab`] (the
//! non-symmetric solve), [`facility`] (racks, units and tiles as sources and sinks,
//! linked intake → exhaust and return → supply inside the operator).

pub mod balance;
pub mod bicgstab;
pub mod cfd;
pub mod facility;
pub mod gpu;
pub mod links;
pub mod potential;
pub mod regions;
pub mod upwind;

pub use bicgstab::mg_bicgstab;
pub use potential::{mass_residual, solve_potential, solve_potential_in, solve_potential_on};
pub use upwind::add_upwind;

use crate::grid::Grid;

/// Phase timings on stderr when `THERMOGRID_TRACE` is set.
pub(crate) struct Trace {
    on: bool,
    t0: std::time::Instant,
}

impl Trace {
    pub(crate) fn new() -> Self {
        Trace { on: std::env::var_os("THERMOGRID_TRACE").is_some(), t0: std::time::Instant::now() }
    }
    pub(crate) fn at(&self, what: &str) {
        if self.on {
            eprintln!("[airflow {:8.3} s] {what}", self.t0.elapsed().as_secs_f64());
        }
    }
}

/// Volume fluxes through the faces, m³/s, positive along +x, +y, +z. `fx` has
/// `(nx + 1) · ny · nz` entries (face `i` lies between cells `i − 1` and `i`); likewise `fy`, `fz`.
#[derive(Clone, Debug, Default)]
pub struct Fluxes {
    pub fx: Vec<f64>,
    pub fy: Vec<f64>,
    pub fz: Vec<f64>,
}

impl Fluxes {
    pub fn zeros(g: &Grid) -> Self {
        Fluxes {
            fx: vec![0.0; (g.nx + 1) * g.ny * g.nz],
            fy: vec![0.0; g.nx * (g.ny + 1) * g.nz],
            fz: vec![0.0; g.nx * g.ny * (g.nz + 1)],
        }
    }
    #[inline]
    pub fn ix(g: &Grid, i: usize, j: usize, k: usize) -> usize {
        (k * g.ny + j) * (g.nx + 1) + i
    }
    #[inline]
    pub fn iy(g: &Grid, i: usize, j: usize, k: usize) -> usize {
        (k * (g.ny + 1) + j) * g.nx + i
    }
    #[inline]
    pub fn iz(g: &Grid, i: usize, j: usize, k: usize) -> usize {
        (k * g.ny + j) * g.nx + i
    }
    /// Cell-centred air velocity, m/s, per axis (x, y, z; z zero in 2-D): the mean of
    /// the two faces' volume fluxes over the face area (`dx · slab_m` in 2-D, `dx²` in 3-D).
    pub fn cell_velocity(&self, g: &Grid) -> [Vec<f64>; 3] {
        let area = g.cell_volume_m3() / g.dx;
        let n = g.cells();
        let (mut ux, mut uy, mut uz) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        for k in 0..g.nz {
            for j in 0..g.ny {
                for i in 0..g.nx {
                    let c = g.idx(i, j, k);
                    ux[c] = (self.fx[Self::ix(g, i, j, k)] + self.fx[Self::ix(g, i + 1, j, k)]) / (2.0 * area);
                    uy[c] = (self.fy[Self::iy(g, i, j, k)] + self.fy[Self::iy(g, i, j + 1, k)]) / (2.0 * area);
                    if g.is_3d() {
                        uz[c] = (self.fz[Self::iz(g, i, j, k)] + self.fz[Self::iz(g, i, j, k + 1)]) / (2.0 * area);
                    }
                }
            }
        }
        [ux, uy, uz]
    }

    /// Net outflow of cell `c` through its faces, m³/s.
    pub fn net_out(&self, g: &Grid, i: usize, j: usize, k: usize) -> f64 {
        let mut s = self.fx[Self::ix(g, i + 1, j, k)] - self.fx[Self::ix(g, i, j, k)]
            + self.fy[Self::iy(g, i, j + 1, k)]
            - self.fy[Self::iy(g, i, j, k)];
        if g.is_3d() {
            s += self.fz[Self::iz(g, i, j, k + 1)] - self.fz[Self::iz(g, i, j, k)];
        }
        s
    }
}

/// A potential-flow problem.
pub struct FlowProblem {
    pub grid: Grid,
    /// Open (fluid) cells.
    pub open: Vec<bool>,
    /// Air entering (+) or leaving (−) each cell, m³/s.
    pub source_m3s: Vec<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("sources and sinks do not balance: net {net:.3e} m³/s of {total:.3e} m³/s")]
    Unbalanced { net: f64, total: f64 },
    #[error(
        "a sealed air region (around x = {x:.2} m, y = {y:.2} m, z = {z:.2} m) takes in {net:.3e} m³/s more \
         than leaves it"
    )]
    UnbalancedRegion { net: f64, x: f64, y: f64, z: f64 },
    #[error("no open cell")]
    Closed,
    #[error("the potential solve did not converge (relative residual {relative_residual:.2e} after {iterations} iterations, asked for {tol:.1e})")]
    NotConverged { iterations: usize, relative_residual: f64, tol: f64 },
    #[error("the GPU potential solve failed: {0}")]
    Gpu(String),
}
