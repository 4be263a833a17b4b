//! Marching to the steady state: pseudo-time steps of momentum predictor, projection,
//! eddy viscosity and energy until nothing changes any more.
//!
//! The step is `Δt = CFL · dx / U` with `U` the largest face speed (or the problem's
//! velocity scale, whichever is larger). Convergence is measured per step, normalized
//! so that it does not depend on Δt: `max|Δu| / (CFL · U)` and `max|ΔT| / (CFL_T ·
//! ΔT_range)`, both below `tol` for [`PATIENCE`] steps in a row. A final projection
//! to a tight tolerance leaves the field divergence-free to round-off.

use super::energy::{energy_step, EnergyInputs};
use super::mac::Mac;
use super::momentum::{predict, MomentumInputs};
use super::pressure::Projection;
use super::turbulence::{effective_viscosity, wall_distance, Turbulence};
use super::{Domain, Fluid, Relaxation, State};
use rayon::prelude::*;

/// Steps in a row below the tolerance before the march stops.
pub const PATIENCE: usize = 10;

/// Steps between updates of the eddy viscosity.
pub const TURBULENCE_EVERY: usize = 5;

/// Settings of the steady march.
#[derive(Clone, Debug)]
pub struct Settings {
    pub turbulence: Turbulence,
    /// Courant number of the pseudo-time step (implicit upwind: may exceed 1).
    pub cfl: f64,
    /// Velocity scale below which Δt stops growing, m/s (lid speed, buoyant velocity).
    pub velocity_scale_m_s: f64,
    pub max_steps: usize,
    /// Normalized change per step at which the march stops.
    pub tol: f64,
    /// Solve the energy equation (and its buoyancy).
    pub energy: bool,
    /// Energy's pseudo-time step over the momentum's.
    pub energy_dt_factor: f64,
    /// Solver of each step's implicit predictors.
    pub relax: Relaxation,
    /// Relative residual of each step's pressure solve.
    pub pressure_tol: f64,
    /// Steps per averaging window when the flow does not settle (statistically steady
    /// flows: plumes and jets that keep moving); 0 never averages.
    pub window_steps: usize,
    /// Root-mean-square change of the window means, over the velocity scale and the
    /// temperature range, at which a statistically steady march stops.
    pub window_tol: f64,
    /// Largest change of a monitored group's window mean at which a statistically
    /// steady march stops, K (used instead of `window_tol` when the domain has monitors).
    pub monitor_tol_k: f64,
    /// Energy solves per step, each from the step's starting temperatures with the links
    /// refreshed from the last (1 in a pseudo-time march; more in time, so a link reads
    /// the step's new temperatures and the step's heat balance closes).
    pub energy_outer: usize,
    /// Largest change between two outer energy iterates at which a step's outer
    /// iteration stops, K.
    pub energy_outer_tol_k: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            turbulence: Turbulence::Lvel,
            cfl: 1.0,
            velocity_scale_m_s: 0.1,
            max_steps: 20_000,
            tol: 1e-5,
            energy: true,
            energy_dt_factor: 1.0,
            relax: Relaxation::Jacobi(3),
            pressure_tol: 1e-2,
            window_steps: 0,
            window_tol: 2.5e-2,
            monitor_tol_k: 0.1,
            energy_outer: 1,
            energy_outer_tol_k: 1e-4,
        }
    }
}

