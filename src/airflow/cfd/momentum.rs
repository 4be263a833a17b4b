//! The momentum predictor: one implicit pseudo-time step of
//!
//! ```text
//! ∂u/∂t + ∇·(u u) = −∇P + ∇·(ν_eff ∇u) − g β (T − T_ref)        (P = p/ρ₀, kinematic)
//! ```
//!
//! for each velocity component on its own faces (MAC control volumes centred on the
//! faces). Advection: first-order upwind implicitly plus the bounded (van Leer)
//! correction from the previous iterate; diffusion: central, with no-slip walls half a
//! cell from the face centre (`2 ν (u_w − u)/dx²`; a moving wall gives `u_w`); the
//! pressure gradient and buoyancy from the previous iterate. The system is solved by
//! Jacobi sweeps (every face updated from the previous sweep: the answer does not
//! depend on the thread count). Faces that are not free (walls, fans, tiles) keep
//! their prescribed normal velocity.

use super::mac::Mac;
use super::tvd::correction;
use super::Fluid;
use rayon::prelude::*;

/// What lies at an offset from a velocity face along some axis.
#[derive(Clone, Copy)]
enum Nb {
    /// A free face (an unknown), by index.
    Free(usize),
    /// A known value (a wall's or a fan's), at distance `dx` (factor 1) or `dx/2` (2).
    Known(f64, f64),
    /// Nothing usable (outside the domain for the far-upwind value).
    None,
}

/// Inputs of one predictor step that do not change within it.
pub struct MomentumInputs<'a> {
    pub mac: &'a Mac,
    pub open: &'a [bool],
    pub free: &'a [Vec<bool>; 3],
    /// Tangential velocity of each domain wall (xlo, xhi, ylo, yhi, zlo, zhi), m/s.
    pub wall_velocity: &'a [[f64; 3]; 6],
    /// Effective kinematic viscosity per cell, m²/s.
    pub nu: &'a [f64],
    /// Temperature per cell, °C.
    pub t: &'a [f64],
    /// Kinematic pressure per cell, m²/s².
    pub p: &'a [f64],
    pub fluid: &'a Fluid,
    pub dt: f64,
    pub sweeps: usize,
}

fn neighbour(m: &MomentumInputs, u: &[Vec<f64>; 3], a: usize, p: [usize; 3], b: usize, s: isize) -> Nb {
    let mac = m.mac;
    let q = p[b] as isize + s;
    let limit = if a == b { mac.n[b] as isize } else { mac.n[b] as isize - 1 };
    if q < 0 || q > limit {
        if a == b {
            return Nb::None;
        }
        let side = 2 * b + usize::from(s > 0);
        return if s.abs() == 1 { Nb::Known(m.wall_velocity[side][a], 2.0) } else { Nb::None };
    }
    let mut pq = p;
    pq[b] = q as usize;
    let f = mac.face(a, pq);
    if m.free[a][f] {
        Nb::Free(f)
    } else if a == b {
        Nb::Known(u[a][f], 1.0)
    } else {
        Nb::Known(0.0, 2.0)
    }
}

#[inline]
fn value(u: &[f64], nb: Nb) -> Option<f64> {
    match nb {
        Nb::Free(f) => Some(u[f]),
        Nb::Known(v, _) => Some(v),
        Nb::None => None,
    }
}

