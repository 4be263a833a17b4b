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
//! pressure gradient and buoyancy from the previous iterate. The system is relaxed by
//! the step's [`super::Relaxation`] (alternating-direction lines, or Jacobi sweeps as
//! the reference; either reads only the previous iterate, so the answer does not
//! depend on the thread count). Faces that are not free (walls, fans, tiles) keep
//! their prescribed normal velocity.

use super::mac::Mac;
use super::tvd::correction;
use super::Fluid;
use rayon::prelude::*;

/// Inputs of one predictor step that do not change within it.
pub struct MomentumInputs<'a> {
    pub mac: &'a Mac,
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
    pub relax: super::Relaxation,
}

/// What lies next to a velocity face along one direction (static: geometry only).
pub const FREE: u8 = 0;
/// A prescribed face of the same axis (a fan or wall face), a cell away.
pub const KNOWN: u8 = 1;
/// A solid wall half a cell away (no slip, at rest).
pub const WALL: u8 = 2;
/// A domain wall half a cell away, moving at its `wall_velocity`.
pub const DOMAIN_WALL: u8 = 3;

/// Every face's six codes packed in one `u16`, two bits each, code `2b + side` at bits
/// `2(2b + side)`: all `WALL` for a face that is not free.
const ALL_WALL: u16 = 0b1010_1010_1010;

/// For every face of every axis, what lies at −x, +x, −y, +y, −z, +z (6 codes per
/// face, packed two bits each, read by [`code_at`]; faces that are not free have
/// all-`WALL` codes, unused).
pub fn neighbour_codes(mac: &Mac, free: &[Vec<bool>; 3]) -> [Vec<u16>; 3] {
    let mut out: [Vec<u16>; 3] = Default::default();
    for a in 0..mac.nd {
        let mut v = vec![ALL_WALL; mac.faces(a)];
        v.par_iter_mut().enumerate().for_each(|(f, packed)| {
            if !free[a][f] {
                return;
            }
            let p = mac.face_pos(a, f);
            let mut codes = [WALL; 6];
            for b in 0..mac.nd {
                for (side, s) in [(0usize, -1isize), (1, 1)] {
                    let q = p[b] as isize + s;
                    let top = if a == b { mac.n[b] as isize } else { mac.n[b] as isize - 1 };
                    codes[2 * b + side] = if q < 0 || q > top {
                        DOMAIN_WALL
                    } else {
                        let mut pq = p;
                        pq[b] = q as usize;
                        let g = mac.face(a, pq);
                        if free[a][g] {
                            FREE
                        } else if a == b {
                            KNOWN
                        } else {
                            WALL
                        }
                    };
                }
            }
            *packed = codes.iter().enumerate().fold(0u16, |acc, (k, &c)| acc | (c as u16) << (2 * k));
        });
        out[a] = v;
    }
    out
}

/// Advance `u` by one predictor step (in place) and return the largest change. Every
/// component's system is built from the previous iterate of all three; the new
/// components are swapped in at the end. `w` holds the work arrays (reused).
pub fn predict(m: &MomentumInputs, codes: &[Vec<u16>; 3], u: &mut [Vec<f64>; 3], w: &mut super::Work) -> f64 {
    let mac = m.mac;
    let mut worst: f64 = 0.0;
    let old = &*u;
    for a in 0..mac.nd {
        let fd = mac.fdims[a];
        w.coef.resize(mac.faces(a), [0.0; 8]);
        momentum_rows(m, codes, old, a, &mut w.coef);
        let next = &mut w.bufs[a];
        next.clear();
        next.extend_from_slice(&old[a]);
        m.relax.solve_into(&w.coef, fd, next, &mut w.scratch);
        let d = next.par_iter().zip(&old[a]).map(|(x, y)| (x - y).abs()).reduce(|| 0.0, f64::max);
        worst = worst.max(d);
    }
    for a in 0..mac.nd {
        std::mem::swap(&mut u[a], &mut w.bufs[a]);
    }
    worst
}