/// What the march did.
#[derive(Clone, Debug)]
pub struct CfdReport {
    pub steps: usize,
    pub converged: bool,
    /// The answer is the mean of the last two windows (the flow kept moving).
    pub averaged: bool,
    /// Root-mean-square change between the last two window means (velocity over its
    /// scale, temperature over its range); zero when the march settled.
    pub window_change: [f64; 2],
    /// How far the averaged monitors (rack intakes) may lie from the means of the two
    /// halves they were averaged over, K: half the difference of those means (NaN
    /// without monitors or averaging).
    pub monitor_spread_k: f64,
    /// Last normalized changes of velocity and temperature.
    pub velocity_change: f64,
    pub temperature_change: f64,
    /// Largest per-cell imbalance of the final field relative to the flow scale.
    pub mass_residual: f64,
    /// Pressure MG-PCG iterations over all steps.
    pub pressure_iterations: usize,
    /// Bytes held by the solver's arrays (fields, coefficients, multigrid).
    pub bytes: usize,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum CfdError {
    #[error("{0}")]
    Setup(String),
    #[error("the air model diverged at step {step} ({what} is not finite)")]
    Diverged { step: usize, what: &'static str },
    #[error("the air model's GPU march failed: {0}")]
    Gpu(String),
}

/// Per-step hook: fills each temperature group's value from the current temperatures
/// (rack exhausts from their intakes, unit supplies from their returns). Called up to
/// `energy_outer` times per step, with the latest iterate: a link with a state of its
/// own (a thermal mass) computes from the step's start each time.
pub type Links<'a> = dyn FnMut(&[f64], &mut [f64]) + 'a;

/// The largest face speed, m/s.
fn max_speed(u: &[Vec<f64>; 3]) -> f64 {
    u.iter().map(|v| v.par_iter().map(|x| x.abs()).reduce(|| 0.0, f64::max)).fold(0.0, f64::max)
}

/// Cell-centred speed into `out`, m/s (each component the mean of its two faces; zero
/// in closed cells).
pub fn cell_speed(mac: &Mac, u: &[Vec<f64>; 3], open: &[bool], out: &mut Vec<f64>) {
    out.resize(mac.cells(), 0.0);
    out.par_iter_mut().enumerate().for_each(|(c, s)| {
        *s = if open[c] {
            let p = mac.cell_pos(c);
            let mut sum = 0.0;
            for a in 0..mac.nd {
                let f = mac.face(a, p);
                sum += (0.5 * (u[a][f] + u[a][f + mac.fstride[a][a]])).powi(2);
            }
            sum.sqrt()
        } else {
            0.0
        };
    });
}

/// Check a domain: prescribed velocities only on boundary faces, sources balanced per
/// connected air region. Returns the regions.
pub fn check(d: &Domain) -> Result<(Vec<u32>, usize), CfdError> {
    let mac = Mac::new(d.grid);
    let free = mac.free_faces(&d.open);
    let (label, count) = crate::airflow::regions::regions(&d.grid, &d.open);
    let mut net = vec![0.0; count];
    let mut total = 0.0;
    let area = mac.face_area_m2();
    for (&(a, f), port) in &d.ports {
        let v = port.velocity_m_s;
        if a >= mac.nd || f >= mac.faces(a) {
            return Err(CfdError::Setup(format!(
                "a prescribed velocity on a face that does not exist (axis {a}, face {f})"
            )));
        }
        if v == 0.0 {
            continue;
        }
        if free[a][f] || !v.is_finite() {
            return Err(CfdError::Setup(format!("a prescribed velocity on an interior face (axis {a}, face {f})")));
        }
        let Some((c, sign)) = mac.boundary_cell(a, f, &d.open) else {
            return Err(CfdError::Setup(format!(
                "a prescribed velocity on a face with no open cell (axis {a}, face {f})"
            )));
        };
        net[label[c] as usize] += sign * v * area;
        total += (v * area).abs();
    }
    for (c, &s) in d.cell_source_m3s.iter().enumerate() {
        if s != 0.0 && d.open[c] {
            net[label[c] as usize] += s;
            total += s.abs();
        }
    }
    for (r, n) in net.iter().enumerate() {
        if n.abs() > 1e-9 * (total / 2.0).max(1e-300) {
            let (x, y, z) = crate::airflow::regions::where_is(&d.grid, &label, r);
            return Err(CfdError::Setup(format!(
                "the air region around x = {x:.2} m, y = {y:.2} m, z = {z:.2} m takes in {n:.3e} m³/s more than leaves it"
            )));
        }
    }
    Ok((label, count))
}

/// One pseudo- or physical-time step of the air model on a fixed domain: everything
/// that depends only on the geometry (free faces, neighbour codes, the pressure
/// hierarchy, wall distances) is set up once in [`Stepper::new`].
pub struct Stepper {
    pub mac: Mac,
    pub free: [Vec<bool>; 3],
    pub(crate) codes: [Vec<u16>; 3],
    pub(crate) proj: Projection,
    /// Wall distance per cell, m, in f32: a Poisson distance solved to 1e-8 (the GPU
    /// twin's precision too).
    pub(crate) dist: Vec<f32>,
    work: super::Work,
    /// Steps taken.
    pub steps: usize,
    /// Seconds in momentum, pressure and energy.
    pub phase: [f64; 3],
    pub pressure_iterations: usize,
}

/// What one step changed.
pub struct StepChange {
    /// Largest change of a face velocity, m/s.
    pub du: f64,
    /// Largest change of a cell temperature, K.
    pub dt_k: f64,
    /// The largest face speed the step was sized on (or the velocity scale), m/s.
    pub uref: f64,
}

impl Stepper {
    /// Set up the domain's solvers and impose its prescribed face velocities on `state`.
    pub fn new(d: &Domain, s: &Settings, state: &mut State) -> Result<Self, CfdError> {
        let mac = Mac::new(d.grid);
        let (label, count) = check(d)?;
        let free = mac.free_faces(&d.open);
        let codes = super::momentum::neighbour_codes(&mac, &free);
        let proj = Projection::new(&mac, &d.open, (&label, count)).map_err(|e| CfdError::Setup(e.to_string()))?;
        let dist: Vec<f32> = if s.turbulence != Turbulence::Laminar {
            wall_distance(&mac, &d.open, &free).into_iter().map(|x| x as f32).collect()
        } else {
            Vec::new()
        };
        for a in 0..3 {
            for (f, v) in state.u[a].iter_mut().enumerate() {
                if !free[a][f] {
                    *v = 0.0;
                }
            }
        }
        // `check` has refused a non-zero velocity on a free face; a port whose flows
        // cancel (zero) may sit on one and must not reset the carried velocity there.
        for (&(a, f), port) in &d.ports {
            if !free[a][f] {
                state.u[a][f] = port.velocity_m_s;
            }
        }
        Ok(Stepper {
            work: super::Work::default(),
            mac,
            free,
            codes,
            proj,
            dist,
            steps: 0,
            phase: [0.0; 3],
            pressure_iterations: 0,
        })
    }

    /// The pseudo-time step of Courant number `cfl` on the fastest face (or the velocity
    /// scale), s.
    pub fn courant_dt(&self, s: &Settings, state: &State) -> (f64, f64) {
        let uref = max_speed(&state.u).max(s.velocity_scale_m_s);
        (s.cfl * self.mac.grid.dx / uref, uref)
    }

    /// Bytes of the solver's own arrays (work arrays, codes, wall distances and the
    /// pressure hierarchy).
    pub fn bytes(&self) -> usize {
        let faces: usize = self.free.iter().map(|f| f.len()).sum();
        let codes: usize = self.codes.iter().map(|c| c.len() * 2).sum();
        self.work.bytes() + faces + codes + self.dist.len() * 4 + self.proj.bytes()
    }

    /// The effective viscosity of `state`'s velocities (the speed lives in the work
    /// arrays' scratch, idle between steps).
    pub fn refresh_viscosity(&mut self, d: &Domain, fluid: &Fluid, s: &Settings, state: &mut State) {
        let speed = &mut self.work.scratch;
        if s.turbulence != Turbulence::Laminar {
            cell_speed(&self.mac, &state.u, &d.open, speed);
        } else {
            speed.clear();
            speed.resize(self.mac.cells(), 0.0);
        }
        effective_viscosity(s.turbulence, fluid.nu_m2_s, &self.dist, speed, &mut state.nu_eff);
    }

    /// One step: momentum over `dt`, projection, energy over `energy_dt` with the links
    /// refreshed from the current temperatures (`exchange`: per cell, a rate toward a
    /// temperature, 1/s and °C, implicit; empty for none).
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        d: &Domain,
        fluid: &Fluid,
        s: &Settings,
        state: &mut State,
        group_t: &mut [f64],
        links: &mut Links,
        dt: f64,
        energy_dt: f64,
        exchange: (&[f64], &[f64]),
    ) -> Result<StepChange, CfdError> {
        self.steps += 1;
        let uref = max_speed(&state.u).max(s.velocity_scale_m_s);
        // The eddy viscosity follows the flow's slow changes: it is refreshed every
        // TURBULENCE_EVERY steps (its law-of-the-wall solve costs more than a sweep).
        if (self.steps - 1) % TURBULENCE_EVERY == 0 {
            self.refresh_viscosity(d, fluid, s, state);
        }
        let mac = &self.mac;
        let m = MomentumInputs {
            mac,
            free: &self.free,
            wall_velocity: &d.wall_velocity,
            nu: &state.nu_eff,
            t: &state.t,
            p: &state.p,
            fluid,
            dt,
            relax: s.relax,
        };
        let tm = std::time::Instant::now();
        let du = predict(&m, &self.codes, &mut state.u, &mut self.work);
        self.phase[0] += tm.elapsed().as_secs_f64();
        let tm = std::time::Instant::now();
        self.project(d, state, dt, s.pressure_tol, 200);
        self.phase[1] += tm.elapsed().as_secs_f64();
        self.pressure_iterations += self.proj.last_iterations;
        if !du.is_finite() || state.p.iter().any(|v| !v.is_finite()) {
            return Err(CfdError::Diverged { step: self.steps, what: "the velocity" });
        }
        let mac = &self.mac;
        let mut dtm = 0.0;
        if s.energy {
            let t_n = if s.energy_outer > 1 { Some(state.t.clone()) } else { None };
            let tm = std::time::Instant::now();
            for outer in 0..s.energy_outer.max(1) {
                let before = if outer + 1 < s.energy_outer { Some(state.t.clone()) } else { None };
                links(&state.t, group_t);
                let e = EnergyInputs {
                    mac,
                    open: &d.open,
                    free: &self.free,
                    u: &state.u,
                    nu_eff: &state.nu_eff,
                    fluid,
                    walls: d.walls.as_array(),
                    ports: &d.ports,
                    cell_source_m3s: &d.cell_source_m3s,
                    cell_group: &d.cell_group,
                    group_t,
                    q_w_m3: &d.q_w_m3,
                    rho_cp_j_m3k: d.rho_cp_j_m3k,
                    exchange,
                    dt: energy_dt,
                    t_old: t_n.as_deref(),
                    relax: s.relax,
                };
                dtm = energy_step(&e, &mut state.t, &mut self.work);
                if let Some(b) = before {
                    let moved = b.par_iter().zip(&state.t).map(|(x, y)| (x - y).abs()).reduce(|| 0.0, f64::max);
                    if moved < s.energy_outer_tol_k {
                        break;
                    }
                }
            }
            self.phase[2] += tm.elapsed().as_secs_f64();
            if !dtm.is_finite() {
                return Err(CfdError::Diverged { step: self.steps, what: "the temperature" });
            }
        }
        Ok(StepChange { du, dt_k: dtm, uref })
    }

    /// Project `state`'s velocities over `dt` (relative residual `tol`, at most
    /// `max_iter` MG-PCG iterations) and add the pressure increment to its pressure.
    fn project(&mut self, d: &Domain, state: &mut State, dt: f64, tol: f64, max_iter: usize) {
        let State { u, p, .. } = state;
        self.proj.project(&self.mac, &d.open, &self.free, u, &d.cell_source_m3s, dt, tol, max_iter, p, &mut self.work);
    }

    /// Project `state` to a tight tolerance (divergence-free to round-off) and return
    /// the largest per-cell imbalance relative to the flow scale.
    pub fn finish(&mut self, d: &Domain, s: &Settings, state: &mut State) -> f64 {
        let (dt, uref) = self.courant_dt(s, state);
        self.project(d, state, dt, 1e-12, 500);
        let mac = &self.mac;
        let div = Projection::divergence(mac, &d.open, &state.u, &d.cell_source_m3s);
        let worst = div.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        // Flow scale: the prescribed flows, or the largest speed through one face.
        let area = mac.face_area_m2();
        let ported: f64 = d.ports.values().map(|p| (p.velocity_m_s * area).abs()).sum::<f64>() / 2.0
            + d.cell_source_m3s.iter().map(|v| v.abs()).sum::<f64>() / 2.0;
        let scale = if ported > 0.0 { ported } else { uref * area };
        worst * d.grid.cell_volume_m3() / scale
    }
}

/// The fields of a march and what the march does with them, on the CPU ([`CpuAir`])
/// or on the GPU (`super::gpu::GpuAir`): one step, the Courant step, the temperature
/// range, and the window sums and means of a statistically steady march.
pub trait Air {
    /// A window's or an epoch's sums (or means) of the velocities and temperatures.
    type Mean;
    /// The pseudo-time step and the speed it was sized on (s, m/s).
    fn courant_dt(&mut self, s: &Settings) -> Result<(f64, f64), CfdError>;
    /// One step (momentum over `dt`, projection, energy over `energy_dt`).
    fn step(&mut self, dt: f64, energy_dt: f64) -> Result<StepChange, CfdError>;
    /// Lowest and highest temperature of the open cells, °C: of `m`, or of the state.
    fn t_range(&mut self, m: Option<&Self::Mean>) -> Result<(f64, f64), CfdError>;
    /// Mean of `m`'s temperatures over each of the domain's monitored groups, °C.
    fn monitors(&mut self, m: &Self::Mean) -> Result<Vec<f64>, CfdError>;
    fn zeroed(&mut self) -> Result<Self::Mean, CfdError>;
    /// `m += the state`.
    fn add_state(&mut self, m: &mut Self::Mean) -> Result<(), CfdError>;
    /// `m += from`.
    fn add_mean(&mut self, m: &mut Self::Mean, from: &Self::Mean) -> Result<(), CfdError>;
    /// `m *= k`.
    fn scale(&mut self, m: &mut Self::Mean, k: f64) -> Result<(), CfdError>;
    fn clear(&mut self, m: &mut Self::Mean) -> Result<(), CfdError>;
    /// Root-mean-square difference of the velocities (all faces) and of the open cells'
    /// temperatures of `a` and `b`.
    fn rms_change(&mut self, a: &Self::Mean, b: &Self::Mean) -> Result<(f64, f64), CfdError>;
    /// The state's velocities and temperatures become the mean of `a` and `b`.
    fn set_mean_of(&mut self, a: &Self::Mean, b: &Self::Mean) -> Result<(), CfdError>;
    /// The state's velocities and temperatures become `m`'s.
    fn set_state(&mut self, m: Self::Mean) -> Result<(), CfdError>;
    /// Recompute the eddy viscosity from the state's velocities.
    fn refresh_viscosity(&mut self) -> Result<(), CfdError>;
}

/// March `air` to the steady state of domain `d` (its monitored groups decide when a
/// statistically steady march has settled).
/// The report's mass residual, pressure iterations, bytes and seconds are the caller's
/// to fill in.
pub fn march<A: Air>(air: &mut A, d: &Domain, s: &Settings) -> Result<CfdReport, CfdError> {
    let (mut steps, mut calm) = (0usize, 0usize);
    let (mut ru, mut rt) = (f64::INFINITY, 0.0);
    let trace = std::env::var_os("THERMOGRID_TRACE").is_some();
    // Window sums of the velocities and temperatures, the previous window's mean, and
    // the last change.
    let mut win: Option<A::Mean> = None;
    let mut prev: Option<A::Mean> = None;
    // The previous window's mean of each monitored group.
    let mut prev_monitors: Vec<f64> = Vec::new();
    let mut win_n = 0usize;
    // The current epoch: the sum of its windows' means and each window's monitor means.
    let mut epoch: Option<A::Mean> = None;
    let mut epoch_monitors: Vec<Vec<f64>> = Vec::new();
    let mut epoch_windows = 2usize;
    let mut monitor_change = f64::NAN;
    let mut averaged = false;
    let mut window_change = [0.0f64; 2];
    while steps < s.max_steps {
        steps += 1;
        // Open-ended (total 0): the march stops when it settles, usually long before max_steps.
        crate::progress::report("airflow step", steps as u64, 0);
        let (dt, uref) = air.courant_dt(s)?;
        let ch = air.step(dt, dt * s.energy_dt_factor)?;
        ru = ch.du / (s.cfl * uref);
        if s.energy {
            let (lo, hi) = air.t_range(None)?;
            rt = ch.dt_k / (s.cfl * s.energy_dt_factor * (hi - lo).max(1e-3));
        }
        if trace && steps % 100 == 0 {
            eprintln!("[cfd] step {steps}: dt {dt:.3e} s, max speed {uref:.3} m/s, du {ru:.2e}, dT {rt:.2e}");
        }
        if ru < s.tol && rt < s.tol {
            calm += 1;
            if calm >= PATIENCE {
                break;
            }
        } else {
            calm = 0;
        }
        if s.window_steps > 0 {
            if win.is_none() {
                win = Some(air.zeroed()?);
            }
            air.add_state(win.as_mut().expect("a window is open"))?;
            win_n += 1;
            if win_n == s.window_steps {
                // The window's sum becomes its mean in place: the averages hold three
                // copies of the fields at most (this window, the previous one, the
                // epoch), never a fourth.
                let mut mean = win.take().expect("a window is open");
                air.scale(&mut mean, 1.0 / win_n as f64)?;
                win_n = 0;
                let monitors: Vec<f64> = if d.monitor_cells.is_empty() { Vec::new() } else { air.monitors(&mean)? };
                let mut settled_now = false;
                if let Some(pm) = &prev {
                    let (lo, hi) = air.t_range(Some(&mean))?;
                    let (rms_u, rms_t) = air.rms_change(&mean, pm)?;
                    let du = rms_u / uref;
                    let dtt = rms_t / (hi - lo).max(1e-3);
                    window_change = [du, dtt];
                    // Where the problem names monitored cells (rack intakes), their
                    // window means decide, as a CFD engineer watches monitor points.
                    let monitored = crate::outcome::nan_max(
                        monitors.iter().zip(&prev_monitors).map(|(now, before)| (now - before).abs()),
                    );
                    if trace {
                        eprintln!(
                            "[cfd] window ending at step {steps}: mean changed {du:.2e} (u), {dtt:.2e} (T), monitors {monitored:.3} K"
                        );
                    }
                    let settled = if d.monitor_cells.is_empty() {
                        du < s.window_tol && dtt < s.window_tol
                    } else {
                        monitored < s.monitor_tol_k
                    };
                    if settled {
                        monitor_change = monitored / 2.0;
                        // The answer: the mean of the last two windows.
                        air.set_mean_of(&mean, pm)?;
                        settled_now = true;
                    }
                }
                // Epochs of 2, 4, 8, … windows, each after the last: a flow that keeps
                // wandering stops when the mean of an epoch lies within the tolerance of
                // the means of both its halves on every monitor (the halves differ by
                // less than twice it), and the answer is the epoch's mean; an epoch whose
                // halves disagree (a transient still settling, or wandering slower than
                // its halves) is dropped and the next one is twice as long. The epoch
                // sums its windows' means (all windows have the same length).
                if !settled_now && !d.monitor_cells.is_empty() {
                    if epoch.is_none() {
                        epoch = Some(air.zeroed()?);
                    }
                    air.add_mean(epoch.as_mut().expect("an epoch is open"), &mean)?;
                    epoch_monitors.push(monitors.clone());
                    if epoch_monitors.len() == epoch_windows {
                        let half = epoch_windows / 2;
                        let part = |r: std::ops::Range<usize>, m: usize| {
                            r.clone().map(|k| epoch_monitors[k][m]).sum::<f64>() / r.len() as f64
                        };
                        let split = crate::outcome::nan_max(
                            (0..d.monitor_cells.len()).map(|m| (part(0..half, m) - part(half..epoch_windows, m)).abs()),
                        );
                        if trace {
                            eprintln!("[cfd] epoch of {epoch_windows} windows ending at step {steps}: halves differ by {split:.3} K");
                        }
                        if split < 2.0 * s.monitor_tol_k {
                            monitor_change = split / 2.0;
                            let mut e = epoch.take().expect("an epoch is open");
                            air.scale(&mut e, 1.0 / epoch_windows as f64)?;
                            air.set_state(e)?;
                            settled_now = true;
                        } else {
                            epoch = None;
                            epoch_monitors.clear();
                            epoch_windows *= 2;
                        }
                    }
                }
                if settled_now {
                    // The answer's eddy viscosity is the mean flow's, as a RANS model's is.
                    air.refresh_viscosity()?;
                    averaged = true;
                    break;
                }
                // This window's mean becomes the previous one; the previous one's
                // storage is zeroed and sums the next window.
                if let Some(mut old) = prev.replace(mean) {
                    air.clear(&mut old)?;
                    win = Some(old);
                }
                prev_monitors = monitors;
            }
        }
    }
    Ok(CfdReport {
        steps,
        converged: calm >= PATIENCE || averaged,
        averaged,
        window_change,
        monitor_spread_k: monitor_change,
        velocity_change: ru,
        temperature_change: rt,
        mass_residual: f64::NAN,
        pressure_iterations: 0,
        bytes: 0,
        seconds: 0.0,
    })
}

/// The CPU's fields: the state, the stepper and the links.
pub struct CpuAir<'a, 'l> {
    pub stepper: Stepper,
    pub d: &'a Domain,
    pub fluid: &'a Fluid,
    pub s: &'a Settings,
    pub state: &'a mut State,
    pub group_t: &'a mut [f64],
    pub links: &'a mut Links<'l>,
}

impl Air for CpuAir<'_, '_> {
    type Mean = Mean;

