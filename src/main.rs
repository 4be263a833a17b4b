//! `thermogrid`: the command line. A thin layer over the library: parse flags, call it,
//! print, map errors to exit codes (0 ok, 1 not converged, 2 bad input).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use thermogrid::error::{Error, InputError};
use thermogrid::io::h5util::check_writable;
use thermogrid::io::results::write_results;
use thermogrid::run::{read_input, solve_file, Backend, Input};
use thermogrid::thermal::SolveOptions;

#[global_allocator]
static ALLOC: thermogrid::alloc::HugePageAlloc = thermogrid::alloc::HugePageAlloc;

#[derive(Parser)]
#[command(
    name = "thermogrid",
    version,
    about = "Heat and power physics of AI data-center facilities",
    after_help = "Examples:\n  thermogrid solve meshes/hall_small.toml -o hall_small.h5\n  thermogrid render hall_small.h5 -o hall_small.png --labels --axes\n  thermogrid powerflow tests/data/cases/case118.m --ac\n\nEach command's --help lists its options, with an example."
)]
struct Cli {
    /// No progress bar (one is drawn on stderr only on a terminal, after a second, never
    /// with --json); results, warnings and errors still print.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

/// Where the numbers are computed.
#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    /// On the CPU, always.
    Cpu,
    /// On a GPU (any adapter, a software one included); an error if there is none.
    Gpu,
    /// A hardware GPU when there is one that fits, else the CPU; never a software adapter.
    Auto,
}

/// The time-stepping scheme of a transient solve.
#[derive(Clone, Copy, ValueEnum)]
enum SchemeArg {
    /// Implicit, first order in time, unconditionally stable.
    BackwardEuler,
    /// Implicit, second order in time.
    CrankNicolson,
    /// Explicit; refused when --dt is above its stability limit.
    ForwardEuler,
}

/// `--backend` help, shared by every command that has it.
const BACKEND_HELP: &str = "Where to compute: cpu, gpu or auto (auto never picks a software adapter)";

