//! `thermogrid batch`: many facility files (and their declared sweeps) solved into one
//! output directory, in parallel, resumably, with a summary table.
//!
//! - Inputs: a directory (every `.toml` in it) or a pattern with `*` in the file name.
//! - Each case writes `OUTDIR/<stem>[__<sweep case>].h5` (+ `.xmf`). A case whose output
//!   exists and records the same run key is skipped (resume). The run key hashes
//!   everything that changes the answer: the input bytes, the sweep case, the solver
//!   options (tolerance, iteration limit, method), the backend and the program version
//!   (the model, diffusion or airflow, is part of the input).
//! - A failing case is reported and the rest continue; the summary (`summary.csv`,
//!   `summary.json`) lists every case with its status and key metrics.

use crate::error::{Error, InputError};
use crate::facility;
use crate::io::h5util::{attr_str, read_attr_str, write_file_atomic};
use crate::run::{solve_input, Backend, Input};
use crate::thermal::SolveOptions;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// One case's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct CaseResult {
    pub case: String,
    pub input: String,
    pub output: String,
    /// "ok", "skipped" (up to date) or "failed".
    pub status: String,
    pub error: Option<String>,
    /// For a failed case, the exit code `thermogrid solve` would give it (2 bad input,
    /// 1 not converged or failed inside).
    pub exit_code: Option<i32>,
    pub max_temperature_c: Option<f64>,
    pub max_intake_c: Option<f64>,
    pub rci_hi_pct: Option<f64>,
    pub pue: Option<f64>,
    pub iterations: Option<usize>,
    pub wall_s: Option<f64>,
}

/// The input files of a batch: a directory's `.toml` files, or a `dir/pre*post` pattern.
pub fn expand_inputs(spec: &str) -> Result<Vec<PathBuf>, InputError> {
    let p = Path::new(spec);
    let (dir, pat) = if p.is_dir() {
        (p.to_path_buf(), "*.toml".to_string())
    } else {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
        (dir, p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default())
    };
    let (pre, post) = match pat.split_once('*') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (pat.clone(), String::new()),
    };
    let wild = pat.contains('*');
    let rd = std::fs::read_dir(&dir).map_err(|e| {
        InputError::new(
            spec,
            "batch inputs",
            format!("cannot read {}: {e}", dir.display()),
            "give a directory or a pattern such as meshes/*.toml",
        )
    })?;
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.is_file())
        .filter(|f| {
            let n = f.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            if wild {
                n.len() >= pre.len() + post.len() && n.starts_with(&pre) && n.ends_with(&post)
            } else {
                n == pat
            }
        })
        .collect();
    v.sort();
    if v.is_empty() {
        return Err(InputError::new(
            spec,
            "batch inputs",
            "matches no file",
            "give a directory of .toml facility files or a pattern such as meshes/*.toml",
        ));
    }
    Ok(v)
}

/// The resume key of a case: SHA-256 over its input bytes, sweep case, solver options,
/// backend and program version.
pub fn run_key(input: &Path, sweep_case: &str, backend: Backend, opts: &SolveOptions) -> Option<String> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(input).ok()?;
    let mut h = Sha256::new();
    h.update(&bytes);
    h.update(
        format!(
            "\0sweep={sweep_case}\0tol={:e}\0max_iter={}\0method={}\0backend={}\0version={}",
            opts.tol,
            opts.max_iter,
            opts.method.name(),
            backend.name(),
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes(),
    );
    Some(format!("{:x}", h.finalize()))
}

/// Metrics of an existing output (for skipped cases).
fn read_back(out: &Path) -> (Option<f64>, Option<f64>, Option<f64>) {
    let Ok(f) = hdf5::File::open(out) else { return (None, None, None) };
    let max = |ds: &str| f.dataset(ds).ok().and_then(|d| d.read_raw::<f64>().ok()).map(|v| crate::outcome::nan_max(v));
    let pue = f.group("coupling").ok().and_then(|g| g.attr("pue").ok()).and_then(|a| a.read_scalar::<f64>().ok());
    (max("thermal/T"), max("racks/intake_c"), pue)
}

struct Case {
    input: PathBuf,
    sweep: Option<facility::SweepCase>,
    name: String,
    output: PathBuf,
}

