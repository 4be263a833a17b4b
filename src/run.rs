//! One steady study, from an input file to results: the library side of
//! `thermogrid solve`.

pub use crate::backend::Backend;
use crate::backend::{gpu_for, run_on};
use crate::error::{Error, InputError};
use crate::facility::{self, Facility};
use crate::io::fields::{is_hdf5, read_fields};
use crate::metrics::{cooling_results, rack_results};
use crate::raster::rasterize;
pub use crate::study::Study;
use crate::thermal::energy::energy_balance;
use crate::thermal::{solve_steady, SolveOptions, SolveReport, ThermalProblem};
use sha2::{Digest, Sha256};
use std::time::Instant;

/// A facility file (TOML) or a fields file (HDF5), told apart by the HDF5 signature.
pub enum Input {
    Facility(Box<Facility>),
    Fields(Box<crate::io::fields::FieldsFile>),
}

pub fn read_input(path: &str) -> Result<Input, InputError> {
    if is_hdf5(path) {
        Ok(Input::Fields(Box::new(read_fields(path)?)))
    } else {
        Ok(Input::Facility(Box::new(facility::load(path)?)))
    }
}

fn sha256_file(path: &str) -> String {
    std::fs::read(path).map(|b| format!("{:x}", Sha256::digest(&b))).unwrap_or_default()
}

/// The airflow model on the chosen backend, as [`solve_on`] chooses (`auto`: a hardware
/// GPU if there is one, falling back to the CPU if the GPU path fails), and the seconds
/// the model took (adapter discovery excluded, as for the diffusion solve).
fn airflow_on(
    f: &crate::facility::Facility,
    r: &crate::raster::Raster,
    s: &crate::facility::AirflowSettings,
    tol: f64,
    max_iter: usize,
    backend: Backend,
) -> Result<(crate::airflow::facility::AirflowSolution, f64), Error> {
    let ctx =
        gpu_for(backend).map_err(|e| Error::Internal(format!("{}: {e}", crate::airflow::facility::GPU_FAILED)))?;
    let t0 = Instant::now();
    airflow_with(f, r, s, tol, max_iter, backend, ctx).map(|a| (a, t0.elapsed().as_secs_f64()))
}

fn airflow_with(
    f: &crate::facility::Facility,
    r: &crate::raster::Raster,
    s: &crate::facility::AirflowSettings,
    tol: f64,
    max_iter: usize,
    backend: Backend,
    ctx: Option<crate::gpu::GpuContext>,
) -> Result<crate::airflow::facility::AirflowSolution, Error> {
    use crate::airflow::facility::{solve_on as air, GPU_FAILED};
    run_on(
        backend,
        ctx.as_ref(),
        "airflow solve",
        |c| air(f, r, s, tol, max_iter, Some(c)),
        || air(f, r, s, tol, max_iter, None),
        |e| matches!(e, Error::Internal(m) if m.starts_with(GPU_FAILED)),
    )
}

/// Solve on the chosen backend (the policy of [`crate::backend`]).
pub fn solve_on(
    problem: &ThermalProblem,
    opts: &SolveOptions,
    backend: Backend,
) -> Result<crate::thermal::SteadySolution, crate::thermal::SolveError> {
    use crate::thermal::SolveError;
    let ctx = gpu_for(backend).map_err(|e| SolveError::Setup(e.to_string()))?;
    run_on(
        backend,
        ctx.as_ref(),
        "solve",
        |c| crate::thermal::gpu::solve_steady_gpu(c, problem, opts),
        || solve_steady(problem, opts),
        |e| matches!(e, SolveError::Setup(_)),
    )
}

/// Solve the steady problem of `path`.
pub fn solve_file(path: &str, backend: Backend, opts: &SolveOptions) -> Result<Study, Error> {
    let t0 = Instant::now();
    let input = read_input(path)?;
    solve_input(input, path, backend, opts, t0)
}

