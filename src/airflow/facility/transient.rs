//! Hall air in time: a scenario (a cooling failure, a load step) on the momentum model.
//!
//! The march starts from the steady state of [`super::cfd::march`] and takes physical
//! time steps of the same kernels ([`crate::airflow::cfd::steady::Stepper`] on the CPU,
//! `crate::airflow::cfd::gpu::GpuAir` on the GPU when one is given): momentum
//! and energy over the step (split into Courant-limited sub-steps when the step is
//! long), so the air re-routes within seconds of a fan stopping and the room warms at
//! the rate its heat capacity allows. Three thermal masses hold heat back:
//!
//! - **Racks**: one lumped capacitance `C_r` per rack (its servers' metal), through
//!   which the rack's air passes: `C_r dT_r/dt = P − ṁc_p (T_r − T_in)`, exhaust at
//!   `T_r` (at steady state `T_in + P/(ṁc_p)`, the steady link).
//! - **Cooling units** that lose their cooling but keep their fans (a chiller trip with
//!   the fans on UPS): the coil and its water, `C_u dT_u/dt = ṁc_p (T_ret − T_u)`,
//!   supply at `T_u`. Units whose fans stop move no air; their cabinets stay in place.
//! - **The building**: every adiabatic envelope face (walls, floor and ceiling slabs) is
//!   a lumped concrete layer of heat capacity `C_b` per area, coupled to the air next to
//!   it by a film coefficient `h`; both updated implicitly, so any step is stable.
//!
//! Each step's updates are implicit in the new temperature of the mass given the
//! air's current one, so at steady state every mass carries no heat.

use super::cfd::{domain, link_cells, link_means, settings, Groups};
use super::sources::{mean, sources, Sources};
use crate::airflow::cfd::steady::Stepper;
use crate::airflow::cfd::{CfdReport, Fluid, State};
use crate::error::{Error, InputError};
use crate::facility::{AirflowSettings, CoolingKind, Facility};
use crate::grid::Wall;
use crate::raster::Raster;

/// Relative residual of each time step's pressure solve.
const PRESSURE_TOL: f64 = 1e-8;

/// Sub-steps of one time step at most.
const MAX_SUBSTEPS: usize = 1000;

/// Energy solves per time step at most (each from the step's start, the links
/// refreshed), stopping when two iterates agree to 1e-4 K: with three, the stored heat
/// of a sealed room was 3e-3 off the racks' heat, with six 9e-5.
const ENERGY_OUTER: usize = 12;

/// The thermal masses of a scenario (documented defaults in `crate::facility::spec`).
#[derive(Clone, Debug)]
pub struct Masses {
    /// Per rack, J/K.
    pub rack_j_k: f64,
    /// Per kW of a unit's rated capacity, J/K (coil metal and the water it holds).
    pub unit_j_k_per_kw: f64,
    /// Building envelope, J/(m²·K).
    pub building_j_m2k: f64,
    /// Film coefficient between the air and the envelope, W/(m²·K).
    pub building_h_w_m2k: f64,
}

/// The state of a hall-air scenario, carried across its events.
#[derive(Clone)]
pub struct AirScenario {
    pub state: State,
    fluid: Fluid,
    /// Temperature of each rack's thermal mass, °C (facility order).
    rack_t: Vec<f64>,
    /// Temperature of each unit's coil, °C (facility order; by unit id across events).
    unit_t: Vec<(String, f64)>,
    /// Temperature of the building envelope next to each cell, °C.
    wall_t: Vec<f64>,
    /// Heat removed by each cooling unit at the last step, W (facility order).
    pub removed_w: Vec<f64>,
    /// Heat into the building's envelope at the last step, W.
    pub building_w: f64,
    /// Steps taken in time (sub-steps included).
    pub steps: usize,
}

