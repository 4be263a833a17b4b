//! Heat accounting of an airflow answer: what each cooling unit, door and tile removes,
//! and the energy balance.

use super::sources::{mean, Sources};
use super::Door;
use crate::facility::{CoolingKind, Facility};
use crate::raster::Raster;
use crate::thermal::energy::EnergyBalance;
use crate::thermal::ThermalProblem;

/// Heat removed by each cooling unit (W, facility order) and the whole energy balance
/// of the airflow answer (what went in: rack air heat; what left: units, tiles, doors
/// and fixed-temperature walls, the walls through the airflow model's own conductivity).
pub(super) fn heat_removed(
    f: &Facility,
    r: &Raster,
    sr: &Sources,
    p: &ThermalProblem,
    t: &[f64],
    doors: &[Door],
) -> (Vec<f64>, EnergyBalance) {
    let g = r.problem.grid;
    let rho_cp = f.materials.air_rho_cp_j_m3k;
    let v_cell = g.cell_volume_m3();
    let (rack_flow, ret_cells, unit_flow, door_of, intakes, linked_door, tile_q, tile_total) = (
        &sr.rack_flow,
        &sr.ret_cells,
        &sr.unit_flow,
        &sr.door_of,
        &sr.intakes,
        &sr.linked_door,
        &sr.tile_q,
        sr.tile_total,
    );
    let rack_dt = |ri: usize| sr.rack_dt(f, ri, rho_cp);
    let door_drop = |ri: usize, ui: usize| sr.door_drop(f, ri, ui, rho_cp);
    // Heat balance: in = rack air heat (+ any q left); out = air-side units and tiles
    // (air returned minus air supplied), rear doors (h), fixed walls.
    let e = crate::thermal::energy::energy_balance(p, t);
    let racks_in: f64 = rack_flow.iter().zip(&f.racks).filter(|(v, _)| **v > 0.0).map(|(_, r)| r.air_heat_w()).sum();
    let mut removed = vec![0.0; f.cooling.len()];
    for (ui, cells) in ret_cells.iter().enumerate() {
        if unit_flow[ui] == 0.0 {
            continue;
        }
        let u = &f.cooling[ui];
        let tr = mean(t, cells);
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
            let exh = mean(t, &intakes[ri]) + rack_dt(ri);
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
    let tiles_supplied: f64 = f.supply.iter().zip(tile_q.iter()).map(|(sr, q)| rho_cp * q * sr.supply_c).sum();
    let crah_flow: f64 = f
        .cooling
        .iter()
        .zip(unit_flow.iter())
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
    let by_units = heat_out - e.removed_by_walls_w;
    let balance = EnergyBalance {
        injected_w: heat_in,
        removed_by_cooling_w: by_units,
        removed_by_walls_w: e.removed_by_walls_w,
        rel_error: (heat_in - heat_out).abs() / heat_in.abs().max(heat_out.abs()).max(f64::MIN_POSITIVE),
    };
    (removed, balance)
}