/// Solve an input already read (a facility, possibly changed by a sweep, or a fields file).
pub fn solve_input(
    input: Input,
    path: &str,
    backend: Backend,
    opts: &SolveOptions,
    t0: Instant,
) -> Result<Study, Error> {
    // Facility inputs keep their rasterization for the rack and cooling metrics.
    let (name, sha, raster, fac, fields) = match input {
        Input::Facility(f) => {
            let r = rasterize(&f)?;
            (f.name.clone(), f.input_sha256.clone(), Some(r), Some(f), None)
        }
        Input::Fields(ff) => {
            let name =
                std::path::Path::new(path).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            (name, sha256_file(path), None, None, Some(ff))
        }
    };
    let problem = match (&raster, &fields) {
        (Some(r), _) => &r.problem,
        (None, Some(ff)) => &ff.problem,
        (None, None) => unreachable!("an input is a facility or a fields file"),
    };
    // The airflow model, when the facility enables it. Its energy solve stops at a
    // relative residual of 1e-12 at the tightest.
    let air_tol = opts.tol.max(1e-12);
    let air = match (&fac, &raster) {
        (Some(f), Some(r)) => match &f.airflow {
            Some(a) => Some(airflow_on(f, r, a, air_tol, opts.max_iter, backend)?),
            None => None,
        },
        _ => None,
    };
    let sol = if let Some((a, air_s)) = &air {
        crate::thermal::SteadySolution {
            t: a.t.clone(),
            report: crate::thermal::SolveReport {
                backend: a.backend,
                method: a.model,
                iterations: a.solver_iterations,
                relative_residual: a.relative_residual,
                converged: crate::outcome::converged(a.relative_residual, air_tol),
                tol: air_tol,
                levels: 0,
                setup_s: 0.0,
                // Everything the airflow model does: potential, operator, multigrids, solve.
                solve_s: *air_s,
                solver_bytes: 0,
            },
        }
    } else {
        solve_on(problem, opts, backend).map_err(|e| match e {
            crate::thermal::SolveError::Problem(p) => {
                let fix = match p {
                    crate::thermal::ProblemError::NoHeatPath => {
                        "add a [[cooling]] unit or a [[supply]] region, or give a wall in [floor.walls] a temperature"
                    }
                    _ => "correct the field values",
                };
                Error::Input(InputError::new(path, "thermal problem", p.to_string(), fix))
            }
            crate::thermal::SolveError::Setup(s) => Error::Internal(s),
        })?
    };
    let r = &sol.report;
    match crate::outcome::Outcome::of(r.iterations, r.relative_residual, r.tol) {
        crate::outcome::Outcome::Converged { .. } if r.converged => {}
        crate::outcome::Outcome::Failed(m) => return Err(Error::Internal(format!("the solve broke down: {m}"))),
        _ => {
            return Err(Error::NotConverged {
                iterations: r.iterations,
                relative_residual: r.relative_residual,
                tol: r.tol,
            })
        }
    }
    let air = air.map(|(a, _)| a);
    // The airflow model keeps its own balance (its conductivities, links and units).
    let energy = match &air {
        Some(a) => a.energy.clone(),
        None => energy_balance(problem, &sol.t),
    };
    let (racks, mut cooling, liquid_heat_w, cdu_capacity_w) = match (&fac, &raster) {
        (Some(f), Some(r)) => (
            rack_results(f, r, &sol.t),
            cooling_results(f, r, &sol.t),
            f.racks.iter().map(|r| r.liquid_heat_w()).sum(),
            f.cooling.iter().filter(|u| !u.is_air_side()).map(|u| u.capacity_kw * 1e3).sum(),
        ),
        _ => (vec![], vec![], 0.0, 0.0),
    };
    if let (Some(a), Some(f)) = (&air, &fac) {
        for c in cooling.iter_mut() {
            if let Some(ui) = f.cooling.iter().position(|u| u.id == c.id) {
                c.removed_kw = a.removed_w[ui] / 1e3;
                c.load_pct = 100.0 * a.removed_w[ui] / (f.cooling[ui].capacity_kw * 1e3);
            }
        }
    }
    let airflow_mass_residual = air.as_ref().map(|a| a.mass_residual);
    let velocity_m_s = air.as_ref().map(|a| a.fluxes.cell_velocity(&problem.grid));
    let expected_error_k = fields.as_ref().and_then(|ff| {
        ff.t_expected
            .as_ref()
            .map(|te| (crate::outcome::nan_max(te.iter().zip(&sol.t).map(|(a, b)| (a - b).abs())), ff.atol_f64_k))
    });
    let t_amb = fields.as_ref().map(|ff| ff.t_amb);
    let coupling = match &fac {
        Some(f) => crate::coupling::couple(f, &cooling)?,
        None => None,
    };
    let (problem, material) = match (raster, fields) {
        (Some(r), _) => (r.problem, Some(r.material)),
        (None, Some(ff)) => (ff.problem, None),
        (None, None) => unreachable!("an input is a facility or a fields file"),
    };
    let mut study = Study {
        name,
        input_path: path.to_string(),
        input_sha256: sha,
        problem,
        material,
        t: sol.t,
        report: sol.report,
        wall_s: t0.elapsed().as_secs_f64(),
        energy,
        racks,
        cooling,
        liquid_heat_w,
        cdu_capacity_w,
        expected_error_k,
        t_amb,
        coupling,
        airflow_mass_residual,
        velocity_m_s,
        warnings: vec![],
    };
    study.check_finite()?;
    study.warnings = crate::guard::warnings(fac.as_deref(), &study);
    Ok(study)
}

