//! The energy operator of the airflow model: turbulent conduction in the air, bodies
//! that carry heat by their links, upwind advection by the potential flow's fluxes.

use super::sources::Sources;
use super::BODY_K_W_MK;
use crate::airflow::{add_upwind, Fluxes};
use crate::facility::{AirflowSettings, CoolingKind, Facility};
use crate::raster::{material, Raster};
use crate::thermal::operator::assemble;
use crate::thermal::stencil::Stencil;
use crate::thermal::ThermalProblem;

/// The facility's thermal problem as the airflow model sees it.
pub(super) fn energy_problem(f: &Facility, r: &Raster, s: &AirflowSettings, sr: &Sources) -> ThermalProblem {
    let g = r.problem.grid;
    let n = g.cells();
    let (open, rack_flow, linked_door) = (&sr.open, &sr.rack_flow, &sr.linked_door);
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
    p
}

/// The operator (diffusion + upwind outflows) and right-hand side (without the inflows,
/// which enter per pass of the active set).
pub(super) fn energy_operator(p: &ThermalProblem, sr: &Sources, fluxes: &Fluxes, rho_cp: f64) -> (Stencil, Vec<f64>) {
    let g = p.grid;
    let n = g.cells();
    let (src, kinds) = (&sr.src, &sr.kinds);
    let (mut a, b0) = assemble(p);
    let lay = a.layout;
    let zero_t = vec![0.0; n];
    // Outflows (sinks) take air at the cell's temperature: only the sink part of each
    // cell goes into the operator; inflows enter the right-hand side one by one.
    let mut sinks = src.clone();
    for (c, q, _) in kinds.iter() {
        sinks[*c] -= q;
    }
    let mut b_flow = lay.zeros();
    add_upwind(&mut a, &mut b_flow, &g, &p.walls, &fluxes, &sinks, &zero_t, rho_cp);
    (a, b0)
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