    fn courant_dt(&mut self, s: &Settings) -> Result<(f64, f64), CfdError> {
        Ok(self.stepper.courant_dt(s, self.state))
    }

    fn step(&mut self, dt: f64, energy_dt: f64) -> Result<StepChange, CfdError> {
        self.stepper.step(self.d, self.fluid, self.s, self.state, self.group_t, self.links, dt, energy_dt, (&[], &[]))
    }

    fn t_range(&mut self, m: Option<&Mean>) -> Result<(f64, f64), CfdError> {
        Ok(match m {
            Some(m) => range(&m.t, &self.d.open),
            None => range(&self.state.t, &self.d.open),
        })
    }

    fn monitors(&mut self, m: &Mean) -> Result<Vec<f64>, CfdError> {
        Ok(self.d.monitor_cells.iter().map(|cs| group_mean(&m.t, cs)).collect())
    }

    fn zeroed(&mut self) -> Result<Mean, CfdError> {
        Ok(Mean::zeroed(self.state))
    }

    fn add_state(&mut self, m: &mut Mean) -> Result<(), CfdError> {
        m.add(&self.state.u, &self.state.t);
        Ok(())
    }

    fn add_mean(&mut self, m: &mut Mean, from: &Mean) -> Result<(), CfdError> {
        m.add_mean(from);
        Ok(())
    }

