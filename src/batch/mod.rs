//! `thermogrid batch`: many facility files (and their declared sweeps) solved into one
//! output directory, in parallel, resumably, on one machine or split over many.
//!
//! - Inputs: a directory (every `.toml` in it) or a pattern with `*` in the file name.
//! - The plan: every input's sweep expanded ([`crate::facility::Facility::sweep_cases`]),
//!   inputs in name order; `plan.json` lists it. A shard ([`shard`]) runs every N-th case.
//! - Each case writes `OUTDIR/<stem>[__<sweep case>].h5` (+ `.xmf`) and its record
//!   `OUTDIR/cases/<case>.json`. A case whose output and record exist with the same run
//!   key is skipped (resume; a rerun of a shard redoes only what is missing or failed).
//!   The run key hashes everything that changes the answer: the input bytes (and a
//!   variant's fragment file), the sweep case, the solver options (tolerance, iteration
//!   limit, method), the backend and the program version.
//! - A failing case is recorded and the rest continue. The summary ([`summary`]) merges
//!   the records of every shard; an unsharded batch writes it at the end, and
//!   `thermogrid summarize OUTDIR` writes it after a sharded one.

pub mod report;
pub mod shard;
pub mod summary;

use crate::error::{Error, InputError};
use crate::facility;
use crate::io::h5util::{attr_str, read_attr_str};
use crate::run::{solve_input, Backend, Input};
use crate::thermal::SolveOptions;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// One case's outcome (its record, and a row of the summary).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CaseResult {
    pub case: String,
    pub input: String,
    /// The results file, in the output directory.
    pub output: String,
    /// "ok", "skipped" (up to date), "failed", or in a summary "missing" (not run yet).
    pub status: String,
    /// Swept values by name (`variant`, `supply_c`, dotted paths), as in `[sweep]`.
    #[serde(default)]
    pub values: Vec<(String, String)>,
    pub error: Option<String>,
    /// For a failed case, the exit code `thermogrid solve` would give it (2 bad input,
    /// 1 not converged or failed inside).
    pub exit_code: Option<i32>,
    /// "cfd", "potential" or "diffusion".
    pub air_model: Option<String>,
    /// Hottest rack intake (face mean), °C.
    pub max_intake_c: Option<f64>,
    /// Mean rack intake, °C.
    pub mean_intake_c: Option<f64>,
    pub racks: Option<usize>,
    /// Racks whose intake is above the ASHRAE recommended 27 °C.
    pub racks_over_27c: Option<usize>,
    /// Racks whose intake is above the ASHRAE A1 allowable 32 °C.
    pub racks_over_32c: Option<usize>,
    /// Rack Cooling Index, high and low side, %.
    pub rci_hi_pct: Option<f64>,
    pub rci_lo_pct: Option<f64>,
    /// Cooling units asked for more than their capacity.
    pub overloaded_units: Option<usize>,
    /// IT power, MW.
    pub it_mw: Option<f64>,
    /// Electric draw of the cooling units, MW.
    pub cooling_mw: Option<f64>,
    /// Facility input, MW: the network's generation where there is a `[network]`, else
    /// IT + cooling.
    pub facility_mw: Option<f64>,
    /// Facility MW / IT MW.
    pub pue: Option<f64>,
    /// Hottest cell, °C.
    pub max_temperature_c: Option<f64>,
    pub iterations: Option<usize>,
    /// Whole case, s (record and timings.csv only).
    pub wall_s: Option<f64>,
    /// The solver's own time (set-up and solve of the temperature field), s (record and
    /// timings.csv only): `wall_s` less this is the batch's overhead for the case.
    #[serde(default)]
    pub solve_s: Option<f64>,
    /// The run key its output was written with (record only).
    #[serde(default)]
    pub run_key: Option<String>,
}

