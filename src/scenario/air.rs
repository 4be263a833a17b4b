//! A scenario on the momentum model of hall air ([`crate::airflow::facility::transient`]):
//! the steady start, then physical time steps with the thermal masses of the racks,
//! the cooling units' coils and the building. At each event the facility changes:
//! - a `cooling_failure` with `fans = "off"` (the default) stops the units: their
//!   cabinets stay as obstacles, they move no air, and CRAHs that fed the raised floor
//!   take their share of the tiles' air with them;
//! - with `fans = "on"` the units keep moving air but remove no heat beyond what
//!   their coils (and the water in them) absorb as they warm; a rear door always fails
//!   this way (its rack's fans blow through it);
//! - `it_load` and `supply_temperature` change the racks' power (and airflow) and the
//!   supply set points.

use super::{apply_event, finish, plan, History, Plan, ScenarioResult};
use crate::airflow::facility::transient::{AirScenario, Masses};
use crate::error::Error;
use crate::facility::spec::EventKind;
use crate::facility::{AirflowSettings, CoolingKind, Facility, Obstacle, ObstacleKind};
use crate::metrics::{cooling_results, rack_results};
use crate::raster::{material, rasterize, Raster};
use crate::run::Study;
use crate::thermal::energy::EnergyBalance;
use crate::thermal::SolveReport;
use std::collections::HashSet;
use std::time::Instant;

/// Default heat capacities (see `crate::facility::spec::TransientSpec`).
const RACK_KJ_K: f64 = 300.0;
const UNIT_KJ_K_PER_KW: f64 = 5.0;
const BUILDING_KJ_M2K: f64 = 100.0;
const BUILDING_H_W_M2K: f64 = 5.0;

/// Nominal air of the CRAHs, m³/s (what the raised floor's tiles share).
fn crah_air(f: &Facility) -> f64 {
    let rho_cp = f.materials.air_rho_cp_j_m3k;
    f.cooling.iter().filter(|u| u.kind == CoolingKind::Crah).map(|u| u.capacity_kw * 1e3 / (rho_cp * u.delta_t_k)).sum()
}

/// The raised floor gets what the running CRAHs blow into it: every supply region's
/// design air scaled by the CRAHs' air now over their design air.
fn scale_tiles(f: &mut Facility, design: &Facility) {
    let (now, full) = (crah_air(f), crah_air(design));
    if full <= 0.0 {
        return;
    }
    let k = now / full;
    for (s, d) in f.supply.iter_mut().zip(&design.supply) {
        s.airflow_m3_s = d.airflow_m3_s.map(|q| q * k);
        s.h_w_m3k = d.h_w_m3k.map(|h| h * k);
    }
}

/// Apply an event to the facility as the momentum model sees it (`design`: the
/// facility as written, which restores go back to).
fn apply(f: &mut Facility, design: &Facility, e: &crate::facility::spec::EventSpec, fans_on: &mut HashSet<String>) {
    if e.kind == EventKind::CoolingRestore {
        // The units run again: fans and coils as designed, their stopped cabinets gone.
        for id in &e.units {
            fans_on.remove(id);
            let stopped = format!("{id} (stopped)");
            f.obstacles.retain(|o| o.id != stopped);
        }
        apply_event(f, design, e);
        return scale_tiles(f, design);
    }
    if e.kind != EventKind::CoolingFailure {
        return apply_event(f, design, e);
    }
    // A rear door has no fans of its own: its rack's fans keep blowing through it.
    let passive = |id: &String| f.cooling.iter().any(|u| &u.id == id && u.kind == CoolingKind::RearDoor);
    if e.fans.as_deref() == Some("on") || e.units.iter().all(passive) {
        fans_on.extend(e.units.iter().cloned());
        return;
    }
    fans_on.extend(e.units.iter().filter(|id| passive(id)).cloned());
    let (stopped, kept): (Vec<_>, Vec<_>) =
        f.cooling.drain(..).partition(|u| e.units.contains(&u.id) && u.kind != CoolingKind::RearDoor);
    f.cooling = kept;
    for u in stopped {
        fans_on.remove(&u.id);
        if let Some(rect) = u.rect {
            // The stopped cabinet still stands in the room.
            f.obstacles.push(Obstacle {
                id: format!("{} (stopped)", u.id),
                kind: ObstacleKind::Other,
                rect,
                height_m: u.height_m,
                z_m: 0.0,
                k_w_mk: f.materials.rack_k_w_mk,
                pos: u.pos,
            });
        }
    }
    // The raised floor gets what the remaining CRAHs blow into it.
    scale_tiles(f, design);
}

/// Each rack's open intake cells.
fn intake_cells(r: &Raster) -> Vec<Vec<usize>> {
    let open = |c: usize| r.material[c] == material::AIR || r.material[c] == material::SUPPLY;
    r.racks
        .iter()
        .map(|rc| {
            let o: Vec<usize> = rc.intake.iter().copied().filter(|&c| open(c)).collect();
            if o.is_empty() {
                rc.intake.clone()
            } else {
                o
            }
        })
        .collect()
}

