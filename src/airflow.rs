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

/// The airflow model applied to a facility (see the README): rack and cooling-unit
/// flows, tiles, and the advected heat.
pub mod facility {
    use super::{add_upwind, mass_residual, mg_bicgstab, solve_potential, FlowProblem, Fluxes};
    use crate::error::{Error, InputError};
    use crate::facility::{AirflowSettings, CoolingKind, Facility, Facing};
    use crate::grid::Grid;
    use crate::raster::{material, CellBox, Raster};
    use crate::thermal::cpu::Multigrid;
    use crate::thermal::operator::assemble;

    /// The solved air and temperature.
    pub struct AirflowSolution {
        /// °C, compact.
        pub t: Vec<f64>,
        pub fluxes: Fluxes,
        /// Largest per-cell mass imbalance relative to the total flow.
        pub mass_residual: f64,
        /// |heat in − heat out| / heat in.
        pub energy_rel_error: f64,
        /// Heat removed by each cooling unit (facility order), W.
        pub removed_w: Vec<f64>,
        pub outer_iterations: usize,
        pub solver_iterations: usize,
        pub relative_residual: f64,
    }

    fn opposite(f: Facing) -> Facing {
        match f {
            Facing::North => Facing::South,
            Facing::South => Facing::North,
            Facing::East => Facing::West,
            Facing::West => Facing::East,
        }
    }

    /// Open cells just outside side `side` of a box.
    fn adjacent(g: &Grid, b: &CellBox, side: Facing, open: &[bool]) -> Vec<usize> {
        let mut v = Vec::new();
        for k in b.k0..b.k1 {
            match side {
                Facing::North if b.j1 < g.ny => (b.i0..b.i1).for_each(|i| v.push(g.idx(i, b.j1, k))),
                Facing::South if b.j0 > 0 => (b.i0..b.i1).for_each(|i| v.push(g.idx(i, b.j0 - 1, k))),
                Facing::East if b.i1 < g.nx => (b.j0..b.j1).for_each(|j| v.push(g.idx(b.i1, j, k))),
                Facing::West if b.i0 > 0 => (b.j0..b.j1).for_each(|j| v.push(g.idx(b.i0 - 1, j, k))),
                _ => {}
            }
        }
        v.retain(|&c| open[c]);
        v
    }

    /// Away from the nearest wall.
    fn default_facing(g: &Grid, b: &CellBox) -> Facing {
        let d =
            [(b.i0, Facing::East), (g.nx - b.i1, Facing::West), (b.j0, Facing::North), (g.ny - b.j1, Facing::South)];
        d.iter().min_by_key(|x| x.0).map(|x| x.1).unwrap_or(Facing::North)
    }

    enum Src {
        RackExhaust(usize),
        UnitSupply(usize),
        Tile(f64),
    }

