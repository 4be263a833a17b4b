//! The momentum model applied to a facility: every flow of [`super::sources`] becomes
//! a prescribed velocity on the face through which it crosses into the room (a rack's
//! front and back, a unit's back and front, the floor under a tile, the ceiling over a
//! ceiling return), so fans blow jets; the air model of [`crate::airflow::cfd`] marches
//! to the steady state with the links updated every step (a rack's exhaust is its
//! intakes' mean plus ΔT; a unit supplies at `supply_c`, or at capacity its return's
//! mean minus capacity/(ρc_p V); a rear door cools its rack's air). Then one implicit
//! solve of the linked energy system of [`super::active_set`] with the converged
//! velocities, the eddy conductivity and the bounded scheme's correction, so heat in
//! equals heat out to the solver's tolerance.

use super::sources::{mean, Sources, Src};
use crate::airflow::cfd::{self, Domain, Fluid, Mac, Port, Settings, State, Turbulence};
use crate::error::{Error, InputError};
use crate::facility::{AirflowSettings, CoolingKind, Facility, TurbulenceModel};
use crate::raster::{CellBox, Raster};

/// Where a flow crosses into the room: the face of `cell` that touches `body`, or the
/// floor (`Floor`) or ceiling (`Ceiling`) face of `cell`.
#[derive(Clone, Copy)]
enum Across<'a> {
    Body(&'a CellBox),
    Floor,
    Ceiling,
}

fn inside(b: &CellBox, p: [usize; 3]) -> bool {
    (b.i0..b.i1).contains(&p[0]) && (b.j0..b.j1).contains(&p[1]) && (b.k0..b.k1).contains(&p[2])
}

/// The face (axis, index) and the sign of the velocity that enters `cell` through it.
fn face_of(mac: &Mac, cell: usize, across: &Across) -> Option<(usize, usize, f64)> {
    let p = mac.cell_pos(cell);
    match across {
        Across::Floor if mac.nd == 3 && p[2] == 0 => Some((2, mac.face(2, p), 1.0)),
        Across::Ceiling if mac.nd == 3 && p[2] + 1 == mac.n[2] => {
            let mut q = p;
            q[2] += 1;
            Some((2, mac.face(2, q), -1.0))
        }
        Across::Body(b) => {
            for a in 0..mac.nd {
                if p[a] > 0 {
                    let mut q = p;
                    q[a] -= 1;
                    if inside(b, q) {
                        return Some((a, mac.face(a, p), 1.0));
                    }
                }
                if p[a] + 1 < mac.n[a] {
                    let mut q = p;
                    q[a] += 1;
                    if inside(b, q) {
                        return Some((a, mac.face(a, q), -1.0));
                    }
                }
            }
            None
        }
        _ => None,
    }
}

/// Temperature groups of the inflows: one per rack exhaust, unit supply and tile region.
pub(super) struct Groups {
    pub rack: Vec<u32>,
    pub unit: Vec<u32>,
    pub tile: Vec<u32>,
    pub count: usize,
}