/// The field with its solids filled in: racks at their equipment's temperature, other
/// closed cells at the mean of the open cells next to them (else as they are).
fn with_solids(r: &Raster, rack_t: &[f64], t: &[f64]) -> Vec<f64> {
    let g = r.problem.grid;
    let open = |c: usize| r.material[c] == material::AIR || r.material[c] == material::SUPPLY;
    let mut out = t.to_vec();
    for c in 0..g.cells() {
        if open(c) {
            continue;
        }
        let (i, j, k) = (c % g.nx, (c / g.nx) % g.ny, c / (g.nx * g.ny));
        let mut nb = Vec::with_capacity(6);
        if i > 0 {
            nb.push(c - 1);
        }
        if i + 1 < g.nx {
            nb.push(c + 1);
        }
        if j > 0 {
            nb.push(c - g.nx);
        }
        if j + 1 < g.ny {
            nb.push(c + g.nx);
        }
        if k > 0 {
            nb.push(c - g.nx * g.ny);
        }
        if k + 1 < g.nz {
            nb.push(c + g.nx * g.ny);
        }
        let o: Vec<f64> = nb.into_iter().filter(|&n| open(n)).map(|n| t[n]).collect();
        if !o.is_empty() {
            out[c] = o.iter().sum::<f64>() / o.len() as f64;
        }
    }
    for (rc, &tr) in r.racks.iter().zip(rack_t) {
        if tr.is_finite() {
            rc.cells.cells(&g).for_each(|c| out[c] = tr);
        }
    }
    out
}

/// Run the scenario of `f` (which has `[transient]`) on the momentum model.
/// The momentum model's steady state of a facility, before any event: the start of
/// its scenarios, solved once and shared by any number of them ([`steady_start`]).
#[derive(Clone)]
pub struct SteadyStart {
    air: AirScenario,
    report: crate::airflow::cfd::CfdReport,
    /// The design it was solved for ([`design_key`]), to refuse it to another.
    sha256: String,
}

/// What a steady start depends on: the file (its hash) and what a sweep case or a
/// caller may have changed in it since (powers, units, supplies, the air model).
fn design_key(f: &Facility) -> String {
    let racks: Vec<(f64, f64)> = f.racks.iter().map(|r| (r.power_kw, r.liquid_fraction)).collect();
    let units: Vec<(f64, f64, f64)> = f.cooling.iter().map(|u| (u.capacity_kw, u.supply_c, u.delta_t_k)).collect();
    let supply: Vec<(f64, Option<f64>, Option<f64>)> =
        f.supply.iter().map(|s| (s.supply_c, s.airflow_m3_s, s.h_w_m3k)).collect();
    format!("{}|{racks:?}|{units:?}|{supply:?}|{:?}|{:?}", f.input_sha256, f.airflow, f.materials)
}

/// The steady start of `f`'s scenarios when it runs on the momentum model (`None` for
/// the other models, whose scenarios start from their own steady solve).
pub fn steady_start(f: &Facility) -> Result<Option<SteadyStart>, Error> {
    let Some(a) = f.airflow.as_ref().filter(|a| a.model == crate::facility::AirModel::Cfd) else {
        return Ok(None);
    };
    let raster = rasterize(f)?;
    let (air, report) = AirScenario::start(f, &raster, a, None)?;
    Ok(Some(SteadyStart { air, report, sha256: design_key(f) }))
}

