//! One linear system with the links inside the operator (rack intake → exhaust, unit
//! return → supply), and the active set that decides which units and rear doors run at
//! capacity.

use super::sources::{mean, Sources, Src};
use super::{Door, GPU_FAILED, MAX_ACTIVE_SET_PASSES, STATE_BAND_K};
use crate::error::Error;
use crate::facility::Facility;
use crate::gpu::GpuContext;
use crate::raster::Raster;
use crate::thermal::cpu::Multigrid;
use crate::thermal::stencil::Stencil;
use crate::thermal::ThermalProblem;

/// The linked solve's answer.
pub(super) struct Linked {
    /// °C, compact.
    pub t: Vec<f64>,
    pub iterations: usize,
    pub relative_residual: f64,
    pub passes: usize,
    pub doors: Vec<Door>,
}

/// Solve the linked energy system on the CPU or the GPU, with the active-set loop.
#[allow(clippy::too_many_arguments)]
pub(super) fn solve_linked(
    f: &Facility,
    r: &Raster,
    sr: &Sources,
    p: &ThermalProblem,
    a: &Stencil,
    b0: &[f64],
    tol: f64,
    max_iter: usize,
    gpu: Option<&GpuContext>,
    tr: &dyn Fn(&str),
) -> Result<Linked, Error> {
    let g = r.problem.grid;
    let rho_cp = f.materials.air_rho_cp_j_m3k;
    let v_cell = g.cell_volume_m3();
    let lay = a.layout;
    let (kinds, door_of, intakes, ret_cells, sup_cells, unit_flow, rack_flow) =
        (&sr.kinds, &sr.door_of, &sr.intakes, &sr.ret_cells, &sr.sup_cells, &sr.unit_flow, &sr.rack_flow);
    let rack_dt = |ri: usize| sr.rack_dt(f, ri, rho_cp);
    let door_drop = |ri: usize, ui: usize| sr.door_drop(f, ri, ui, rho_cp);
    let mut mg = Multigrid::new(a).map_err(|e| Error::Internal(e.to_string()))?;
    let gpu_mg = match gpu {
        Some(ctx) => Some((
            ctx,
            crate::thermal::gpu::GpuMg::new(ctx, a, &mg).map_err(|e| Error::Internal(format!("{GPU_FAILED}: {e}")))?,
        )),
        None => None,
    };
    tr("energy multigrid");
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
    let mut passes = 0;
    loop {
        passes += 1;
        let mut b = b0.to_vec();
        // Per link: the cells the air enters with their c0·q, and the cells averaged.
        let mut links: Vec<(Vec<(usize, f64)>, Vec<usize>)> = Vec::new();
        let mut by_rack: Vec<Vec<(usize, f64)>> = vec![Vec::new(); f.racks.len()];
        let mut by_unit: Vec<Vec<(usize, f64)>> = vec![Vec::new(); f.cooling.len()];
        for (c, q, k) in kinds.iter() {
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
        let links = crate::airflow::links::Links::new(&links);
        let apply = |x: &[f64], y: &mut [f64]| {
            a.apply(x, y);
            links.apply(x, y);
        };
        let (its, rel_now) = match &gpu_mg {
            None => {
                let out = crate::airflow::bicgstab::bicgstab(
                    &apply,
                    |r, z| mg.vcycle(a, r, z),
                    &b,
                    &mut x,
                    tol,
                    max_iter.saturating_sub(iters),
                );
                (out.iterations, out.relative_residual)
            }
            Some((ctx, gmg)) => {
                let gpu_err = |e: crate::gpu::GpuError| Error::Internal(format!("{GPU_FAILED}: {e}"));
                let gb = crate::airflow::gpu::GpuBicgstab::new(ctx, gmg, &links).map_err(gpu_err)?;
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
    Ok(Linked { t, iterations: iters, relative_residual: rel, passes, doors })
}