/// March a fields file (or a facility, with air's rho_cp everywhere and the mean supply
/// temperature as the initial field) through `steps` steps of `dt`; the result is the
/// final field. `T_initial` of a fields file defaults to uniform `T_amb`.
pub fn transient_file(
    path: &str,
    backend: Backend,
    scheme: crate::thermal::transient::Scheme,
    dt: f64,
    steps: usize,
    tol: f64,
    max_iter: usize,
) -> Result<Study, Error> {
    use crate::thermal::transient::{run_transient_with, Engine, TransientError};
    let t0 = Instant::now();
    let mut warnings = Vec::new();
    let (name, sha, problem, rho, init, material, t_amb) = match read_input(path)? {
        Input::Fields(ff) => {
            let n = ff.problem.grid.cells();
            let rho = ff.rho_cp.clone().ok_or_else(|| {
                InputError::new(
                    path,
                    "dataset rho_cp",
                    "is missing: a transient solve needs the volumetric heat capacity",
                    "add rho_cp (J/(m³·K)) to the fields file",
                )
            })?;
            let init = ff.t_initial.clone().unwrap_or_else(|| vec![ff.t_amb; n]);
            let name =
                std::path::Path::new(path).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            (name, sha256_file(path), ff.problem, rho, init, None, Some(ff.t_amb))
        }
        Input::Facility(f) => {
            warnings = crate::guard::input_warnings(&f);
            let r = rasterize(&f)?;
            let n = r.problem.grid.cells();
            let ts: Vec<f64> = r.problem.t_s.iter().copied().filter(|t| t.is_finite()).collect();
            let t_init = if ts.is_empty() { 20.0 } else { ts.iter().sum::<f64>() / ts.len() as f64 };
            (
                f.name.clone(),
                f.input_sha256.clone(),
                r.problem,
                vec![f.materials.air_rho_cp_j_m3k; n],
                vec![t_init; n],
                Some(r.material),
                None,
            )
        }
    };
    let gpu_ctx = gpu_for(backend).map_err(|e| Error::Internal(e.to_string()))?;
    // Each implicit step's increment solve stops at `tol`, or at 1e-7 at the tightest on
    // a GPU (f32 with refinement; the increment's rounding stays relative to the change).
    let map = |step_tol: f64| {
        move |e: TransientError| match e {
            TransientError::Unstable { .. }
            | TransientError::BadRhoCp { .. }
            | TransientError::BadStep { .. }
            | TransientError::Problem(_) => Error::Input(InputError::new(
                path,
                "transient",
                e.to_string(),
                "choose a stable step or fix the fields",
            )),
            TransientError::NotConverged { step, rel } => {
                Error::NotConverged { iterations: step, relative_residual: rel, tol: step_tol }
            }
            other => Error::Internal(other.to_string()),
        }
    };
    let t1 = Instant::now();
    let march = |engine: Engine, step_tol: f64| {
        run_transient_with(&problem, &rho, &init, scheme, dt, steps, step_tol, max_iter, engine, &mut |_, _| {})
            .map(|m| (m, step_tol))
            .map_err(map(step_tol))
    };
    let used_gpu = std::cell::Cell::new(false);
    let (marched, step_tol) = run_on(
        backend,
        gpu_ctx.as_ref(),
        "transient",
        |c| {
            used_gpu.set(true);
            march(Engine::Gpu(c), tol.max(1e-7))
        },
        || {
            used_gpu.set(false);
            march(Engine::Cpu, tol)
        },
        |e| matches!(e, Error::Internal(_) | Error::NotConverged { .. }),
    )?;
    let t = marched.t;
    let solve_s = t1.elapsed().as_secs_f64();
    let energy = energy_balance(&problem, &t);
    let method: &'static str = match scheme {
        crate::thermal::transient::Scheme::BackwardEuler => "transient backward-euler",
        crate::thermal::transient::Scheme::CrankNicolson => "transient crank-nicolson",
        crate::thermal::transient::Scheme::ForwardEuler => "transient forward-euler",
    };
    let study = Study {
        name,
        input_path: path.to_string(),
        input_sha256: sha,
        problem,
        material,
        t,
        report: SolveReport {
            backend: if used_gpu.get() { "gpu" } else { "cpu" },
            method,
            iterations: steps,
            // Every step converged; the largest residual any step ended at.
            relative_residual: marched.worst_step_residual,
            converged: true,
            tol: step_tol,
            levels: 0,
            setup_s: 0.0,
            solve_s,
            solver_bytes: 0,
        },
        wall_s: t0.elapsed().as_secs_f64(),
        energy,
        racks: vec![],
        cooling: vec![],
        liquid_heat_w: 0.0,
        cdu_capacity_w: 0.0,
        expected_error_k: None,
        t_amb,
        coupling: None,
        airflow_mass_residual: None,
        velocity_m_s: None,
        warnings,
    };
    study.check_finite()?;
    Ok(study)
}
