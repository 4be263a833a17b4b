//! The airflow model applied to a facility (see the README): rack and cooling-unit
//! flows, tiles, and the advected heat.

use super::balance::{balance_units, UnitAir};
use super::{add_upwind, mass_residual, solve_potential_in, FlowProblem, Fluxes};
use crate::error::{Error, InputError};
use crate::facility::{AirflowSettings, CoolingKind, Facility, Facing};
use crate::gpu::GpuContext;
use crate::grid::Grid;
use crate::raster::{material, CellBox, Raster};
use crate::thermal::cpu::Multigrid;
use crate::thermal::operator::assemble;

/// Relative residual of the potential solve. The upwind faces carry heat from cell to
/// cell exactly (each face's flux leaves one cell and enters the next at the same
/// temperature), so the heat balance does not depend on it; mass is conserved per cell
/// to about this tolerance times the total flow.
const POTENTIAL_TOL: f64 = 1e-8;

/// The same on the GPU. Its refinement restarts the f32 Krylov solve every round, so
/// the slow modes that set the flow through narrow gaps (under and over rack rows)
/// converge later than on the CPU for the same residual: at 1e-8 the 3-D GB200 hall's
/// temperatures were 5e-4 K off the CPU's, at 1e-10 1.5e-5 K.
const POTENTIAL_TOL_GPU: f64 = 1e-10;

/// Half-width of the band around a unit's or door's capacity threshold within which
/// the active set keeps its state, K.
const STATE_BAND_K: f64 = 1e-6;

/// Passes of the active-set loop on which units run at capacity.
const MAX_ACTIVE_SET_PASSES: usize = 20;

/// Conductivity given to the bodies of racks and air-side cooling units, W/(m·K): their
/// heat and air pass by the intake → exhaust (return → supply) link, so conduction
/// through them is kept small (sheet steel and equipment, not the room's mixed air).
const BODY_K_W_MK: f64 = 1.0;

/// Prefix of the errors of the GPU path (callers may fall back to the CPU).
pub const GPU_FAILED: &str = "the GPU airflow solve failed";

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
    /// "cpu" or "gpu".
    pub backend: &'static str,
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
    let d = [(b.i0, Facing::East), (g.nx - b.i1, Facing::West), (b.j0, Facing::North), (g.ny - b.j1, Facing::South)];
    d.iter().min_by_key(|x| x.0).map(|x| x.1).unwrap_or(Facing::North)
}

/// What a rear door does to its rack's air: nothing (the air is already at or below its
/// supply temperature), cools it to supply_c, or removes its full capacity.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Door {
    Idle,
    Cooling,
    AtCapacity,
}

enum Src {
    RackExhaust(usize),
    UnitSupply(usize),
    Tile(f64),
}

