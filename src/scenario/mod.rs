//! Facility scenarios in time: "what happens in the minutes after a chiller trips".
//!
//! The scenario starts from the design's steady state, then marches `[transient]` steps;
//! at each `[[event]]` time the facility changes (cooling units fail, IT load steps,
//! supply temperature changes) and the fields are rebuilt. Per rack: the intake
//! temperature at every step and the time it first reaches each threshold (linear
//! interpolation between steps; `None`: never). Snapshots of the field are kept at
//! `snapshot_every_s` (f32).
//!
//! On the momentum model of hall air (the default for facility files) the scenario is
//! [`air`]'s: physical time steps of the air model with the thermal masses of racks,
//! cooling-unit coils and the building. On the diffusion model (and the potential
//! model, which has no time) it marches the thermal operator with air's `rho_cp` in
//! every cell, on the CPU or the GPU.

mod air;
pub use air::{steady_start, SteadyStart};

use crate::error::{Error, InputError};
use crate::facility::spec::EventKind;
use crate::facility::Facility;
use crate::metrics::{cooling_results, rack_results};
use crate::raster::rasterize;
use crate::run::{solve_on, Backend, Study};
use crate::thermal::energy::energy_balance;
use crate::thermal::transient::{run_transient_with, Engine, Scheme};
use crate::thermal::{SolveOptions, SolveReport};
use std::time::Instant;

/// What a scenario produced.
pub struct ScenarioResult {
    /// Time of each recorded step, s (0 = the steady start).
    pub time_s: Vec<f64>,
    pub rack_ids: Vec<String>,
    /// Intake temperature, °C, one row of `racks` per recorded step.
    pub intake_c: Vec<f64>,
    pub thresholds_c: Vec<f64>,
    /// Per threshold, per rack: first time the intake reaches it, s.
    pub time_to_threshold_s: Vec<Vec<Option<f64>>>,
    pub snapshot_time_s: Vec<f64>,
    /// Snapshots of the field (°C, f32), one frame of `cells` each.
    pub snapshots: Vec<f32>,
    /// The state at the end, for the usual results and summary.
    pub end: Study,
}

/// Apply an event to `f` (the facility as it now is); `design` is the facility as
/// written, which restores go back to.
pub(crate) fn apply_event(f: &mut Facility, design: &Facility, e: &crate::facility::spec::EventSpec) {
    match e.kind {
        EventKind::CoolingFailure => f.cooling.retain(|u| !e.units.contains(&u.id)),
        EventKind::CoolingRestore => {
            for u in design.cooling.iter().filter(|u| e.units.contains(&u.id)) {
                if !f.cooling.iter().any(|c| c.id == u.id) {
                    f.cooling.push(u.clone());
                }
            }
        }
        EventKind::ItRestore => {
            for r in f.racks.iter_mut().filter(|r| e.racks.is_empty() || e.racks.contains(&r.id)) {
                if let Some(d) = design.racks.iter().find(|d| d.id == r.id) {
                    r.power_kw = d.power_kw;
                }
            }
        }
        EventKind::ItLoad => {
            let k = e.factor.unwrap_or(1.0);
            f.racks.iter_mut().filter(|r| e.racks.is_empty() || e.racks.contains(&r.id)).for_each(|r| r.power_kw *= k);
        }
        EventKind::SupplyTemperature => {
            let t = e.supply_c.unwrap_or(20.0);
            f.cooling
                .iter_mut()
                .filter(|u| u.is_air_side() && (e.units.is_empty() || e.units.contains(&u.id)))
                .for_each(|u| u.supply_c = t);
            if e.units.is_empty() {
                f.supply.iter_mut().for_each(|s| s.supply_c = t);
            }
        }
    }
}

/// Run the scenario of a facility with a `[transient]` section, on the backend's
/// hardware with the policy of [`crate::backend`]: under `auto`, a scenario whose GPU
/// march fails or does not converge runs again on the CPU.
pub fn run_scenario(
    f: &Facility,
    backend: Backend,
    opts: &SolveOptions,
    dt_override: Option<f64>,
) -> Result<ScenarioResult, Error> {
    run_scenario_from(f, backend, opts, dt_override, None)
}