/// Run a batch; `progress` sees each case as it finishes (with the count done).
pub fn run_batch(
    inputs: &[PathBuf],
    outdir: &Path,
    jobs: usize,
    backend: Backend,
    opts: &SolveOptions,
    progress: impl Fn(usize, usize, &CaseResult) + Sync,
) -> Result<Vec<CaseResult>, Error> {
    std::fs::create_dir_all(outdir).map_err(|e| {
        InputError::new(
            &outdir.display().to_string(),
            "output directory",
            format!("cannot create it: {e}"),
            "choose a writable directory",
        )
    })?;
    crate::io::h5util::check_writable(&outdir.join("probe.h5")).map_err(|m| {
        InputError::new(&outdir.display().to_string(), "output directory", m, "choose a writable directory")
    })?;
    // Expand sweeps; a file that does not even parse is one failing case.
    let mut cases = Vec::new();
    let mut early = Vec::new();
    for input in inputs {
        let stem = input.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        match facility::load(&input.display().to_string()) {
            Ok(f) => {
                let sweep = f.sweep_cases();
                let swept = f.sweep.is_some();
                for c in sweep {
                    let name = format!("{stem}{}", c.suffix);
                    cases.push(Case {
                        input: input.clone(),
                        output: outdir.join(format!("{name}.h5")),
                        name,
                        sweep: swept.then_some(c),
                    });
                }
            }
            Err(e) => early.push(CaseResult {
                case: stem.clone(),
                input: input.display().to_string(),
                output: String::new(),
                status: "failed".into(),
                error: Some(e.to_string()),
                exit_code: Some(2),
                max_temperature_c: None,
                max_intake_c: None,
                rci_hi_pct: None,
                pue: None,
                iterations: None,
                wall_s: None,
            }),
        }
    }
    let total = cases.len() + early.len();
    let done = AtomicUsize::new(0);
    for r in &early {
        progress(done.fetch_add(1, Ordering::SeqCst) + 1, total, r);
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, CaseResult)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(c) = cases.get(i) else { break };
                let r = run_case(c, backend, opts);
                progress(done.fetch_add(1, Ordering::SeqCst) + 1, total, &r);
                results.lock().expect("results").push((i, r));
            });
        }
    });
    let mut v = results.into_inner().expect("results");
    v.sort_by_key(|(i, _)| *i);
    let mut out = early;
    out.extend(v.into_iter().map(|(_, r)| r));
    write_summary(outdir, &out)?;
    Ok(out)
}

fn run_case(c: &Case, backend: Backend, opts: &SolveOptions) -> CaseResult {
    let input = c.input.display().to_string();
    let suffix = c.sweep.as_ref().map(|s| s.suffix.clone()).unwrap_or_default();
    let key = run_key(&c.input, &suffix, backend, opts);
    let mut r = CaseResult {
        case: c.name.clone(),
        input: input.clone(),
        output: c.output.display().to_string(),
        status: "ok".into(),
        error: None,
        exit_code: None,
        max_temperature_c: None,
        max_intake_c: None,
        rci_hi_pct: None,
        pue: None,
        iterations: None,
        wall_s: None,
    };
    // Resume: the same run key (input, sweep case, options, backend, version).
    if let (true, Some(key)) = (c.output.exists(), &key) {
        if let Ok(f) = hdf5::File::open(&c.output) {
            if read_attr_str(&f, "run_key").as_deref() == Some(key.as_str()) {
                let (t, i, p) = read_back(&c.output);
                r.status = "skipped".into();
                (r.max_temperature_c, r.max_intake_c, r.pue) = (t, i, p);
                return r;
            }
        }
    }
    let t0 = Instant::now();
    let solved = facility::load(&input).map_err(Error::from).and_then(|mut f| {
        if let Some(s) = &c.sweep {
            f.apply(s);
        }
        solve_input(Input::Facility(Box::new(f)), &input, backend, opts, t0)
    });
    match solved {
        Ok(study) => {
            // The case's attributes go in before the file is renamed into place.
            let written = crate::io::results::write_results_with(&c.output, &study, |f| {
                attr_str(f, "sweep_case", &suffix)?;
                attr_str(f, "run_key", key.as_deref().unwrap_or(""))
            });
            if let Err(e) = written {
                r.status = "failed".into();
                r.error = Some(e);
                r.exit_code = Some(2);
                return r;
            }
            r.max_temperature_c = Some(crate::report::max_temperature_c(&study));
            r.max_intake_c =
                (!study.racks.is_empty()).then(|| crate::outcome::nan_max(study.racks.iter().map(|x| x.intake_c)));
            r.rci_hi_pct = crate::report::rci(&study).0;
            r.pue = study.coupling.as_ref().and_then(|c| c.pue);
            r.iterations = Some(study.report.iterations);
            r.wall_s = Some(study.wall_s);
        }
        Err(e) => {
            r.status = "failed".into();
            r.error = Some(e.to_string());
            r.exit_code = Some(e.exit_code());
        }
    }
    r
}

fn write_summary(outdir: &Path, rs: &[CaseResult]) -> Result<(), Error> {
    let f = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    let mut csv =
        String::from("case,status,max_temperature_c,max_intake_c,rci_hi_pct,pue,iterations,wall_s,output,error\n");
    for r in rs {
        let err = r.error.as_deref().unwrap_or("").replace(['\n', ','], " ");
        csv += &format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            r.case,
            r.status,
            f(r.max_temperature_c),
            f(r.max_intake_c),
            f(r.rci_hi_pct),
            f(r.pue),
            r.iterations.map(|i| i.to_string()).unwrap_or_default(),
            f(r.wall_s),
            r.output,
            err
        );
    }
    let io = |e: String| {
        Error::Input(InputError::new(&outdir.display().to_string(), "summary", e, "choose a writable directory"))
    };
    // Each summary is written atomically: a killed run leaves the previous one whole.
    let json = serde_json::to_string_pretty(rs).map_err(|e| Error::Internal(format!("summary.json: {e}")))?;
    write_file_atomic(&outdir.join("summary.csv"), csv.as_bytes()).map_err(io)?;
    write_file_atomic(&outdir.join("summary.json"), json.as_bytes()).map_err(io)?;
    Ok(())
}