/// The rows of axis `a`'s predictor, one per face of the axis, into `coef`: diagonal,
/// right-hand side, then the coefficients of the neighbours at −x, +x, −y, +y, −z, +z
/// (zero for known ones), built from the previous iterate `old` of all three components.
pub fn momentum_rows(m: &MomentumInputs, codes: &[Vec<u16>; 3], old: &[Vec<f64>; 3], a: usize, coef: &mut [[f64; 8]]) {
    let mac = m.mac;
    let h = mac.grid.dx;
    let (inv_h, inv_h2) = (1.0 / h, 1.0 / (h * h));
    let beta = m.fluid.beta_1_k;
    let fd = mac.fdims[a];
    let st = mac.fstride[a];
    let ga = m.fluid.gravity_m_s2[a];
    assert_eq!(coef.len(), mac.faces(a), "one row per face");
    coef.par_chunks_mut(fd[0]).enumerate().for_each(|(row, cfs)| {
        let (j, k) = (row % fd[1], row / fd[1]);
        // Index of face (0, j, k) in each axis' array, and of cell (0, j, k).
        let base: [usize; 3] = [0, 1, 2].map(|b| if b < mac.nd { mac.face(b, [0, j, k]) } else { 0 });
        let cbase = mac.cell([0, j, k]);
        for (i, cf) in cfs.iter_mut().enumerate() {
            let f = row * fd[0] + i;
            *cf = [0.0; 8];
            if !m.free[a][f] {
                cf[0] = 1.0;
                cf[1] = old[a][f];
                continue;
            }
            let hi = cbase + i;
            let lo = hi - mac.cstride[a];
            let up = old[a][f];
            let mut diag = 1.0 / m.dt;
            let mut rhs = up / m.dt;
            // Value of the neighbour in direction (b, s), by its code.
            let val = |b: usize, side: usize, at: usize| -> f64 {
                match code_at(codes, a, at, b, side) {
                    WALL => 0.0,
                    DOMAIN_WALL => m.wall_velocity[2 * b + side][a],
                    _ => old[a][if side == 1 { at + st[b] } else { at - st[b] }],
                }
            };
            for b in 0..mac.nd {
                for (side, s) in [(0usize, -1isize), (1, 1)] {
                    let c = code_at(codes, a, f, b, side);
                    let sf = s as f64;
                    // Outward advecting velocity through the control-volume face.
                    let w = if b == a {
                        let fo = if s > 0 { f + st[a] } else { f - st[a] };
                        sf * 0.5 * (up + old[a][fo])
                    } else {
                        let off = if s > 0 { mac.fstride[b][b] } else { 0 };
                        let fh = base[b] + i + off;
                        let fl = fh - mac.fstride[b][a];
                        sf * 0.5 * (old[b][fl] + old[b][fh])
                    };
                    let nu_f = if b == a { m.nu[if s > 0 { hi } else { lo }] } else { 0.5 * (m.nu[lo] + m.nu[hi]) };
                    let dist = if c == WALL || c == DOMAIN_WALL { 2.0 } else { 1.0 };
                    let diff = nu_f * inv_h2 * dist;
                    diag += diff + w.max(0.0) * inv_h;
                    let c_nb = diff + (-w).max(0.0) * inv_h;
                    let nb_val = val(b, side, f);
                    if c == FREE {
                        cf[2 + 2 * b + side] = c_nb;
                    } else {
                        rhs += c_nb * nb_val;
                    }
                    // Bounded correction of the advected value, from the previous
                    // iterate, where the far-upwind neighbour is usable.
                    if w > 0.0 {
                        let far = val(b, 1 - side, f);
                        rhs -= w * inv_h * correction(far, up, nb_val);
                    } else if w < 0.0 && c == FREE {
                        let nb = if s > 0 { f + st[b] } else { f - st[b] };
                        let far = val(b, side, nb);
                        rhs -= w * inv_h * correction(far, nb_val, up);
                    }
                }
            }
            rhs -= (m.p[hi] - m.p[lo]) * inv_h;
            if ga != 0.0 {
                rhs -= ga * beta * (0.5 * (m.t[lo] + m.t[hi]) - m.fluid.t_ref_c);
            }
            cf[0] = diag;
            cf[1] = rhs;
        }
    });
}

/// The code of face `f`'s neighbour in direction (b, side).
#[inline]
pub fn code_at(codes: &[Vec<u16>; 3], a: usize, f: usize, b: usize, side: usize) -> u8 {
    (codes[a][f] >> (2 * (2 * b + side)) & 3) as u8
}