    fn scale(&mut self, m: &mut Mean, k: f64) -> Result<(), CfdError> {
        m.scale(k);
        Ok(())
    }

    fn clear(&mut self, m: &mut Mean) -> Result<(), CfdError> {
        m.clear();
        Ok(())
    }

    fn rms_change(&mut self, a: &Mean, b: &Mean) -> Result<(f64, f64), CfdError> {
        Ok((rms_diff(&a.u, &b.u), rms_cells(&a.t, &b.t, &self.d.open)))
    }

    fn set_mean_of(&mut self, a: &Mean, b: &Mean) -> Result<(), CfdError> {
        a.set_into(Some(b), &self.stepper.free, self.state);
        Ok(())
    }

    fn set_state(&mut self, m: Mean) -> Result<(), CfdError> {
        m.set_into(None, &self.stepper.free, self.state);
        Ok(())
    }

    fn refresh_viscosity(&mut self) -> Result<(), CfdError> {
        self.stepper.refresh_viscosity(self.d, self.fluid, self.s, self.state);
        Ok(())
    }
}

/// March `state` to the steady state of domain `d`. `group_t` holds the temperature of
/// each inflow group; `links` updates it every step.
pub fn solve_steady(
    d: &Domain,
    fluid: &Fluid,
    s: &Settings,
    state: &mut State,
    group_t: &mut [f64],
    links: &mut Links,
) -> Result<CfdReport, CfdError> {
    let t0 = std::time::Instant::now();
    let stepper = Stepper::new(d, s, state)?;
    let trace = std::env::var_os("THERMOGRID_TRACE").is_some();
    let mut air = CpuAir { stepper, d, fluid, s, state, group_t, links };
    let mut m = march(&mut air, d, s)?;
    let CpuAir { mut stepper, state, .. } = air;
    if trace {
        eprintln!(
            "[cfd] {} steps: momentum {:.3} s, pressure {:.3} s ({} MG-PCG iterations), energy {:.3} s",
            m.steps, stepper.phase[0], stepper.phase[1], stepper.pressure_iterations, stepper.phase[2]
        );
    }
    let mass_residual = stepper.finish(d, s, state);
    let mac = &stepper.mac;
    let faces: usize = state.u.iter().map(|v| v.len()).sum();
    // The state (velocities, pressure, temperature, eddy viscosity) and the domain (its
    // prescribed faces, about 48 bytes each in the map; whether each cell is open; the
    // cell sources, heat and groups where there are any).
    let fields = (faces + 3 * mac.cells()) * 8
        + d.ports.len() * 48
        + mac.cells()
        + (d.cell_source_m3s.len() + d.q_w_m3.len()) * 8
        + d.cell_group.len() * 4;
    // The averages of the velocities and temperatures: the open window, the previous
    // window's mean and the epoch's sum.
    let averaging = if s.window_steps > 0 { 3 * (faces + mac.cells()) * 8 } else { 0 };
    m.mass_residual = mass_residual;
    m.pressure_iterations = stepper.pressure_iterations;
    m.bytes = fields + averaging + stepper.bytes();
    m.seconds = t0.elapsed().as_secs_f64();
    Ok(m)
}

/// Sums or means of the velocities and temperatures over a window or an epoch, in f32
/// (each sum rounded once per step: a part in 10⁶ of a window's mean, as on the GPU).
/// The pressure is not averaged (the answer keeps the last step's; only its gradient
/// between steps matters) and the eddy viscosity is recomputed from the mean flow. The
/// faces the domain imposes (walls, fans, tiles, returns) are never taken from an
/// average: the answer keeps the state's exact values there, so the final projection
/// meets a compatible right-hand side.
pub struct Mean {
    u: [Vec<f32>; 3],
    t: Vec<f32>,
}

impl Mean {
    fn zeroed(s: &State) -> Self {
        let z = |v: &Vec<f64>| vec![0.0f32; v.len()];
        Mean { u: [z(&s.u[0]), z(&s.u[1]), z(&s.u[2])], t: z(&s.t) }
    }