/// The domain of the momentum model: open cells, prescribed face velocities, groups.
pub(super) fn domain(f: &Facility, r: &Raster, sr: &Sources) -> Result<(Domain, Groups), Error> {
    let g = r.problem.grid;
    let mac = Mac::new(g);
    let mut d = Domain::closed_box(g, r.problem.walls);
    d.open = sr.open.clone();
    d.rho_cp_j_m3k = f.materials.air_rho_cp_j_m3k;
    d.monitor_cells = sr.intakes.iter().filter(|cs| !cs.is_empty()).cloned().collect();
    let mut next = 0u32;
    let mut new_group = || {
        next += 1;
        next - 1
    };
    let groups_rack: Vec<u32> = f.racks.iter().map(|_| new_group()).collect();
    let groups_unit: Vec<u32> = f.cooling.iter().map(|_| new_group()).collect();
    let groups_tile: Vec<u32> = f.supply.iter().map(|_| new_group()).collect();
    let area = mac.face_area_m2();
    let err = |what: String| {
        Error::Input(InputError::new(
            &f.path,
            "[airflow]",
            what,
            "give racks and cooling units open air on their intake and exhaust sides, or write [airflow] model = \"diffusion\"",
        ))
    };
    // Every flow: (cell, m³/s into the room, where it crosses, inflow group).
    let mut flows: Vec<(usize, f64, Across, u32)> = Vec::new();
    for (ri, cells) in r.racks.iter().enumerate() {
        let v = sr.rack_flow[ri];
        if v == 0.0 {
            continue;
        }
        for &c in &sr.intakes[ri] {
            flows.push((c, -v / sr.intakes[ri].len() as f64, Across::Body(&cells.cells), u32::MAX));
        }
    }
    for (c, q, k) in &sr.kinds {
        match k {
            Src::RackExhaust(ri) => {
                let behind = match sr.door_of[*ri].and_then(|ui| r.cooling[ui].as_ref()) {
                    Some(door) => door,
                    None => &r.racks[*ri].cells,
                };
                flows.push((*c, *q, Across::Body(behind), groups_rack[*ri]));
            }
            Src::UnitSupply(ui) => {
                let b = r.cooling[*ui].as_ref().expect("a supplying unit has cells");
                flows.push((*c, *q, Across::Body(b), groups_unit[*ui]));
            }
            Src::Tile(_) => {
                let si = tile_of(f, r, *c).unwrap_or(0);
                flows.push((*c, *q, Across::Floor, groups_tile[si]));
            }
        }
    }
    for (ui, cells) in sr.ret_cells.iter().enumerate() {
        let v = sr.unit_flow[ui];
        if v == 0.0 || cells.is_empty() {
            continue;
        }
        let across = if f.cooling[ui].ceiling_return {
            Across::Ceiling
        } else {
            Across::Body(r.cooling[ui].as_ref().expect("a returning unit has cells"))
        };
        for &c in cells {
            flows.push((c, -v / cells.len() as f64, across, u32::MAX));
        }
    }
    for (c, q, across, grp) in flows {
        match face_of(&mac, c, &across) {
            Some((a, face, sign)) => {
                let port = d.ports.entry((a, face)).or_insert(Port { velocity_m_s: 0.0, group: u32::MAX });
                port.velocity_m_s += sign * q / area;
                if q > 0.0 {
                    port.group = grp;
                }
            }
            None if matches!(across, Across::Floor) => {
                // A floorplan's tile (or a tile above the floor layer): air appears in the cell.
                if d.cell_source_m3s.is_empty() {
                    d.cell_source_m3s = vec![0.0; g.cells()];
                    d.cell_group = vec![u32::MAX; g.cells()];
                }
                d.cell_source_m3s[c] += q;
                d.cell_group[c] = grp;
            }
            None => {
                let (x, y) = ((mac.cell_pos(c)[0] as f64 + 0.5) * g.dx, (mac.cell_pos(c)[1] as f64 + 0.5) * g.dx);
                return Err(err(format!(
                    "an air flow at x = {x:.2} m, y = {y:.2} m has no face to cross into the room"
                )));
            }
        }
    }
    Ok((d, Groups { rack: groups_rack, unit: groups_unit, tile: groups_tile, count: next as usize }))
}

/// The supply region whose tile covers cell `c`.
fn tile_of(f: &Facility, r: &Raster, c: usize) -> Option<usize> {
    let g = &r.problem.grid;
    let (x, y) = (((c % g.nx) as f64 + 0.5) * g.dx, (((c / g.nx) % g.ny) as f64 + 0.5) * g.dx);
    f.supply.iter().position(|s| x >= s.rect.x0 && x <= s.rect.x1 && y >= s.rect.y0 && y <= s.rect.y1)
}

/// The cells whose mean temperatures the links read: the intakes of each rack that moves
/// air, then the returns of each unit that supplies air by its return.
pub(super) fn link_sets<'a>(f: &'a Facility, sr: &'a Sources) -> impl Iterator<Item = &'a Vec<usize>> + 'a {
    let racks = (0..f.racks.len()).filter(|&ri| sr.rack_flow[ri] != 0.0).map(|ri| &sr.intakes[ri]);
    let units = (0..f.cooling.len()).filter(|&ui| returns_air(f, sr, ui)).map(|ui| &sr.ret_cells[ui]);
    racks.chain(units)
}

