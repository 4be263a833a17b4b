//! The energy step: one implicit (pseudo- or physical-) time step of
//!
//! ```text
//! ∂T/∂t + ∇·(u T) = ∇·(α_eff ∇T) + q/(ρc_p)          (α_eff = k_eff/(ρc_p), m²/s)
//! ```
//!
//! on the open cells, with the face velocities of the last projection. Advection in
//! flux form: first-order upwind implicitly plus the bounded (van Leer) correction from
//! the previous iterate, so each face's heat leaves one cell and enters the next.
//! Boundary faces: inflow (fans, tiles, supply faces) at its group's temperature,
//! outflow at the cell's; domain walls held at a temperature conduct through half a
//! cell; every other wall is adiabatic. Cell sources (2-D floorplans, where a tile has
//! no face below it) bring air at their group's temperature. Relaxed as the momentum
//! predictor is.

use super::mac::Mac;
use super::tvd::correction;
use crate::grid::Wall;
use rayon::prelude::*;

/// Inputs of one energy step.
pub struct EnergyInputs<'a> {
    pub mac: &'a Mac,
    pub open: &'a [bool],
    pub free: &'a [Vec<bool>; 3],
    pub u: &'a [Vec<f64>; 3],
    /// Effective kinematic viscosity per cell, m²/s: the effective diffusivity is
    /// `α + (ν_eff − ν)/Pr_t` (the eddy part over the turbulent Prandtl number).
    pub nu_eff: &'a [f64],
    pub fluid: &'a super::Fluid,
    /// Thermal condition of the domain walls (xlo, xhi, ylo, yhi, zlo, zhi).
    pub walls: [Wall; 6],
    /// The prescribed faces (their inflow temperature groups), and the group of each
    /// cell source (`u32::MAX`: none).
    pub ports: &'a super::Ports,
    pub cell_source_m3s: &'a [f64],
    pub cell_group: &'a [u32],
    /// Temperature of each group, °C.
    pub group_t: &'a [f64],
    /// Heat released in the air, W/m³ (empty: none).
    pub q_w_m3: &'a [f64],
    /// Volumetric heat capacity of the air, J/(m³·K).
    pub rho_cp_j_m3k: f64,
    /// Per cell, a rate (1/s) toward a temperature (°C), implicit: heat exchanged with a
    /// thermal mass (the building's). Both empty: none.
    pub exchange: (&'a [f64], &'a [f64]),
    pub dt: f64,
    /// The temperatures at the start of the step (`None`: the iterate `t` itself, as in
    /// a pseudo-time march); given, `t` is only the first guess of an outer iteration.
    pub t_old: Option<&'a [f64]>,
    pub relax: super::Relaxation,
}

/// The effective thermal diffusivity of a cell of effective viscosity `nu_eff`, m²/s.
#[inline]
pub fn diffusivity(fluid: &super::Fluid, nu_eff: f64) -> f64 {
    fluid.alpha_m2_s + (nu_eff - fluid.nu_m2_s).max(0.0) / fluid.prandtl_t
}

/// Advance `t` by one step (in place) and return the largest change, K. `w` holds the
/// work arrays (reused).
pub fn energy_step(e: &EnergyInputs, t: &mut [f64], w: &mut super::Work) -> f64 {
    let mac = e.mac;
    let n = mac.cells();
    let [old, corr, x] = &mut w.bufs;
    old.clear();
    old.extend_from_slice(t);
    let old: &[f64] = old;
    corr.resize(n, 0.0);
    bounded_correction_into(mac, e.open, e.free, e.u, old, corr);
    let corr: &[f64] = corr;
    w.coef.resize(n, [0.0; 8]);
    energy_rows(e, old, corr, &mut w.coef);
    x.clear();
    x.extend_from_slice(old);
    e.relax.solve_into(&w.coef, mac.n, x, &mut w.scratch);
    let d = x.par_iter().zip(e.t_old.unwrap_or(old)).map(|(x, y)| (x - y).abs()).reduce(|| 0.0, f64::max);
    t.copy_from_slice(x);
    d
}