impl CaseResult {
    pub fn new(case: &str, input: &str, output: &str, values: Vec<(String, String)>) -> Self {
        CaseResult {
            case: case.into(),
            input: input.into(),
            output: output.into(),
            status: "ok".into(),
            values,
            ..Default::default()
        }
    }
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

/// The resume key of a case: SHA-256 over its input bytes (and a variant's fragment
/// file), sweep case, solver options, backend and program version. `digests` caches each
/// input's hash (a sweep's cases share one file).
pub fn run_key(
    input: &Path,
    sweep: Option<&facility::SweepCase>,
    backend: Backend,
    opts: &SolveOptions,
    digests: &mut std::collections::HashMap<PathBuf, Option<Vec<u8>>>,
) -> Option<String> {
    use sha2::{Digest, Sha256};
    let digest = digests
        .entry(input.to_path_buf())
        .or_insert_with(|| std::fs::read(input).ok().map(|b| Sha256::digest(&b).to_vec()))
        .clone()?;
    let mut h = Sha256::new();
    h.update(&digest);
    let sweep_case = sweep.map(|s| s.suffix.as_str()).unwrap_or("");
    if let Some(file) = sweep.and_then(|s| s.variant.as_ref()).and_then(|v| v.file.as_ref()) {
        let dir = input.parent().unwrap_or(Path::new("."));
        h.update(b"\0variant_file=");
        h.update(std::fs::read(dir.join(file)).unwrap_or_default());
    }
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

/// Longest case name kept as it is, bytes (file names stop at 255, and a temporary
/// file's name adds to it); a longer one is cut and ends in a hash of the whole.
const MAX_CASE_NAME: usize = 160;

/// A case name usable as a file name in every output directory: at most
/// [`MAX_CASE_NAME`] bytes.
fn bounded_name(name: String) -> String {
    if name.len() <= MAX_CASE_NAME {
        return name;
    }
    use sha2::{Digest, Sha256};
    let hash = format!("{:x}", Sha256::digest(name.as_bytes()));
    let mut cut = MAX_CASE_NAME - 18;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}__{}", &name[..cut], &hash[..16])
}

/// One case of the plan.
pub struct Case {
    pub input: PathBuf,
    pub sweep: Option<facility::SweepCase>,
    pub name: String,
    pub output: PathBuf,
    /// The input did not load: the case fails with this.
    pub load_error: Option<InputError>,
}

impl Case {
    /// Its output's file name (in the output directory).
    pub fn output_name(&self) -> String {
        self.output.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
    }
    /// Its swept values, named.
    pub fn values(&self) -> Vec<(String, String)> {
        self.sweep.as_ref().map(|s| s.values()).unwrap_or_default()
    }
}

/// Every case of a batch over `inputs` into `outdir`, in plan order: each input's
/// sweep expanded; an input that does not load is one case, which fails. A file that
/// another input names as a variant's fragment is not an input, nor is a campus file
/// (several halls: its halls' own files are the cases). Names are unique
/// (a clash gets `__2`, `__3`, …) and no longer than [`MAX_CASE_NAME`].
pub fn plan(inputs: &[PathBuf], outdir: &Path) -> Vec<Case> {
    let loaded: Vec<(PathBuf, Result<facility::Facility, InputError>)> = inputs
        .iter()
        .filter(|i| !facility::campus::is_campus(&i.display().to_string()))
        .map(|i| (i.clone(), facility::load(&i.display().to_string())))
        .collect();
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let fragments: std::collections::HashSet<PathBuf> = loaded
        .iter()
        .filter_map(|(i, f)| Some((i, f.as_ref().ok()?.sweep.as_ref()?)))
        .flat_map(|(i, s)| {
            let dir = i.parent().unwrap_or(Path::new(".")).to_path_buf();
            s.variant.iter().filter_map(move |v| v.file.as_ref().map(|f| canon(&dir.join(f))))
        })
        .collect();
    let mut cases = Vec::new();
    let mut names = std::collections::HashSet::new();
    let mut unique = |name: String| {
        let name = bounded_name(name);
        let mut k = 1;
        let mut n = name.clone();
        while !names.insert(n.clone()) {
            k += 1;
            n = format!("{name}__{k}");
        }
        n
    };
    for (input, f) in loaded {
        if fragments.contains(&canon(&input)) {
            continue;
        }
        let stem = input.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        match f {
            Ok(f) => {
                let swept = f.sweep.is_some();
                for c in f.sweep_cases() {
                    let name = unique(format!("{stem}{}", c.suffix));
                    cases.push(Case {
                        input: input.clone(),
                        output: outdir.join(format!("{name}.h5")),
                        name,
                        sweep: swept.then_some(c),
                        load_error: None,
                    });
                }
            }
            Err(e) => {
                let name = unique(stem);
                cases.push(Case {
                    input: input.clone(),
                    output: outdir.join(format!("{name}.h5")),
                    name,
                    sweep: None,
                    load_error: Some(e),
                })
            }
        }
    }
    cases
}

/// What a batch run did.
pub struct BatchRun {
    /// The cases of the plan.
    pub planned: usize,
    /// This run's cases (its shard), in plan order.
    pub results: Vec<CaseResult>,
    /// Whether the summary was written (unsharded runs).
    pub summarized: bool,
}

/// Run a batch (or one shard of it); `progress` sees each case as it finishes (with the
/// count done and this run's total).
#[allow(clippy::too_many_arguments)]
pub fn run_batch(
    inputs: &[PathBuf],
    outdir: &Path,
    jobs: usize,
    backend: Backend,
    opts: &SolveOptions,
    shard: Option<shard::Shard>,
    progress: impl Fn(usize, usize, &CaseResult) + Sync,
) -> Result<BatchRun, Error> {
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
    let all = plan(inputs, outdir);
    let mut digests = Default::default();
    let keys: Vec<Option<String>> =
        all.iter().map(|c| run_key(&c.input, c.sweep.as_ref(), backend, opts, &mut digests)).collect();
    let planned: Vec<summary::PlannedCase> = all
        .iter()
        .zip(&keys)
        .map(|(c, k)| summary::PlannedCase {
            case: c.name.clone(),
            input: c.input.display().to_string(),
            output: c.output_name(),
            values: c.values(),
            run_key: k.clone(),
        })
        .collect();
    summary::write_plan(outdir, &summary::Plan { cases: planned })?;
    let mine: Vec<(&Case, &Option<String>)> =
        all.iter().zip(&keys).enumerate().filter(|(k, _)| shard.is_none_or(|s| s.has(*k))).map(|(_, c)| c).collect();
    let total = mine.len();
    let done = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, CaseResult)>> = Mutex::new(Vec::new());
    let record_error: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1).min(total.max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(c, key)) = mine.get(i) else { break };
                let r = run_case(c, key.clone(), outdir, backend, opts);
                // A record that cannot be written stops the batch (the disk is full or
                // the directory went away): the summary would be wrong.
                if r.status != "skipped" {
                    if let Err(e) = summary::write_record(outdir, &r) {
                        record_error.lock().expect("record error").get_or_insert(e);
                        next.store(usize::MAX / 2, Ordering::SeqCst);
                    }
                }
                progress(done.fetch_add(1, Ordering::SeqCst) + 1, total, &r);
                results.lock().expect("results").push((i, r));
            });
        }
    });
    if let Some(e) = record_error.into_inner().expect("record error") {
        return Err(e);
    }
    let mut v = results.into_inner().expect("results");
    v.sort_by_key(|(i, _)| *i);
    let summarized = shard.is_none();
    if summarized {
        summary::summarize(outdir)?;
    }
    Ok(BatchRun { planned: all.len(), results: v.into_iter().map(|(_, r)| r).collect(), summarized })
}

