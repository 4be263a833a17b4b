//! First-order upwind advection added to a thermal operator.

use super::Fluxes;
use crate::grid::{Grid, Wall, Walls};
use crate::thermal::stencil::Stencil;
use rayon::prelude::*;

/// Add first-order upwind advection `ρc_p ∇·(u T)` (per unit volume) to the face-stencil
/// operator `a` and right-hand side `b` of a thermal problem on `g`. `sources` (m³/s per
/// cell, + in, − out) bring air at `t_source` (°C) or take it at the cell's temperature.
/// Boundary faces with flow bring air at the wall temperature (fixed walls) when
/// flowing in and take it at the cell's temperature when flowing out.
#[allow(clippy::too_many_arguments)]
pub fn add_upwind(
    a: &mut Stencil,
    b: &mut [f64],
    g: &Grid,
    walls: &Walls,
    f: &Fluxes,
    sources: &[f64],
    t_source: &[f64],
    rho_cp: f64,
) {
    let lay = a.layout;
    let v = g.cell_volume_m3();
    let c0 = rho_cp / v;
    let noff = a.noff();
    let wall = walls.as_array();
    let row = g.nx * noff;
    // Rows in parallel: each owns its cells' coefficients and right-hand-side terms.
    let mut rhs = vec![0.0; g.cells()];
    a.coef.par_chunks_mut(row).zip(rhs.par_chunks_mut(g.nx)).enumerate().for_each(|(r, (coefs, rhs))| {
        let (j, k) = (r % g.ny, r / g.ny);
        for i in 0..g.nx {
            let c = g.idx(i, j, k);
            // (flux out of P through the face, offset index, neighbour exists, wall index)
            let mut faces = [
                (-f.fx[Fluxes::ix(g, i, j, k)], 1, i > 0, 0),
                (f.fx[Fluxes::ix(g, i + 1, j, k)], 2, i + 1 < g.nx, 1),
                (-f.fy[Fluxes::iy(g, i, j, k)], 3, j > 0, 2),
                (f.fy[Fluxes::iy(g, i, j + 1, k)], 4, j + 1 < g.ny, 3),
                (0.0, 5, false, 4),
                (0.0, 6, false, 5),
            ];
            if g.is_3d() {
                faces[4] = (-f.fz[Fluxes::iz(g, i, j, k)], 5, k > 0, 4);
                faces[5] = (f.fz[Fluxes::iz(g, i, j, k + 1)], 6, k + 1 < g.nz, 5);
            }
            let coef = &mut coefs[i * noff..(i + 1) * noff];
            for (q, o, inside, w) in faces {
                if q > 0.0 {
                    coef[0] += c0 * q;
                } else if q < 0.0 {
                    if inside {
                        coef[o] += c0 * q;
                    } else {
                        match wall[w] {
                            Wall::Fixed(t) => rhs[i] += c0 * (-q) * t,
                            // Zero gradient: inflow at the cell's own temperature cancels.
                            Wall::Adiabatic => coef[0] += c0 * q,
                        }
                    }
                }
            }
            let s = sources[c];
            if s < 0.0 {
                coef[0] += c0 * (-s);
            } else if s > 0.0 {
                rhs[i] += c0 * s * t_source[c];
            }
        }
    });
    for k in 0..g.nz {
        for j in 0..g.ny {
            let (p0, c0) = (lay.pidx(0, j, k), g.idx(0, j, k));
            b[p0..p0 + g.nx].iter_mut().zip(&rhs[c0..c0 + g.nx]).for_each(|(b, r)| *b += r);
        }
    }
}
