//! The pressure projection: `−∇²φ = −(∇·u* − s/V)/Δt` over the open cells, then
//! `u = u* − Δt ∇φ` on the free faces. Its matrix is the open-cell Laplacian of the
//! potential flow (closed and boundary faces carry their prescribed velocity, so they
//! add nothing to it): it depends only on the geometry, and its multigrid hierarchy is
//! built once and reused by every step.

use super::mac::Mac;
use crate::airflow::potential::{open_laplacian, region_pins};
use crate::thermal::cpu::{mg_pcg_with, Multigrid};
use crate::thermal::stencil::Stencil;
use rayon::prelude::*;

/// The projection's operator and multigrid, set up once per geometry.
pub struct Projection {
    a: Stencil,
    mg: Multigrid,
    /// MG-PCG iterations of the last solve.
    pub last_iterations: usize,
}

/// Why the projection could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("the pressure multigrid could not be built: {0}")]
pub struct ProjectionError(pub String);

impl Projection {
    /// Set up for the open cells `open` whose connected regions are `label` (`count`).
    pub fn new(mac: &Mac, open: &[bool], (label, count): (&[u32], usize)) -> Result<Self, ProjectionError> {
        let pins = region_pins(label, count);
        let a = open_laplacian(&mac.grid, open, &pins);
        let mut mg = Multigrid::new(&a).map_err(|e| ProjectionError(e.to_string()))?;
        mg.nu = 2;
        // Its finest residual vector is lent by each projection from the step's work
        // arrays (the relaxation's other iterate, idle meanwhile).
        drop(mg.take_scratch());
        Ok(Projection { a, mg, last_iterations: 0 })
    }

    /// Divergence of `u` minus the cell sources, per cell, 1/s: `Σ (u_out − u_in)/dx − s/V`
    /// (zero on closed cells; `source_m3s` empty: no sources).
    pub fn divergence(mac: &Mac, open: &[bool], u: &[Vec<f64>; 3], source_m3s: &[f64]) -> Vec<f64> {
        let mut d = vec![0.0; mac.cells()];
        Self::divergence_into(mac, open, u, source_m3s, &mut d);
        d
    }

    /// [`Projection::divergence`] into `d` (one entry per cell).
    pub fn divergence_into(mac: &Mac, open: &[bool], u: &[Vec<f64>; 3], source_m3s: &[f64], d: &mut [f64]) {
        let inv = 1.0 / mac.grid.dx;
        let v = mac.grid.cell_volume_m3();
        // Row by row along x: each cell's faces are found by adding, not dividing.
        let nx = mac.n[0];
        d.par_chunks_mut(nx).enumerate().for_each(|(row, ds)| {
            let (j, k) = (row % mac.n[1], row / mac.n[1]);
            let base: [usize; 3] = [0, 1, 2].map(|a| if a < mac.nd { mac.face(a, [0, j, k]) } else { 0 });
            for (i, out) in ds.iter_mut().enumerate() {
                let c = row * nx + i;
                if !open[c] {
                    *out = 0.0;
                    continue;
                }
                let mut s = 0.0;
                for a in 0..mac.nd {
                    let f = base[a] + i;
                    s += u[a][f + mac.fstride[a][a]] - u[a][f];
                }
                *out = s * inv - source_m3s.get(c).copied().unwrap_or(0.0) / v;
            }
        });
    }

    /// Project `u` (on `free` faces) onto the divergence-free fields with the given
    /// cell sources, over a pseudo-time step `dt`; add the pressure increment φ
    /// (kinematic pressure, m²/s², per cell) to `p` and return the relative residual.
    /// The divergence, φ and the conjugate-gradient vectors live in `w` (the step's
    /// work arrays, idle between the predictors), so a projection allocates no field.
    #[allow(clippy::too_many_arguments)]
    pub fn project(
        &mut self,
        mac: &Mac,
        open: &[bool],
        free: &[Vec<bool>; 3],
        u: &mut [Vec<f64>; 3],
        source_m3s: &[f64],
        dt: f64,
        tol: f64,
        max_iter: usize,
        p: &mut [f64],
        w: &mut super::Work,
    ) -> f64 {
        let lay = self.a.layout;
        let n = mac.cells();
        let [div, phi, _] = &mut w.bufs;
        div.resize(n, 0.0);
        Self::divergence_into(mac, open, u, source_m3s, div);
        // A φ = −div/Δt with A = −∇² (the potential's sign convention).
        div.par_iter_mut().for_each(|d| *d = -*d / dt);
        // The padded right-hand side and solution and the three conjugate-gradient
        // vectors live in the coefficient rows' storage (idle between the predictors).
        let pl = lay.padded_len();
        let need = (5 * pl).div_ceil(8);
        if w.coef.len() < need {
            w.coef.resize(need, [0.0; 8]);
        }
        let flat = w.coef.as_flattened_mut();
        let (b, rest) = flat.split_at_mut(pl);
        let (x, rest) = rest.split_at_mut(pl);
        let (r, rest) = rest.split_at_mut(pl);
        let (z, rest) = rest.split_at_mut(pl);
        b.fill(0.0);
        lay.copy_to_padded(div, b);
        x.fill(0.0);
        let mut lent = std::mem::take(&mut w.scratch);
        lent.clear();
        lent.resize(pl, 0.0);
        self.mg.restore_scratch(lent);
        let out = mg_pcg_with(&self.a, &mut self.mg, b, x, tol, max_iter, [r, z, &mut rest[..pl]]);
        w.scratch = self.mg.take_scratch();
        self.last_iterations = out.iterations;
        phi.resize(n, 0.0);
        lay.copy_to_compact(x, phi);
        Self::project_update(mac, free, phi, dt, u, p);
        out.relative_residual
    }

    /// The update from the pressure increment φ (per cell): `u −= Δt ∇φ` on the free
    /// faces, `p += φ`.
    pub fn project_update(
        mac: &Mac,
        free: &[Vec<bool>; 3],
        phi: &[f64],
        dt: f64,
        u: &mut [Vec<f64>; 3],
        p: &mut [f64],
    ) {
        let inv = 1.0 / mac.grid.dx;
        for a in 0..mac.nd {
            let s = mac.cstride[a];
            let fr = &free[a];
            let fd = mac.fdims[a];
            u[a].par_chunks_mut(fd[0]).enumerate().for_each(|(row, us)| {
                let (j, k) = (row % fd[1], row / fd[1]);
                for (i, v) in us.iter_mut().enumerate() {
                    if fr[row * fd[0] + i] {
                        // A free face has open cells on both sides, inside the grid.
                        let hi = mac.cell([i, j, k]);
                        *v -= dt * (phi[hi] - phi[hi - s]) * inv;
                    }
                }
            });
        }
        p.par_iter_mut().zip(phi).for_each(|(p, f)| *p += f);
    }

    /// The operator and its multigrid hierarchy (uploaded by the GPU march).
    pub fn parts(&self) -> (&Stencil, &Multigrid) {
        (&self.a, &self.mg)
    }

    /// Bytes held by the operator and its hierarchy.
    pub fn bytes(&self) -> usize {
        self.a.coef.len() * 8 + self.mg.bytes()
    }
}