    fn fields(&mut self) -> impl Iterator<Item = &mut Vec<f32>> {
        self.u.iter_mut().chain(std::iter::once(&mut self.t))
    }

    /// `self += (u, t)`, each sum rounded once.
    fn add(&mut self, u: &[Vec<f64>; 3], t: &[f64]) {
        for (w, s) in self.fields().zip(u.iter().map(|v| v.as_slice()).chain(std::iter::once(t))) {
            w.par_iter_mut().zip(s).for_each(|(x, y)| *x = (*x as f64 + y) as f32);
        }
    }

    /// `self += other`.
    fn add_mean(&mut self, other: &Mean) {
        for (w, s) in self.fields().zip(other.u.iter().chain(std::iter::once(&other.t))) {
            w.par_iter_mut().zip(s).for_each(|(x, &y)| *x = (*x as f64 + y as f64) as f32);
        }
    }

    fn scale(&mut self, k: f64) {
        for v in self.fields() {
            v.par_iter_mut().for_each(|x| *x = (*x as f64 * k) as f32);
        }
    }

    fn clear(&mut self) {
        for v in self.fields() {
            v.fill(0.0);
        }
    }

    /// `state`'s velocities (on `free` faces) and temperatures become the mean of
    /// `self` and `other` (`other`: `self` alone).
    fn set_into(&self, other: Option<&Mean>, free: &[Vec<bool>; 3], state: &mut State) {
        let value = |x: &[f32], y: Option<&[f32]>, i: usize| match y {
            Some(y) => 0.5 * (x[i] as f64 + y[i] as f64),
            None => x[i] as f64,
        };
        for k in 0..3 {
            let (x, y) = (&self.u[k][..], other.map(|o| &o.u[k][..]));
            state.u[k].par_iter_mut().enumerate().zip(&free[k][..]).for_each(|((i, o), &fr)| {
                if fr {
                    *o = value(x, y, i);
                }
            });
        }
        let (x, y) = (&self.t[..], other.map(|o| &o.t[..]));
        state.t.par_iter_mut().enumerate().for_each(|(i, o)| *o = value(x, y, i));
    }
}

fn range<T: Copy + Into<f64>>(t: &[T], open: &[bool]) -> (f64, f64) {
    t.iter()
        .zip(open)
        .filter(|(_, o)| **o)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, u), (&t, _)| (l.min(t.into()), u.max(t.into())))
}

