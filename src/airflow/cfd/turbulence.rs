//! Turbulence closures: laminar, or LVEL (Agonafer, Gan-Li & Spalding 1996), the
//! zero-equation model that electronics-cooling and data-centre CFD tools have long
//! used.
//!
//! LVEL needs the distance to the nearest wall, `d`, from the Poisson equation
//! `∇²φ = −1` with `φ = 0` on every wall face (solids, domain walls, fan and tile
//! faces): `d = √(|∇φ|² + 2φ) − |∇φ|` (Spalding), exact between parallel plates. With
//! the local speed `|u|` it sets `Re = |u| d / ν`, solves Spalding's law of the wall
//!
//! ```text
//! y⁺ = u⁺ + (1/E) [e^{κu⁺} − 1 − κu⁺ − (κu⁺)²/2 − (κu⁺)³/6],   y⁺ u⁺ = Re
//! ```
//!
//! for `u⁺` (κ = 0.41, E = 8.6) and takes `ν_eff/ν = dy⁺/du⁺ = 1 + (κ/E)[e^{κu⁺} − 1 −
//! κu⁺ − (κu⁺)²/2]`: laminar in the viscous sublayer, `κ u_τ d` in the log layer. Heat:
//! `α_eff = α + ν_t/Pr_t`.
//!
//! Chen & Xu's indoor zero-equation model takes the same wall distance and speed:
//! `ν_t = 0.03874 |u| d`, about 2.5 times LVEL's log-layer value.

use super::mac::Mac;
use crate::thermal::cpu::{mg_pcg, Multigrid};
use crate::thermal::operator::face_offsets;
use crate::thermal::stencil::{Layout, Stencil};
use rayon::prelude::*;

/// Chen & Xu (1998), "A zero-equation turbulence model for indoor airflow
/// simulation", Energy and Buildings 28, 137–144: `ν_t = 0.03874 V L`, with V the local
/// speed and L the distance to the nearest wall (fitted to k-ε results of rooms).
pub const CHEN_XU: f64 = 0.03874;

/// Von Kármán's constant and the log-law constant of LVEL.
pub const KAPPA: f64 = 0.41;
pub const E_LOG: f64 = 8.6;

/// Which closure gives the eddy viscosity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Turbulence {
    /// ν_eff = ν.
    Laminar,
    /// LVEL (wall distance and local speed through Spalding's law).
    Lvel,
    /// Chen & Xu's zero-equation model for indoor air: `ν_t = 0.03874 |u| d`.
    ChenXu,
}

impl Turbulence {
    pub fn name(&self) -> &'static str {
        match self {
            Turbulence::Laminar => "laminar",
            Turbulence::Lvel => "lvel",
            Turbulence::ChenXu => "chen_xu",
        }
    }
}

/// Distance from each open cell's centre to the nearest wall, m (0 on closed cells).
pub fn wall_distance(mac: &Mac, open: &[bool], free: &[Vec<bool>; 3]) -> Vec<f64> {
    let g = mac.grid;
    let h = g.dx;
    let inv = 1.0 / (h * h);
    let lay = Layout::new(g.nx, g.ny, g.nz);
    let mut a = Stencil::zeros(lay, face_offsets(g.is_3d()));
    let noff = a.noff();
    let mut rhs = vec![0.0; mac.cells()];
    a.coef.par_chunks_mut(noff).zip(rhs.par_iter_mut()).enumerate().for_each(|(c, (cf, b))| {
        if !open[c] {
            cf[0] = 1.0;
            return;
        }
        *b = 1.0;
        let p = mac.cell_pos(c);
        let mut diag = 0.0;
        for d in 0..mac.nd {
            for (side, s) in [(0usize, 0usize), (1, 1)] {
                let mut pf = p;
                pf[d] += s;
                if free[d][mac.face(d, pf)] {
                    cf[1 + 2 * d + side] = -inv;
                    diag += inv;
                } else {
                    diag += 2.0 * inv;
                }
            }
        }
        cf[0] = diag;
    });
    let bp = lay.to_padded(&rhs);
    let mut x = lay.zeros();
    let phi = match Multigrid::new(&a) {
        Ok(mut mg) => {
            mg_pcg(&a, &mut mg, &bp, &mut x, 1e-8, 200);
            lay.to_compact(&x)
        }
        Err(_) => vec![0.0; mac.cells()],
    };
    (0..mac.cells())
        .into_par_iter()
        .map(|c| {
            if !open[c] {
                return 0.0;
            }
            let p = mac.cell_pos(c);
            let mut g2 = 0.0;
            for d in 0..mac.nd {
                // Values and distances on either side: a neighbour at dx, a wall (φ = 0) at dx/2.
                let side = |s: usize, step: isize| {
                    let mut pf = p;
                    pf[d] += s;
                    if free[d][mac.face(d, pf)] {
                        (phi[(c as isize + step * mac.cstride[d] as isize) as usize], h)
                    } else {
                        (0.0, 0.5 * h)
                    }
                };
                let (vm, dm) = side(0, -1);
                let (vp, dp) = side(1, 1);
                let gr = (vp - vm) / (dp + dm);
                g2 += gr * gr;
            }
            let gn = g2.sqrt();
            ((g2 + 2.0 * phi[c].max(0.0)).sqrt() - gn).max(0.0)
        })
        .collect()
}