impl AirScenario {
    /// The steady start: the momentum model's steady state of facility `f` (marched on
    /// the GPU when `gpu` is given).
    pub fn start(
        f: &Facility,
        r: &Raster,
        s: &AirflowSettings,
        gpu: Option<&crate::gpu::GpuContext>,
    ) -> Result<(Self, CfdReport), Error> {
        let sr = sources(f, r, s)?;
        let (st, rep, fluid) = super::cfd::march(f, r, s, &sr, super::MAX_CFD_STEPS, gpu)?;
        if !rep.converged {
            return Err(Error::NotConverged {
                iterations: rep.steps,
                relative_residual: rep.velocity_change.max(rep.temperature_change),
                tol: crate::airflow::cfd::Settings::default().tol,
            });
        }
        let rho_cp = f.materials.air_rho_cp_j_m3k;
        let rack_t = (0..f.racks.len())
            .map(|ri| {
                if sr.rack_flow[ri] > 0.0 {
                    mean(&st.t, &sr.intakes[ri]) + sr.rack_dt(f, ri, rho_cp)
                } else {
                    f64::NAN
                }
            })
            .collect();
        // Each coil at the temperature it supplies (a unit at capacity above its set
        // point; a rear door at its outlet; a CRAH feeding the tiles at theirs).
        let mut rack_now = vec![0.0; f.racks.len()];
        let mut unit_now: Vec<f64> = f.cooling.iter().map(|u| u.supply_c).collect();
        let (_, gr) = domain(f, r, &sr)?;
        let mut removed = vec![0.0; f.cooling.len()];
        let mut out = vec![0.0; gr.count];
        let none = vec![false; f.cooling.len()];
        let m = Masses { rack_j_k: 0.0, unit_j_k_per_kw: 0.0, building_j_m2k: 0.0, building_h_w_m2k: 0.0 };
        let rack_n: Vec<f64> = vec![f64::NAN; f.racks.len()];
        let unit_n = unit_now.clone();
        let masses = Mass { rack_n: &rack_n, rack: &mut rack_now, unit_n: &unit_n, unit: &mut unit_now };
        time_links(f, &sr, &gr, &none, &m, 1.0, &link_means(f, &sr, &st.t), masses, &mut removed, &mut out);
        let unit_t = f.cooling.iter().zip(&unit_now).map(|(u, t)| (u.id.clone(), *t)).collect();
        let wall_t = st.t.clone();
        let n = f.cooling.len();
        Ok((
            AirScenario {
                state: st,
                fluid,
                rack_t,
                unit_t,
                wall_t,
                removed_w: vec![0.0; n],
                building_w: 0.0,
                steps: 0,
            },
            rep,
        ))
    }

    /// The unit coil temperatures in facility `f`'s order (a new unit starts at its
    /// supply).
    fn coil_temperatures(&self, f: &Facility) -> Vec<f64> {
        f.cooling
            .iter()
            .map(|u| self.unit_t.iter().find(|(id, _)| *id == u.id).map(|x| x.1).unwrap_or(u.supply_c))
            .collect()
    }

    /// The temperature of each rack's equipment, °C (NaN: the rack moves no air).
    pub fn rack_temperatures(&self) -> &[f64] {
        &self.rack_t
    }

    /// March `n` steps of `dt` seconds on facility `f` as it now is (`fans_on[ui]`: unit
    /// `ui` has lost its cooling but keeps moving air); `on_step(k, t, rack_t)` after each
    /// step, with the air's and the racks' equipment temperatures (°C). On the GPU when
    /// `gpu` is given ([`AirScenario::advance_gpu`]).
    #[allow(clippy::too_many_arguments)]
    pub fn advance(
        &mut self,
        f: &Facility,
        r: &Raster,
        s: &AirflowSettings,
        fans_on: &[bool],
        m: &Masses,
        dt: f64,
        n: usize,
        on_step: &mut dyn FnMut(usize, &[f64], &[f64]),
        gpu: Option<&crate::gpu::GpuContext>,
    ) -> Result<(), Error> {
        let sr = sources(f, r, s)?;
        let (d, gr) = domain(f, r, &sr)?;
        if let Some(ctx) = gpu {
            return self.advance_gpu(ctx, f, (&sr, &d, &gr), s, fans_on, m, dt, n, on_step);
        }
        let set = time_settings(s);
        let rho_cp = f.materials.air_rho_cp_j_m3k;
        let mut stepper = Stepper::new(&d, &set, &mut self.state).map_err(|e| {
            Error::Input(InputError::new(
                &f.path,
                "[[event]]",
                e.to_string(),
                "leave the air a way from every rack to a cooling unit after the event",
            ))
        })?;
        let area = envelope_area(&d);
        let v_cell = d.grid.cell_volume_m3();
        let mut unit_t = self.coil_temperatures(f);
        let mut removed = vec![0.0; f.cooling.len()];
        let mut group_t = vec![f.cooling.iter().map(|u| u.supply_c).fold(20.0, f64::min); gr.count];
        for k in 0..n {
            // Sub-steps no longer than the steady march's Courant step.
            let (dt_c, _) = stepper.courant_dt(&set, &self.state);
            let subs = substeps(f, dt, dt_c)?;
            let h = dt / subs as f64;
            for _ in 0..subs {
                let (cb, h_eff) = envelope_coefficients(m, h);
                let rate: Vec<f64> = area.iter().map(|a| h_eff * a / (rho_cp * v_cell)).collect();
                let (rack_n, unit_n) = (self.rack_t.clone(), unit_t.clone());
                let mut links = |t: &[f64], out: &mut [f64]| {
                    let masses = Mass { rack_n: &rack_n, rack: &mut self.rack_t, unit_n: &unit_n, unit: &mut unit_t };
                    time_links(f, &sr, &gr, fans_on, m, h, &link_means(f, &sr, t), masses, &mut removed, out)
                };
                let time = self.steps as f64 * h;
                stepper
                    .step(&d, &self.fluid, &set, &mut self.state, &mut group_t, &mut links, h, h, (&rate, &self.wall_t))
                    .map_err(|e| {
                        Error::Input(InputError::new(
                            &f.path,
                            "[transient]",
                            format!("{e} (a time step of {h:.3e} s, about {time:.0} s into the scenario)"),
                            "use a smaller dt_s",
                        ))
                    })?;
                // The envelope takes what the air gave it.
                let to_building =
                    building_exchange(&area, h_eff, cb, m.building_h_w_m2k, &self.state.t, &mut self.wall_t);
                self.building_w = to_building;
                self.steps += 1;
            }
            on_step(k, &self.state.t, &self.rack_t);
        }
        self.unit_t = f.cooling.iter().zip(&unit_t).map(|(u, t)| (u.id.clone(), *t)).collect();
        self.removed_w = removed;
        Ok(())
    }