fn rms_diff(a: &[Vec<f32>; 3], b: &[Vec<f32>; 3]) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for k in 0..3 {
        s += a[k].iter().zip(&b[k]).map(|(&x, &y)| (x as f64 - y as f64).powi(2)).sum::<f64>();
        n += a[k].len();
    }
    (s / n.max(1) as f64).sqrt()
}

fn rms_cells(a: &[f32], b: &[f32], open: &[bool]) -> f64 {
    let (s, n) = a
        .iter()
        .zip(b)
        .zip(open)
        .filter(|(_, o)| **o)
        .fold((0.0, 0usize), |(s, n), ((&x, &y), _)| (s + (x as f64 - y as f64).powi(2), n + 1));
    (s / n.max(1) as f64).sqrt()
}

fn group_mean<T: Copy + Into<f64>>(t: &[T], cs: &[usize]) -> f64 {
    cs.iter().map(|&c| t[c].into()).sum::<f64>() / cs.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::{Grid, Wall, Walls};

    /// A stepper built on a carried state (a transient rebuilds one per call) keeps the
    /// velocity of a free face that carries a port whose flows cancel, and imposes the
    /// ports on the boundary faces.
    #[test]
    fn a_rebuilt_stepper_keeps_free_faces_and_imposes_ports() {
        let g = Grid::new_2d(6, 4, 0.5, 1.0);
        let mac = Mac::new(g);
        let mut d = Domain::closed_box(g, Walls::all(Wall::Adiabatic));
        // In through the west wall at row 1, out through the east wall at row 1.
        let (west, east) = (mac.face(0, [0, 1, 0]), mac.face(0, [6, 1, 0]));
        d.ports.insert((0, west), super::super::Port { velocity_m_s: 0.2, group: 0 });
        d.ports.insert((0, east), super::super::Port { velocity_m_s: 0.2, group: u32::MAX });
        // A free face with a zero port (its flows cancelled).
        let inner = mac.face(0, [3, 2, 0]);
        d.ports.insert((0, inner), super::super::Port { velocity_m_s: 0.0, group: u32::MAX });
        let mut state = State::at_rest(&d, 20.0);
        state.u[0][inner] = 0.37;
        let s = Settings::default();
        Stepper::new(&d, &s, &mut state).expect("a valid domain");
        assert_eq!(state.u[0][inner], 0.37, "the free face keeps its carried velocity");
        assert_eq!(state.u[0][west], 0.2);
        assert_eq!(state.u[0][east], 0.2);
        // A port off the grid is named by the check, not a panic.
        let mut bad = d.clone();
        bad.ports.insert((0, 10_000), super::super::Port { velocity_m_s: 0.1, group: u32::MAX });
        let mut st = State::at_rest(&bad, 20.0);
        let err = Stepper::new(&bad, &s, &mut st).err().expect("refused");
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