/// [`link_sets`], owned (for the GPU march's compressed lists).
pub(super) fn link_cells(f: &Facility, sr: &Sources) -> Vec<Vec<usize>> {
    link_sets(f, sr).cloned().collect()
}

/// The mean temperature of each of [`link_sets`], °C.
pub(super) fn link_means(f: &Facility, sr: &Sources, t: &[f64]) -> Vec<f64> {
    link_sets(f, sr).map(|cs| mean(t, cs)).collect()
}

fn returns_air(f: &Facility, sr: &Sources, ui: usize) -> bool {
    sr.unit_flow[ui] != 0.0 && !sr.ret_cells[ui].is_empty() && f.cooling[ui].kind != CoolingKind::RearDoor
}

/// The links: each group's temperature from the current temperatures.
pub(super) fn link_temperatures(f: &Facility, sr: &Sources, gr: &Groups, t: &[f64], out: &mut [f64]) {
    link_from_means(f, sr, gr, &link_means(f, sr, t), out);
}

/// The links from the mean temperatures of [`link_cells`] (a rack's exhaust is its
/// intakes' mean plus ΔT, cooled by its rear door; a unit supplies at `supply_c`, or at
/// capacity its return's mean minus capacity/(ρc_p V); a tile at its supply).
pub(super) fn link_from_means(f: &Facility, sr: &Sources, gr: &Groups, means: &[f64], out: &mut [f64]) {
    let rho_cp = f.materials.air_rho_cp_j_m3k;
    let mut next = means.iter();
    for (ri, &gi) in gr.rack.iter().enumerate() {
        if sr.rack_flow[ri] == 0.0 {
            continue;
        }
        let exh = next.next().copied().unwrap_or(f64::NAN) + sr.rack_dt(f, ri, rho_cp);
        out[gi as usize] = match sr.door_of[ri] {
            Some(ui) => {
                let ts = f.cooling[ui].supply_c;
                exh.min(ts.max(exh - sr.door_drop(f, ri, ui, rho_cp)))
            }
            None => exh,
        };
    }
    for (ui, &gi) in gr.unit.iter().enumerate() {
        if !returns_air(f, sr, ui) {
            continue;
        }
        let u = &f.cooling[ui];
        let tr = next.next().copied().unwrap_or(f64::NAN);
        out[gi as usize] = u.supply_c.max(tr - u.capacity_kw * 1e3 / (rho_cp * sr.unit_flow[ui]));
    }
    for (si, &gi) in gr.tile.iter().enumerate() {
        out[gi as usize] = f.supply[si].supply_c;
    }
}

/// Settings of the march for a facility.
pub(super) fn settings(s: &AirflowSettings, max_steps: usize) -> Settings {
    Settings {
        turbulence: match s.turbulence {
            TurbulenceModel::Lvel => Turbulence::Lvel,
            TurbulenceModel::Laminar => Turbulence::Laminar,
            TurbulenceModel::ChenXu => Turbulence::ChenXu,
        },
        max_steps,
        // Implicit upwind momentum solved by two alternating-direction line cycles per
        // step takes Courant 50 (on the fastest jet; the room's slow air moves a cell
        // or less per step): raised_floor settles in 150 steps, where six Jacobi sweeps
        // at Courant 5 took 400 (point sweeps move a correction one cell each, so
        // Jacobi gains nothing from Courant numbers above 5). Intakes against OpenFOAM:
        // 0.71 K mean error on raised_floor, 0.67 K with the Jacobi march.
        cfl: 50.0,
        relax: cfd::Relaxation::Lines(2),
        // A steady answer needs no time accuracy: the temperatures march ten times the
        // momentum's pseudo-time step, so the room's heat settles in fewer steps (600 → 400
        // steps on raised_floor, same intakes to 0.05 K).
        energy_dt_factor: 10.0,
        // 30-step windows, then epochs of 2, 4, 8, … windows where the flow keeps
        // wandering (see `solve_steady`).
        window_steps: 30,
        window_tol: 2.5e-2,
        ..Settings::default()
    }
}