    /// [`AirScenario::advance`] on the GPU: the same steps (`GpuAir::time_step`: the
    /// hall-air kernels in f32, the links and thermal masses on the host from the
    /// device's means of the intakes and returns, the envelope's exchange and step on the
    /// device); the temperatures come back once per step of `dt` for `on_step`, the state
    /// and the envelope at the end.
    #[allow(clippy::too_many_arguments)]
    fn advance_gpu(
        &mut self,
        ctx: &crate::gpu::GpuContext,
        f: &Facility,
        (sr, d, gr): (&Sources, &crate::airflow::cfd::Domain, &Groups),
        s: &AirflowSettings,
        fans_on: &[bool],
        m: &Masses,
        dt: f64,
        n: usize,
        on_step: &mut dyn FnMut(usize, &[f64], &[f64]),
    ) -> Result<(), Error> {
        use crate::airflow::cfd::gpu::GpuAir;
        let set = time_settings(s);
        let rho_cp = f.materials.air_rho_cp_j_m3k;
        let area = envelope_area(d);
        let v_cell = d.grid.cell_volume_m3();
        let mut unit_t = self.coil_temperatures(f);
        let mut removed = vec![0.0; f.cooling.len()];
        let mut group_t = vec![f.cooling.iter().map(|u| u.supply_c).fold(20.0, f64::min); gr.count];
        let cells = link_cells(f, sr);
        let fluid = self.fluid.clone();
        let gpu_err = |e: crate::airflow::cfd::CfdError| match e {
            crate::airflow::cfd::CfdError::Setup(m) => Error::Input(InputError::new(
                &f.path,
                "[[event]]",
                m,
                "leave the air a way from every rack to a cooling unit after the event",
            )),
            e => Error::Internal(format!("{}: {e}", super::GPU_FAILED)),
        };
        let mut unused = |_: &[f64], _: &mut [f64]| {};
        let mut air = GpuAir::new(
            ctx,
            d,
            &fluid,
            &set,
            &mut self.state,
            &mut group_t,
            &cells,
            &mut unused,
            Some((&area, &self.wall_t)),
        )
        .map_err(gpu_err)?;
        for k in 0..n {
            let dt_c = set.cfl * d.grid.dx / air.max_speed().max(set.velocity_scale_m_s);
            let subs = substeps(f, dt, dt_c)?;
            let h = dt / subs as f64;
            for _ in 0..subs {
                let (cb, h_eff) = envelope_coefficients(m, h);
                let (rack_n, unit_n) = (self.rack_t.clone(), unit_t.clone());
                let mut links = |means: &[f64], out: &mut [f64]| {
                    let masses = Mass { rack_n: &rack_n, rack: &mut self.rack_t, unit_n: &unit_n, unit: &mut unit_t };
                    time_links(f, sr, gr, fans_on, m, h, means, masses, &mut removed, out)
                };
                let time = self.steps as f64 * h;
                let building = [h_eff / (rho_cp * v_cell), h_eff, cb, m.building_h_w_m2k];
                let (_, to_building) = air.time_step(h, building, &mut links).map_err(|e| match e {
                    crate::airflow::cfd::CfdError::Diverged { .. } => Error::Input(InputError::new(
                        &f.path,
                        "[transient]",
                        format!("{e} (a time step of {h:.3e} s, about {time:.0} s into the scenario)"),
                        "use a smaller dt_s",
                    )),
                    e => gpu_err(e),
                })?;
                self.building_w = to_building;
                self.steps += 1;
            }
            let t = air.temperatures().map_err(gpu_err)?;
            on_step(k, &t, &self.rack_t);
        }
        air.download_exact(d, &mut self.state).map_err(gpu_err)?;
        self.wall_t = air.envelope_temperatures().map_err(gpu_err)?;
        self.unit_t = f.cooling.iter().zip(&unit_t).map(|(u, t)| (u.id.clone(), *t)).collect();
        self.removed_w = removed;
        Ok(())
    }
}

