//! `thermogrid._native`: the library's commands for Python, in-process. Each function
//! checks its options as the command line does, runs the library, writes the results
//! file through the same netCDF-4 writer as `thermogrid … -o` and returns the summary the
//! command line prints with `--json`. The Python package (`pysrc/thermogrid`) turns the
//! file into an `xarray.Dataset`.
//!
//! Errors raise `thermogrid.InputError` (a `ValueError`: bad input, the command line's
//! exit 2), `thermogrid.NotConvergedError` or `thermogrid.SolverError` (both
//! `RuntimeError`s: exit 1), carrying the command line's message.

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::path::Path;
use thermogrid::error::{Error, InputError};
use thermogrid::options;
use thermogrid::thermal::SolveOptions;

create_exception!(
    _native,
    InputError_,
    PyValueError,
    "Bad input: the message names the file, line:column, the item and the fix."
);
create_exception!(_native, NotConvergedError, PyRuntimeError, "A solver did not converge; nothing was written.");
create_exception!(_native, SolverError, PyRuntimeError, "A solver failed inside; nothing was written.");

fn py_err(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Input(_) | Error::Unsupported(_) => InputError_::new_err(msg),
        Error::NotConverged { .. } | Error::PowerFlowNotConverged { .. } => NotConvergedError::new_err(msg),
        Error::PowerFlowFailed(_) | Error::Internal(_) => SolverError::new_err(msg),
    }
}

fn input(e: InputError) -> Error {
    Error::Input(e)
}

/// A results file that could not be written is bad input (as on the command line).
fn write_failed(out: &str, m: String) -> Error {
    Error::Input(InputError::new(out, "output", m, "choose a writable output path with free space"))
}

fn json(v: &serde_json::Value) -> String {
    serde_json::to_string(v).expect("a summary is JSON")
}

/// A facility given as JSON text (a Python dict), as TOML text for the facility reader.
fn toml_of_json(label: &str, json_text: &str) -> Result<String, InputError> {
    let bad = |m: String| {
        InputError::new(
            label,
            "facility dict",
            m,
            "give a dict of TOML values: str, int, float, bool, lists and dicts, no None",
        )
    };
    let v: serde_json::Value = serde_json::from_str(json_text).map_err(|e| bad(e.to_string()))?;
    let t = toml::Value::try_from(v).map_err(|e| bad(e.to_string()))?;
    if !t.is_table() {
        return Err(bad("is not a table".into()));
    }
    toml::to_string(&t).map_err(|e| bad(e.to_string()))
}