/// [`run_scenario`] from a steady start already solved for this facility's design
/// ([`steady_start`]; the momentum model only, ignored otherwise): many scenarios of
/// one hall (outages, sweeps of events) share one steady solve.
pub fn run_scenario_from(
    f: &Facility,
    backend: Backend,
    opts: &SolveOptions,
    dt_override: Option<f64>,
    from: Option<&SteadyStart>,
) -> Result<ScenarioResult, Error> {
    let ctx = crate::backend::gpu_for(backend).map_err(|e| Error::Internal(e.to_string()))?;
    // The momentum model of hall air marches the scenario itself (on the GPU in f32, or
    // the CPU in f64), from its own steady state.
    if let Some(a) = f.airflow.as_ref().filter(|a| a.model == crate::facility::AirModel::Cfd) {
        return crate::backend::run_on(
            backend,
            ctx.as_ref(),
            "scenario",
            |c| air::scenario_air(f, a, dt_override, from, Some(c)),
            || air::scenario_air(f, a, dt_override, from, None),
            |e| matches!(e, Error::Internal(_) | Error::NotConverged { .. }),
        );
    }
    crate::backend::run_on(
        backend,
        ctx.as_ref(),
        "scenario",
        |c| scenario_on(f, backend, opts, dt_override, Some(c)),
        || scenario_on(f, backend, opts, dt_override, None),
        |e| matches!(e, Error::Internal(_) | Error::NotConverged { .. }),
    )
}