fn run_case(c: &Case, key: Option<String>, outdir: &Path, backend: Backend, opts: &SolveOptions) -> CaseResult {
    let input = c.input.display().to_string();
    let mut r = CaseResult::new(&c.name, &input, &c.output_name(), c.values());
    r.run_key = key.clone();
    if let Some(e) = &c.load_error {
        r.status = "failed".into();
        r.error = Some(e.to_string());
        r.exit_code = Some(2);
        return r;
    }
    // Resume: an output and a record with the same run key (input, sweep case,
    // options, backend, version).
    if let (true, Some(key)) = (c.output.exists(), &key) {
        if let (Ok(f), Some(rec)) = (crate::io::h5util::open(&c.output), summary::read_record(outdir, &c.name)) {
            if read_attr_str(&f, "run_key").as_deref() == Some(key.as_str())
                && rec.run_key.as_deref() == Some(key.as_str())
                && rec.status == "ok"
            {
                return CaseResult { status: "skipped".into(), ..rec };
            }
        }
    }
    let t0 = Instant::now();
    let loaded = match &c.sweep {
        Some(s) => facility::sweep::load_case(&input, s),
        None => facility::load(&input),
    };
    let suffix = c.sweep.as_ref().map(|s| s.suffix.clone()).unwrap_or_default();
    let solved = loaded.map_err(Error::from).and_then(|f| {
        let fac = f.clone();
        solve_input(Input::Facility(Box::new(f)), &input, backend, opts, t0).map(|s| (fac, s))
    });
    match solved {
        Ok((fac, study)) => {
            // The case's attributes go in before the file is renamed into place.
            let written = crate::io::results::write_results_with(&c.output, &study, &[], |f| {
                attr_str(f, "sweep_case", &suffix)?;
                attr_str(f, "run_key", key.as_deref().unwrap_or(""))
            });
            if let Err(e) = written {
                r.status = "failed".into();
                r.error = Some(e);
                r.exit_code = Some(2);
                return r;
            }
            metrics(&mut r, &fac, &study);
            r.wall_s = Some(t0.elapsed().as_secs_f64());
        }
        Err(e) => {
            r.status = "failed".into();
            r.error = Some(e.to_string());
            r.exit_code = Some(e.exit_code());
        }
    }
    r
}