/// March the facility's air to its steady state; the state and the march's report.
pub(super) fn march(
    f: &Facility,
    r: &Raster,
    s: &AirflowSettings,
    sr: &Sources,
    max_steps: usize,
    gpu: Option<&crate::gpu::GpuContext>,
) -> Result<(State, cfd::CfdReport, Fluid), Error> {
    let (d, gr) = domain(f, r, sr)?;
    let supply = f
        .cooling
        .iter()
        .filter(|u| u.is_air_side())
        .map(|u| u.supply_c)
        .chain(f.supply.iter().map(|t| t.supply_c))
        .fold(f64::INFINITY, f64::min);
    let t0 = if supply.is_finite() { supply } else { 20.0 };
    let fluid = Fluid::air(t0, &r.problem.grid);
    let mut st = State::at_rest(&d, t0);
    let mut gt = vec![t0; gr.count];
    let set = settings(s, max_steps);
    let rep = match gpu {
        Some(ctx) => {
            let cells = link_cells(f, sr);
            cfd::gpu::solve_steady_gpu(ctx, &d, &fluid, &set, &mut st, &mut gt, &cells, &mut |m, out| {
                link_from_means(f, sr, &gr, m, out)
            })
        }
        None => {
            cfd::solve_steady(&d, &fluid, &set, &mut st, &mut gt, &mut |t, out| link_temperatures(f, sr, &gr, t, out))
        }
    }
    .map_err(|e| match e {
        cfd::CfdError::Setup(m) => Error::Input(InputError::new(
            &f.path,
            "[airflow]",
            m,
            "leave a gap in the containment (doors leak) or give the sealed region a cooling unit that serves it",
        )),
        cfd::CfdError::Gpu(m) => Error::Internal(format!("{}: {m}", super::GPU_FAILED)),
        e => Error::Internal(e.to_string()),
    })?;
    Ok((st, rep, fluid))
}

/// What [`gpu_profile`] measured.
pub struct GpuProfile {
    pub cells: usize,
    /// Steps marched, and seconds per step (host wall, submissions and readbacks included).
    pub steps: usize,
    pub step_s: f64,
    /// Per kernel of a step: name, entries, seconds per launch, compulsory bytes.
    pub kernels: Vec<(String, usize, f64, u64)>,
    /// Bytes on the device.
    pub device_bytes: u64,
}

/// The hall-air model's GPU march on facility `f` for the device run: `steps` steps of
/// the steady march from rest (timed), then each kernel of a step `reps` times.
pub fn gpu_profile(
    ctx: &crate::gpu::GpuContext,
    f: &Facility,
    r: &Raster,
    s: &AirflowSettings,
    steps: usize,
    reps: usize,
) -> Result<GpuProfile, Error> {
    use crate::airflow::cfd::steady::Air;
    let sr = super::sources::sources(f, r, s)?;
    let (d, gr) = domain(f, r, &sr)?;
    let t0 =
        f.cooling.iter().map(|u| u.supply_c).chain(f.supply.iter().map(|t| t.supply_c)).fold(f64::INFINITY, f64::min);
    let t0 = if t0.is_finite() { t0 } else { 20.0 };
    let fluid = Fluid::air(t0, &r.problem.grid);
    let mut st = State::at_rest(&d, t0);
    let mut gt = vec![t0; gr.count];
    let set = settings(s, steps);
    let cells = link_cells(f, &sr);
    let fail = |e: cfd::CfdError| Error::Internal(format!("{}: {e}", super::GPU_FAILED));
    let mut links = |m: &[f64], out: &mut [f64]| link_from_means(f, &sr, &gr, m, out);
    let mut air =
        cfd::gpu::GpuAir::new(ctx, &d, &fluid, &set, &mut st, &mut gt, &cells, &mut links, None).map_err(fail)?;
    let clock = std::time::Instant::now();
    for _ in 0..steps {
        let (dt, _) = air.courant_dt(&set).map_err(fail)?;
        air.step(dt, dt * set.energy_dt_factor).map_err(fail)?;
    }
    let step_s = clock.elapsed().as_secs_f64() / steps.max(1) as f64;
    let kernels = air.profile(reps).map_err(fail)?;
    Ok(GpuProfile { cells: r.problem.grid.cells(), steps, step_s, kernels, device_bytes: air.bytes })
}