/// `thermogrid solve` of a file (`path`) or of a facility dict (`facility_json`, named
/// `label` in messages); writes `out`.
#[pyfunction]
#[pyo3(signature = (path, facility_json, label, out, backend, tol, max_iter, transient, dt, steps, scheme))]
#[allow(clippy::too_many_arguments)]
fn solve(
    py: Python<'_>,
    path: Option<String>,
    facility_json: Option<String>,
    label: String,
    out: String,
    backend: String,
    tol: f64,
    max_iter: usize,
    transient: bool,
    dt: Option<f64>,
    steps: usize,
    scheme: String,
) -> PyResult<String> {
    py.detach(|| -> Result<String, Error> {
        let tol = options::tol("tol", tol)?;
        let max_iter = options::count("max_iter", max_iter, 1_000_000)?;
        let dt = dt.map(|d| options::dt("dt", d)).transpose()?;
        let steps = options::count("steps", steps, thermogrid::thermal::transient::MAX_STEPS)?;
        let backend = options::backend("backend", &backend)?;
        let opts = SolveOptions { tol, max_iter, ..Default::default() };
        let out_path = Path::new(&out);
        // The facility: read from its file, or from the dict's TOML.
        let facility = match (&path, &facility_json) {
            (Some(p), _) if thermogrid::io::fields::is_hdf5(p) => None,
            (Some(p), _) => Some(thermogrid::facility::load(p)?),
            (None, Some(j)) => Some(thermogrid::facility::load_str(&label, &toml_of_json(&label, j).map_err(input)?)?),
            (None, None) => unreachable!("the Python side passes a path or a dict"),
        };
        if transient {
            if let Some(f) = facility.as_ref().filter(|f| f.transient.is_some()) {
                let sc = thermogrid::scenario::run_scenario(f, backend, &opts, dt)?;
                thermogrid::scenario::write_scenario(out_path, &sc).map_err(|m| write_failed(&out, m))?;
                let mut j = thermogrid::report::json_summary(&sc.end, Some(&out));
                j["time_to_threshold_s"] = serde_json::json!(sc
                    .thresholds_c
                    .iter()
                    .zip(&sc.time_to_threshold_s)
                    .map(|(th, v)| serde_json::json!({
                        "threshold_c": th,
                        "racks": sc.rack_ids.iter().zip(v).map(|(id, t)| serde_json::json!({"id": id, "time_s": t})).collect::<Vec<_>>(),
                    }))
                    .collect::<Vec<_>>());
                return Ok(json(&j));
            }
            let Some(p) = &path else {
                return Err(input(InputError::new(
                    &label,
                    "transient",
                    "a facility dict marches in time only through its scenario",
                    "give the dict a \"transient\" table (dt_s, duration_s, events)",
                )));
            };
            let Some(dt) = dt else {
                return Err(input(InputError::new("command line", "dt", "a transient solve needs a time step", "give dt=SECONDS (> 0)")));
            };
            let scheme = match scheme.as_str() {
                "backward-euler" => thermogrid::thermal::transient::Scheme::BackwardEuler,
                "crank-nicolson" => thermogrid::thermal::transient::Scheme::CrankNicolson,
                "forward-euler" => thermogrid::thermal::transient::Scheme::ForwardEuler,
                s => {
                    return Err(input(InputError::new(
                        "command line",
                        "scheme",
                        format!("{s:?} is not a time scheme"),
                        "give \"backward-euler\", \"crank-nicolson\" or \"forward-euler\"",
                    )))
                }
            };
            let study = thermogrid::run::transient_file(p, backend, scheme, dt, steps, tol, max_iter)?;
            thermogrid::io::results::write_results(out_path, &study).map_err(|m| write_failed(&out, m))?;
            return Ok(json(&thermogrid::report::json_summary(&study, Some(&out))));
        }
        let t0 = std::time::Instant::now();
        let study = match (facility, &path) {
            (Some(f), _) => thermogrid::run::solve_input(
                thermogrid::run::Input::Facility(Box::new(f)),
                path.as_deref().unwrap_or(&label),
                backend,
                &opts,
                t0,
            )?,
            (None, Some(p)) => thermogrid::run::solve_file(p, backend, &opts)?,
            (None, None) => unreachable!("a dict is a facility"),
        };
        thermogrid::io::results::write_results(out_path, &study).map_err(|m| write_failed(&out, m))?;
        Ok(json(&thermogrid::report::json_summary(&study, Some(&out))))
    })
    .map_err(py_err)
}

/// `thermogrid powerflow [--ac]` of a MATPOWER case or a facility's network; writes `out`.
#[pyfunction]
#[pyo3(signature = (path, out, ac, enforce_q_lims, tol, max_iter))]
fn powerflow(
    py: Python<'_>,
    path: String,
    out: String,
    ac: bool,
    enforce_q_lims: bool,
    tol: f64,
    max_iter: usize,
) -> PyResult<String> {
    py.detach(|| -> Result<String, Error> {
        if !ac && enforce_q_lims {
            return Err(input(InputError::new(
                "command line",
                "enforce_q_lims",
                "reactive limits exist only in the AC model",
                "pass ac=True",
            )));
        }
        let tol = options::tol("tol", tol)?;
        let max_iter = options::count("max_iter", max_iter, 1000)?;
        let (net, _loads, idx) = thermogrid::power::read_network_indexed(&path)?;
        let out_path = Path::new(&out);
        let t0 = std::time::Instant::now();
        if ac {
            let opts = thermogrid::power::AcOptions { tol_pu: tol, max_iter, enforce_q_lims };
            let r = thermogrid::power::AcPowerFlow::build(&net, &idx)?.solve(&net, &opts)?;
            let secs = t0.elapsed().as_secs_f64();
            let totals = thermogrid::power::ac_output::ac_totals(&net, &r);
            thermogrid::io::power::write_powerflow_ac(out_path, &net, &r, enforce_q_lims)
                .map_err(|m| write_failed(&out, m))?;
            return Ok(json(&thermogrid::power::ac_output::json_summary(
                &net,
                &r,
                &totals,
                Some(&out),
                secs,
                enforce_q_lims,
            )));
        }
        let pf = thermogrid::power::DcPowerFlow::build(&net, &idx)?;
        let r = pf.solve_checked(&net)?;
        let secs = t0.elapsed().as_secs_f64();
        let totals = thermogrid::power::output::totals(&net, &r, &pf);
        thermogrid::io::power::write_powerflow(out_path, &net, &r).map_err(|m| write_failed(&out, m))?;
        Ok(json(&thermogrid::power::output::json_summary(&net, &r, &totals, Some(&out), secs)))
    })
    .map_err(py_err)
}