#[derive(Subcommand)]
enum Cmd {
    /// Solve the steady thermal field of a facility file (.toml) or fields file (.h5).
    #[command(
        after_help = "Examples:\n  thermogrid solve meshes/hall_small.toml -o hall_small.h5\n  thermogrid solve meshes/hall_small.toml --json --backend cpu\n  thermogrid solve tests/data/thermal/transient2d_mode_64x48.h5 --transient --dt 0.5 --steps 20"
    )]
    Solve {
        /// Facility file (TOML) or fields file (HDF5, told apart by its signature).
        file: String,
        /// Results file (HDF5 that is also netCDF-4, with an .xmf sidecar for ParaView). Written atomically.
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "auto", help = BACKEND_HELP)]
        backend: BackendArg,
        /// Stop at relative residual ‖b − A T‖₂/‖b‖₂ ≤ tol.
        #[arg(long, default_value_t = 1e-10)]
        tol: f64,
        /// Iteration limit of the linear solver.
        #[arg(long, default_value_t = 200)]
        max_iter: usize,
        /// Print the summary as JSON (for programs); no progress bar.
        #[arg(long)]
        json: bool,
        /// March in time instead of solving the steady state (a fields file from
        /// T_initial, or a facility's [transient] scenario).
        #[arg(long)]
        transient: bool,
        /// Time-stepping scheme (with --transient).
        #[arg(long, value_enum, default_value = "backward-euler")]
        scheme: SchemeArg,
        /// Time step, s (with --transient).
        #[arg(long)]
        dt: Option<f64>,
        /// Number of steps (with --transient).
        #[arg(long, default_value_t = 10)]
        steps: usize,
        /// Treat guard-rail warnings (implausible inputs or answers) as bad input: exit 2,
        /// nothing written.
        #[arg(long)]
        strict: bool,
    },
    /// Check a facility file (or fields file) without solving.
    #[command(after_help = "Example:\n  thermogrid validate meshes/hall_small.toml")]
    Validate {
        /// Facility file (TOML) or fields file (HDF5) to check.
        file: String,
    },
    /// List the GPU adapters wgpu sees, with the limits that matter.
    #[command(after_help = "Example:\n  thermogrid adapters")]
    Adapters,
    /// Internal: read an HDF5 file's metadata (run in a child process by the commands
    /// that read HDF5 input, so a file that crashes libhdf5 is bad input, not a crash).
    #[command(name = "__h5-walk", hide = true)]
    H5Walk {
        /// The HDF5 file to walk.
        file: String,
    },
    /// Solve many facility files (and their [sweep]s) into a directory, resumably.
    #[command(
        after_help = "Examples:\n  thermogrid batch 'meshes/hall_*.toml' -o runs --jobs 2\n  thermogrid batch meshes -o runs --plan\n  thermogrid batch meshes -o runs --shard 1/4"
    )]
    Batch {
        /// A directory of .toml files, or a pattern such as meshes/hall_*.toml.
        inputs: String,
        /// Output directory: a results file and a record per case, summary.csv and
        /// summary.json.
        #[arg(short, long)]
        output: PathBuf,
        /// Cases solved at once.
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        #[arg(long, value_enum, default_value = "auto", help = BACKEND_HELP)]
        backend: BackendArg,
        /// Stop each solve at relative residual ‖b − A T‖₂/‖b‖₂ ≤ tol.
        #[arg(long, default_value_t = 1e-10)]
        tol: f64,
        /// Run only shard I of N (1 ≤ I ≤ N): every N-th case of the plan. Without it, a
        /// Slurm job array (SLURM_ARRAY_TASK_ID) or a Kubernetes indexed Job
        /// (JOB_COMPLETION_INDEX, with --shards) picks the shard.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// The number of shards when the scheduler gives only the index
        /// (JOB_COMPLETION_INDEX of a Kubernetes indexed Job).
        #[arg(long, value_name = "N")]
        shards: Option<usize>,
        /// Print the plan (every case, with its shard when sharded) and solve nothing.
        #[arg(long)]
        plan: bool,
    },
    /// Merge what every shard of a batch wrote into OUTDIR's summary.csv and
    /// summary.json; list the cases that are missing or failed.
    #[command(after_help = "Example:\n  thermogrid summarize runs")]
    Summarize {
        /// The output directory of `thermogrid batch`.
        outdir: PathBuf,
    },
    /// A self-contained HTML page comparing a batch's cases: a ranking table, the main
    /// results plotted against every swept value, heat maps side by side.
    #[command(after_help = "Example:\n  thermogrid report runs -o runs/report.html --maps 6")]
    Report {
        /// The output directory of `thermogrid batch`.
        outdir: PathBuf,
        /// The HTML file to write (.html).
        #[arg(short, long)]
        output: PathBuf,
        /// Most heat maps shown (the best, the worst and ranks between).
        #[arg(long, default_value_t = thermogrid::batch::report::DEFAULT_MAPS)]
        maps: usize,
    },
    /// Heat map of a results file: temperature, outlines, colour bar in °C.
    #[command(
        after_help = "Examples:\n  thermogrid render hall_small.h5 -o hall_small.png\n  thermogrid render hall_small.h5 -o intake.png --range 18:35 --height-m 1.0 --labels --axes"
    )]
    Render {
        /// Results file (HDF5) written by `thermogrid solve -o`.
        file: PathBuf,
        /// The picture to write; its extension chooses the format, and .png (PNG) is the
        /// one render writes: any other is refused. A scenario's snapshots go beside it
        /// as <stem>_000.png, ….
        #[arg(short, long)]
        output: PathBuf,
        /// Colour scale MIN:MAX, °C, finite with MIN < MAX (default: the range of the
        /// values drawn).
        #[arg(long, value_name = "MIN:MAX", allow_hyphen_values = true)]
        range: Option<String>,
        /// Draw layer K (0-based from the floor) of a 3-D result (default: the layer
        /// about 1 m up, rack-intake height).
        #[arg(long, value_name = "K", conflicts_with = "height_m")]
        layer: Option<usize>,
        /// Draw the layer of a 3-D result that contains this height above the floor, m.
        #[arg(long, value_name = "M")]
        height_m: Option<f64>,
        /// Write each rack's id at the rack (its south-west corner).
        #[arg(long)]
        labels: bool,
        /// Metre axes: tick marks and labels in m along x and y.
        #[arg(long)]
        axes: bool,
    },
    /// N-1 contingency screening: every in-service branch outage, against RATE_A.
    #[command(
        after_help = "Examples:\n  thermogrid contingency tests/data/cases/case118.m --top 5 -o case118_n1.h5\n  thermogrid contingency meshes/pod_raised_floor.toml --facility --thermal 3 -o pod_outages.h5"
    )]
    Contingency {
        /// MATPOWER case (.m) or a facility file with a [network] (.toml).
        file: String,
        /// Results file (HDF5, netCDF-4): /power/contingency/…
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// How many worst outages the summary lists.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Also write the n_outage × n_branch post-contingency flow matrix.
        #[arg(long)]
        full: bool,
        /// Loading above which a post-contingency flow is a violation, % of RATE_A.
        #[arg(long, default_value_t = 100.0)]
        threshold: f64,
        #[arg(long, value_enum, default_value = "auto", help = BACKEND_HELP)]
        backend: BackendArg,
        /// Print the summary as JSON (for programs); no progress bar.
        #[arg(long)]
        json: bool,
        /// Screen this many times; report the fastest (benchmarking).
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// Facility contingencies (a facility file): lose every element in turn — branch,
        /// transformer, UPS, generator, utility, transfer switch, chiller, cooling unit —
        /// with transfers, UPS ride-through and generator starts; IT lost, overloads, the
        /// cooling units that stop and when they run again; then the room air in time for
        /// the worst outages. Ranked by severity.
        #[arg(long)]
        facility: bool,
        /// With --facility: how many of the worst outages that touch the room get a
        /// transient of the room air (0: electrical only).
        #[arg(long, default_value_t = 10)]
        thermal: usize,
        /// With --facility: length of each room transient, s.
        #[arg(long, default_value_t = thermogrid::outage::thermal::DURATION_S)]
        duration: f64,
        /// With --facility: time step of the room transients, s.
        #[arg(long, default_value_t = thermogrid::outage::thermal::DT_S)]
        dt: f64,
    },
    /// Time series of a training job's power through the network, with battery smoothing.
    #[command(
        after_help = "Example:\n  thermogrid timeseries meshes/hall_small.toml --steps 600 --dt 0.1 -o swings.h5"
    )]
    Timeseries {
        /// MATPOWER case (.m) or a facility file with a [network] (.toml).
        file: String,
        /// Profile (TOML): dt_s, steps, [workload], [battery], [controller].
        #[arg(long)]
        profile: Option<String>,
        /// Number of steps (overrides the profile's).
        #[arg(long)]
        steps: Option<usize>,
        /// Step, s (overrides the profile's).
        #[arg(long)]
        dt: Option<f64>,
        /// Ignore any battery.
        #[arg(long)]
        no_battery: bool,
        /// Fill synchronization dips with dummy work.
        #[arg(long)]
        keep_busy: bool,
        #[arg(long, value_enum, default_value = "auto", help = BACKEND_HELP)]
        backend: BackendArg,
        /// Results file (HDF5, netCDF-4): /power/timeseries/…
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Print the summary as JSON (for programs); no progress bar.
        #[arg(long)]
        json: bool,
    },
    /// DC (default) or AC power flow of a MATPOWER case (.m) or a facility file's
    /// [network] (.toml).
    #[command(
        after_help = "Examples:\n  thermogrid powerflow tests/data/cases/case118.m -o case118.h5\n  thermogrid powerflow tests/data/cases/case118.m --ac --enforce-q-lims --json"
    )]
    Powerflow {
        /// MATPOWER case (.m) or a facility file with a [network] (.toml).
        file: String,
        /// Results file (HDF5, netCDF-4): /power/bus, /power/branch, /power/gen.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Print the summary as JSON (for programs); no progress bar.
        #[arg(long)]
        json: bool,
        /// Build, factorize and solve this many times; report the fastest (benchmarking).
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// AC power flow (Newton–Raphson, MATPOWER runpf conventions): voltages,
        /// reactive power, losses, MVA loading.
        #[arg(long)]
        ac: bool,
        /// With --ac: hold generators within QMIN..QMAX (PV buses become PQ at a limit).
        #[arg(long)]
        enforce_q_lims: bool,
        /// With --ac: largest power mismatch accepted, per unit on baseMVA.
        #[arg(long, default_value_t = 1e-8)]
        tol: f64,
        /// With --ac: Newton iterations per solve.
        #[arg(long, default_value_t = 10)]
        max_iter: usize,
    },
}