/// The march's settings in time: each step's projection to a tight tolerance (advection
/// in flux form carries heat exactly only through a divergence-free field) and its
/// energy solves iterated with the links.
fn time_settings(s: &AirflowSettings) -> crate::airflow::cfd::Settings {
    crate::airflow::cfd::Settings { pressure_tol: PRESSURE_TOL, energy_outer: ENERGY_OUTER, ..settings(s, usize::MAX) }
}

/// Sub-steps of a step of `dt` s no longer than the air's Courant step `dt_c`, or the
/// error naming the largest `dt_s` the air allows.
fn substeps(f: &Facility, dt: f64, dt_c: f64) -> Result<usize, Error> {
    let subs = (dt / dt_c).ceil().max(1.0) as usize;
    if subs > MAX_SUBSTEPS {
        return Err(Error::Input(InputError::new(
            &f.path,
            "[transient]",
            format!("dt_s = {dt} s is {subs} of the air's Courant-limited steps ({dt_c:.3e} s at the fastest jet)"),
            format!("use dt_s ≤ {:.3e} s (the air needs that resolution in time)", dt_c * MAX_SUBSTEPS as f64),
        )));
    }
    Ok(subs)
}

/// The envelope over a step of `h` s: its heat capacity per step `C_b/h` and the film
/// coefficient in series with its layer, `h_eff` (W/(m²·K)).
fn envelope_coefficients(m: &Masses, h: f64) -> (f64, f64) {
    let cb = m.building_j_m2k / h;
    (cb, if cb > 0.0 { m.building_h_w_m2k * cb / (cb + m.building_h_w_m2k) } else { 0.0 })
}

/// Envelope area next to each open cell, m²: its adiabatic domain faces that carry no
/// flow, and in a 2-D floorplan the floor and ceiling slabs over every open cell
/// without a tile (air entering or leaving through the cell itself).
fn envelope_area(d: &crate::airflow::cfd::Domain) -> Vec<f64> {
    let mac = crate::airflow::cfd::Mac::new(d.grid);
    let walls = d.walls.as_array();
    let face = mac.face_area_m2();
    let slab = d.grid.dx * d.grid.dx;
    (0..mac.cells())
        .map(|c| {
            if !d.open[c] {
                return 0.0;
            }
            let p = mac.cell_pos(c);
            let mut a = 0.0;
            for b in 0..mac.nd {
                for (side, at) in [(0usize, p[b] == 0), (1, p[b] + 1 == mac.n[b])] {
                    if !at || walls[2 * b + side] != Wall::Adiabatic {
                        continue;
                    }
                    let mut q = p;
                    q[b] += side;
                    if d.face_velocity(b, mac.face(b, q)) == 0.0 {
                        a += face;
                    }
                }
            }
            if mac.nd == 2 && d.cell_source_m3s.get(c).copied().unwrap_or(0.0) == 0.0 {
                a += [walls[4], walls[5]].iter().filter(|w| **w == Wall::Adiabatic).count() as f64 * slab;
            }
            a
        })
        .collect()
}

/// The envelope's step after the air's: the heat the air gives it (W, returned),
/// `h_eff · area · (T − T_wall)` summed over the cells with envelope, and its new
/// temperature next to each cell, implicit: `T_wall ← (C_b T_wall + h T)/(C_b + h)`
/// (`cb` = C_b/Δt, J/(m²·K·s); without a heat capacity the envelope follows the air).
pub fn building_exchange(area: &[f64], h_eff: f64, cb: f64, h: f64, t: &[f64], wall_t: &mut [f64]) -> f64 {
    let mut to_building = 0.0;
    for c in 0..area.len() {
        if area[c] > 0.0 {
            let tc = t[c];
            to_building += h_eff * area[c] * (tc - wall_t[c]);
            wall_t[c] = if cb > 0.0 { (cb * wall_t[c] + h * tc) / (cb + h) } else { tc };
        }
    }
    to_building
}