fn scenario_on(
    f: &Facility,
    backend: Backend,
    opts: &SolveOptions,
    dt_override: Option<f64>,
    ctx: Option<&crate::gpu::GpuContext>,
) -> Result<ScenarioResult, Error> {
    // Without a context (the CPU, or the CPU after a GPU failure) the steady start runs
    // on the CPU too.
    let backend = if ctx.is_some() { backend } else { Backend::Cpu };
    let t0 = Instant::now();
    let Plan { spec, dt, steps, thresholds, snap_every } = plan(f, dt_override)?;
    let scheme = match spec.scheme.as_deref() {
        Some("crank-nicolson") => Scheme::CrankNicolson,
        Some("forward-euler") => Scheme::ForwardEuler,
        _ => Scheme::BackwardEuler,
    };
    // Steady start.
    let mut fac = f.clone();
    let raster = rasterize(&fac)?;
    let steady = solve_on(&raster.problem, opts, backend).map_err(|e| match e {
        crate::thermal::SolveError::Problem(p) => {
            Error::Input(InputError::new(&f.path, "thermal problem", p.to_string(), "correct the facility's values"))
        }
        other => Error::Internal(other.to_string()),
    })?;
    // The steady start follows the one rule: converged or nothing.
    if !steady.report.converged {
        return Err(Error::NotConverged {
            iterations: steady.report.iterations,
            relative_residual: steady.report.relative_residual,
            tol: steady.report.tol,
        });
    }
    let mut worst_step_residual = 0.0f64;
    let mut t = steady.t;
    let racks = raster.racks.clone();
    let intake = |t: &[f64]| -> Vec<f64> {
        racks.iter().map(|r| r.intake.iter().map(|&c| t[c]).sum::<f64>() / r.intake.len() as f64).collect()
    };
    let mut time_s = vec![0.0];
    let mut intake_c = intake(&t);
    let mut snapshot_time_s = vec![0.0];
    let mut snapshots: Vec<f32> = t.iter().map(|&v| v as f32).collect();
    let mut pending = f.events.iter().peekable();
    let mut step = 0usize;
    let mut next_snap = snap_every;
    let mut problem = raster.problem;
    let mut last_raster = None;
    while step < steps {
        // Apply every event due at the current time.
        let now = step as f64 * dt;
        let mut changed = false;
        while let Some(e) = pending.peek() {
            if e.at_s <= now + 1e-9 * dt {
                apply_event(&mut fac, f, e);
                pending.next();
                changed = true;
            } else {
                break;
            }
        }
        if changed {
            let r = rasterize(&fac)?;
            problem = r.problem.clone();
            last_raster = Some(r);
        }
        // March to the next event (or the end).
        let until = pending.peek().map(|e| ((e.at_s / dt).ceil() as usize).clamp(step + 1, steps)).unwrap_or(steps);
        let n = until - step;
        let rho = vec![fac.materials.air_rho_cp_j_m3k; problem.grid.cells()];
        let base = step;
        let mut on_step = |k: usize, tt: &[f64]| {
            let time = (base + k + 1) as f64 * dt;
            time_s.push(time);
            intake_c.extend(intake(tt));
            if time + 1e-9 * dt >= next_snap {
                snapshot_time_s.push(time);
                snapshots.extend(tt.iter().map(|&v| v as f32));
                next_snap += snap_every;
            }
        };
        let engine = match &ctx {
            Some(c) => Engine::Gpu(c),
            None => Engine::Cpu,
        };
        let step_tol = if ctx.is_some() { opts.tol.max(1e-7) } else { opts.tol.max(1e-12) };
        let marched =
            run_transient_with(&problem, &rho, &t, scheme, dt, n, step_tol, opts.max_iter, engine, &mut on_step)
                .map_err(|e| match e {
                    crate::thermal::transient::TransientError::Unstable { .. }
                    | crate::thermal::transient::TransientError::BadStep { .. } => Error::Input(InputError::new(
                        &f.path,
                        "[transient]",
                        e.to_string(),
                        "lower dt_s or use an implicit scheme",
                    )),
                    crate::thermal::transient::TransientError::NotConverged { step: s, rel } => {
                        Error::NotConverged { iterations: step + s, relative_residual: rel, tol: step_tol }
                    }
                    other => Error::Internal(other.to_string()),
                })?;
        t = marched.t;
        worst_step_residual = worst_step_residual.max(marched.worst_step_residual);
        step = until;
    }
    let end_raster = match last_raster {
        Some(r) => r,
        None => rasterize(&fac)?,
    };
    let energy = energy_balance(&end_raster.problem, &t);
    let rr = rack_results(&fac, &end_raster, &t);
    let cr = cooling_results(&fac, &end_raster, &t);
    let coupling = crate::coupling::couple(&fac, &cr)?;
    let end = Study {
        name: f.name.clone(),
        input_path: f.path.clone(),
        input_sha256: f.input_sha256.clone(),
        problem: end_raster.problem,
        material: Some(end_raster.material),
        t,
        report: SolveReport {
            backend: if ctx.is_some() { "gpu" } else { "cpu" },
            method: match scheme {
                Scheme::BackwardEuler => "transient backward-euler",
                Scheme::CrankNicolson => "transient crank-nicolson",
                Scheme::ForwardEuler => "transient forward-euler",
            },
            iterations: steps,
            // Every step converged; the largest residual any step (or the start) ended at.
            relative_residual: worst_step_residual.max(steady.report.relative_residual),
            converged: true,
            tol: opts.tol,
            levels: 0,
            setup_s: 0.0,
            solve_s: t0.elapsed().as_secs_f64(),
            solver_bytes: 0,
        },
        wall_s: t0.elapsed().as_secs_f64(),
        energy,
        liquid_heat_w: fac.racks.iter().map(|r| r.liquid_heat_w()).sum(),
        cdu_capacity_w: fac.cooling.iter().filter(|u| !u.is_air_side()).map(|u| u.capacity_kw * 1e3).sum(),
        racks: rr,
        cooling: cr,
        expected_error_k: None,
        t_amb: None,
        coupling,
        airflow_mass_residual: None,
        velocity_m_s: None,
        warnings: vec![],
    };
    finish(f, end, History { time_s, intake_c, thresholds_c: thresholds, snapshot_time_s, snapshots })
}