fn main() -> ExitCode {
    // Mesa's Vulkan drivers complain on stderr when XDG_RUNTIME_DIR is unset; give them a
    // directory before any adapter is probed.
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    // No HDF5 file locks (see the library's reason), before any thread starts.
    thermogrid::io::h5util::no_file_locking();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// The progress bar of a long run, on stderr: drawn only after a second, only to a
/// terminal (indicatif hides it elsewhere), never with --json or --quiet. Fed by the
/// library's progress hook ([`thermogrid::progress`]) or by the command.
mod bar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    pub struct Bar {
        bar: ProgressBar,
        done: Arc<Mutex<bool>>,
        hooked: bool,
    }

    impl Bar {
        /// A bar for the run `what`; `silent` (--json, --quiet): never drawn.
        pub fn start(what: &str, silent: bool) -> Bar {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            let done = Arc::new(Mutex::new(false));
            if !silent {
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix} · {elapsed} · {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(what.to_string());
                let (b, d) = (bar.clone(), done.clone());
                // Shown only once the run has taken a second.
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(1));
                    let finished = d.lock().unwrap_or_else(|e| e.into_inner());
                    if !*finished {
                        b.set_draw_target(ProgressDrawTarget::stderr());
                        b.enable_steady_tick(Duration::from_millis(120));
                    }
                });
            }
            Bar { bar, done, hooked: false }
        }

        /// Report the library's loops (solver steps, time steps) on this bar.
        pub fn hooked(mut self) -> Bar {
            let b = self.bar.clone();
            let last = Mutex::new(None::<Instant>);
            thermogrid::progress::set_hook(Some(Box::new(move |stage, done, total| {
                // A message at most every 50 ms (and the last step): steps can be short.
                let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
                if l.is_some_and(|t| t.elapsed() < Duration::from_millis(50)) && done != total {
                    return;
                }
                *l = Some(Instant::now());
                b.set_message(if total > 0 { format!("{stage} {done}/{total}") } else { format!("{stage} {done}") });
            })));
            self.hooked = true;
            self
        }

        /// `done` of `total` items, with a note.
        pub fn set(&self, done: u64, total: u64, note: &str) {
            self.bar.set_message(format!("{done}/{total} {note}"));
        }

        /// Run `f` (which prints to stderr) with the bar out of the way.
        pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
            self.bar.suspend(f)
        }
    }

    impl Drop for Bar {
        fn drop(&mut self) {
            *self.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
            self.bar.finish_and_clear();
            if self.hooked {
                thermogrid::progress::set_hook(None);
            }
        }
    }
}

