//! The discrete thermal operator (cell-centred finite volume), shared by every solver.
//!
//! For cell P with neighbours N across each face (all terms W/m³):
//!
//! ```text
//!   sum_faces kf (T_P - T_N) / dx²                      interior faces
//! + sum_fixed_walls 2 k_P (T_P - T_wall) / dx²           wall face half a cell away
//! + h_P (T_P - T_s,P)
//! = q_P
//! kf = 2 k_P k_N / (k_P + k_N)                            harmonic mean
//! ```
//!
//! Adiabatic walls add nothing. Moving the known terms right gives `A T = b` with
//! `b_P = q_P + h_P T_s,P + sum_fixed_walls 2 k_P T_wall / dx²`. `A` is symmetric and,
//! when some `h > 0` or some wall is fixed, positive definite. This is exactly the
//! equation of `tests/data/thermal/README.md`.

use super::problem::ThermalProblem;
use super::stencil::{Layout, Stencil, SyncPtr};
use crate::grid::Wall;
use rayon::prelude::*;

/// Offsets of the face stencil: centre, then -x, +x, -y, +y, (-z, +z).
pub fn face_offsets(is_3d: bool) -> Vec<[i8; 3]> {
    let mut v = vec![[0, 0, 0], [-1, 0, 0], [1, 0, 0], [0, -1, 0], [0, 1, 0]];
    if is_3d {
        v.extend([[0, 0, -1], [0, 0, 1]]);
    }
    v
}

/// Harmonic mean of two conductivities, W/(m·K).
#[inline]
pub fn harmonic(a: f64, b: f64) -> f64 {
    2.0 * a * b / (a + b)
}

/// Assemble the operator `A` (padded face stencil) and the right-hand side `b`
/// (padded vector) of a validated problem.
pub fn assemble(p: &ThermalProblem) -> (Stencil, Vec<f64>) {
    let g = &p.grid;
    let l = Layout::new(g.nx, g.ny, g.nz);
    let mut a = Stencil::zeros(l, face_offsets(g.is_3d()));
    let mut b = l.zeros();
    let inv_dx2 = 1.0 / (g.dx * g.dx);
    let noff = a.noff();
    let walls = p.walls.as_array();
    let ndim = if g.is_3d() { 3 } else { 2 };
    let n = [g.nx, g.ny, g.nz];
    let bp = SyncPtr(b.as_mut_ptr());
    a.coef.par_chunks_mut(g.nx * noff).enumerate().for_each(|(r, row)| {
        let bp = bp;
        let (j, k) = (r % g.ny, r / g.ny);
        for i in 0..g.nx {
            let c = g.idx(i, j, k);
            let kp = p.k[c];
            let coef = &mut row[i * noff..(i + 1) * noff];
            let mut diag = p.h[c];
            let mut rhs = if p.h[c] > 0.0 { p.q[c] + p.h[c] * p.t_s[c] } else { p.q[c] };
            let pos = [i, j, k];
            for d in 0..ndim {
                for (side, step) in [(0usize, -1isize), (1, 1)] {
                    let o = 1 + 2 * d + side;
                    let at_wall = if side == 0 { pos[d] == 0 } else { pos[d] + 1 == n[d] };
                    if at_wall {
                        if let Wall::Fixed(tw) = walls[2 * d + side] {
                            diag += 2.0 * kp * inv_dx2;
                            rhs += 2.0 * kp * tw * inv_dx2;
                        }
                    } else {
                        let mut q = pos;
                        q[d] = (q[d] as isize + step) as usize;
                        let kf = harmonic(kp, p.k[g.idx(q[0], q[1], q[2])]) * inv_dx2;
                        coef[o] = -kf;
                        diag += kf;
                    }
                }
            }
            coef[0] = diag;
            // SAFETY: each row writes only its own entries of b.
            unsafe { *bp.0.add(l.pidx(i, j, k)) = rhs };
        }
    });
    (a, b)
}
