//! Air that moves (first building blocks): potential flow and upwind advection.
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

use crate::grid::{Grid, Wall, Walls};
use crate::thermal::cpu::{Multigrid, PcgOutcome};
use crate::thermal::stencil::{axpy, dot, Layout, Stencil};

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
    #[error("no open cell")]
    Closed,
    #[error("the potential solve did not converge (relative residual {0:.2e})")]
    NotConverged(f64),
}

/// Solve the potential and return the face fluxes.
pub fn solve_potential(fp: &FlowProblem, tol: f64) -> Result<(Vec<f64>, Fluxes), FlowError> {
    let g = fp.grid;
    let n = g.cells();
    let total: f64 = fp.source_m3s.iter().map(|s| s.abs()).sum::<f64>() / 2.0;
    let net: f64 = fp.source_m3s.iter().sum();
    if net.abs() > 1e-9 * total.max(1e-300) {
        return Err(FlowError::Unbalanced { net, total });
    }
    let pin = fp.open.iter().position(|&o| o).ok_or(FlowError::Closed)?;
    let lay = Layout::new(g.nx, g.ny, g.nz);
    let mut a = Stencil::zeros(lay, crate::thermal::operator::face_offsets(g.is_3d()));
    let mut b = lay.zeros();
    let inv = 1.0 / (g.dx * g.dx);
    let v = g.cell_volume_m3();
    let nd = if g.is_3d() { 3 } else { 2 };
    let dims = [g.nx, g.ny, g.nz];
    for k in 0..g.nz {
        for j in 0..g.ny {
            for i in 0..g.nx {
                let c = g.idx(i, j, k);
                let noff = a.noff();
                let coef = &mut a.coef[c * noff..(c + 1) * noff];
                if !fp.open[c] {
                    coef[0] = 1.0;
                    continue;
                }
                let pos = [i, j, k];
                let mut diag = 0.0;
                for d in 0..nd {
                    for (side, step) in [(0usize, -1isize), (1, 1)] {
                        let q = pos[d] as isize + step;
                        if q < 0 || q >= dims[d] as isize {
                            continue;
                        }
                        let mut nb = pos;
                        nb[d] = q as usize;
                        if fp.open[g.idx(nb[0], nb[1], nb[2])] {
                            coef[1 + 2 * d + side] = -inv;
                            diag += inv;
                        }
                    }
                }
                if c == pin {
                    diag += inv;
                }
                coef[0] = diag.max(inv * 1e-12);
                b[lay.pidx(i, j, k)] = fp.source_m3s[c] / v;
            }
        }
    }
    let mut mg = Multigrid::new(&a).map_err(|_| FlowError::Closed)?;
    let mut x = lay.zeros();
    let out = crate::thermal::cpu::mg_pcg(&a, &mut mg, &b, &mut x, tol, 500);
    if !out.converged {
        return Err(FlowError::NotConverged(out.relative_residual));
    }
    let phi = lay.to_compact(&x);
    // Fluxes Q = (φ_P − φ_N) V / dx² from P to N, on open–open faces.
    let mut f = Fluxes::zeros(&g);
    let scale = v * inv;
    for k in 0..g.nz {
        for j in 0..g.ny {
            for i in 0..g.nx {
                let c = g.idx(i, j, k);
                if !fp.open[c] {
                    continue;
                }
                if i + 1 < g.nx && fp.open[g.idx(i + 1, j, k)] {
                    f.fx[Fluxes::ix(&g, i + 1, j, k)] = (phi[c] - phi[g.idx(i + 1, j, k)]) * scale;
                }
                if j + 1 < g.ny && fp.open[g.idx(i, j + 1, k)] {
                    f.fy[Fluxes::iy(&g, i, j + 1, k)] = (phi[c] - phi[g.idx(i, j + 1, k)]) * scale;
                }
                if g.is_3d() && k + 1 < g.nz && fp.open[g.idx(i, j, k + 1)] {
                    f.fz[Fluxes::iz(&g, i, j, k + 1)] = (phi[c] - phi[g.idx(i, j, k + 1)]) * scale;
                }
            }
        }
    }
    let _ = n;
    Ok((phi, f))
}