/// `--range MIN:MAX`, °C: finite, MIN < MAX.
fn parse_range(s: &str) -> Result<(f64, f64), InputError> {
    let bad = |m: String| {
        InputError::new("command line", "--range", m, "give MIN:MAX in °C, finite, with MIN < MAX, e.g. 20:35")
    };
    let (a, b) = s.split_once(':').ok_or_else(|| bad(format!("\"{s}\" is not MIN:MAX")))?;
    let num = |v: &str| v.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    match (num(a), num(b)) {
        (Some(lo), Some(hi)) if lo < hi => Ok((lo, hi)),
        (Some(lo), Some(hi)) => Err(bad(format!("{lo} is not below {hi}"))),
        _ => Err(bad(format!("\"{s}\" is not two finite numbers"))),
    }
}

/// Before any work: the output path must be writable, and must not be one of the inputs
/// (writing it would destroy the input).
fn precheck(out: Option<&std::path::Path>, inputs: &[&str]) -> Result<(), InputError> {
    let Some(o) = out else { return Ok(()) };
    let same = |a: &std::path::Path, b: &std::path::Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    if let Some(i) = inputs.iter().find(|i| same(o, std::path::Path::new(i))) {
        return Err(InputError::new(
            &o.display().to_string(),
            "output",
            format!("is the input {i}: writing it would destroy the input"),
            "choose another output path",
        ));
    }
    check_writable(o)
        .map_err(|m| InputError::new(&o.display().to_string(), "output", m, "choose a writable output path"))
}

/// A results file that could not be written.
fn write_failed(out: &std::path::Path, m: String) -> InputError {
    InputError::new(&out.display().to_string(), "output", m, "choose a writable output path with free space")
}

/// Command-line numbers, checked where they are parsed (the library's checks, shared
/// with the Python package): a bad value is an input error (exit 2) naming the flag and
/// the fix, never silently replaced.
use thermogrid::options as flags;

/// `--strict`: guard-rail warnings are bad input (exit 2, before anything is written).
fn strict_check(strict: bool, file: &str, warnings: &[String]) -> Result<(), InputError> {
    if strict && !warnings.is_empty() {
        return Err(InputError::new(
            file,
            "guard rails (--strict)",
            warnings.join("\n  "),
            "correct the implausible values, or run without --strict to see the answer with warnings",
        ));
    }
    Ok(())
}

fn backend_of(b: BackendArg) -> Backend {
    match b {
        BackendArg::Cpu => Backend::Cpu,
        BackendArg::Gpu => Backend::Gpu,
        BackendArg::Auto => Backend::Auto,
    }
}

