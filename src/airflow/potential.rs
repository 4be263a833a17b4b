//! Potential flow over the open cells: `∇²φ = −s`, fluxes from potential differences.

use super::{FlowError, FlowProblem, Fluxes};
use crate::gpu::GpuContext;
use crate::thermal::cpu::Multigrid;
use crate::thermal::gpu::{refine_f32, GpuMg};
use crate::thermal::stencil::{Layout, Stencil};
use rayon::prelude::*;

/// Solve the potential on the CPU (f64) and return the face fluxes.
pub fn solve_potential(fp: &FlowProblem, tol: f64) -> Result<(Vec<f64>, Fluxes), FlowError> {
    solve_potential_on(fp, tol, MAX_ITER, None)
}

/// Iteration limit of [`solve_potential`] and [`solve_potential_on`].
pub const MAX_ITER: usize = 500;

/// Solve the potential on the CPU (f64, MG-PCG) or, given a GPU, by the thermal f32
/// MG-PCG inside mixed-precision refinement (f64 residual on the host); return φ and
/// the face fluxes (always computed in f64 from φ).
pub fn solve_potential_on(
    fp: &FlowProblem,
    tol: f64,
    max_iter: usize,
    gpu: Option<&GpuContext>,
) -> Result<(Vec<f64>, Fluxes), FlowError> {
    let (label, count) = super::regions::regions(&fp.grid, &fp.open);
    solve_potential_in(fp, (&label, count), tol, max_iter, gpu)
}

/// [`solve_potential_on`] with the air regions already found.
pub fn solve_potential_in(
    fp: &FlowProblem,
    (label, count): (&[u32], usize),
    tol: f64,
    max_iter: usize,
    gpu: Option<&GpuContext>,
) -> Result<(Vec<f64>, Fluxes), FlowError> {
    let trace = super::Trace::new();
    let g = fp.grid;
    let total: f64 = fp.source_m3s.iter().map(|s| s.abs()).sum::<f64>() / 2.0;
    let net: f64 = fp.source_m3s.iter().sum();
    if net.abs() > 1e-9 * total.max(1e-300) {
        return Err(FlowError::Unbalanced { net, total });
    }
    if !fp.open.iter().any(|&o| o) {
        return Err(FlowError::Closed);
    }
    // One reference cell per air region; each region's air must balance on its own.
    for (r, net) in super::regions::net_per_region(label, count, &fp.source_m3s).iter().enumerate() {
        if net.abs() > 1e-9 * total.max(1e-300) {
            let (x, y, z) = super::regions::where_is(&g, label, r);
            return Err(FlowError::UnbalancedRegion { net: *net, x, y, z });
        }
    }
    trace.at("potential regions checked");
    let pins = region_pins(label, count);
    let lay = Layout::new(g.nx, g.ny, g.nz);
    let a = open_laplacian(&g, &fp.open, &pins);
    let inv = 1.0 / (g.dx * g.dx);
    let v = g.cell_volume_m3();
    let rhs: Vec<f64> = fp.source_m3s.iter().zip(&fp.open).map(|(s, o)| if *o { s / v } else { 0.0 }).collect();
    let b = lay.to_padded(&rhs);
    trace.at("potential operator");
    let mut mg = Multigrid::new(&a).map_err(|_| FlowError::Closed)?;
    // Closed cells make coarse grids less faithful; two sweeps per side pay for themselves
    // (18 → 12 iterations on the 5 M-cell hall, 4.0 → 3.8 s).
    mg.nu = 2;
    trace.at("potential multigrid");
    let mut x = lay.zeros();
    let (iterations, rel) = match gpu {
        None => {
            let out = crate::thermal::cpu::mg_pcg(&a, &mut mg, &b, &mut x, tol, max_iter);
            (out.iterations, out.relative_residual)
        }
        Some(ctx) => {
            let gmg = GpuMg::new(ctx, &a, &mg).map_err(|e| FlowError::Gpu(e.to_string()))?;
            let out = refine_f32(
                |x, r| a.residual(&b, x, r),
                |rhs, inner, budget| gmg.pcg(ctx, rhs, inner, budget).map(|(e, its, _)| (e, its)),
                &b,
                &mut x,
                tol,
                max_iter,
            )
            .map_err(|e| FlowError::Gpu(e.to_string()))?;
            (out.iterations, out.relative_residual)
        }
    };
    trace.at(&format!(
        "potential: {iterations} {} MG-PCG iterations, {} levels, residual {rel:.2e}",
        if gpu.is_some() { "f32 GPU" } else { "CPU" },
        mg.depth()
    ));
    if !crate::outcome::converged(rel, tol) {
        // On the GPU the caller may retry on the CPU.
        return Err(match gpu {
            Some(_) => FlowError::Gpu(format!("the potential reached a relative residual of {rel:.2e} only")),
            None => FlowError::NotConverged { iterations, relative_residual: rel, tol },
        });
    }
    trace.at("potential solved");
    let phi = lay.to_compact(&x);
    // Fluxes Q = (φ_P − φ_N) V / dx² from P to N, on open–open faces; face arrays by
    // rows in parallel.
    let mut f = Fluxes::zeros(&g);
    let scale = v * inv;
    let flux = |p: usize, q: usize| if fp.open[p] && fp.open[q] { (phi[p] - phi[q]) * scale } else { 0.0 };
    f.fx.par_chunks_mut(g.nx + 1).enumerate().for_each(|(r, row)| {
        let (j, k) = (r % g.ny, r / g.ny);
        for i in 1..g.nx {
            row[i] = flux(g.idx(i - 1, j, k), g.idx(i, j, k));
        }
    });
    f.fy.par_chunks_mut(g.nx).enumerate().for_each(|(r, row)| {
        let (j, k) = (r % (g.ny + 1), r / (g.ny + 1));
        if j > 0 && j < g.ny {
            (0..g.nx).for_each(|i| row[i] = flux(g.idx(i, j - 1, k), g.idx(i, j, k)));
        }
    });
    if g.is_3d() {
        f.fz.par_chunks_mut(g.nx).enumerate().for_each(|(r, row)| {
            let (j, k) = (r % g.ny, r / g.ny);
            if k > 0 && k < g.nz {
                (0..g.nx).for_each(|i| row[i] = flux(g.idx(i, j, k - 1), g.idx(i, j, k)));
            }
        });
    }
    Ok((phi, f))
}