    /// Solve airflow and advected heat for a facility with `[airflow]`.
    pub fn solve(f: &Facility, r: &Raster, s: &AirflowSettings, tol: f64) -> Result<AirflowSolution, Error> {
        let g = r.problem.grid;
        let n = g.cells();
        let rho_cp = f.materials.air_rho_cp_j_m3k;
        let err = |m: String| {
            Error::Input(InputError::new(
                &f.path,
                "[airflow]",
                m,
                "give racks and cooling units open air on their intake and exhaust sides",
            ))
        };
        let open: Vec<bool> = r.material.iter().map(|&m| m == material::AIR || m == material::SUPPLY).collect();
        let mut src = vec![0.0; n];
        // Every inflow (cell, m³/s, what it is); a cell may have several.
        let mut kinds: Vec<(usize, f64, Src)> = Vec::new();
        // Racks: air in at the intake, out at the exhaust.
        let mut rack_flow = vec![0.0; f.racks.len()];
        let mut exhaust: Vec<Vec<usize>> = vec![Vec::new(); f.racks.len()];
        for (ri, (rack, cells)) in f.racks.iter().zip(&r.racks).enumerate() {
            let intake: Vec<usize> = cells.intake.iter().copied().filter(|&c| open[c]).collect();
            let ex = adjacent(&g, &cells.cells, opposite(rack.facing), &open);
            let v = rack.air_heat_w() / (rho_cp * s.rack_delta_t_k);
            if intake.is_empty() || ex.is_empty() || v == 0.0 {
                continue;
            }
            rack_flow[ri] = v;
            intake.iter().for_each(|&c| src[c] -= v / intake.len() as f64);
            ex.iter().for_each(|&c| {
                src[c] += v / ex.len() as f64;
                kinds.push((c, v / ex.len() as f64, Src::RackExhaust(ri)));
            });
            exhaust[ri] = ex;
        }
        // Tiles: air from the raised floor at their supply temperature.
        let v_cell = g.cell_volume_m3();
        let mut tile_total = 0.0;
        for (sr, cells) in f.supply.iter().zip(tile_cells(f, r)) {
            let q = sr.airflow_m3_s.unwrap_or_else(|| sr.h_w_m3k.unwrap_or(0.0) * cells.len() as f64 * v_cell / rho_cp);
            tile_total += q;
            cells.iter().for_each(|&c| {
                src[c] += q / cells.len() as f64;
                kinds.push((c, q / cells.len() as f64, Src::Tile(sr.supply_c)));
            });
        }
        // Cooling units: return behind, supply in front (CRAHs feed the tiles when there are any).
        let mut ret_cells: Vec<Vec<usize>> = vec![Vec::new(); f.cooling.len()];
        let mut unit_flow = vec![0.0; f.cooling.len()];
        let crah_nominal: f64 = f
            .cooling
            .iter()
            .filter(|u| u.kind == CoolingKind::Crah)
            .map(|u| u.capacity_kw * 1e3 / (rho_cp * u.delta_t_k))
            .sum();
        for (ui, (u, b)) in f.cooling.iter().zip(&r.cooling).enumerate() {
            let (Some(b), true) = (b, u.is_air_side() && u.kind != CoolingKind::RearDoor) else { continue };
            // Default: in-row units blow like their nearest rack; others away from the wall.
            let facing = u.facing.unwrap_or_else(|| match (u.kind, u.rect) {
                (CoolingKind::InRow, Some(ur)) => {
                    let (cx, cy) = ((ur.x0 + ur.x1) / 2.0, (ur.y0 + ur.y1) / 2.0);
                    f.racks
                        .iter()
                        .min_by(|a, b| {
                            let d = |r: &crate::facility::Rack| {
                                ((r.rect.x0 + r.rect.x1) / 2.0 - cx).powi(2)
                                    + ((r.rect.y0 + r.rect.y1) / 2.0 - cy).powi(2)
                            };
                            d(a).total_cmp(&d(b))
                        })
                        .map(|r| r.facing)
                        .unwrap_or_else(|| default_facing(&g, b))
                }
                _ => default_facing(&g, b),
            });
            let nominal = u.capacity_kw * 1e3 / (rho_cp * u.delta_t_k);
            let feeds_tiles = u.kind == CoolingKind::Crah && tile_total > 0.0;
            let v = if feeds_tiles { nominal * tile_total / crah_nominal } else { nominal };
            let mut back = adjacent(&g, b, opposite(facing), &open);
            if back.is_empty() {
                // Units against a wall take their return from the sides.
                back = [Facing::East, Facing::West, Facing::North, Facing::South]
                    .iter()
                    .filter(|&&d| d != facing)
                    .flat_map(|&d| adjacent(&g, b, d, &open))
                    .collect();
            }
            let front = adjacent(&g, b, facing, &open);
            if back.is_empty() || (!feeds_tiles && front.is_empty()) {
                return Err(err(format!("cooling unit \"{}\" has no open air to take from or blow into", u.id)));
            }
            back.iter().for_each(|&c| src[c] -= v / back.len() as f64);
            if !feeds_tiles {
                front.iter().for_each(|&c| {
                    src[c] += v / front.len() as f64;
                    kinds.push((c, v / front.len() as f64, Src::UnitSupply(ui)));
                });
            }
            unit_flow[ui] = v;
            ret_cells[ui] = back;
        }
        if tile_total > 0.0 && crah_nominal == 0.0 {
            return Err(err("supply tiles need CRAHs to return their air".into()));
        }
        let fp = FlowProblem { grid: g, open: open.clone(), source_m3s: src.clone() };
        let (_, fluxes) = solve_potential(&fp, 1e-10).map_err(|e| err(e.to_string()))?;
        let mres = mass_residual(&fp, &fluxes);
        // Energy: turbulent k in the air; cooling by supply air, not by h; rack heat rides
        // on the exhaust air.
        let mut p = r.problem.clone();
        for c in 0..n {
            if open[c] {
                p.k[c] = s.turbulent_k_w_mk;
            }
            if r.material[c] == material::SUPPLY || (r.material[c] == material::COOLING && !is_rear_door(f, r, c)) {
                p.h[c] = 0.0;
            }
        }
        for (ri, cells) in r.racks.iter().enumerate() {
            if rack_flow[ri] > 0.0 {
                cells.cells.cells(&g).for_each(|c| p.q[c] = 0.0);
            }
        }
        let (mut a, b0) = assemble(&p);
        let lay = a.layout;
        let zero_t = vec![0.0; n];
        // Outflows (sinks) take air at the cell's temperature: only the sink part of each
        // cell goes into the operator; inflows enter the right-hand side one by one.
        let mut sinks = src.clone();
        for (c, q, _) in &kinds {
            sinks[*c] -= q;
        }
        let mut b_flow = lay.zeros();
        add_upwind(&mut a, &mut b_flow, &g, &p.walls, &fluxes, &sinks, &zero_t, rho_cp);
        let mut mg = Multigrid::new(&a).map_err(|e| Error::Internal(e.to_string()))?;
        let mean = |t: &[f64], cs: &[usize]| cs.iter().map(|&c| t[c]).sum::<f64>() / cs.len().max(1) as f64;
        let mut t: Vec<f64> = p.t_s.iter().map(|v| if v.is_finite() { *v } else { 20.0 }).collect();
        let supply0 = f.cooling.iter().filter(|u| u.is_air_side()).map(|u| u.supply_c).fold(f64::INFINITY, f64::min);
        if supply0.is_finite() {
            t.iter_mut().for_each(|v| *v = supply0);
        }
        let mut x = lay.to_padded(&t);
        let (mut outer, mut iters, mut rel) = (0, 0, 1.0);
        let mut last_change = f64::INFINITY;
        for _ in 0..5000 {
            outer += 1;
            let mut b = b0.clone();
            for (c, q, k) in &kinds {
                let ts = match k {
                    Src::RackExhaust(ri) => {
                        mean(&t, &r.racks[*ri].intake) + f.racks[*ri].air_heat_w() / (rho_cp * rack_flow[*ri])
                    }
                    Src::UnitSupply(ui) => {
                        let u = &f.cooling[*ui];
                        u.supply_c.max(mean(&t, &ret_cells[*ui]) - u.capacity_kw * 1e3 / (rho_cp * unit_flow[*ui]))
                    }
                    Src::Tile(ts) => *ts,
                };
                b[lay.pidx(c % g.nx, (c / g.nx) % g.ny, c / (g.nx * g.ny))] += rho_cp / v_cell * q * ts;
            }
            // Inexact fixed point: loose inner solves while the outer change is large.
            let inner = if last_change > 1e-3 {
                1e-6
            } else if last_change > 1e-7 {
                1e-9
            } else {
                tol
            };
            let out = mg_bicgstab(&a, &mut mg, &b, &mut x, inner, 300);
            iters += out.iterations;
            rel = out.relative_residual;
            let new_t = lay.to_compact(&x);
            let change = new_t.iter().zip(&t).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            t = new_t;
            let final_pass = last_change <= 1e-7;
            last_change = change;
            if change < 1e-10 || (final_pass && change < 1e-8) {
                break;
            }
        }
        // Heat balance: in = rack air heat (+ any q left); out = air-side units and tiles
        // (air returned minus air supplied), rear doors (h), fixed walls.
        let e = crate::thermal::energy::energy_balance(&p, &t);
        let racks_in: f64 =
            rack_flow.iter().zip(&f.racks).filter(|(v, _)| **v > 0.0).map(|(_, r)| r.air_heat_w()).sum();
        let mut removed = vec![0.0; f.cooling.len()];
        for (ui, cells) in ret_cells.iter().enumerate() {
            if unit_flow[ui] == 0.0 {
                continue;
            }
            let u = &f.cooling[ui];
            let tr = mean(&t, cells);
            let ts = if u.kind == CoolingKind::Crah && tile_total > 0.0 {
                None
            } else {
                Some(u.supply_c.max(tr - u.capacity_kw * 1e3 / (rho_cp * unit_flow[ui])))
            };
            removed[ui] = match ts {
                Some(ts) => rho_cp * unit_flow[ui] * (tr - ts),
                None => rho_cp * unit_flow[ui] * tr,
            };
        }
        // CRAHs feeding tiles: subtract the tile air they supplied.
        let tiles_supplied: f64 = f.supply.iter().map(|sr| rho_cp * sr.airflow_m3_s.unwrap_or(0.0) * sr.supply_c).sum();
        let crah_flow: f64 = f
            .cooling
            .iter()
            .zip(&unit_flow)
            .filter(|(u, _)| u.kind == CoolingKind::Crah && tile_total > 0.0)
            .map(|(_, v)| *v)
            .sum();
        if crah_flow > 0.0 {
            for (ui, u) in f.cooling.iter().enumerate() {
                if u.kind == CoolingKind::Crah {
                    removed[ui] -= tiles_supplied * unit_flow[ui] / crah_flow;
                }
            }
        }
        let heat_in = racks_in + e.injected_w;
        let heat_out: f64 = removed.iter().sum::<f64>() + e.removed_by_cooling_w + e.removed_by_walls_w;
        Ok(AirflowSolution {
            t,
            fluxes,
            mass_residual: mres,
            energy_rel_error: (heat_in - heat_out).abs() / heat_in.abs().max(f64::MIN_POSITIVE),
            removed_w: removed,
            outer_iterations: outer,
            solver_iterations: iters,
            relative_residual: rel,
        })
    }

    fn is_rear_door(f: &Facility, r: &Raster, c: usize) -> bool {
        f.cooling.iter().zip(&r.cooling).any(|(u, b)| {
            u.kind == CoolingKind::RearDoor && b.is_some_and(|b| b.cells(&r.problem.grid).any(|x| x == c))
        })
    }

    fn tile_cells(f: &Facility, r: &Raster) -> Vec<Vec<usize>> {
        let g = &r.problem.grid;
        f.supply
            .iter()
            .map(|s| {
                let lo = |a: f64, n: usize| (((a / g.dx) - 0.5 - 1e-9).ceil().max(0.0) as usize).min(n);
                let (i0, i1) = (lo(s.rect.x0, g.nx), lo(s.rect.x1, g.nx));
                let (j0, j1) = (lo(s.rect.y0, g.ny), lo(s.rect.y1, g.ny));
                let k1 =
                    if g.is_3d() { ((s.height_m.unwrap_or(g.dx) / g.dx).round() as usize).clamp(1, g.nz) } else { 1 };
                (0..k1).flat_map(|k| (j0..j1).flat_map(move |j| (i0..i1).map(move |i| g.idx(i, j, k)))).collect()
            })
            .collect()
    }
}