/// The per-case results of a solved study.
fn metrics(r: &mut CaseResult, f: &facility::Facility, s: &crate::study::Study) {
    let intakes: Vec<f64> = s.racks.iter().map(|x| x.intake_c).collect();
    r.air_model = crate::report::air_model(s).map(String::from);
    r.max_temperature_c = Some(crate::report::max_temperature_c(s));
    if !intakes.is_empty() {
        r.max_intake_c = Some(crate::outcome::nan_max(intakes.iter().copied()));
        r.mean_intake_c = Some(intakes.iter().sum::<f64>() / intakes.len() as f64);
    }
    r.racks = Some(intakes.len());
    r.racks_over_27c = Some(intakes.iter().filter(|&&t| t > crate::metrics::ASHRAE_RECOMMENDED_C.1).count());
    r.racks_over_32c = Some(intakes.iter().filter(|&&t| t > ASHRAE_A1_ALLOWABLE_MAX_C).count());
    (r.rci_hi_pct, r.rci_lo_pct) = crate::report::rci(s);
    r.overloaded_units = Some(s.cooling.iter().filter(|c| c.load_pct > 100.0).count());
    let it_mw = f.it_power_w() / 1e6;
    r.it_mw = Some(it_mw);
    match &s.coupling {
        Some(c) => {
            r.cooling_mw = Some(c.cooling_mw);
            r.facility_mw = Some(c.facility_input_mw);
            r.pue = c.pue;
        }
        None => {
            let cooling_mw = crate::coupling::cooling_draw_kw(f, &s.cooling).iter().sum::<f64>() / 1e3;
            r.cooling_mw = Some(cooling_mw);
            r.facility_mw = Some(it_mw + cooling_mw);
            r.pue = (it_mw > 0.0).then(|| (it_mw + cooling_mw) / it_mw);
        }
    }
    r.iterations = Some(s.report.iterations);
    r.solve_s = Some(s.report.setup_s + s.report.solve_s);
}

/// The upper end of ASHRAE class A1's allowable intake range, °C.
pub const ASHRAE_A1_ALLOWABLE_MAX_C: f64 = crate::metrics::ASHRAE_ALLOWABLE_C[0].2;