/// A scenario's time stepping, as its `[transient]` (and `--dt`) ask.
pub(crate) struct Plan {
    pub spec: crate::facility::spec::TransientSpec,
    /// s.
    pub dt: f64,
    pub steps: usize,
    /// °C.
    pub thresholds: Vec<f64>,
    /// s.
    pub snap_every: f64,
}

/// The plan of `f`'s scenario; bounded: at most MAX_SCENARIO_STEPS steps, and snapshots
/// that fit in memory.
pub(crate) fn plan(f: &Facility, dt_override: Option<f64>) -> Result<Plan, Error> {
    let spec = f.transient.clone().ok_or_else(|| {
        InputError::new(&f.path, "[transient]", "is missing", "add [transient] with dt_s and duration_s")
    })?;
    let dt = dt_override.unwrap_or(spec.dt_s);
    let steps = crate::facility::scenario_steps(f, dt, if dt_override.is_some() { "--dt" } else { "dt_s" })?.steps;
    let thresholds = spec.thresholds_c.clone().unwrap_or_else(|| vec![crate::metrics::ASHRAE_RECOMMENDED_C.1, 32.0]);
    let snap_every = spec.snapshot_every_s.unwrap_or(spec.duration_s / 10.0);
    Ok(Plan { spec, dt, steps, thresholds, snap_every })
}

/// What a scenario recorded on its way.
pub(crate) struct History {
    pub time_s: Vec<f64>,
    pub intake_c: Vec<f64>,
    pub thresholds_c: Vec<f64>,
    pub snapshot_time_s: Vec<f64>,
    pub snapshots: Vec<f32>,
}

/// The result of a scenario of `f`: its history, the first crossings of each threshold
/// and the end state, checked (no NaN) and with the guard rails' warnings.
pub(crate) fn finish(f: &Facility, mut end: Study, h: History) -> Result<ScenarioResult, Error> {
    // The design's inputs, and the answer at the end of the scenario.
    end.check_finite()?;
    end.warnings = crate::guard::warnings(Some(f), &end);
    let time_to_threshold_s = crossings(&h.thresholds_c, &h.time_s, &h.intake_c, f.racks.len());
    Ok(ScenarioResult {
        time_s: h.time_s,
        rack_ids: f.racks.iter().map(|r| r.id.clone()).collect(),
        intake_c: h.intake_c,
        thresholds_c: h.thresholds_c,
        time_to_threshold_s,
        snapshot_time_s: h.snapshot_time_s,
        snapshots: h.snapshots,
        end,
    })
}

/// First crossing of each threshold per rack (`intake_c`: one row of `nr` racks per
/// time of `time_s`), interpolated between recorded steps; `None`: never.
fn crossings(thresholds: &[f64], time_s: &[f64], intake_c: &[f64], nr: usize) -> Vec<Vec<Option<f64>>> {
    thresholds
        .iter()
        .map(|&th| {
            (0..nr)
                .map(|r| {
                    (0..time_s.len()).find(|&k| intake_c[k * nr + r] >= th).map(|k| {
                        if k == 0 {
                            0.0
                        } else {
                            let (a, b) = (intake_c[(k - 1) * nr + r], intake_c[k * nr + r]);
                            time_s[k - 1] + (time_s[k] - time_s[k - 1]) * ((th - a) / (b - a)).clamp(0.0, 1.0)
                        }
                    })
                })
                .collect()
        })
        .collect()
}