/// Advance `u` by one predictor step (in place) and return the largest change.
pub fn predict(m: &MomentumInputs, u: &mut [Vec<f64>; 3]) -> f64 {
    let mac = m.mac;
    let h = mac.grid.dx;
    let (inv_h, inv_h2) = (1.0 / h, 1.0 / (h * h));
    let beta = m.fluid.beta_1_k;
    let mut worst: f64 = 0.0;
    let old = u.clone();
    for a in 0..mac.nd {
        let nf = mac.faces(a);
        // Per face: diagonal, right-hand side, then the coefficients of the neighbours
        // at −x, +x, −y, +y, −z, +z (zero for known ones).
        let mut coef = vec![[0.0f64; 8]; nf];
        coef.par_iter_mut().enumerate().for_each(|(f, cf)| {
            if !m.free[a][f] {
                cf[0] = 1.0;
                cf[1] = old[a][f];
                return;
            }
            let p = mac.face_pos(a, f);
            let hi = mac.cell(p);
            let lo = hi - mac.cstride[a];
            let mut diag = 1.0 / m.dt;
            let mut rhs = old[a][f] / m.dt;
            let up = old[a][f];
            for b in 0..mac.nd {
                for (side, s) in [(0usize, -1isize), (1, 1)] {
                    let nb = neighbour(m, &old, a, p, b, s);
                    // Outward advecting velocity through the control-volume face.
                    let w = if b == a {
                        let fo = if s > 0 { f + mac.fstride[a][a] } else { f - mac.fstride[a][a] };
                        s as f64 * 0.5 * (old[a][f] + old[a][fo])
                    } else {
                        let mut pl = mac.cell_pos(lo);
                        let mut ph = p;
                        if s > 0 {
                            pl[b] += 1;
                            ph[b] += 1;
                        }
                        s as f64 * 0.5 * (old[b][mac.face(b, pl)] + old[b][mac.face(b, ph)])
                    };
                    let nu_f = if b == a {
                        m.nu[if s > 0 { hi } else { lo }]
                    } else {
                        0.5 * (m.nu[lo] + m.nu[hi])
                    };
                    let (nbv, dist) = match nb {
                        Nb::Free(_) => (None, 1.0),
                        Nb::Known(v, d) => (Some(v), d),
                        Nb::None => (Some(0.0), 2.0),
                    };
                    let diff = nu_f * inv_h2 * dist;
                    let inflow = (-w).max(0.0) * inv_h;
                    diag += diff + w.max(0.0) * inv_h;
                    let c_nb = diff + inflow;
                    match nbv {
                        Some(v) => rhs += c_nb * v,
                        None => cf[2 + 2 * b + side] = c_nb,
                    }
                    // Bounded correction of the advected value, from the previous
                    // iterate, where the upwind and far-upwind neighbours are usable.
                    let nb_val = value(&old[a], nb);
                    if let (Some(down_or_up), true) = (nb_val, w != 0.0) {
                        let corr = if w > 0.0 {
                            value(&old[a], neighbour(m, &old, a, p, b, -s)).map(|far| correction(far, up, down_or_up))
                        } else {
                            value(&old[a], neighbour(m, &old, a, p, b, 2 * s))
                                .filter(|_| matches!(nb, Nb::Free(_)))
                                .map(|far| correction(far, down_or_up, up))
                        };
                        if let Some(c) = corr {
                            rhs -= w * inv_h * c;
                        }
                    }
                }
            }
            rhs -= (m.p[hi] - m.p[lo]) * inv_h;
            let g = m.fluid.gravity_m_s2[a];
            if g != 0.0 {
                rhs -= g * beta * (0.5 * (m.t[lo] + m.t[hi]) - m.fluid.t_ref_c);
            }
            cf[0] = diag;
            cf[1] = rhs;
        });
        let st = mac.fstride[a];
        let mut cur = old[a].clone();
        let mut next = cur.clone();
        for _ in 0..m.sweeps.max(1) {
            next.par_iter_mut().enumerate().for_each(|(f, out)| {
                let cf = &coef[f];
                let mut s = cf[1];
                for b in 0..3 {
                    if cf[2 + 2 * b] != 0.0 {
                        s += cf[2 + 2 * b] * cur[f - st[b]];
                    }
                    if cf[3 + 2 * b] != 0.0 {
                        s += cf[3 + 2 * b] * cur[f + st[b]];
                    }
                }
                *out = s / cf[0];
            });
            std::mem::swap(&mut cur, &mut next);
        }
        let d = cur.par_iter().zip(&old[a]).map(|(x, y)| (x - y).abs()).reduce(|| 0.0, f64::max);
        worst = worst.max(d);
        u[a] = cur;
    }
    worst
}