/// One reference cell per air region (the first of each): the cells whose row of the
/// open Laplacian is pinned.
pub(crate) fn region_pins(label: &[u32], count: usize) -> Vec<bool> {
    let mut pins = vec![false; label.len()];
    let mut seen = vec![false; count];
    for (c, &l) in label.iter().enumerate() {
        if l != u32::MAX && !seen[l as usize] {
            seen[l as usize] = true;
            pins[c] = true;
        }
    }
    pins
}

/// The Laplacian over the open cells, `−∇²` times nothing but `1/dx²` per open–open
/// face (closed faces carry no flux), with `1/dx²` added on the diagonal of each pinned
/// cell. Symmetric positive definite; the pressure of the momentum model and the
/// potential of potential flow share it.
pub(crate) fn open_laplacian(g: &crate::grid::Grid, open: &[bool], pins: &[bool]) -> Stencil {
    let lay = Layout::new(g.nx, g.ny, g.nz);
    let mut a = Stencil::zeros(lay, crate::thermal::operator::face_offsets(g.is_3d()));
    let inv = 1.0 / (g.dx * g.dx);
    let nd = if g.is_3d() { 3 } else { 2 };
    let dims = [g.nx, g.ny, g.nz];
    let noff = a.noff();
    a.coef.par_chunks_mut(g.nx * noff).enumerate().for_each(|(r, row)| {
        let (j, k) = (r % g.ny, r / g.ny);
        for i in 0..g.nx {
            let c = g.idx(i, j, k);
            let coef = &mut row[i * noff..(i + 1) * noff];
            if !open[c] {
                // Closed cells are decoupled rows; a tiny diagonal keeps them from
                // anchoring the coarse grids (a unit diagonal made MG-PCG take 99
                // iterations instead of 19 on the 5 M-cell hall).
                coef[0] = 1e-8 * inv;
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
                    if open[g.idx(nb[0], nb[1], nb[2])] {
                        coef[1 + 2 * d + side] = -inv;
                        diag += inv;
                    }
                }
            }
            if pins[c] {
                diag += inv;
            }
            coef[0] = diag.max(inv * 1e-12);
        }
    });
    a
}

/// Largest `|Σ Q_out − s|` over open cells, relative to the total flow.
pub fn mass_residual(fp: &FlowProblem, f: &Fluxes) -> f64 {
    let g = fp.grid;
    let total: f64 = fp.source_m3s.iter().map(|s| s.abs()).sum::<f64>() / 2.0;
    let worst = (0..g.ny * g.nz)
        .into_par_iter()
        .map(|r| {
            let (j, k) = (r % g.ny, r / g.ny);
            let row = (0..g.nx)
                .filter(|&i| fp.open[g.idx(i, j, k)])
                .map(|i| (f.net_out(&g, i, j, k) - fp.source_m3s[g.idx(i, j, k)]).abs());
            crate::outcome::nan_max(row.chain([0.0]))
        })
        .reduce(|| 0.0, |a, b| crate::outcome::nan_max([a, b]));
    worst / total.max(1e-300)
}