/// A user's HDF5 input, read once in a child process: if libhdf5 crashes on it
/// (corrupted metadata), that is bad input (exit 2), not a crash of this process.
fn preflight_h5(file: &str) -> Result<(), InputError> {
    if !thermogrid::io::fields::is_hdf5(file) {
        return Ok(());
    }
    let Ok(exe) = std::env::current_exe() else { return Ok(()) };
    let status = std::process::Command::new(exe)
        .args(["__h5-walk", file])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.code().is_none() => Err(InputError::new(
            file,
            "HDF5 file",
            "is corrupt: the HDF5 library crashed reading its metadata",
            "re-create the file (it was damaged after it was written)",
        )),
        _ => Ok(()),
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    let quiet = cli.quiet;
    match cli.cmd {
        Cmd::H5Walk { file } => {
            thermogrid::io::h5util::walk_metadata(std::path::Path::new(&file)).map_err(Error::Internal)
        }
        Cmd::Validate { file } => {
            preflight_h5(&file)?;
            if thermogrid::facility::campus::is_campus(&file) {
                let c = thermogrid::facility::campus::load(&file)?;
                thermogrid::power::read_network(&file)?;
                let n = c.plant.network.as_ref().expect("a campus has a network");
                println!(
                    "{file}: ok — campus \"{}\", {} halls, {} racks ({:.2} MW IT), {} cooling units, joined network of {} buses and {} branches",
                    c.name,
                    c.halls.len(),
                    c.plant.racks.len(),
                    c.plant.it_power_w() / 1e6,
                    c.plant.cooling.len(),
                    n.bus.len(),
                    n.branch.len()
                );
                return Ok(());
            }
            match read_input(&file)? {
                Input::Facility(f) => {
                    // Everything a solve checks before it solves: the cells each item
                    // covers, and the electrical network as the power side reads it.
                    thermogrid::raster::rasterize(&f)?;
                    if f.network.is_some() {
                        thermogrid::power::read_network(&file)?;
                    }
                    println!(
                        "{file}: ok — \"{}\", {} racks ({:.2} MW IT), {} cooling units, {} supply regions, {} obstacles, grid {} × {} × {} = {} cells{}",
                        f.name,
                        f.racks.len(),
                        f.it_power_w() / 1e6,
                        f.cooling.len(),
                        f.supply.len(),
                        f.obstacles.len(),
                        f.floor.nx,
                        f.floor.ny,
                        f.floor.layers,
                        f.cells(),
                        f.network.as_ref().map(|n| format!(", network of {} buses and {} branches", n.bus.len(), n.branch.len())).unwrap_or_default()
                    );
                    for w in thermogrid::guard::input_warnings(&f) {
                        println!("warning: {w}");
                    }
                }
                Input::Fields(ff) => {
                    let g = ff.problem.grid;
                    println!("{file}: ok — fields file, grid {} × {} × {} at dx = {} m", g.nx, g.ny, g.nz, g.dx);
                }
            }
            Ok(())
        }
        Cmd::Batch { inputs, output, jobs, backend, tol, shard, shards, plan } => {
            let tol = flags::tol("--tol", tol)?;
            let jobs = flags::count("--jobs", jobs, 4096)?;
            let shard = match shard {
                Some(s) => {
                    if shards.is_some() {
                        return Err(InputError::new(
                            "command line",
                            "--shards",
                            "is given with --shard I/N, which already says how many",
                            "give one of them",
                        )
                        .into());
                    }
                    Some(thermogrid::batch::shard::Shard::parse(&s)?)
                }
                None => thermogrid::batch::shard::Shard::from_env(|k| std::env::var(k).ok(), shards)?,
            };
            let files = thermogrid::batch::expand_inputs(&inputs)?;
            if plan {
                let cases = thermogrid::batch::plan(&files, &output);
                for (k, c) in cases.iter().enumerate() {
                    if shard.is_none_or(|s| s.has(k)) {
                        let values: Vec<String> = c.values().iter().map(|(n, v)| format!("{n}={v}")).collect();
                        let shard_of =
                            shard.map(|s| format!("\tshard {}/{}", k % s.count + 1, s.count)).unwrap_or_default();
                        println!("{}\t{}\t{}{shard_of}", c.name, c.input.display(), values.join(" "));
                    }
                }
                let mine = (0..cases.len()).filter(|&k| shard.is_none_or(|s| s.has(k))).count();
                eprintln!(
                    "{} cases in the plan{}",
                    cases.len(),
                    shard.map(|s| format!(", {mine} in shard {}/{}", s.index + 1, s.count)).unwrap_or_default()
                );
                return Ok(());
            }
            if let Some(s) = shard {
                eprintln!("shard {}/{} of the plan", s.index + 1, s.count);
            }
            let opts = SolveOptions { tol, ..Default::default() };
            let bar = bar::Bar::start(&format!("batch {inputs}"), quiet);
            let run = thermogrid::batch::run_batch(
                &files,
                &output,
                jobs,
                backend_of(backend),
                &opts,
                shard,
                |done, total, r| {
                    bar.set(done as u64, total as u64, &format!("cases · {} {}", r.case, r.status));
                    if quiet {
                        return;
                    }
                    // A line per case, for logs (a terminal also gets the bar).
                    let filled = (20 * done / total.max(1)).min(20);
                    bar.suspend(|| {
                        eprintln!(
                            "[{}{}] {done}/{total} {} {}{}",
                            "#".repeat(filled),
                            ".".repeat(20 - filled),
                            r.case,
                            r.status,
                            r.error
                                .as_deref()
                                .map(|e| format!(": {}", e.lines().next().unwrap_or("")))
                                .unwrap_or_default()
                        )
                    });
                },
            )?;
            drop(bar);
            let rs = &run.results;
            let failed = rs.iter().filter(|r| r.status == "failed").count();
            let where_ = if run.summarized {
                format!("summary: {}", output.join("summary.csv").display())
            } else {
                format!(
                    "{} cases in the plan; when every shard is done: thermogrid summarize {}",
                    run.planned,
                    output.display()
                )
            };
            println!(
                "{} cases: {} solved, {} up to date, {} failed · {where_}",
                rs.len(),
                rs.iter().filter(|r| r.status == "ok").count(),
                rs.iter().filter(|r| r.status == "skipped").count(),
                failed,
            );
            if failed > 0 {
                let m = format!(
                    "{failed} of {} cases failed (see their records in {})",
                    rs.len(),
                    output.join("cases").display()
                );
                // Exit 2 when every failure is bad input, else 1.
                return Err(if rs.iter().all(|r| r.status != "failed" || r.exit_code == Some(2)) {
                    Error::Unsupported(m)
                } else {
                    Error::Internal(m)
                });
            }
            Ok(())
        }
        Cmd::Report { outdir, output, maps } => {
            let maps = flags::count("--maps", maps, 1000)?;
            let ext = output.extension().map(|e| e.to_string_lossy().to_lowercase());
            if !matches!(ext.as_deref(), Some("html" | "htm")) {
                return Err(InputError::new(
                    &output.display().to_string(),
                    "-o",
                    "the report is an HTML page",
                    "give a path ending in .html",
                )
                .into());
            }
            precheck(Some(&output), &[])?;
            let s = {
                let _bar = bar::Bar::start(&format!("report {}", outdir.display()), quiet);
                thermogrid::batch::report::write_report(&outdir, &output, maps)?
            };
            println!(
                "{} · {} cases: {} solved, {} failed, {} missing",
                output.display(),
                s.rows.len(),
                s.rows.len() - s.failed.len() - s.missing.len(),
                s.failed.len(),
                s.missing.len()
            );
            Ok(())
        }
        Cmd::Summarize { outdir } => {
            let s = thermogrid::batch::summary::summarize(&outdir)?;
            let ok = s.rows.len() - s.missing.len() - s.failed.len();
            println!(
                "{} cases: {ok} solved, {} failed, {} missing · summary: {}",
                s.rows.len(),
                s.failed.len(),
                s.missing.len(),
                outdir.join("summary.csv").display()
            );
            let list = |v: &[String]| {
                let shown: Vec<&str> = v.iter().take(20).map(String::as_str).collect();
                let more = if v.len() > 20 { format!(" and {} more", v.len() - 20) } else { String::new() };
                format!("{}{more}", shown.join(", "))
            };
            if !s.failed.is_empty() {
                println!("failed: {}", list(&s.failed));
            }
            if !s.missing.is_empty() {
                println!("missing: {}", list(&s.missing));
            }
            if s.missing.is_empty() && s.failed.is_empty() {
                Ok(())
            } else {
                Err(Error::Internal(format!(
                    "{} of {} cases are missing or failed: rerun their shards (up-to-date cases are skipped)",
                    s.missing.len() + s.failed.len(),
                    s.rows.len()
                )))
            }
        }
        Cmd::Render { file, output, range, layer, height_m, labels, axes } => {
            use thermogrid::io::render::{self, Layer, RenderError};
            let fname = file.display().to_string();
            let option_error = |e: RenderError| -> Error {
                match e {
                    RenderError::File(m) => {
                        InputError::new(&fname, "render", m, "give a results file written by thermogrid solve").into()
                    }
                    RenderError::Option { flag, message, fix } => {
                        InputError::new("command line", flag, message, fix).into()
                    }
                }
            };
            // The format first: nothing is read or written for an output render cannot write.
            render::check_output_format(&output).map_err(option_error)?;
            let range = range.as_deref().map(parse_range).transpose()?;
            if let Some(h) = height_m {
                if !h.is_finite() {
                    return Err(InputError::new(
                        "command line",
                        "--height-m",
                        format!("{h} is not a height"),
                        "give a height above the floor in m",
                    )
                    .into());
                }
            }
            let layer = match (layer, height_m) {
                (Some(k), _) => Layer::Index(k),
                (None, Some(h)) => Layer::Height(h),
                (None, None) => Layer::Default,
            };
            precheck(Some(&output), &[&fname])?;
            preflight_h5(&fname)?;
            let opts = render::RenderOptions { range, layer, labels, axes };
            let written = {
                let _bar = bar::Bar::start(&format!("render {fname}"), quiet);
                render::render_with(&file, &output, &opts).map_err(option_error)?
            };
            for w in written {
                println!("{}", w.display());
            }
            Ok(())
        }
        Cmd::Adapters => {
            let list = thermogrid::gpu::list_adapters();
            if list.is_empty() {
                println!("{}", thermogrid::gpu::no_adapter_advice());
            }
            for a in list {
                println!(
                    "{} · {} · {}{} · max storage binding {} MiB · max buffer {} MiB · {} workgroups/dim · {} invocations/workgroup · {} KiB workgroup memory",
                    a.name,
                    a.backend,
                    a.device_type,
                    if a.is_hardware { "" } else { " (software: used only with --backend gpu)" },
                    a.max_storage_buffer_binding_size >> 20,
                    a.max_buffer_size >> 20,
                    a.max_compute_workgroups_per_dimension,
                    a.max_compute_invocations_per_workgroup,
                    a.max_compute_workgroup_storage_size >> 10
                );
            }
            Ok(())
        }
        Cmd::Contingency {
            file,
            output,
            top,
            full,
            threshold,
            backend,
            json,
            repeat,
            facility,
            thermal,
            duration,
            dt,
        } => {
            let repeat = flags::count("--repeat", repeat, 1_000_000)?;
            precheck(output.as_deref(), &[&file])?;
            if facility || thermogrid::facility::campus::is_campus(&file) {
                let o = thermogrid::outage::study::Options {
                    thermal,
                    dt_s: flags::dt("--dt", dt)?,
                    duration_s: flags::dt("--duration", duration)?,
                    backend: backend_of(backend),
                };
                let label =
                    if facility { format!("contingency --facility {file}") } else { format!("contingency {file}") };
                let progress = bar::Bar::start(&label, quiet || json).hooked();
                let study = thermogrid::outage::study::run(&file, &o, ("--dt", "--duration"), output.as_deref(), true)?;
                drop(progress);
                let out_str = output.as_ref().map(|p| p.display().to_string());
                if json {
                    println!("{}", serde_json::to_string_pretty(&study.json(out_str.as_deref())).expect("json"));
                } else {
                    print!("{}", study.text(top, out_str.as_deref()));
                }
                return Ok(());
            }
            flags::threshold_pct("--threshold", threshold)?;
            let progress = bar::Bar::start(&format!("contingency {file}"), quiet || json);
            let (net, _) = thermogrid::power::read_network(&file)?;
            let mut secs = f64::INFINITY;
            let mut done = None;
            for k in 0..repeat {
                progress.set(k as u64, repeat as u64, "screenings");
                let t0 = std::time::Instant::now();
                let pf = thermogrid::power::DcPowerFlow::new(&net)?;
                let base = pf.solve_checked(&net)?;
                let r =
                    thermogrid::power::screen::screen(&pf, &net, &base.pf_mw, threshold, full, backend_of(backend))?;
                secs = secs.min(t0.elapsed().as_secs_f64());
                done = Some(r);
            }
            drop(progress);
            let (n1, used) = done.expect("screened at least once");
            let out_str = output.as_ref().map(|p| p.display().to_string());
            if let Some(out) = &output {
                thermogrid::io::power::write_contingency(out, &net, &n1, threshold, used.clone())
                    .map_err(|m| write_failed(out, m))?;
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&thermogrid::power::screen::json_summary(
                        &net,
                        &n1,
                        top,
                        secs,
                        used.clone(),
                        out_str.as_deref()
                    ))
                    .expect("json")
                );
            } else {
                print!("{}", thermogrid::power::screen::text_summary(&net, &n1, top, secs, used, out_str.as_deref()));
            }
            Ok(())
        }
        Cmd::Timeseries { file, profile, steps, dt, no_battery, keep_busy, backend, output, json } => {
            use thermogrid::power::timeseries as ts;
            // Flags first, never silently replaced: --steps ≥ 1 (the memory bound is
            // checked against the network), --dt finite and > 0.
            let steps = steps.map(|s| flags::count("--steps", s, usize::MAX)).transpose()?;
            let dt = dt.map(|d| flags::dt("--dt", d)).transpose()?;
            precheck(output.as_deref(), &[&file, profile.as_deref().unwrap_or("")])?;
            let p =
                ts::profile_for(profile.as_deref(), steps.map(|s| (s, "--steps")), dt.map(|d| (d, "--dt")), keep_busy)?;
            let progress = bar::Bar::start(&format!("timeseries {file}"), quiet || json);
            let (net, loads) = thermogrid::power::read_network(&file)?;
            let it = ts::it_by_bus(&net, loads.as_ref().map(|l| l.it_mw_by_bus.as_slice()));
            let battery = if no_battery { None } else { ts::battery_for(&p, &net, loads.as_ref())? };
            let t0 = std::time::Instant::now();
            let r = ts::run(&net, &it, battery, &p, backend_of(backend))?;
            let secs = t0.elapsed().as_secs_f64();
            drop(progress);
            let out_str = output.as_ref().map(|p| p.display().to_string());
            if let Some(out) = &output {
                thermogrid::io::power::write_timeseries(out, &net, &r).map_err(|m| write_failed(out, m))?;
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&ts::json_summary(&net, &r, secs, out_str.as_deref())).expect("json")
                );
            } else {
                print!("{}", ts::text_summary(&net, &r, secs, out_str.as_deref()));
            }
            Ok(())
        }
        Cmd::Powerflow { file, output, json, repeat, ac, enforce_q_lims, tol, max_iter } => {
            let repeat = flags::count("--repeat", repeat, 1_000_000)?;
            if !ac && enforce_q_lims {
                return Err(InputError::new(
                    "command line",
                    "--enforce-q-lims",
                    "reactive limits exist only in the AC model",
                    "add --ac",
                )
                .into());
            }
            let tol = flags::tol("--tol", tol)?;
            let max_iter = flags::count("--max-iter", max_iter, 1000)?;
            precheck(output.as_deref(), &[&file])?;
            let progress = bar::Bar::start(&format!("powerflow {file}"), quiet || json);
            let t_read = std::time::Instant::now();
            let (net, _loads, idx) = thermogrid::power::read_network_indexed(&file)?;
            let read_s = t_read.elapsed().as_secs_f64();
            if ac {
                let opts = thermogrid::power::AcOptions { tol_pu: tol, max_iter, enforce_q_lims };
                let mut solve_s = f64::INFINITY;
                let mut solved = None;
                for _ in 0..repeat {
                    let t1 = std::time::Instant::now();
                    let pf = thermogrid::power::AcPowerFlow::build(&net, &idx)?;
                    let r = pf.solve(&net, &opts)?;
                    solve_s = solve_s.min(t1.elapsed().as_secs_f64());
                    solved = Some(r);
                }
                let r = solved.expect("solved at least once");
                drop(progress);
                let totals = thermogrid::power::ac_output::ac_totals(&net, &r);
                let out_str = output.as_ref().map(|p| p.display().to_string());
                if let Some(out) = &output {
                    thermogrid::io::power::write_powerflow_ac(out, &net, &r, enforce_q_lims)
                        .map_err(|m| write_failed(out, m))?;
                }
                if json {
                    let mut j = thermogrid::power::ac_output::json_summary(
                        &net,
                        &r,
                        &totals,
                        out_str.as_deref(),
                        solve_s,
                        enforce_q_lims,
                    );
                    j["read_s"] = serde_json::json!(read_s);
                    println!("{}", serde_json::to_string_pretty(&j).expect("json"));
                } else {
                    print!(
                        "{}",
                        thermogrid::power::ac_output::text_summary(&net, &r, &totals, out_str.as_deref(), solve_s)
                    );
                }
                return Ok(());
            }
            let mut solve_s = f64::INFINITY;
            let mut solved = None;
            // The build's fresh memory (≈ 150 B per bus and branch) faulted in on a second
            // thread while this one works, on networks large enough to gain.
            let elements = net.bus.rows() + net.branch.rows();
            let _warm = (elements >= 20_000).then(|| thermogrid::alloc::warm_heap(200 * elements));
            // Validated when read: the timing covers build, factorization and solve.
            for _ in 0..repeat {
                let t1 = std::time::Instant::now();
                let pf = thermogrid::power::DcPowerFlow::build(&net, &idx)?;
                let r = pf.solve_checked(&net)?;
                solve_s = solve_s.min(t1.elapsed().as_secs_f64());
                solved = Some((pf, r));
            }
            let (pf, r) = solved.expect("solved at least once");
            drop(progress);
            let totals = thermogrid::power::output::totals(&net, &r, &pf);
            let out_str = output.as_ref().map(|p| p.display().to_string());
            if let Some(out) = &output {
                thermogrid::io::power::write_powerflow(out, &net, &r).map_err(|m| write_failed(out, m))?;
            }
            if json {
                let mut j = thermogrid::power::output::json_summary(&net, &r, &totals, out_str.as_deref(), solve_s);
                // Reading the file: read, parse and check, s.
                j["read_s"] = serde_json::json!(read_s);
                println!("{}", serde_json::to_string_pretty(&j).expect("json"));
            } else {
                print!("{}", thermogrid::power::output::text_summary(&net, &r, &totals, out_str.as_deref(), solve_s));
            }
            Ok(())
        }
        Cmd::Solve { file, output, backend, tol, max_iter, json, transient, scheme, dt, steps, strict } => {
            let tol = flags::tol("--tol", tol)?;
            let max_iter = flags::count("--max-iter", max_iter, 1_000_000)?;
            let dt = dt.map(|d| flags::dt("--dt", d)).transpose()?;
            let steps = flags::count("--steps", steps, thermogrid::thermal::transient::MAX_STEPS)?;
            precheck(output.as_deref(), &[&file])?;
            preflight_h5(&file)?;
            let backend = match backend {
                BackendArg::Cpu => Backend::Cpu,
                BackendArg::Gpu => Backend::Gpu,
                BackendArg::Auto => Backend::Auto,
            };
            let opts = SolveOptions { tol, max_iter, ..Default::default() };
            let progress = bar::Bar::start(&format!("solve {file}"), quiet || json).hooked();
            // A facility with a [transient] scenario.
            if transient && !thermogrid::io::fields::is_hdf5(&file) {
                let fac = thermogrid::facility::load(&file)?;
                if fac.transient.is_some() {
                    let sc = thermogrid::scenario::run_scenario(&fac, backend, &opts, dt)?;
                    drop(progress);
                    let out_str = output.as_ref().map(|p| p.display().to_string());
                    if let Some(out) = &output {
                        thermogrid::scenario::write_scenario(out, &sc).map_err(|m| write_failed(out, m))?;
                    }
                    if json {
                        let mut j = thermogrid::report::json_summary(&sc.end, out_str.as_deref());
                        j["time_to_threshold_s"] = serde_json::json!(sc.thresholds_c.iter().zip(&sc.time_to_threshold_s).map(|(th, v)| serde_json::json!({
                            "threshold_c": th,
                            "racks": sc.rack_ids.iter().zip(v).map(|(id, t)| serde_json::json!({"id": id, "time_s": t})).collect::<Vec<_>>(),
                        })).collect::<Vec<_>>());
                        println!("{}", serde_json::to_string_pretty(&j).expect("json"));
                    } else {
                        print!("{}", thermogrid::report::text_summary(&sc.end, out_str.as_deref()));
                        print!("{}", thermogrid::scenario::summary_lines(&sc));
                    }
                    return Ok(());
                }
            }
            let study = if transient {
                let Some(dt) = dt else {
                    return Err(InputError::new(
                        "command line",
                        "--dt",
                        "a transient solve needs a time step",
                        "give --dt SECONDS (> 0)",
                    )
                    .into());
                };
                let scheme = match scheme {
                    SchemeArg::BackwardEuler => thermogrid::thermal::transient::Scheme::BackwardEuler,
                    SchemeArg::CrankNicolson => thermogrid::thermal::transient::Scheme::CrankNicolson,
                    SchemeArg::ForwardEuler => thermogrid::thermal::transient::Scheme::ForwardEuler,
                };
                thermogrid::run::transient_file(&file, backend, scheme, dt, steps, tol, max_iter)?
            } else {
                solve_file(&file, backend, &opts)?
            };
            drop(progress);
            strict_check(strict, &file, &study.warnings)?;
            if (!study.racks.is_empty() || study.coupling.is_some()) && study.airflow_mass_residual.is_none() {
                // A facility on the diffusion-only model: its effective conductivity
                // spreads heat with no aisles, so it cannot compare layouts.
                eprintln!(
                    "warning: {file} runs the diffusion-only model ([airflow] model = \"diffusion\"), which does not \
                     rank layouts: intakes come out of an effective conductivity, with no aisles, jets or \
                     recirculation; remove it (or write model = \"cfd\") for the momentum model of hall air"
                );
            }
            let out_str = output.as_ref().map(|p| p.display().to_string());
            if let Some(out) = &output {
                write_results(out, &study).map_err(|m| write_failed(out, m))?;
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&thermogrid::report::json_summary(&study, out_str.as_deref()))
                        .expect("json")
                );
            } else {
                print!("{}", thermogrid::report::text_summary(&study, out_str.as_deref()));
            }
            Ok(())
        }
    }
}