/// Largest `|Σ Q_out − s|` over open cells, relative to the total flow.
pub fn mass_residual(fp: &FlowProblem, f: &Fluxes) -> f64 {
    let g = fp.grid;
    let total: f64 = fp.source_m3s.iter().map(|s| s.abs()).sum::<f64>() / 2.0;
    let mut worst: f64 = 0.0;
    for k in 0..g.nz {
        for j in 0..g.ny {
            for i in 0..g.nx {
                let c = g.idx(i, j, k);
                if fp.open[c] {
                    worst = worst.max((f.net_out(&g, i, j, k) - fp.source_m3s[c]).abs());
                }
            }
        }
    }
    worst / total.max(1e-300)
}

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
    for k in 0..g.nz {
        for j in 0..g.ny {
            for i in 0..g.nx {
                let c = g.idx(i, j, k);
                let p = lay.pidx(i, j, k);
                // (flux out of P through the face, offset index, neighbour exists, wall index)
                let mut faces = vec![
                    (-f.fx[Fluxes::ix(g, i, j, k)], 1, i > 0, 0),
                    (f.fx[Fluxes::ix(g, i + 1, j, k)], 2, i + 1 < g.nx, 1),
                    (-f.fy[Fluxes::iy(g, i, j, k)], 3, j > 0, 2),
                    (f.fy[Fluxes::iy(g, i, j + 1, k)], 4, j + 1 < g.ny, 3),
                ];
                if g.is_3d() {
                    faces.push((-f.fz[Fluxes::iz(g, i, j, k)], 5, k > 0, 4));
                    faces.push((f.fz[Fluxes::iz(g, i, j, k + 1)], 6, k + 1 < g.nz, 5));
                }
                let coef = &mut a.coef[c * noff..(c + 1) * noff];
                for (q, o, inside, w) in faces {
                    if q > 0.0 {
                        coef[0] += c0 * q;
                    } else if q < 0.0 {
                        if inside {
                            coef[o] += c0 * q;
                        } else {
                            match wall[w] {
                                Wall::Fixed(t) => b[p] += c0 * (-q) * t,
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
                    b[p] += c0 * s * t_source[c];
                }
            }
        }
    }
}

/// BiCGStab for `A x = b` (padded vectors), right-preconditioned by one V-cycle.
pub fn mg_bicgstab(a: &Stencil, mg: &mut Multigrid, b: &[f64], x: &mut [f64], tol: f64, max_iter: usize) -> PcgOutcome {
    let lay = a.layout;
    let bn = dot(b, b).sqrt();
    if bn == 0.0 {
        x.iter_mut().for_each(|v| *v = 0.0);
        return PcgOutcome { iterations: 0, relative_residual: 0.0, converged: true, history: vec![] };
    }
    let mut r = lay.zeros();
    a.residual(b, x, &mut r);
    let r0 = r.clone();
    let (mut p, mut v, mut ph, mut s, mut sh, mut t) =
        (lay.zeros(), lay.zeros(), lay.zeros(), lay.zeros(), lay.zeros(), lay.zeros());
    let (mut rho, mut alpha, mut omega) = (1.0, 1.0, 1.0);
    let mut history = Vec::new();
    let mut it = 0;
    let mut rel = dot(&r, &r).sqrt() / bn;
    while rel > tol && it < max_iter {
        let rho_new = dot(&r0, &r);
        if rho_new == 0.0 || !rho_new.is_finite() {
            break;
        }
        let beta = (rho_new / rho) * (alpha / omega);
        rho = rho_new;
        for ((pi, ri), vi) in p.iter_mut().zip(&r).zip(&v) {
            *pi = ri + beta * (*pi - omega * vi);
        }
        mg.vcycle(a, &p, &mut ph);
        a.apply(&ph, &mut v);
        alpha = rho / dot(&r0, &v);
        s.copy_from_slice(&r);
        axpy(-alpha, &v, &mut s);
        mg.vcycle(a, &s, &mut sh);
        a.apply(&sh, &mut t);
        let tt = dot(&t, &t);
        omega = if tt > 0.0 { dot(&t, &s) / tt } else { 0.0 };
        axpy(alpha, &ph, x);
        axpy(omega, &sh, x);
        r.copy_from_slice(&s);
        axpy(-omega, &t, &mut r);
        it += 1;
        rel = dot(&r, &r).sqrt() / bn;
        history.push(rel);
        if omega == 0.0 {
            break;
        }
    }
    a.residual(b, x, &mut r);
    let true_rel = dot(&r, &r).sqrt() / bn;
    PcgOutcome { iterations: it, relative_residual: true_rel, converged: true_rel <= tol, history }
}