/// Write the end state plus `/thermal/snapshots/{T, time_s}` (one frame per chunk) and
/// `/racks/history/{time_s, intake_c}`, `/racks/time_to_threshold_s`.
pub fn write_scenario(out: &std::path::Path, s: &ScenarioResult) -> Result<(), String> {
    use crate::io::h5util::{attr_str, dataset};
    use crate::io::netcdf::{attach, coord, grid_coords, string_coord};
    let g = s.end.problem.grid;
    crate::io::results::write_results_with(out, &s.end, &s.snapshot_time_s, |f| {
        let th = f.group("thermal")?;
        let snap = th.create_group("snapshots")?;
        let frames = s.snapshot_time_s.len();
        let mut shape = vec![frames];
        shape.extend(g.shape());
        let mut chunk = vec![1];
        chunk.extend(g.shape());
        let view = ndarray::ArrayView::from_shape(ndarray::IxDyn(&shape), &s.snapshots)
            .map_err(|e| hdf5::Error::from(e.to_string()))?;
        let mut extents: Vec<hdf5::Extent> = vec![hdf5::Extent::resizable(frames)];
        extents.extend(g.shape().iter().map(|&n| hdf5::Extent::fixed(n)));
        let ds = snap.new_dataset::<f32>().shape(extents).chunk(chunk).create("T")?;
        ds.write(view)?;
        attr_str(&ds, "units", "degC")?;
        attr_str(&ds, "long_name", "temperature snapshots (f32), frames along the first axis, extendable")?;
        dataset(&snap, "time_s", &[frames], &s.snapshot_time_s, "s", "time of each snapshot")?;
        let time = coord(&snap, "time", &s.snapshot_time_s, "s", "time since the scenario started", None)?;
        attach(&snap.dataset("time_s")?, &[&time])?;
        let mut dims = vec![time];
        dims.extend(grid_coords(&snap, &g)?);
        attach(&ds, &dims.iter().collect::<Vec<_>>())?;
        let racks = f.group("racks")?;
        let h = racks.create_group("history")?;
        dataset(&h, "time_s", &[s.time_s.len()], &s.time_s, "s", "time of each step")?;
        let time = coord(&h, "time", &s.time_s, "s", "time since the scenario started", None)?;
        let rack = string_coord(&h, "rack", &s.rack_ids, "rack id")?;
        attach(&h.dataset("time_s")?, &[&time])?;
        let intake = dataset(
            &h,
            "intake_c",
            &[s.time_s.len(), s.rack_ids.len()],
            &s.intake_c,
            "degC",
            "intake temperature per step (rows) and rack (columns)",
        )?;
        attach(&intake, &[&time, &rack])?;
        let tt: Vec<f64> = s.time_to_threshold_s.iter().flat_map(|v| v.iter().map(|x| x.unwrap_or(f64::NAN))).collect();
        dataset(
            &racks,
            "time_to_threshold_s",
            &[s.thresholds_c.len(), s.rack_ids.len()],
            &tt,
            "s",
            "first time the intake reaches each threshold; NaN: never",
        )?;
        dataset(
            &racks,
            "thresholds_c",
            &[s.thresholds_c.len()],
            &s.thresholds_c,
            "degC",
            "thresholds of time_to_threshold_s",
        )?;
        let threshold =
            coord(&racks, "threshold", &s.thresholds_c, "degC", "intake threshold of time_to_threshold_s", None)?;
        attach(&racks.dataset("thresholds_c")?, &[&threshold])?;
        attach(&racks.dataset("time_to_threshold_s")?, &[&threshold, &racks.dataset("rack")?])?;
        Ok(())
    })
}

/// Lines for the terminal summary.
pub fn summary_lines(s: &ScenarioResult) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let nr = s.rack_ids.len();
    for (k, th) in s.thresholds_c.iter().enumerate() {
        let hit: Vec<(usize, f64)> =
            s.time_to_threshold_s[k].iter().enumerate().filter_map(|(r, t)| t.map(|t| (r, t))).collect();
        let first = hit.iter().min_by(|a, b| a.1.total_cmp(&b.1));
        match first {
            Some((r, t)) => {
                let _ = writeln!(
                    o,
                    "intake ≥ {th} °C: {} of {nr} racks, first {} after {t:.0} s",
                    hit.len(),
                    s.rack_ids[*r]
                );
            }
            None => {
                let _ = writeln!(o, "intake ≥ {th} °C: never (0 of {nr} racks)");
            }
        }
    }
    o
}