/// The thermal masses' temperatures at the step's start and their new values.
struct Mass<'a> {
    rack_n: &'a [f64],
    rack: &'a mut [f64],
    unit_n: &'a [f64],
    unit: &'a mut [f64],
}

/// The links of a step in time (rack masses, unit coils, rear doors, tiles) from the
/// mean temperatures of [`link_cells`] (in its order).
#[allow(clippy::too_many_arguments)]
fn time_links(
    f: &Facility,
    sr: &Sources,
    gr: &Groups,
    fans_on: &[bool],
    m: &Masses,
    dt: f64,
    means: &[f64],
    mass: Mass,
    removed: &mut [f64],
    out: &mut [f64],
) {
    let mut next = means.iter().copied();
    let Mass { rack_n, rack: rack_t, unit_n, unit: unit_t } = mass;
    let rho_cp = f.materials.air_rho_cp_j_m3k;
    removed.iter_mut().for_each(|x| *x = 0.0);
    for (ri, &gi) in gr.rack.iter().enumerate() {
        let v = sr.rack_flow[ri];
        if v == 0.0 {
            continue;
        }
        let (mcp, c) = (rho_cp * v, m.rack_j_k / dt);
        let tin = next.next().unwrap_or(f64::NAN);
        let prev = if rack_n[ri].is_finite() { rack_n[ri] } else { tin + sr.rack_dt(f, ri, rho_cp) };
        rack_t[ri] = (c * prev + f.racks[ri].air_heat_w() + mcp * tin) / (c + mcp);
        let exh = rack_t[ri];
        out[gi as usize] = match sr.door_of[ri] {
            // A rear door that lost its water: its coil warms with the rack's air.
            Some(ui) if fans_on.get(ui).copied().unwrap_or(false) => {
                let c = m.unit_j_k_per_kw * f.cooling[ui].capacity_kw / dt;
                let after = (c * unit_n[ui] + mcp * exh) / (c + mcp);
                unit_t[ui] = after;
                removed[ui] += mcp * (exh - after);
                after
            }
            Some(ui) => {
                let ts = f.cooling[ui].supply_c;
                let after = exh.min(ts.max(exh - sr.door_drop(f, ri, ui, rho_cp)));
                removed[ui] += mcp * (exh - after);
                unit_t[ui] = after;
                after
            }
            None => exh,
        };
    }
    // CRAHs feeding the tiles: what their coils add to the plenum's air, K.
    let mut plenum_rise = 0.0;
    let tile_crahs: f64 = (0..f.cooling.len()).filter(|&ui| feeds_tiles(f, sr, ui)).map(|ui| sr.unit_flow[ui]).sum();
    for (ui, &gi) in gr.unit.iter().enumerate() {
        let u = &f.cooling[ui];
        let v = sr.unit_flow[ui];
        if v == 0.0 || sr.ret_cells[ui].is_empty() || u.kind == CoolingKind::RearDoor {
            continue;
        }
        let tr = next.next().unwrap_or(f64::NAN);
        let mcp = rho_cp * v;
        let ts = if fans_on.get(ui).copied().unwrap_or(false) {
            let c = m.unit_j_k_per_kw * u.capacity_kw / dt;
            (c * unit_n[ui] + mcp * tr) / (c + mcp)
        } else {
            u.supply_c.max(tr - u.capacity_kw * 1e3 / mcp)
        };
        // A running CRAH that feeds the tiles holds them at their supply temperature.
        let on = fans_on.get(ui).copied().unwrap_or(false);
        unit_t[ui] = if !on && feeds_tiles(f, sr, ui) { u.supply_c } else { ts };
        removed[ui] += mcp * (tr - ts);
        out[gi as usize] = ts;
        // (Running CRAHs hold the plenum at the tiles' supply temperature, as in the
        // steady model.)
        if fans_on.get(ui).copied().unwrap_or(false) && feeds_tiles(f, sr, ui) && tile_crahs > 0.0 {
            plenum_rise += v * (ts - u.supply_c) / tile_crahs;
        }
    }
    for (si, &gi) in gr.tile.iter().enumerate() {
        out[gi as usize] = f.supply[si].supply_c + plenum_rise;
    }
}

/// A CRAH that blows into the raised floor (no supply cells of its own).
fn feeds_tiles(f: &Facility, sr: &Sources, ui: usize) -> bool {
    f.cooling[ui].kind == CoolingKind::Crah && sr.unit_flow[ui] > 0.0 && sr.sup_cells[ui].is_empty()
}