pub(super) fn scenario_air(
    f: &Facility,
    a: &AirflowSettings,
    dt_override: Option<f64>,
    from: Option<&SteadyStart>,
    gpu: Option<&crate::gpu::GpuContext>,
) -> Result<ScenarioResult, Error> {
    let t0 = Instant::now();
    let Plan { spec, dt, steps, thresholds, snap_every } = plan(f, dt_override)?;
    let masses = Masses {
        rack_j_k: spec.rack_heat_capacity_kj_k.unwrap_or(RACK_KJ_K) * 1e3,
        unit_j_k_per_kw: spec.unit_heat_capacity_kj_k_per_kw.unwrap_or(UNIT_KJ_K_PER_KW) * 1e3,
        building_j_m2k: spec.building_heat_capacity_kj_m2k.unwrap_or(BUILDING_KJ_M2K) * 1e3,
        building_h_w_m2k: spec.building_h_w_m2k.unwrap_or(BUILDING_H_W_M2K),
    };
    let mut fac = f.clone();
    let mut raster = rasterize(&fac)?;
    let (mut air, start) = match from {
        Some(s) if s.sha256 == design_key(f) => (s.air.clone(), s.report.clone()),
        Some(_) => return Err(Error::Internal("a steady start of another facility was given".into())),
        None => AirScenario::start(&fac, &raster, a, gpu)?,
    };
    let intakes = intake_cells(&raster);
    let intake = |t: &[f64]| -> Vec<f64> {
        intakes.iter().map(|cs| cs.iter().map(|&c| t[c]).sum::<f64>() / cs.len().max(1) as f64).collect()
    };
    let mut time_s = vec![0.0];
    let mut intake_c = intake(&air.state.t);
    let mut snapshot_time_s = vec![0.0];
    let mut snapshots: Vec<f32> =
        with_solids(&raster, air.rack_temperatures(), &air.state.t).iter().map(|&v| v as f32).collect();
    let mut pending = f.events.iter().peekable();
    let mut fans_on: HashSet<String> = HashSet::new();
    let mut step = 0usize;
    let mut next_snap = snap_every;
    // The events that made the facility as it now is (for errors after them).
    let mut last_events = String::new();
    while step < steps {
        let now = step as f64 * dt;
        let mut changed = false;
        while let Some(e) = pending.peek() {
            if e.at_s <= now + 1e-9 * dt {
                apply(&mut fac, f, e, &mut fans_on);
                if !changed {
                    last_events.clear();
                }
                let names = if e.units.is_empty() { e.racks.join(", ") } else { e.units.join(", ") };
                let kind = e.kind.name();
                last_events +=
                    &format!("{}the {kind} event at {} s ({names})", if changed { " and " } else { "" }, e.at_s);
                pending.next();
                changed = true;
            } else {
                break;
            }
        }
        if changed {
            raster = rasterize(&fac)?;
        }
        let until = pending.peek().map(|e| ((e.at_s / dt).ceil() as usize).clamp(step + 1, steps)).unwrap_or(steps);
        let on: Vec<bool> = fac.cooling.iter().map(|u| fans_on.contains(&u.id)).collect();
        let base = step;
        let here = &raster;
        let mut on_step = |k: usize, tt: &[f64], rack_t: &[f64]| {
            let time = (base + k + 1) as f64 * dt;
            crate::progress::report("time step", (base + k + 1) as u64, steps as u64);
            time_s.push(time);
            intake_c.extend(intake(tt));
            if time + 1e-9 * dt >= next_snap {
                snapshot_time_s.push(time);
                snapshots.extend(with_solids(here, rack_t, tt).iter().map(|&v| v as f32));
                next_snap += snap_every;
            }
        };
        air.advance(&fac, &raster, a, &on, &masses, dt, until - step, &mut on_step, gpu).map_err(|e| match e {
            // An air path an event broke: say which event.
            Error::Input(mut ie) if !last_events.is_empty() => {
                ie.message = format!("after {last_events}: {}", ie.message);
                ie.fix = format!("{}; or let the failed units keep their fans (fans = \"on\")", ie.fix);
                Error::Input(ie)
            }
            e => e,
        })?;
        step = until;
    }
    let t = with_solids(&raster, air.rack_temperatures(), &air.state.t);
    let racks = rack_results(&fac, &raster, &t);
    let mut cooling = cooling_results(&fac, &raster, &t);
    for c in cooling.iter_mut() {
        if let Some(ui) = fac.cooling.iter().position(|u| u.id == c.id) {
            c.removed_kw = air.removed_w[ui] / 1e3;
            c.load_pct = 100.0 * air.removed_w[ui] / (fac.cooling[ui].capacity_kw * 1e3);
        }
    }
    let injected: f64 = fac.racks.iter().map(|r| r.air_heat_w()).sum();
    let removed: f64 = air.removed_w.iter().sum();
    let out = removed + air.building_w;
    let energy = EnergyBalance {
        injected_w: injected,
        removed_by_cooling_w: removed,
        removed_by_walls_w: air.building_w,
        // At the end of a scenario, the heat still being stored (air, racks).
        rel_error: (injected - out).abs() / injected.abs().max(out.abs()).max(1e-300),
    };
    let coupling = crate::coupling::couple(&fac, &cooling)?;
    let mac = crate::airflow::cfd::Mac::new(raster.problem.grid);
    let velocity = mac.fluxes(&air.state.u).cell_velocity(&raster.problem.grid);
    let end = Study {
        name: f.name.clone(),
        input_path: f.path.clone(),
        input_sha256: f.input_sha256.clone(),
        material: Some(raster.material.clone()),
        problem: raster.problem,
        t,
        report: SolveReport {
            backend: if gpu.is_some() { "gpu" } else { "cpu" },
            method: "transient cfd: momentum + buoyancy, thermal masses of racks, units and building",
            iterations: air.steps,
            relative_residual: start.mass_residual,
            converged: true,
            tol: crate::airflow::cfd::Settings::default().tol,
            levels: 0,
            setup_s: 0.0,
            solve_s: t0.elapsed().as_secs_f64(),
            solver_bytes: start.bytes,
        },
        wall_s: t0.elapsed().as_secs_f64(),
        energy,
        liquid_heat_w: fac.racks.iter().map(|r| r.liquid_heat_w()).sum(),
        cdu_capacity_w: fac.cooling.iter().filter(|u| !u.is_air_side()).map(|u| u.capacity_kw * 1e3).sum(),
        racks,
        cooling,
        expected_error_k: None,
        t_amb: None,
        coupling,
        airflow_mass_residual: Some(start.mass_residual),
        velocity_m_s: Some(velocity),
        warnings: vec![],
    };
    finish(f, end, History { time_s, intake_c, thresholds_c: thresholds, snapshot_time_s, snapshots })
}