/// Solve airflow and advected heat for a facility with `[airflow]`, on the CPU (f64)
/// (`gpu` = None) or, given a GPU, with both linear solves in f32 on it
/// (mixed-precision refinement to the same tolerances; see [`super::gpu`]). A GPU
/// failure is an `Error::Internal` that starts with [`GPU_FAILED`].
pub fn solve_on(
    f: &Facility,
    r: &Raster,
    s: &AirflowSettings,
    tol: f64,
    max_iter: usize,
    gpu: Option<&GpuContext>,
) -> Result<AirflowSolution, Error> {
    let g = r.problem.grid;
    let n = g.cells();
    let rho_cp = f.materials.air_rho_cp_j_m3k;
    let trace = super::Trace::new();
    let tr = |what: &str| trace.at(what);
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
    let mut intakes: Vec<Vec<usize>> = vec![Vec::new(); f.racks.len()];
    // A rack's rear-door heat exchanger (unit index): the rack's air passes through it.
    let door_of: Vec<Option<usize>> = f
        .racks
        .iter()
        .map(|rack| {
            f.cooling.iter().zip(&r.cooling).position(|(u, b)| {
                u.kind == CoolingKind::RearDoor && u.rack.as_deref() == Some(rack.id.as_str()) && b.is_some()
            })
        })
        .collect();
    for (ri, (rack, cells)) in f.racks.iter().zip(&r.racks).enumerate() {
        let intake: Vec<usize> = cells.intake.iter().copied().filter(|&c| open[c]).collect();
        // The air leaves behind the rack, or behind its rear door.
        let behind = match door_of[ri].and_then(|ui| r.cooling[ui].as_ref()) {
            Some(door) => door,
            None => &cells.cells,
        };
        let ex = adjacent(&g, behind, opposite(rack.facing), &open);
        let v = rack.air_heat_w() / (rho_cp * s.rack_delta_t_k);
        if v == 0.0 {
            continue;
        }
        if intake.is_empty() || ex.is_empty() {
            let side = if intake.is_empty() { "intake (front)" } else { "exhaust (back)" };
            return Err(err(format!("rack \"{}\" has no open air on its {side} side", rack.id)));
        }
        rack_flow[ri] = v;
        intake.iter().for_each(|&c| src[c] -= v / intake.len() as f64);
        ex.iter().for_each(|&c| {
            src[c] += v / ex.len() as f64;
            kinds.push((c, v / ex.len() as f64, Src::RackExhaust(ri)));
        });
        intakes[ri] = intake;
    }
    // Doors whose rack blows through them cool that air (the link); others keep their h.
    let linked_door: Vec<bool> = (0..f.cooling.len())
        .map(|ui| door_of.iter().zip(&rack_flow).any(|(d, v)| *d == Some(ui) && *v > 0.0))
        .collect();
    // Tiles: air from the raised floor at their supply temperature.
    let v_cell = g.cell_volume_m3();
    let mut tile_total = 0.0;
    let mut tile_q = Vec::with_capacity(f.supply.len());
    let tiles: Vec<Vec<usize>> =
        tile_cells(f, r).into_iter().map(|cs| cs.into_iter().filter(|&c| open[c]).collect()).collect();
    for (sr, cells) in f.supply.iter().zip(&tiles) {
        let q = sr.airflow_m3_s.unwrap_or_else(|| sr.h_w_m3k.unwrap_or(0.0) * cells.len() as f64 * v_cell / rho_cp);
        tile_total += if cells.is_empty() { 0.0 } else { q };
        tile_q.push(if cells.is_empty() { 0.0 } else { q });
    }
    // Cooling units: return behind, supply in front (CRAHs feed the tiles when there are any).
    let mut ret_cells: Vec<Vec<usize>> = vec![Vec::new(); f.cooling.len()];
    let mut sup_cells: Vec<Vec<usize>> = vec![Vec::new(); f.cooling.len()];
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
                            ((r.rect.x0 + r.rect.x1) / 2.0 - cx).powi(2) + ((r.rect.y0 + r.rect.y1) / 2.0 - cy).powi(2)
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
        let mut back = if u.ceiling_return {
            // A ceiling plenum: return grilles over the whole room's top layer.
            let top = g.nz - 1;
            (0..g.ny).flat_map(|j| (0..g.nx).map(move |i| g.idx(i, j, top))).filter(|&c| open[c]).collect()
        } else {
            adjacent(&g, b, opposite(facing), &open)
        };
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
        unit_flow[ui] = v;
        ret_cells[ui] = back;
        if !feeds_tiles {
            sup_cells[ui] = front;
        }
    }
    // Sealed regions: the units' fans and the raised floor's tiles deliver what each
    // region's racks draw (racks keep their flows).
    let mut units_air: Vec<UnitAir> = f
        .cooling
        .iter()
        .zip(sup_cells.iter().zip(&ret_cells))
        .map(|(u, (s, r))| UnitAir { name: &u.id, supply: s, ret: r })
        .collect();
    units_air.extend(f.supply.iter().zip(&tiles).map(|(sr, t)| UnitAir { name: &sr.id, supply: t, ret: &[] }));
    let mut flows: Vec<f64> = unit_flow.iter().chain(&tile_q).copied().collect();
    let (label, count) = super::regions::regions(&g, &open);
    balance_units(&g, (&label, count), &src, &units_air, &mut flows).map_err(|m| {
        Error::Input(InputError::new(
            &f.path,
            "[airflow]",
            m,
            "leave a gap in the containment (doors leak) or give the sealed region a cooling unit that serves it",
        ))
    })?;
    unit_flow.copy_from_slice(&flows[..f.cooling.len()]);
    tile_q.copy_from_slice(&flows[f.cooling.len()..]);
    tile_total = tile_q.iter().sum();
    for ((sr, cells), q) in f.supply.iter().zip(&tiles).zip(&tile_q) {
        cells.iter().for_each(|&c| {
            src[c] += q / cells.len() as f64;
            kinds.push((c, q / cells.len() as f64, Src::Tile(sr.supply_c)));
        });
    }
    for ui in 0..f.cooling.len() {
        let v = unit_flow[ui];
        let (back, front) = (&ret_cells[ui], &sup_cells[ui]);
        back.iter().for_each(|&c| src[c] -= v / back.len() as f64);
        front.iter().for_each(|&c| {
            src[c] += v / front.len() as f64;
            kinds.push((c, v / front.len() as f64, Src::UnitSupply(ui)));
        });
    }
    if tile_total > 0.0 && crah_nominal == 0.0 {
        return Err(err("supply tiles need CRAHs to return their air".into()));
    }
    let fp = FlowProblem { grid: g, open: open.clone(), source_m3s: src.clone() };
    tr("sources");
    let (_, fluxes) = solve_potential_in(
        &fp,
        (&label, count),
        if gpu.is_some() { POTENTIAL_TOL_GPU } else { POTENTIAL_TOL },
        max_iter,
        gpu,
    )
    .map_err(|e| match e {
        super::FlowError::Gpu(m) => Error::Internal(format!("{GPU_FAILED}: {m}")),
        super::FlowError::NotConverged { iterations, relative_residual, tol } => {
            Error::NotConverged { iterations, relative_residual, tol }
        }
        e => err(e.to_string()),
    })?;
    let mres = mass_residual(&fp, &fluxes);
    tr("potential");
    // Energy: turbulent k in the air; cooling by supply air, not by h; rack heat rides
    // on the exhaust air.
    let mut p = r.problem.clone();
    // Rear doors not linked to a flowing rack keep cooling by their h.
    let h_door = h_door_cells(f, r, &linked_door);
    for c in 0..n {
        if open[c] {
            p.k[c] = s.turbulent_k_w_mk;
        }
        if r.material[c] == material::COOLING && !h_door[c] {
            // Air passes through a unit's body by its link (return → supply, rack → door
            // → room), not by conduction.
            p.k[c] = BODY_K_W_MK;
            p.h[c] = 0.0;
        }
        if r.material[c] == material::SUPPLY {
            p.h[c] = 0.0;
        }
    }
    for (ri, cells) in r.racks.iter().enumerate() {
        if rack_flow[ri] > 0.0 {
            // Likewise a rack's heat leaves on its exhaust air.
            cells.cells.cells(&g).for_each(|c| {
                p.q[c] = 0.0;
                p.k[c] = BODY_K_W_MK;
            });
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
    tr("energy operator");
    let mut mg = Multigrid::new(&a).map_err(|e| Error::Internal(e.to_string()))?;
    let gpu_mg = match gpu {
        Some(ctx) => Some((
            ctx,
            crate::thermal::gpu::GpuMg::new(ctx, &a, &mg).map_err(|e| Error::Internal(format!("{GPU_FAILED}: {e}")))?,
        )),
        None => None,
    };
    tr("energy multigrid");
    let mean = |t: &[f64], cs: &[usize]| cs.iter().map(|&c| t[c]).sum::<f64>() / cs.len().max(1) as f64;
    let mut t: Vec<f64> = p.t_s.iter().map(|v| if v.is_finite() { *v } else { 20.0 }).collect();
    let supply0 = f.cooling.iter().filter(|u| u.is_air_side()).map(|u| u.supply_c).fold(f64::INFINITY, f64::min);
    if supply0.is_finite() {
        t.iter_mut().for_each(|v| *v = supply0);
    }
    let mut x = lay.to_padded(&t);
    let mut iters = 0;
    let mut rel;
    // One linear system with the links inside the operator: the air leaving rack ri's
    // exhaust is its intakes' mean plus ΔT_r, and a unit at capacity supplies its
    // returns' mean minus capacity / (ρc_p V). Units below capacity supply at supply_c
    // (a constant); which units run at capacity is found by an active-set loop.
    let pad = |c: usize| lay.pidx(c % g.nx, (c / g.nx) % g.ny, c / (g.nx * g.ny));
    let c0 = rho_cp / v_cell;
    let mut at_cap = vec![false; f.cooling.len()];
    // Rear doors: what each door does to its rack's air, found by the same active set.
    let mut doors = vec![Door::Cooling; f.racks.len()];
    let rack_dt = |ri: usize| f.racks[ri].air_heat_w() / (rho_cp * rack_flow[ri]);
    let door_drop = |ri: usize, ui: usize| f.cooling[ui].capacity_kw * 1e3 / (rho_cp * rack_flow[ri]);
    let mut passes = 0;
    loop {
        passes += 1;
        let mut b = b0.clone();
        // Per link: the cells the air enters with their c0·q, and the cells averaged.
        let mut links: Vec<(Vec<(usize, f64)>, Vec<usize>)> = Vec::new();
        let mut by_rack: Vec<Vec<(usize, f64)>> = vec![Vec::new(); f.racks.len()];
        let mut by_unit: Vec<Vec<(usize, f64)>> = vec![Vec::new(); f.cooling.len()];
        for (c, q, k) in &kinds {
            let (p, w) = (pad(*c), c0 * q);
            match k {
                Src::RackExhaust(ri) => match (door_of[*ri], doors[*ri]) {
                    (Some(ui), Door::Cooling) => b[p] += w * f.cooling[ui].supply_c,
                    (Some(ui), Door::AtCapacity) => {
                        b[p] += w * (rack_dt(*ri) - door_drop(*ri, ui));
                        by_rack[*ri].push((p, w));
                    }
                    _ => {
                        b[p] += w * rack_dt(*ri);
                        by_rack[*ri].push((p, w));
                    }
                },
                Src::UnitSupply(ui) => {
                    let u = &f.cooling[*ui];
                    if at_cap[*ui] {
                        b[p] -= w * u.capacity_kw * 1e3 / (rho_cp * unit_flow[*ui]);
                        by_unit[*ui].push((p, w));
                    } else {
                        b[p] += w * u.supply_c;
                    }
                }
                Src::Tile(ts) => b[p] += w * ts,
            }
        }
        for (ri, to) in by_rack.into_iter().enumerate() {
            if !to.is_empty() {
                links.push((to, intakes[ri].iter().map(|&c| pad(c)).collect()));
            }
        }
        for (ui, to) in by_unit.into_iter().enumerate() {
            if !to.is_empty() {
                links.push((to, ret_cells[ui].iter().map(|&c| pad(c)).collect()));
            }
        }
        let links = super::links::Links::new(&links);
        let apply = |x: &[f64], y: &mut [f64]| {
            a.apply(x, y);
            links.apply(x, y);
        };
        let (its, rel_now) = match &gpu_mg {
            None => {
                let out = super::bicgstab::bicgstab(
                    &apply,
                    |r, z| mg.vcycle(&a, r, z),
                    &b,
                    &mut x,
                    tol,
                    max_iter.saturating_sub(iters),
                );
                (out.iterations, out.relative_residual)
            }
            Some((ctx, gmg)) => {
                let gpu_err = |e: crate::gpu::GpuError| Error::Internal(format!("{GPU_FAILED}: {e}"));
                let gb = super::gpu::GpuBicgstab::new(ctx, gmg, &links).map_err(gpu_err)?;
                let out = crate::thermal::gpu::refine_f32(
                    |x, r| {
                        apply(x, r);
                        r.iter_mut().zip(&b).for_each(|(ri, bi)| *ri = bi - *ri);
                    },
                    |rhs, inner, budget| gb.solve(ctx, rhs, inner, budget),
                    &b,
                    &mut x,
                    tol,
                    max_iter.saturating_sub(iters),
                )
                .map_err(gpu_err)?;
                (out.iterations, out.relative_residual)
            }
        };
        iters += its;
        rel = rel_now;
        t = lay.to_compact(&x);
        tr(&format!("pass {passes}: {its} BiCGStab iterations, residual {rel:.2e}"));
        // A state changes only when the solution is clearly past its threshold (by
        // STATE_BAND_K): at the threshold both states give the same answer, and solver
        // noise must not flip them back and forth.
        let now: Vec<bool> = f
            .cooling
            .iter()
            .enumerate()
            .map(|(ui, u)| {
                if unit_flow[ui] == 0.0 || sup_cells[ui].is_empty() {
                    // CRAHs feeding tiles: the tiles set the supply temperature.
                    return false;
                }
                let over = mean(&t, &ret_cells[ui]) - u.capacity_kw * 1e3 / (rho_cp * unit_flow[ui]) - u.supply_c;
                if at_cap[ui] {
                    over > -STATE_BAND_K
                } else {
                    over > STATE_BAND_K
                }
            })
            .collect();
        let now_doors: Vec<Door> = (0..f.racks.len())
            .map(|ri| match door_of[ri] {
                Some(ui) if rack_flow[ri] > 0.0 => {
                    let ts = f.cooling[ui].supply_c;
                    let exh = mean(&t, &intakes[ri]) + rack_dt(ri);
                    let keep = |on: bool| if on { -STATE_BAND_K } else { STATE_BAND_K };
                    if exh - door_drop(ri, ui) - ts > keep(doors[ri] == Door::AtCapacity) {
                        Door::AtCapacity
                    } else if exh - ts > keep(doors[ri] != Door::Idle) {
                        Door::Cooling
                    } else {
                        Door::Idle
                    }
                }
                _ => doors[ri],
            })
            .collect();
        if now == at_cap && now_doors == doors {
            break;
        }
        doors = now_doors;
        if passes >= MAX_ACTIVE_SET_PASSES {
            return Err(Error::Internal(format!(
                "which cooling units run at capacity did not settle in {passes} passes"
            )));
        }
        at_cap = now;
    }
    if !crate::outcome::converged(rel, tol) {
        // On the GPU the caller may retry on the CPU.
        return Err(match gpu {
            Some(_) => Error::Internal(format!(
                "{GPU_FAILED}: the airflow's heat balance reached a relative residual of {rel:.2e} only \
                 after {iters} iterations"
            )),
            None => Error::NotConverged { iterations: iters, relative_residual: rel, tol },
        });
    }
    let outer = passes;
    // Heat balance: in = rack air heat (+ any q left); out = air-side units and tiles
    // (air returned minus air supplied), rear doors (h), fixed walls.
    let e = crate::thermal::energy::energy_balance(&p, &t);
    let racks_in: f64 = rack_flow.iter().zip(&f.racks).filter(|(v, _)| **v > 0.0).map(|(_, r)| r.air_heat_w()).sum();
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
    // Rear doors: the heat they take out of their rack's air; unlinked ones by their h.
    for (ri, d) in door_of.iter().enumerate() {
        if let (Some(ui), true) = (d, rack_flow[ri] > 0.0) {
            let exh = mean(&t, &intakes[ri]) + rack_dt(ri);
            let out = match doors[ri] {
                Door::Idle => exh,
                Door::Cooling => f.cooling[*ui].supply_c,
                Door::AtCapacity => exh - door_drop(ri, *ui),
            };
            removed[*ui] = rho_cp * rack_flow[ri] * (exh - out);
        }
    }
    let mut h_removed = 0.0;
    for (ui, b) in r.cooling.iter().enumerate() {
        if let (Some(b), CoolingKind::RearDoor, false) = (b, f.cooling[ui].kind, linked_door[ui]) {
            removed[ui] = b.cells(&g).map(|c| p.h[c] * v_cell * (t[c] - p.t_s[c])).sum();
            h_removed += removed[ui];
        }
    }
    // CRAHs feeding tiles: subtract the tile air they supplied.
    let tiles_supplied: f64 = f.supply.iter().zip(&tile_q).map(|(sr, q)| rho_cp * q * sr.supply_c).sum();
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
    // (e.removed_by_cooling_w is what h removes: the unlinked doors, already in `removed`.)
    let heat_out: f64 = removed.iter().sum::<f64>() + (e.removed_by_cooling_w - h_removed) + e.removed_by_walls_w;
    Ok(AirflowSolution {
        t,
        fluxes,
        mass_residual: mres,
        energy_rel_error: (heat_in - heat_out).abs() / heat_in.abs().max(f64::MIN_POSITIVE),
        removed_w: removed,
        outer_iterations: outer,
        backend: if gpu.is_some() { "gpu" } else { "cpu" },
        solver_iterations: iters,
        relative_residual: rel,
    })
}

/// Cells of rear-door heat exchangers that cool by their h (no flowing rack behind them).
fn h_door_cells(f: &Facility, r: &Raster, linked: &[bool]) -> Vec<bool> {
    let mut m = vec![false; r.problem.grid.cells()];
    for (ui, (u, b)) in f.cooling.iter().zip(&r.cooling).enumerate() {
        if let (CoolingKind::RearDoor, Some(b), false) = (u.kind, b, linked[ui]) {
            b.cells(&r.problem.grid).for_each(|c| m[c] = true);
        }
    }
    m
}

fn tile_cells(f: &Facility, r: &Raster) -> Vec<Vec<usize>> {
    let g = &r.problem.grid;
    f.supply
        .iter()
        .map(|s| {
            let lo = |a: f64, n: usize| (((a / g.dx) - 0.5 - 1e-9).ceil().max(0.0) as usize).min(n);
            let (i0, i1) = (lo(s.rect.x0, g.nx), lo(s.rect.x1, g.nx));
            let (j0, j1) = (lo(s.rect.y0, g.ny), lo(s.rect.y1, g.ny));
            let k1 = if g.is_3d() { ((s.height_m.unwrap_or(g.dx) / g.dx).round() as usize).clamp(1, g.nz) } else { 1 };
            (0..k1).flat_map(|k| (j0..j1).flat_map(move |j| (i0..i1).map(move |i| g.idx(i, j, k)))).collect()
        })
        .collect()
}