/// `thermogrid contingency`: DC N-1 over every in-service branch; writes `out`.
#[pyfunction]
#[pyo3(signature = (path, out, threshold, full, backend, top))]
fn contingency(
    py: Python<'_>,
    path: String,
    out: String,
    threshold: f64,
    full: bool,
    backend: String,
    top: usize,
) -> PyResult<String> {
    py.detach(|| -> Result<String, Error> {
        let threshold = options::threshold_pct("threshold", threshold)?;
        let backend = options::backend("backend", &backend)?;
        let (net, _) = thermogrid::power::read_network(&path)?;
        let t0 = std::time::Instant::now();
        let pf = thermogrid::power::DcPowerFlow::new(&net)?;
        let base = pf.solve_checked(&net)?;
        let (n1, used) = thermogrid::power::screen::screen(&pf, &net, &base.pf_mw, threshold, full, backend)?;
        let secs = t0.elapsed().as_secs_f64();
        thermogrid::io::power::write_contingency(Path::new(&out), &net, &n1, threshold, used.clone())
            .map_err(|m| write_failed(&out, m))?;
        Ok(json(&thermogrid::power::screen::json_summary(&net, &n1, top, secs, used, Some(&out))))
    })
    .map_err(py_err)
}

/// `thermogrid contingency FILE --facility` (a campus file needs no flag): every element
/// of the facility's or campus's network lost in turn, then the room transients of the
/// `thermal` most severe outages per room; writes `out` (and, with `worst_files`, the
/// scenario files and heat maps of its three most severe simulated outages beside it,
/// on a campus one per hall each touches).
#[pyfunction]
#[pyo3(signature = (path, out, thermal, dt, duration, worst_files))]
fn facility_contingency(
    py: Python<'_>,
    path: String,
    out: String,
    thermal: usize,
    dt: f64,
    duration: f64,
    worst_files: bool,
) -> PyResult<String> {
    use thermogrid::outage::study;
    py.detach(|| -> Result<String, Error> {
        let o = study::Options {
            thermal,
            dt_s: options::dt("dt", dt)?,
            duration_s: options::dt("duration", duration)?,
            backend: thermogrid::backend::Backend::Auto,
        };
        let s = study::run(&path, &o, ("dt", "duration"), Some(Path::new(&out)), worst_files)?;
        Ok(json(&s.json(Some(&out))))
    })
    .map_err(py_err)
}

/// `thermogrid timeseries`: a training job's power through the network; writes `out`.
#[pyfunction]
#[pyo3(signature = (path, out, profile, steps, dt, no_battery, keep_busy, backend))]
#[allow(clippy::too_many_arguments)]
fn timeseries(
    py: Python<'_>,
    path: String,
    out: String,
    profile: Option<String>,
    steps: Option<usize>,
    dt: Option<f64>,
    no_battery: bool,
    keep_busy: bool,
    backend: String,
) -> PyResult<String> {
    use thermogrid::power::timeseries as ts;
    py.detach(|| -> Result<String, Error> {
        let steps = steps.map(|s| options::count("steps", s, usize::MAX)).transpose()?;
        let dt = dt.map(|d| options::dt("dt", d)).transpose()?;
        let backend = options::backend("backend", &backend)?;
        let p = ts::profile_for(profile.as_deref(), steps.map(|s| (s, "steps")), dt.map(|d| (d, "dt")), keep_busy)?;
        let (net, loads) = thermogrid::power::read_network(&path)?;
        let it = ts::it_by_bus(&net, loads.as_ref().map(|l| l.it_mw_by_bus.as_slice()));
        let battery = if no_battery { None } else { ts::battery_for(&p, &net, loads.as_ref())? };
        let t0 = std::time::Instant::now();
        let r = ts::run(&net, &it, battery, &p, backend)?;
        let secs = t0.elapsed().as_secs_f64();
        thermogrid::io::power::write_timeseries(Path::new(&out), &net, &r).map_err(|m| write_failed(&out, m))?;
        Ok(json(&ts::json_summary(&net, &r, secs, Some(&out))))
    })
    .map_err(py_err)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(solve, m)?)?;
    m.add_function(wrap_pyfunction!(powerflow, m)?)?;
    m.add_function(wrap_pyfunction!(contingency, m)?)?;
    m.add_function(wrap_pyfunction!(facility_contingency, m)?)?;
    m.add_function(wrap_pyfunction!(timeseries, m)?)?;
    m.add("InputError", m.py().get_type::<InputError_>())?;
    m.add("NotConvergedError", m.py().get_type::<NotConvergedError>())?;
    m.add("SolverError", m.py().get_type::<SolverError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