/// The rows of the energy step, one per cell, into `coef`, from the previous iterate
/// `old` and its bounded correction `corr`.
pub fn energy_rows(e: &EnergyInputs, old: &[f64], corr: &[f64], coef: &mut [[f64; 8]]) {
    let mac = e.mac;
    let h = mac.grid.dx;
    let (inv_h, inv_h2) = (1.0 / h, 1.0 / (h * h));
    let v = mac.grid.cell_volume_m3();
    let group_t = |g: u32| if g == u32::MAX { f64::NAN } else { e.group_t[g as usize] };
    debug_assert_eq!(e.exchange.0.len(), e.exchange.1.len(), "an exchange rate per temperature");
    let alpha = |c: usize| diffusivity(e.fluid, e.nu_eff[c]);
    coef.par_iter_mut().enumerate().for_each(|(c, cf)| {
        *cf = [0.0; 8];
        if !e.open[c] {
            cf[0] = 1.0;
            cf[1] = old[c];
            return;
        }
        let p = mac.cell_pos(c);
        let a0 = alpha(c);
        let mut diag = 1.0 / e.dt;
        let t_n = e.t_old.map_or(old[c], |t| t[c]);
        let q = e.q_w_m3.get(c).copied().unwrap_or(0.0);
        let mut rhs = t_n / e.dt + q / e.rho_cp_j_m3k - corr[c];
        for b in 0..mac.nd {
            let cs = mac.cstride[b];
            for (side, s) in [(0usize, -1isize), (1, 1)] {
                let mut pf = p;
                if s > 0 {
                    pf[b] += 1;
                }
                let f = mac.face(b, pf);
                let w = s as f64 * e.u[b][f];
                if e.free[b][f] {
                    let nb = if s > 0 { c + cs } else { c - cs };
                    let a1 = alpha(nb);
                    let diff = if a0 + a1 > 0.0 { 2.0 * a0 * a1 / (a0 + a1) } else { 0.0 } * inv_h2;
                    diag += diff + w.max(0.0) * inv_h;
                    cf[2 + 2 * b + side] = diff + (-w).max(0.0) * inv_h;
                } else {
                    if w > 0.0 {
                        diag += w * inv_h;
                    } else if w < 0.0 {
                        let tg = group_t(e.ports.get(&(b, f)).map_or(u32::MAX, |p| p.group));
                        rhs += -w * inv_h * if tg.is_finite() { tg } else { old[c] };
                    }
                    let at_domain = if s > 0 { p[b] + 1 == mac.n[b] } else { p[b] == 0 };
                    if at_domain {
                        if let Wall::Fixed(tw) = e.walls[2 * b + side] {
                            diag += 2.0 * a0 * inv_h2;
                            rhs += 2.0 * a0 * inv_h2 * tw;
                        }
                    }
                }
            }
        }
        if let (Some(&k), Some(&tx)) = (e.exchange.0.get(c), e.exchange.1.get(c)) {
            diag += k;
            rhs += k * tx;
        }
        let src = e.cell_source_m3s.get(c).copied().unwrap_or(0.0) / v;
        if src < 0.0 {
            diag += -src;
        } else if src > 0.0 {
            let tg = group_t(e.cell_group.get(c).copied().unwrap_or(u32::MAX));
            rhs += src * if tg.is_finite() { tg } else { old[c] };
        }
        cf[0] = diag;
        cf[1] = rhs;
    });
}

/// The bounded scheme's advection minus the upwind one, per cell, K/s:
/// `Σ_faces (u_out / dx) (T_f − T_upwind)` over faces between open cells, where the
/// far-upwind cell is open air too (first order next to walls). Each face's term
/// leaves one cell and enters the other, so it moves heat without creating any.
pub fn bounded_correction(mac: &Mac, open: &[bool], free: &[Vec<bool>; 3], u: &[Vec<f64>; 3], t: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; mac.cells()];
    bounded_correction_into(mac, open, free, u, t, &mut out);
    out
}

/// [`bounded_correction`] into `out` (one entry per cell).
pub fn bounded_correction_into(
    mac: &Mac,
    open: &[bool],
    free: &[Vec<bool>; 3],
    u: &[Vec<f64>; 3],
    t: &[f64],
    out: &mut [f64],
) {
    let inv_h = 1.0 / mac.grid.dx;
    out.par_iter_mut().enumerate().for_each(|(c, out)| {
        *out = {
            if !open[c] {
                0.0
            } else {
                let p = mac.cell_pos(c);
                let mut sum = 0.0;
                for b in 0..mac.nd {
                    let cs = mac.cstride[b];
                    // The open cell `dir` steps from `from` (at `at` along b), if any.
                    let step = |from: usize, at: usize, dir: isize| -> Option<usize> {
                        let q = at as isize + dir;
                        if q < 0 || q >= mac.n[b] as isize {
                            return None;
                        }
                        let fc = if dir > 0 { from + cs } else { from - cs };
                        open[fc].then_some(fc)
                    };
                    for s in [-1isize, 1] {
                        let mut pf = p;
                        if s > 0 {
                            pf[b] += 1;
                        }
                        let f = mac.face(b, pf);
                        if !free[b][f] {
                            continue;
                        }
                        let w = s as f64 * u[b][f];
                        let nb = if s > 0 { c + cs } else { c - cs };
                        let cc = if w > 0.0 {
                            step(c, p[b], -s).map(|far| correction(t[far], t[c], t[nb]))
                        } else if w < 0.0 {
                            step(nb, (p[b] as isize + s) as usize, s).map(|far| correction(t[far], t[nb], t[c]))
                        } else {
                            None
                        };
                        if let Some(cc) = cc {
                            sum += w * inv_h * cc;
                        }
                    }
                }
                sum
            }
        };
    });
}
