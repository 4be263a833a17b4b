//! The pressure projection: `−∇²φ = −(∇·u* − s/V)/Δt` over the open cells, then
//! `u = u* − Δt ∇φ` on the free faces. Its matrix is the open-cell Laplacian of the
//! potential flow (closed and boundary faces carry their prescribed velocity, so they
//! add nothing to it): it depends only on the geometry, and its multigrid hierarchy is
//! built once and reused by every step.

use super::mac::Mac;
use crate::airflow::potential::{open_laplacian, region_pins};
use crate::thermal::cpu::{mg_pcg, Multigrid};
use crate::thermal::stencil::Stencil;
use rayon::prelude::*;

/// The projection's operator and multigrid, set up once per geometry.
pub struct Projection {
    a: Stencil,
    mg: Multigrid,
    /// Padded work vectors: right-hand side and solution.
    b: Vec<f64>,
    x: Vec<f64>,
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
        let lay = a.layout;
        Ok(Projection { b: lay.zeros(), x: lay.zeros(), a, mg, last_iterations: 0 })
    }

    /// Divergence of `u` minus the cell sources, per cell, 1/s: `Σ (u_out − u_in)/dx − s/V`
    /// (zero on closed cells).
    pub fn divergence(mac: &Mac, open: &[bool], u: &[Vec<f64>; 3], source_m3s: &[f64]) -> Vec<f64> {
        let inv = 1.0 / mac.grid.dx;
        let v = mac.grid.cell_volume_m3();
        let mut d = vec![0.0; mac.cells()];
        d.par_iter_mut().enumerate().for_each(|(c, out)| {
            if !open[c] {
                return;
            }
            let p = mac.cell_pos(c);
            let mut s = 0.0;
            for a in 0..mac.nd {
                let f = mac.face(a, p);
                s += u[a][f + mac.fstride[a][a]] - u[a][f];
            }
            *out = s * inv - source_m3s[c] / v;
        });
        d
    }

    /// Project `u` (on `free` faces) onto the divergence-free fields with the given
    /// cell sources, over a pseudo-time step `dt`; return the pressure increment φ
    /// (m²/s² times nothing: kinematic pressure, per cell) and the relative residual.
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
    ) -> (Vec<f64>, f64) {
        let div = Self::divergence(mac, open, u, source_m3s);
        let lay = self.a.layout;
        // A φ = −div/Δt with A = −∇² (the potential's sign convention).
        let rhs: Vec<f64> = div.iter().map(|d| -d / dt).collect();
        let padded = lay.to_padded(&rhs);
        self.b.copy_from_slice(&padded);
        self.x.iter_mut().for_each(|v| *v = 0.0);
        let out = mg_pcg(&self.a, &mut self.mg, &self.b, &mut self.x, tol, max_iter);
        self.last_iterations = out.iterations;
        let phi = lay.to_compact(&self.x);
        let inv = 1.0 / mac.grid.dx;
        for a in 0..mac.nd {
            let s = mac.cstride[a];
            let fr = &free[a];
            u[a].par_iter_mut().enumerate().for_each(|(f, v)| {
                if fr[f] {
                    let hi = mac.cell(mac.face_pos(a, f));
                    *v -= dt * (phi[hi] - phi[hi - s]) * inv;
                }
            });
        }
        (phi, out.relative_residual)
    }

    /// Bytes held by the operator and its hierarchy.
    pub fn bytes(&self) -> usize {
        self.a.coef.len() * 8 + self.mg.bytes() + (self.b.len() + self.x.len()) * 8
    }
}