/// `u⁺` of Spalding's law at `Re = |u| d / ν` (Newton on `y⁺(u⁺) u⁺ = Re`).
pub fn spalding_u_plus(re: f64) -> f64 {
    if !(re > 0.0) {
        return 0.0;
    }
    let yplus = |up: f64| {
        let k = KAPPA * up;
        up + ((k).exp() - 1.0 - k - k * k / 2.0 - k * k * k / 6.0) / E_LOG
    };
    let dyplus = |up: f64| {
        let k = KAPPA * up;
        1.0 + KAPPA * ((k).exp() - 1.0 - k - k * k / 2.0) / E_LOG
    };
    // Start: viscous sublayer (u⁺ = √Re) or the log law, whichever is smaller.
    let mut up = re.sqrt().min(((E_LOG * re.sqrt()).max(1.0).ln() / KAPPA).max(1e-3));
    for _ in 0..50 {
        let f = up * yplus(up) - re;
        let df = yplus(up) + up * dyplus(up);
        let next = (up - f / df).max(0.5 * up);
        if (next - up).abs() <= 1e-12 * up {
            return next;
        }
        up = next;
    }
    up
}

/// `ν_eff / ν` of LVEL at `Re = |u| d / ν`.
pub fn lvel_ratio(re: f64) -> f64 {
    let k = KAPPA * spalding_u_plus(re);
    1.0 + KAPPA * (k.exp() - 1.0 - k - k * k / 2.0) / E_LOG
}

/// Effective viscosity per cell, m²/s, for the cell-centred speed `speed` (m/s).
pub fn effective_viscosity(model: Turbulence, nu: f64, d: &[f32], speed: &[f64], out: &mut [f64]) {
    match model {
        Turbulence::Laminar => out.iter_mut().for_each(|v| *v = nu),
        Turbulence::Lvel => out.par_iter_mut().zip(d.par_iter().zip(speed)).for_each(|(o, (&d, s))| {
            *o = nu * lvel_ratio(s * d as f64 / nu);
        }),
        Turbulence::ChenXu => out.par_iter_mut().zip(d.par_iter().zip(speed)).for_each(|(o, (&d, s))| {
            *o = nu + CHEN_XU * s * d as f64;
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spalding_law_limits() {
        // Viscous sublayer: u⁺ = y⁺, so u⁺ = √Re and ν_eff ≈ ν.
        let up = spalding_u_plus(4.0);
        assert!((up - 2.0).abs() < 0.02, "{up}");
        assert!(lvel_ratio(1.0) < 1.01);
        // Log layer: u⁺ = ln(E y⁺)/κ.
        let re = 1e6;
        let up = spalding_u_plus(re);
        let yp = re / up;
        let log_law = (E_LOG * yp).ln() / KAPPA;
        assert!((up - log_law).abs() / log_law < 0.01, "{up} vs {log_law}");
        // ν_t ≈ κ y⁺ ν there.
        let ratio = lvel_ratio(re);
        assert!((ratio / (KAPPA * yp) - 1.0).abs() < 0.1, "{ratio} vs {}", KAPPA * yp);
    }
}
