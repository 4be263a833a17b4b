//! Seeded mutation fuzzing of every input format the CLI reads: facility TOML, MATPOWER
//! `.m`, fields `.h5`, time-series profiles and results files given to `render`.
//!
//! Every case runs the real binary (with a per-case timeout and an address-space limit,
//! so that a runaway allocation aborts instead of taking the machine) and asserts:
//! no panic and no death by signal; exit code 0, 1 or 2; a non-empty message on a
//! non-zero exit; after a non-zero exit nothing in the output directory (no results
//! file, no sidecar, no temporary); after exit 0 no NaN or infinity in the `--json`
//! summary nor in the written temperatures and flows; and NaN or infinity written into a
//! numeric input field is bad input (exit 2), never a result (0) or "not converged" (1).
//!
//! The seeds are fixed, so a failure reproduces; failing cases keep their directory
//! (printed in the summary) with the input and the command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Per-case wall-clock limit: a case still running after it is a hang.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Address space given to each run: enough for every legitimate case here, small enough
/// that an unchecked allocation fails fast instead of starving the machine.
const ADDRESS_SPACE: u64 = 6 << 30;
/// Cases running at once.
const WORKERS: usize = 3;

// ---------------------------------------------------------------------------------
// A tiny deterministic generator (SplitMix64).

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

// ---------------------------------------------------------------------------------
// Cases and their checks.

#[derive(Clone, Copy, PartialEq)]
enum Check {
    /// Nothing beyond the common checks.
    None,
    /// `/thermal/T` (and snapshots, rack histories) finite after exit 0.
    Thermal,
    /// Power-flow outputs finite after exit 0.
    Power,
    /// Time-series outputs finite after exit 0.
    Series,
    /// N-1 outputs finite after exit 0.
    Contingency,
    /// A batch directory: every results file finite, no temporaries.
    Batch,
}

struct Case {
    /// Format and mutation, for the summary.
    label: String,
    dir: PathBuf,
    args: Vec<String>,
    /// A mutation that writes NaN or infinity into a numeric input: must exit 2.
    invalid: bool,
    /// The exit code this case must give, where it is known.
    expect_exit: Option<i32>,
    check: Check,
    json: bool,
}

#[derive(Default)]
struct Outcome {
    failures: Vec<(String, String)>,
    exit: BTreeMap<String, [usize; 3]>,
}

struct Fuzz {
    root: PathBuf,
    cases: Vec<Case>,
    bin: &'static str,
}

impl Fuzz {
    fn new(tag: &str) -> Self {
        let root = std::env::temp_dir().join(format!("tg-fuzz-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        Fuzz { root, cases: Vec::new(), bin: env!("CARGO_BIN_EXE_thermogrid") }
    }
    /// A fresh case directory with an empty `out/`.
    fn dir(&self) -> PathBuf {
        let d = self.root.join(format!("c{:05}", self.cases.len()));
        std::fs::create_dir_all(d.join("out")).unwrap();
        d
    }
    fn push(&mut self, label: &str, dir: PathBuf, args: Vec<String>, invalid: bool, check: Check) {
        let json = args.iter().any(|a| a == "--json");
        self.cases.push(Case { label: label.to_string(), dir, args, invalid, expect_exit: None, check, json });
    }

    /// Run every case on `WORKERS` threads; returns the failures.
    fn run(self) -> Outcome {
        let next = AtomicUsize::new(0);
        let out = Mutex::new(Outcome::default());
        // THERMOGRID_FUZZ_KEEP=1 keeps every case's directory (for reading the outputs).
        let keep = std::env::var_os("THERMOGRID_FUZZ_KEEP").is_some();
        let t0 = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..WORKERS {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(c) = self.cases.get(i) else { break };
                    let (code, fails) = run_case(self.bin, c);
                    let mut o = out.lock().unwrap();
                    let fmt = c.label.split(':').next().unwrap_or("").to_string();
                    if let Some(code) = code.filter(|c| (0..3).contains(c)) {
                        o.exit.entry(fmt).or_default()[code as usize] += 1;
                    }
                    if fails.is_empty() && !keep {
                        let _ = std::fs::remove_dir_all(&c.dir);
                    } else {
                        for (kind, detail) in fails {
                            o.failures.push((kind, format!("{} [{}]\n      {}", c.label, c.dir.display(), detail)));
                        }
                    }
                });
            }
        });
        let o = out.into_inner().unwrap();
        eprintln!("fuzz: {} cases in {:.1} s", self.cases.len(), t0.elapsed().as_secs_f64());
        for (fmt, [a, b, c]) in &o.exit {
            eprintln!("  {fmt:<10} exit 0: {a:>5}   exit 1: {b:>5}   exit 2: {c:>5}");
        }
        if o.failures.is_empty() && !keep {
            let _ = std::fs::remove_dir_all(&self.root);
        }
        o
    }
}

#[cfg(target_os = "linux")]
fn limit_address_space(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    #[repr(C)]
    struct RLimit {
        cur: u64,
        max: u64,
    }
    extern "C" {
        fn setrlimit(resource: i32, rlim: *const RLimit) -> i32;
    }
    const RLIMIT_AS: i32 = 9;
    // SAFETY: setrlimit is async-signal-safe; it only changes this child's limits.
    unsafe {
        cmd.pre_exec(|| {
            let l = RLimit { cur: ADDRESS_SPACE, max: ADDRESS_SPACE };
            setrlimit(RLIMIT_AS, &l);
            Ok(())
        });
    }
}
#[cfg(not(target_os = "linux"))]
fn limit_address_space(_: &mut Command) {}

/// Run one case; returns its exit code and the failed checks (kind, detail).
fn run_case(bin: &str, c: &Case) -> (Option<i32>, Vec<(String, String)>) {
    let mut fails: Vec<(String, String)> = Vec::new();
    let line = format!("thermogrid {}", c.args.join(" "));
    let _ = std::fs::write(c.dir.join("command.txt"), format!("{line}\n# {}\n", c.label));
    let (so, se) = (c.dir.join("stdout.txt"), c.dir.join("stderr.txt"));
    let mut cmd = Command::new(bin);
    cmd.args(&c.args)
        .current_dir(&c.dir)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&so).unwrap())
        .stderr(std::fs::File::create(&se).unwrap());
    limit_address_space(&mut cmd);
    let mut child = cmd.spawn().expect("spawn thermogrid");
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if t0.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(3));
    };
    let stdout = std::fs::read_to_string(&so).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&std::fs::read(&se).unwrap_or_default()).to_string();
    // The panic message (its line and the next), else the last lines of stderr.
    let tail = |s: &str| {
        let lines: Vec<&str> = s.lines().collect();
        match lines.iter().position(|l| l.contains("panicked at") || l.contains("overflowed its stack")) {
            Some(i) => lines[i..(i + 2).min(lines.len())].join(" | "),
            None => lines[lines.len().saturating_sub(3)..].join(" | "),
        }
    };
    let Some(status) = status else {
        fails.push(("hang".into(), format!("{line}: still running after {} s", TIMEOUT.as_secs())));
        return (None, fails);
    };
    if stderr.contains("panicked at") {
        fails.push(("panic".into(), format!("{line}: {}", tail(&stderr))));
    }
    let code = status.code();
    match code {
        None => {
            use std::os::unix::process::ExitStatusExt;
            fails.push(("signal".into(), format!("{line}: signal {:?}: {}", status.signal(), tail(&stderr))));
        }
        Some(101) => {
            if !stderr.contains("panicked at") {
                fails.push(("panic".into(), format!("{line}: exit 101: {}", tail(&stderr))));
            }
        }
        Some(c) if !(0..=2).contains(&c) => {
            fails.push(("exit code".into(), format!("{line}: exit {c}: {}", tail(&stderr))));
        }
        _ => {}
    }
    if let (Some(want), Some(got)) = (c.expect_exit, code) {
        if want != got {
            fails.push((format!("exit {got} where {want} is due"), format!("{line}: {}", tail(&stderr))));
        }
    }
    let out_dir = c.dir.join("out");
    let left: Vec<String> = std::fs::read_dir(&out_dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().to_string()).collect())
        .unwrap_or_default();
    match code {
        Some(0) => {
            if c.invalid {
                fails.push(("invalid input accepted (exit 0)".into(), line.clone()));
            }
            let tmp: Vec<&String> = left.iter().filter(|n| n.contains(".tmp")).collect();
            if !tmp.is_empty() && c.check != Check::Batch {
                fails.push(("temporary file left".into(), format!("{line}: {tmp:?}")));
            }
            if c.json {
                if let Err(m) = json_finite(&stdout) {
                    fails.push(("NaN/inf in --json with exit 0".into(), format!("{line}: {m}")));
                }
            }
            if let Err(m) = outputs_finite(c.check, &out_dir) {
                fails.push(("NaN/inf in output with exit 0".into(), format!("{line}: {m}")));
            }
        }
        Some(k @ (1 | 2)) => {
            if c.invalid && k == 1 {
                fails.push(("invalid input answered with exit 1".into(), format!("{line}: {}", tail(&stderr))));
            }
            if stderr.trim().is_empty() {
                fails.push(("empty message".into(), format!("{line}: exit {k} with nothing on stderr")));
            }
            if c.check == Check::Batch {
                if let Err(m) = outputs_finite(Check::Batch, &out_dir) {
                    fails.push(("batch output".into(), format!("{line}: {m}")));
                }
            } else if !left.is_empty() {
                fails.push((format!("output left after exit {k}"), format!("{line}: {left:?}: {}", tail(&stderr))));
            }
        }
        _ => {}
    }
    (code, fails)
}

/// The `--json` summary parses, and no string in it spells a NaN or an infinity.
fn json_finite(stdout: &str) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(stdout).map_err(|e| format!("not JSON ({e})"))?;
    fn walk(v: &serde_json::Value, path: &str) -> Result<(), String> {
        use serde_json::Value;
        match v {
            Value::Number(n) => match n.as_f64() {
                Some(x) if x.is_finite() => Ok(()),
                _ => Err(format!("{path} = {n}")),
            },
            Value::String(s) => {
                let bad = ["NaN", "nan", "inf", "-inf", "Infinity", "-Infinity"];
                if bad.contains(&s.trim()) || s.contains("NaN") {
                    Err(format!("{path} = {s:?}"))
                } else {
                    Ok(())
                }
            }
            Value::Array(a) => a.iter().enumerate().try_for_each(|(i, x)| walk(x, &format!("{path}[{i}]"))),
            Value::Object(o) => o.iter().try_for_each(|(k, x)| walk(x, &format!("{path}.{k}"))),
            _ => Ok(()),
        }
    }
    walk(&v, "")?;
    // Quantities every thermal summary has as numbers (NaN would print as null).
    if let Some(m) = v.get("max_temperature_c") {
        if !m.is_number() {
            return Err(format!("max_temperature_c = {m}"));
        }
    }
    for r in v.get("racks").and_then(|r| r.as_array()).into_iter().flatten() {
        for k in ["mean_c", "max_c", "intake_c"] {
            if r.get(k).is_some_and(|x| !x.is_number()) {
                return Err(format!("rack {}: {k} = {}", r.get("id").unwrap_or(&serde_json::Value::Null), r[k]));
            }
        }
    }
    Ok(())
}

/// Datasets of the outputs that must be finite after exit 0.
fn outputs_finite(check: Check, out_dir: &Path) -> Result<(), String> {
    let sets: &[&str] = match check {
        Check::None => return Ok(()),
        Check::Thermal | Check::Batch => {
            &["thermal/T", "thermal/snapshots/T", "racks/intake_c", "racks/history/intake_c"]
        }
        Check::Power => &["power/bus/va_deg", "power/branch/pf_mw", "power/branch/pt_mw", "power/gen/pg_mw"],
        Check::Series => &[
            "power/timeseries/it_mw",
            "power/timeseries/net_load_mw",
            "power/timeseries/grid_mw",
            "power/timeseries/battery_mw",
            "power/timeseries/soc",
            "power/timeseries/flows_mw",
        ],
        Check::Contingency => &["power/contingency/lost_load_mw", "power/contingency/violations/flow_mw"],
    };
    let files: Vec<PathBuf> = std::fs::read_dir(out_dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "h5"))
        .collect();
    if check == Check::Batch {
        let names: Vec<String> = std::fs::read_dir(out_dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        if let Some(t) = names.iter().find(|n| n.contains(".tmp")) {
            return Err(format!("temporary file {t} left in the batch directory"));
        }
    } else if files.is_empty() {
        return Err("exit 0 but no results file".into());
    }
    for f in files {
        let h = hdf5::File::open(&f).map_err(|e| format!("{}: cannot open: {e}", f.display()))?;
        for s in sets {
            let Ok(ds) = h.dataset(s) else { continue };
            let v = ds.read_raw::<f64>().map_err(|e| format!("{s}: {e}"))?;
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(format!("{}: /{s}[{i}] = {}", f.display(), v[i]));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Text mutations (TOML and MATPOWER).

/// Values written over a number.
const SPECIAL: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "+inf",
    "1e308",
    "-1e308",
    "0",
    "0.0",
    "-1",
    "-1.0",
    "-0.0",
    "1e-308",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999",
    "2147483648",
    "1e30",
];
const MATLAB_SPECIAL: &[&str] = &[
    "NaN",
    "Inf",
    "-Inf",
    "nan",
    "inf",
    "1e308",
    "-1e308",
    "0",
    "-1",
    "1e-308",
    "9223372036854775807",
    "1e30",
    "-0",
    "1/0",
    "0/0",
    "-1/0",
];

/// Byte ranges of the numbers in `line` (outside strings and comments).
fn numbers(line: &str, comment: char) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let mut v = Vec::new();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == b'"' || (c == b'\'' && comment == '#') {
            quote = Some(c);
            i += 1;
            continue;
        }
        if c as char == comment {
            break;
        }
        let starts = c.is_ascii_digit()
            || ((c == b'-' || c == b'+' || c == b'.') && b.get(i + 1).is_some_and(|d| d.is_ascii_digit()));
        let word_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'.');
        if starts && !word_before {
            let s = i;
            i += 1;
            while i < b.len()
                && (b[i].is_ascii_digit()
                    || b[i] == b'.'
                    || b[i] == b'_'
                    || b[i] == b'e'
                    || b[i] == b'E'
                    || ((b[i] == b'-' || b[i] == b'+') && (b[i - 1] == b'e' || b[i - 1] == b'E')))
            {
                i += 1;
            }
            if !(i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_')) {
                v.push((s, i));
            }
            continue;
        }
        i += 1;
    }
    v
}

/// The key of a `key = value` TOML line.
fn toml_key(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with('[') {
        return None;
    }
    t.split_once('=').map(|(k, _)| k.trim())
}

/// Keys of a profile where an infinity is a legitimate setting ("never").
const INF_OK: &[&str] = &["stop_s", "checkpoint_every_s", "recovery_s"];

/// One random TOML mutation; returns (text, description, whether it wrote NaN/inf into
/// a numeric field).
fn mutate_toml(src: &str, rng: &mut Rng) -> (String, String, bool) {
    let mut lines: Vec<String> = src.lines().map(String::from).collect();
    let keyed: Vec<usize> = (0..lines.len()).filter(|&i| toml_key(&lines[i]).is_some()).collect();
    let numeric: Vec<(usize, (usize, usize))> =
        keyed.iter().flat_map(|&i| numbers(&lines[i], '#').into_iter().map(move |r| (i, r))).collect();
    let op = rng.below(17);
    let mut bad = false;
    let desc;
    match op {
        0..=4 if !numeric.is_empty() => {
            let &(i, (a, b)) = rng.pick(&numeric);
            let v = *rng.pick(SPECIAL);
            let key = toml_key(&lines[i]).unwrap_or("").to_string();
            bad = matches!(v, "nan" | "inf" | "-inf" | "+inf") && !(v != "nan" && INF_OK.contains(&key.as_str()));
            desc = format!("line {}: {} → {v}", i + 1, &lines[i][a..b]);
            lines[i].replace_range(a..b, v);
        }
        5 if !keyed.is_empty() => {
            let i = *rng.pick(&keyed);
            desc = format!("delete line {}: {}", i + 1, lines[i]);
            lines.remove(i);
        }
        6 if !keyed.is_empty() => {
            let i = *rng.pick(&keyed);
            desc = format!("duplicate line {}: {}", i + 1, lines[i]);
            let l = lines[i].clone();
            lines.insert(i + 1, l);
        }
        7 if !keyed.is_empty() => {
            let i = *rng.pick(&keyed);
            let key = toml_key(&lines[i]).unwrap().to_string();
            let v = *rng.pick(&[
                "\"text\"",
                "\"1.0\"",
                "true",
                "[1.0, 2.0]",
                "[]",
                "{ a = 1 }",
                "1979-05-27T07:32:00Z",
                "\"\"",
                "[[1], [\"a\"]]",
                "-7",
                "1.5",
                "\"north\"",
                "\"x\"",
            ]);
            desc = format!("line {}: {key} = {v}", i + 1);
            lines[i] = format!("{key} = {v}");
        }
        8 => {
            let cut = rng.below(src.len() + 1);
            let mut c = cut;
            while !src.is_char_boundary(c) {
                c -= 1;
            }
            return (src[..c].to_string(), format!("truncate at byte {c}"), false);
        }
        9 => {
            let mut bytes = src.as_bytes().to_vec();
            let n = 1 + rng.below(4);
            for _ in 0..n {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            // Not UTF-8 any more is fine: that is input too.
            let s = unsafe_string(bytes);
            return (s, format!("flip {n} bits"), false);
        }
        10 => {
            let depth = *rng.pick(&[64usize, 1000, 50_000]);
            let (open, close) = if rng.chance(0.5) { ("[", "]") } else { ("{ a = ", " }") };
            let v = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            let i = if keyed.is_empty() { 0 } else { *rng.pick(&keyed) };
            desc = format!("line {}: {depth} nested {open}", i + 1);
            match toml_key(lines.get(i).map(|s| s.as_str()).unwrap_or("")) {
                Some(k) => lines[i] = format!("{} = {v}", k.to_string()),
                None => lines.insert(0, format!("deep = {v}")),
            }
        }
        11 if lines.len() > 2 => {
            let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
            desc = format!("swap lines {} and {}", a + 1, b + 1);
            lines.swap(a, b);
        }
        12 => {
            let header = *rng.pick(&[
                "[floor]",
                "[[rack]]",
                "[[cooling]]",
                "[materials]",
                "[transient]",
                "[[event]]",
                "[sweep]",
                "[airflow]",
                "[network]",
                "[[network.bus]]",
                "[workload]",
                "[battery]",
                "[controller]",
                "[unknown]",
            ]);
            let i = rng.below(lines.len() + 1);
            desc = format!("insert {header} at line {}", i + 1);
            lines.insert(i, header.to_string());
        }
        13 | 14 if !numeric.is_empty() => {
            // A plausible change: the input often stays valid and reaches the solvers.
            let &(i, (a, b)) = rng.pick(&numeric);
            let x: f64 = lines[i][a..b].replace('_', "").parse().unwrap_or(1.0);
            let f = *rng.pick(&[0.5, 2.0, 10.0, 0.1, 1.5, 0.9, 3.0, -1.0]);
            let v = if lines[i][a..b].contains(['.', 'e', 'E']) {
                format!("{:?}", x * f)
            } else {
                format!("{}", (x * f).round() as i64)
            };
            desc = format!("line {}: {} → {v}", i + 1, &lines[i][a..b]);
            lines[i].replace_range(a..b, &v);
        }
        _ => {
            // A large value where a small one was.
            let i = if keyed.is_empty() { 0 } else { *rng.pick(&keyed) };
            let key = lines.get(i).and_then(|l| toml_key(l)).unwrap_or("name").to_string();
            let big = *rng.pick(&["\"x\"", "\"\u{1F525}\"", "\"a\\u0000b\""]);
            let n = *rng.pick(&[1usize, 1000, 200_000]);
            let v = if big == "\"x\"" { format!("\"{}\"", "x".repeat(n)) } else { big.to_string() };
            desc = format!("line {}: {key} = <{} chars>", i + 1, v.len());
            if i < lines.len() {
                lines[i] = format!("{key} = {v}");
            }
        }
    }
    let mut s = lines.join("\n");
    s.push('\n');
    (s, desc, bad)
}

fn unsafe_string(bytes: Vec<u8>) -> String {
    // Keep invalid UTF-8 as is: the file is written from these bytes, not from the text.
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let b = e.into_bytes();
            // Mark: written raw by `write_raw_or_text`.
            format!("\u{0}RAW{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
        }
    }
}

fn write_text(path: &Path, s: &str) {
    if let Some(hex) = s.strip_prefix("\u{0}RAW") {
        let b: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        std::fs::write(path, b).unwrap();
    } else {
        std::fs::write(path, s).unwrap();
    }
}

/// Columns of the MATPOWER matrices that the DC power flow uses; NaN there is bad input.
fn used_column(matrix: &str, col: usize) -> bool {
    match matrix {
        "bus" => [0, 1, 2, 4].contains(&col),
        "gen" => [0, 1, 7].contains(&col),
        "branch" => [0, 1, 3, 8, 9, 10].contains(&col),
        _ => false,
    }
}

fn mutate_matpower(src: &str, rng: &mut Rng) -> (String, String, bool) {
    let mut lines: Vec<String> = src.lines().map(String::from).collect();
    // (line, range, matrix, column)
    let mut entries: Vec<(usize, (usize, usize), String, usize)> = Vec::new();
    let mut matrix = String::new();
    let mut rows: Vec<usize> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if let Some(rest) = t.strip_prefix("mpc.") {
            let name = rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("");
            if name == "baseMVA" {
                for r in numbers(l, '%') {
                    entries.push((i, r, "baseMVA".into(), 0));
                }
            }
            matrix = if t.contains('[') && !t.contains("];") { name.to_string() } else { String::new() };
            continue;
        }
        if t.starts_with("];") || t.starts_with(']') {
            matrix.clear();
            continue;
        }
        if !matrix.is_empty() && !t.is_empty() && !t.starts_with('%') {
            rows.push(i);
            for (col, r) in numbers(l, '%').into_iter().enumerate() {
                entries.push((i, r, matrix.clone(), col));
            }
        }
    }
    let mut bad = false;
    let desc;
    match rng.below(12) {
        0..=4 if !entries.is_empty() => {
            let (i, (a, b), m, col) = rng.pick(&entries).clone();
            let v = *rng.pick(MATLAB_SPECIAL);
            let is_nan = matches!(v, "NaN" | "nan" | "0/0");
            let is_inf = matches!(v, "Inf" | "-Inf" | "inf" | "1/0" | "-1/0");
            let inf_bad = m == "baseMVA"
                || (m == "bus" && [0, 2].contains(&col))
                || (m == "gen" && [0, 1].contains(&col))
                || (m == "branch" && [0, 1].contains(&col));
            bad = (is_nan && (m == "baseMVA" || used_column(&m, col))) || (is_inf && inf_bad);
            desc = format!("line {}: mpc.{m} column {col}: {} → {v}", i + 1, &lines[i][a..b]);
            lines[i].replace_range(a..b, v);
        }
        5 if !rows.is_empty() => {
            let i = *rng.pick(&rows);
            desc = format!("delete row at line {}", i + 1);
            lines.remove(i);
        }
        6 if !rows.is_empty() => {
            let i = *rng.pick(&rows);
            desc = format!("duplicate row at line {}", i + 1);
            let l = lines[i].clone();
            lines.insert(i + 1, l);
        }
        7 if !entries.is_empty() => {
            let (i, (a, b), m, col) = rng.pick(&entries).clone();
            let depth = *rng.pick(&[50usize, 5_000, 50_000]);
            let v = match rng.below(4) {
                0 => format!("{}1{}", "(".repeat(depth), ")".repeat(depth)),
                1 => format!("{}1", "-".repeat(depth)),
                2 => format!("1{}", "+1".repeat(depth)),
                _ => format!("{}1{}", "sqrt(".repeat(depth), ")".repeat(depth)),
            };
            desc = format!("line {}: mpc.{m} column {col}: depth-{depth} expression", i + 1);
            lines[i].replace_range(a..b, &v);
        }
        8 if !entries.is_empty() => {
            let (i, (a, b), m, col) = rng.pick(&entries).clone();
            let v = *rng.pick(&["'text'", "\"x\"", "[1 2]", "{1}", "x", "1e", "1..2", "()", "2*", "pi(", "@", "1,2"]);
            desc = format!("line {}: mpc.{m} column {col}: {v}", i + 1);
            lines[i].replace_range(a..b, v);
        }
        9 => {
            let mut cut = rng.below(src.len() + 1);
            while !src.is_char_boundary(cut) {
                cut -= 1;
            }
            return (src[..cut].to_string(), format!("truncate at byte {cut}"), false);
        }
        10 => {
            let extra = *rng.pick(&[
                "mpc.bus = 5;",
                "mpc.baseMVA = 'x';",
                "mpc.baseMVA = [];",
                "mpc.gen = [];",
                "mpc.branch = [",
                "x = 3;",
                "mpc.bus(2, 3) = 10;",
                "function mpc = other",
                "mpc.bus = zeros(100000000, 13);",
                "mpc.version = 2;",
                "];",
            ]);
            let i = rng.below(lines.len() + 1);
            desc = format!("insert {extra:?} at line {}", i + 1);
            lines.insert(i, extra.to_string());
        }
        _ => {
            let mut bytes = src.as_bytes().to_vec();
            let n = 1 + rng.below(4);
            for _ in 0..n {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            return (unsafe_string(bytes), format!("flip {n} bits"), false);
        }
    }
    let mut s = lines.join("\n");
    s.push('\n');
    (s, desc, bad)
}

/// Apply 1–3 mutations; NaN/inf is only "obviously invalid" when it is the only change.
fn mutate_n(src: &str, rng: &mut Rng, f: fn(&str, &mut Rng) -> (String, String, bool)) -> (String, String, bool) {
    let n = if rng.chance(0.7) { 1 } else { 2 + rng.below(2) };
    let mut s = src.to_string();
    let mut descs = Vec::new();
    let mut bad = false;
    for k in 0..n {
        if s.starts_with("\u{0}RAW") {
            break;
        }
        let (t, d, b) = f(&s, rng);
        s = t;
        descs.push(d);
        bad = b && k == 0 && n == 1;
    }
    (s, descs.join("; "), bad)
}

// ---------------------------------------------------------------------------------
// Inputs.

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// hall_small at 0.2 m cells (7 000 cells: each solve takes milliseconds).
fn hall_small() -> String {
    let s = std::fs::read_to_string(repo("meshes/hall_small.toml")).unwrap();
    let s = s.replace("\ncell_m = 0.1\n", "\ncell_m = 0.2\n");
    assert!(s.contains("\ncell_m = 0.2\n"));
    s
}

/// The small room; its racks and units name buses of [`NETWORK`].
const TINY_FED: &str = r#"name = "fuzz tiny"
description = "a small room"
[floor]
width_m = 4.0
depth_m = 3.0
cell_m = 0.2
height_m = 3.0
[floor.walls]
west = "adiabatic"
south = 22.0
[materials]
air_k_w_mk = 2000.0
rack_k_w_mk = 1500.0
air_rho_cp_j_m3k = 1192.0
[[rack]]
id = "R1"
x_m = 1.0
y_m = 1.0
width_m = 0.6
depth_m = 1.2
height_m = 2.2
facing = "north"
power_kw = 30.0
liquid_fraction = 0.2
feed_bus = "PDU"
[[rack_row]]
id = "A"
x_m = 2.0
y_m = 0.4
count = 2
pitch_m = 0.6
width_m = 0.6
depth_m = 1.2
facing = "north"
power_kw = 20.0
feed_bus = "PDU"
[[cooling]]
id = "C1"
kind = "crah"
x_m = 0.0
y_m = 0.0
width_m = 0.8
depth_m = 0.8
height_m = 2.0
capacity_kw = 80.0
supply_c = 20.0
delta_t_k = 12.0
electric_kw = 20.0
feed_bus = "MECH"
[[cooling]]
id = "CDU1"
kind = "cdu"
capacity_kw = 20.0
[[supply]]
id = "T1"
x_m = 1.0
y_m = 2.4
width_m = 1.2
depth_m = 0.4
supply_c = 19.0
airflow_m3_s = 1.0
[[obstacle]]
id = "COL"
kind = "column"
x_m = 3.4
y_m = 2.4
width_m = 0.4
depth_m = 0.4
k_w_mk = 1.4
"#;

const NETWORK: &str = r#"
[network]
base_mva = 100.0
[[network.bus]]
id = "UTIL"
kind = "utility"
kv = 13.8
[[network.bus]]
id = "PDU"
kind = "pdu"
kv = 0.415
[[network.bus]]
id = "MECH"
kind = "switchgear"
kv = 0.48
[[network.bus]]
id = "GEN"
kind = "generator"
kv = 13.8
reference = false
[[network.branch]]
id = "TX-1"
from = "UTIL"
to = "PDU"
x_pu = 2.3
rating_mw = 2.0
tap = 1.0
shift_deg = 0.0
[[network.branch]]
id = "TX-2"
from = "UTIL"
to = "MECH"
x_ohm = 0.5
kv = 13.8
rating_mw = 1.0
[[network.branch]]
id = "GEN-LINE"
from = "GEN"
to = "UTIL"
x_pu = 0.1
rating_mw = 5.0
[[network.generator]]
id = "GT-1"
bus = "GEN"
p_mw = 0.01
p_max_mw = 2.0
[[network.battery]]
id = "BESS"
bus = "UTIL"
power_mw = 0.1
energy_mwh = 0.2
soc = 0.5
efficiency = 0.9
[[network.load]]
id = "offices"
bus = "MECH"
p_mw = 0.01
"#;

const THREE_D: &str = r#"name = "fuzz 3-D"
[floor]
width_m = 3.0
depth_m = 2.0
cell_m = 0.25
height_m = 2.5
layers = 10
[floor.walls]
floor = "adiabatic"
ceiling = 24.0
[[rack]]
id = "R1"
x_m = 1.0
y_m = 0.5
facing = "north"
power_kw = 10.0
width_m = 0.5
depth_m = 1.0
height_m = 2.0
[[cooling]]
id = "CRAH"
kind = "crah"
x_m = 0.0
y_m = 0.5
width_m = 0.5
depth_m = 1.0
height_m = 2.0
capacity_kw = 20.0
supply_c = 20.0
delta_t_k = 10.0
[[supply]]
id = "TILE"
x_m = 1.0
y_m = 1.5
width_m = 0.5
depth_m = 0.5
height_m = 0.25
supply_c = 18.0
h_w_m3k = 500.0
"#;

const SCENARIO: &str = r#"
[transient]
dt_s = 5.0
duration_s = 30.0
snapshot_every_s = 10.0
scheme = "backward-euler"
thresholds_c = [27.0, 32.0]
[[event]]
at_s = 10.0
kind = "cooling_failure"
units = ["IRC-A1", "IRC-A2"]
[[event]]
at_s = 15.0
kind = "it_load"
factor = 1.2
racks = ["A1-01"]
[[event]]
at_s = 20.0
kind = "supply_temperature"
supply_c = 22.0
"#;

const TINY_SCENARIO: &str = r#"
[transient]
dt_s = 10.0
duration_s = 40.0
scheme = "crank-nicolson"
[[event]]
at_s = 10.0
kind = "cooling_failure"
units = ["C1"]
[[event]]
at_s = 20.0
kind = "it_load"
factor = 1.5
"#;

const SWEEP: &str = r#"
[sweep]
supply_c = [18.0, 22.0]
air_k_w_mk = [1000.0]
it_power_scale = [0.5, 1.0]
"#;

const AIRFLOW: &str = "\n[airflow]\nmodel = \"potential\"\nturbulent_k_w_mk = 100.0\nrack_delta_t_k = 12.0\n";

const PROFILE: &str = r#"dt_s = 1.0
steps = 120
[workload]
gpus = 0
w_per_gpu = 1275.0
idle_frac = 0.2
compute_frac = 0.95
sync_period_s = 20.0
sync_s = 4.0
sync_frac = 0.35
checkpoint_every_s = 60.0
checkpoint_s = 10.0
checkpoint_frac = 0.25
start_s = 5.0
ramp_up_s = 10.0
stop_s = 100.0
ramp_down_s = 10.0
jitter_frac = 0.01
seed = 7
keep_busy = false
keep_busy_frac = 0.85
[battery]
power_mw = 50.0
energy_mwh = 100.0
round_trip_efficiency = 0.9
soc_min = 0.1
soc_max = 0.9
soc_initial = 0.5
[controller]
max_ramp_mw_per_s = 0.5
soc_target = 0.5
recovery_s = 900.0
"#;

// ---------------------------------------------------------------------------------
// HDF5 inputs written here.

/// A fields file as data: datasets (name, shape, values) and attributes.
#[derive(Clone)]
struct Fields {
    sets: Vec<(String, Vec<usize>, Vec<f64>)>,
    nums: Vec<(String, f64)>,
    strs: Vec<(String, String)>,
}

fn fields_2d(transient: bool) -> Fields {
    let (ny, nx) = (6, 8);
    let n = ny * nx;
    let mut sets = vec![
        ("k".to_string(), vec![ny, nx], (0..n).map(|i| 1.0 + (i % 5) as f64).collect()),
        ("q".to_string(), vec![ny, nx], (0..n).map(|i| if i % 7 == 0 { 1e3 } else { 0.0 }).collect()),
        ("h".to_string(), vec![ny, nx], (0..n).map(|i| if i % 11 == 0 { 50.0 } else { 0.0 }).collect()),
        ("T_expected".to_string(), vec![ny, nx], vec![21.0; n]),
    ];
    if transient {
        sets.push(("rho_cp".to_string(), vec![ny, nx], vec![1192.0; n]));
        sets.push(("T_initial".to_string(), vec![ny, nx], (0..n).map(|i| 20.0 + (i % 3) as f64).collect()));
    }
    let mut nums = vec![("dx".to_string(), 0.1), ("T_amb".to_string(), 20.0), ("T_wall_xlo".to_string(), 25.0)];
    if transient {
        nums.push(("dt_implicit_s".to_string(), 0.5));
        nums.push(("nsteps_implicit".to_string(), 4.0));
    }
    let strs = vec![
        ("bc_xlo".to_string(), "dirichlet".to_string()),
        ("bc_xhi".to_string(), "adiabatic".to_string()),
        ("bc_ylo".to_string(), "adiabatic".to_string()),
        ("bc_yhi".to_string(), "adiabatic".to_string()),
        ("description".to_string(), "fuzz".to_string()),
    ];
    Fields { sets, nums, strs }
}

fn fields_3d() -> Fields {
    let (nz, ny, nx) = (3, 4, 5);
    let n = nz * ny * nx;
    let sets = vec![
        ("k".to_string(), vec![nz, ny, nx], vec![2.0; n]),
        ("q".to_string(), vec![nz, ny, nx], (0..n).map(|i| (i % 4) as f64 * 100.0).collect()),
        ("h".to_string(), vec![nz, ny, nx], vec![0.0; n]),
    ];
    let nums = vec![("dx".to_string(), 0.2), ("T_amb".to_string(), 20.0), ("T_wall_zhi".to_string(), 30.0)];
    let mut strs: Vec<(String, String)> =
        ["xlo", "xhi", "ylo", "yhi", "zlo"].iter().map(|w| (format!("bc_{w}"), "adiabatic".to_string())).collect();
    strs.push(("bc_zhi".to_string(), "dirichlet".to_string()));
    Fields { sets, nums, strs }
}

fn str_attr(loc: &hdf5::Location, name: &str, v: &str) {
    let s: hdf5::types::VarLenUnicode = v.parse().unwrap();
    loc.new_attr::<hdf5::types::VarLenUnicode>().shape(()).create(name).unwrap().write_scalar(&s).unwrap();
}

/// How one dataset or attribute of a fields file is written instead of its data.
#[derive(Clone, Debug)]
enum H5Edit {
    /// Write the dataset with this dtype.
    Dtype(&'static str),
    /// Declare this shape (chunked, nothing written).
    Declared(Vec<usize>),
    /// Write this shape (values repeated or cut).
    Shape(Vec<usize>),
    /// A group where the dataset should be.
    Group,
    /// Leave it out.
    Missing,
    /// An attribute of the wrong type.
    AttrStr(String),
    AttrArray,
}

fn write_fields(path: &Path, f: &Fields, edits: &[(String, H5Edit)]) {
    let file = hdf5::File::create(path).unwrap();
    let edit = |name: &str| edits.iter().find(|(n, _)| n == name).map(|(_, e)| e.clone());
    for (name, shape, v) in &f.sets {
        match edit(name) {
            Some(H5Edit::Missing) => {}
            Some(H5Edit::Group) => {
                file.create_group(name).unwrap();
            }
            Some(H5Edit::Declared(s)) => {
                let chunk: Vec<usize> = s.iter().map(|&d| d.clamp(1, 64)).collect();
                file.new_dataset::<f64>().shape(s).chunk(chunk).create(name.as_str()).unwrap();
            }
            Some(H5Edit::Shape(s)) => {
                let n: usize = s.iter().product();
                let data: Vec<f64> = (0..n).map(|i| v[i % v.len()]).collect();
                let ds = file.new_dataset::<f64>().shape(s).create(name.as_str()).unwrap();
                if n > 0 {
                    ds.write_raw(&data).unwrap();
                }
            }
            Some(H5Edit::Dtype(t)) => match t {
                "f32" => {
                    let d: Vec<f32> = v.iter().map(|&x| x as f32).collect();
                    let ds = file.new_dataset::<f32>().shape(shape.clone()).create(name.as_str()).unwrap();
                    ds.write_raw(&d).unwrap();
                }
                "i32" => {
                    let d: Vec<i32> = v.iter().map(|&x| x as i32).collect();
                    let ds = file.new_dataset::<i32>().shape(shape.clone()).create(name.as_str()).unwrap();
                    ds.write_raw(&d).unwrap();
                }
                "u8" => {
                    let d: Vec<u8> = v.iter().map(|&x| x as u8).collect();
                    let ds = file.new_dataset::<u8>().shape(shape.clone()).create(name.as_str()).unwrap();
                    ds.write_raw(&d).unwrap();
                }
                "bool" => {
                    let d: Vec<bool> = v.iter().map(|&x| x > 1.0).collect();
                    let ds = file.new_dataset::<bool>().shape(shape.clone()).create(name.as_str()).unwrap();
                    ds.write_raw(&d).unwrap();
                }
                _ => {
                    let d: Vec<hdf5::types::VarLenUnicode> = v.iter().map(|x| x.to_string().parse().unwrap()).collect();
                    let ds = file
                        .new_dataset::<hdf5::types::VarLenUnicode>()
                        .shape(shape.clone())
                        .create(name.as_str())
                        .unwrap();
                    ds.write_raw(&d).unwrap();
                }
            },
            _ => {
                let ds = file.new_dataset::<f64>().shape(shape.clone()).create(name.as_str()).unwrap();
                ds.write_raw(v).unwrap();
            }
        }
    }
    for (name, v) in &f.nums {
        match edit(name) {
            Some(H5Edit::Missing) => {}
            Some(H5Edit::AttrStr(s)) => str_attr(&file, name, &s),
            Some(H5Edit::AttrArray) => {
                file.new_attr_builder().with_data(&[*v, *v][..]).create(name.as_str()).unwrap();
            }
            _ => {
                file.new_attr::<f64>().shape(()).create(name.as_str()).unwrap().write_scalar(v).unwrap();
            }
        }
    }
    for (name, v) in &f.strs {
        match edit(name) {
            Some(H5Edit::Missing) => {}
            Some(H5Edit::AttrStr(s)) => str_attr(&file, name, &s),
            Some(H5Edit::AttrArray) => {
                file.new_attr::<f64>().shape(()).create(name.as_str()).unwrap().write_scalar(&1.0).unwrap();
            }
            _ => str_attr(&file, name, v),
        }
    }
}

const VALUES: &[f64] = &[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e308, -1e308, 0.0, -1.0, 1e-308, -0.0, 1e30];

/// A mutated fields file; returns the description and whether it is obviously invalid.
fn mutate_fields(base: &Fields, path: &Path, rng: &mut Rng) -> (String, bool) {
    let mut f = base.clone();
    let mut edits: Vec<(String, H5Edit)> = Vec::new();
    let shape = f.sets[0].1.clone();
    let names: Vec<String> = f.sets.iter().map(|s| s.0.clone()).collect();
    let desc;
    let mut bad = false;
    match rng.below(12) {
        0..=3 => {
            // A value inside a dataset.
            let k = rng.below(f.sets.len());
            let v = *rng.pick(VALUES);
            let i = rng.below(f.sets[k].2.len());
            f.sets[k].2[i] = v;
            bad = !v.is_finite();
            desc = format!("{}[{i}] = {v}", f.sets[k].0);
        }
        4 => {
            let k = rng.below(f.nums.len());
            let v = *rng.pick(VALUES);
            f.nums[k].1 = v;
            let name = f.nums[k].0.clone();
            // A dirichlet wall's temperature, dx and T_amb are used; counts and steps are
            // metadata.
            bad = !v.is_finite() && (name == "dx" || name == "T_amb" || name.starts_with("T_wall_"));
            desc = format!("attribute {name} = {v}");
        }
        5 => {
            let n = rng.pick(&names).clone();
            let t = *rng.pick(&["f32", "i32", "u8", "bool", "string"]);
            desc = format!("dataset {n} as {t}");
            edits.push((n, H5Edit::Dtype(t)));
        }
        6 => {
            let n = rng.pick(&names).clone();
            let s = rng
                .pick(&[
                    vec![100_000, 100_000],
                    vec![1 << 40],
                    vec![1 << 20, 1 << 20, 1 << 20],
                    vec![3_000_000_000],
                    vec![50_000, 50_000],
                ])
                .clone();
            desc = format!("dataset {n} declared {s:?}");
            edits.push((n.clone(), H5Edit::Declared(s.clone())));
            if rng.chance(0.5) {
                for m in &names {
                    if m != &n {
                        edits.push((m.clone(), H5Edit::Declared(s.clone())));
                    }
                }
            }
        }
        7 => {
            let n = rng.pick(&names).clone();
            let mut s = shape.clone();
            match rng.below(6) {
                0 => s = vec![shape.iter().product()],
                1 => s.insert(0, 2),
                2 => s[0] += 1,
                3 => s[0] = 0,
                4 => *s.last_mut().unwrap() = 1,
                _ => s = vec![1, 1, 1, 1],
            }
            desc = format!("dataset {n} with shape {s:?}");
            edits.push((n, H5Edit::Shape(s)));
        }
        8 => {
            let n = rng.pick(&names).clone();
            let e = if rng.chance(0.5) { H5Edit::Group } else { H5Edit::Missing };
            desc = format!("dataset {n}: {e:?}");
            edits.push((n, e));
        }
        9 => {
            let all: Vec<String> =
                f.nums.iter().map(|x| x.0.clone()).chain(f.strs.iter().map(|x| x.0.clone())).collect();
            let n = rng.pick(&all).clone();
            let e = match rng.below(3) {
                0 => H5Edit::Missing,
                1 => H5Edit::AttrStr(rng.pick(&["dirichlet", "neumann", "", "0.1", "adiabatic"]).to_string()),
                _ => H5Edit::AttrArray,
            };
            desc = format!("attribute {n}: {e:?}");
            edits.push((n, e));
        }
        10 => {
            // Every field extreme at once.
            let v = *rng.pick(&[1e308, -1e308, 1e-308, 1e154]);
            for s in f.sets.iter_mut() {
                s.2.iter_mut().for_each(|x| *x = v);
            }
            desc = format!("every value = {v}");
        }
        _ => {
            // No heat path: h = 0 and every wall adiabatic.
            for s in f.sets.iter_mut().filter(|s| s.0 == "h") {
                s.2.iter_mut().for_each(|x| *x = 0.0);
            }
            for s in f.strs.iter_mut().filter(|s| s.0.starts_with("bc_")) {
                s.1 = "adiabatic".into();
            }
            desc = "no heat path".into();
        }
    }
    write_fields(path, &f, &edits);
    (desc, bad)
}

/// Byte ranges of the raw data of every dataset in an HDF5 file (contiguous storage or
/// each chunk).
fn data_regions(path: &Path) -> Vec<(u64, u64)> {
    fn walk(g: &hdf5::Group, out: &mut Vec<(u64, u64)>) {
        for name in g.member_names().unwrap_or_default() {
            if let Ok(ds) = g.dataset(&name) {
                if let Some(o) = ds.offset() {
                    out.push((o, ds.storage_size()));
                } else if let Some(n) = ds.num_chunks() {
                    for i in 0..n {
                        if let Some(c) = ds.chunk_info(i) {
                            out.push((c.addr, c.size));
                        }
                    }
                }
            } else if let Ok(sub) = g.group(&name) {
                walk(&sub, out);
            }
        }
    }
    let mut v = Vec::new();
    if let Ok(f) = hdf5::File::open(path) {
        walk(&f, &mut v);
    }
    v.retain(|&(_, n)| n > 0);
    v
}

/// Flip bits or cut an existing file. Flips land in the datasets' raw data (values,
/// compressed chunks) or the format signature: libhdf5 1.10 itself crashes on some
/// corrupted metadata (a global-heap id in a string attribute: SIGSEGV in H5HG_read),
/// which no reader can guard against; truncation covers metadata it checks.
fn corrupt_bytes(src: &Path, dst: &Path, rng: &mut Rng) -> String {
    let mut b = std::fs::read(src).unwrap();
    let regions = data_regions(src);
    let desc = if rng.chance(0.25) || regions.is_empty() {
        let cut = rng.below(b.len());
        b.truncate(cut);
        format!("truncate at byte {cut}")
    } else {
        let n = 1 + rng.below(8);
        let mut at = Vec::new();
        for _ in 0..n {
            let i = if rng.chance(0.1) {
                rng.below(8)
            } else {
                let &(o, len) = rng.pick(&regions);
                (o + rng.below(len as usize) as u64) as usize
            };
            if i < b.len() {
                b[i] ^= 1 << rng.below(8);
                at.push(i);
            }
        }
        format!("flip bits at {at:?}")
    };
    std::fs::write(dst, b).unwrap();
    desc
}

/// A mutated results file for `render`, starting from a copy of `base`.
fn mutate_results(base: &Path, path: &Path, rng: &mut Rng) -> (String, bool) {
    std::fs::copy(base, path).unwrap();
    let f = hdf5::File::open_rw(path).unwrap();
    let t = f.dataset("thermal/T").unwrap();
    let shape = t.shape();
    let vals = t.read_raw::<f64>().unwrap();
    drop(t);
    let cells = vals.len();
    let has_snap = f.link_exists("thermal/snapshots");
    let th = f.group("thermal").unwrap();
    let replace = |g: &hdf5::Group, name: &str| {
        if g.link_exists(name) {
            g.unlink(name).unwrap();
        }
    };
    let mut bad = false;
    let desc = match rng.below(13) {
        0 | 1 => {
            let mut v = vals.clone();
            let x = *rng.pick(VALUES);
            let i = rng.below(cells);
            v[i] = x;
            bad = !x.is_finite();
            replace(&th, "T");
            th.new_dataset::<f64>().shape(shape.clone()).create("T").unwrap().write_raw(&v).unwrap();
            format!("T[{i}] = {x}")
        }
        2 => {
            let mut s = shape.clone();
            match rng.below(6) {
                0 => s = vec![cells],
                1 => s.insert(0, 2),
                2 => s[0] += 1,
                3 => s[0] = 0,
                4 => s = vec![1, 1, 1, 1],
                _ => *s.last_mut().unwrap() -= 1,
            }
            let n: usize = s.iter().product();
            replace(&th, "T");
            let ds = th.new_dataset::<f64>().shape(s.clone()).create("T").unwrap();
            if n > 0 {
                let v: Vec<f64> = (0..n).map(|i| vals[i % cells]).collect();
                ds.write_raw(&v).unwrap();
            }
            format!("T with shape {s:?}")
        }
        3 => {
            let t = *rng.pick(&["i32", "u8", "f32", "string"]);
            replace(&th, "T");
            match t {
                "i32" => {
                    let v: Vec<i32> = vals.iter().map(|&x| x as i32).collect();
                    th.new_dataset::<i32>().shape(shape.clone()).create("T").unwrap().write_raw(&v).unwrap();
                }
                "u8" => {
                    let v: Vec<u8> = vals.iter().map(|&x| x as u8).collect();
                    th.new_dataset::<u8>().shape(shape.clone()).create("T").unwrap().write_raw(&v).unwrap();
                }
                "f32" => {
                    let v: Vec<f32> = vals.iter().map(|&x| x as f32).collect();
                    th.new_dataset::<f32>().shape(shape.clone()).create("T").unwrap().write_raw(&v).unwrap();
                }
                _ => {
                    let v: Vec<hdf5::types::VarLenUnicode> =
                        vals.iter().map(|x| x.to_string().parse().unwrap()).collect();
                    th.new_dataset::<hdf5::types::VarLenUnicode>()
                        .shape(shape.clone())
                        .create("T")
                        .unwrap()
                        .write_raw(&v)
                        .unwrap();
                }
            }
            format!("T as {t}")
        }
        4 => {
            let s = rng.pick(&[vec![100_000, 100_000], vec![1 << 20, 1 << 20, 4], vec![3_000_000_000, 1]]).clone();
            let which = *rng.pick(&["T", "material", "snapshots/T"]);
            if which == "snapshots/T" && !has_snap {
                th.create_group("snapshots").unwrap();
            }
            replace(&th, which);
            let chunk: Vec<usize> = s.iter().map(|&d| d.clamp(1, 64)).collect();
            th.new_dataset::<f64>().shape(s.clone()).chunk(chunk).create(which).unwrap();
            format!("{which} declared {s:?}")
        }
        5 => {
            // material of another shape or type.
            replace(&th, "material");
            match rng.below(4) {
                0 => {
                    let v = vec![1u8; cells / 2];
                    th.new_dataset::<u8>().shape([cells / 2]).create("material").unwrap().write_raw(&v).unwrap();
                    "material half as long".to_string()
                }
                1 => {
                    let v = vec![3.5f64; cells];
                    th.new_dataset::<f64>().shape(shape.clone()).create("material").unwrap().write_raw(&v).unwrap();
                    "material as f64".to_string()
                }
                2 => {
                    let v: Vec<u8> = (0..cells).map(|i| (i * 37 % 256) as u8).collect();
                    th.new_dataset::<u8>().shape(shape.clone()).create("material").unwrap().write_raw(&v).unwrap();
                    "material with every id".to_string()
                }
                _ => "material missing".to_string(),
            }
        }
        6 => {
            // Snapshots that disagree with the field or with their times.
            if !has_snap {
                th.create_group("snapshots").unwrap();
            }
            let sg = th.group("snapshots").unwrap();
            let frames = 1 + rng.below(3);
            let what = rng.below(5);
            replace(&sg, "T");
            replace(&sg, "time_s");
            let times: Vec<f64> = (0..frames + usize::from(what == 0) * 3).map(|k| k as f64 * 10.0).collect();
            sg.new_dataset::<f64>().shape([times.len()]).create("time_s").unwrap().write_raw(&times).unwrap();
            let mut s = vec![frames];
            s.extend(&shape);
            if what == 1 {
                *s.last_mut().unwrap() += 1;
            }
            if what == 2 {
                s = vec![frames, cells / 2];
            }
            let n: usize = s.iter().product();
            let mut v: Vec<f32> = (0..n).map(|i| vals[i % cells] as f32).collect();
            if what == 3 {
                v[rng.below(n)] = f32::NAN;
                bad = true;
            }
            if what == 4 {
                let v: Vec<f64> = v.iter().map(|&x| x as f64).collect();
                sg.new_dataset::<f64>().shape(s.clone()).create("T").unwrap().write_raw(&v).unwrap();
            } else {
                sg.new_dataset::<f32>().shape(s.clone()).create("T").unwrap().write_raw(&v).unwrap();
            }
            format!("snapshots: {} times, T {s:?} (variant {what})", times.len())
        }
        7 if has_snap => {
            let sg = th.group("snapshots").unwrap();
            let t = sg.dataset("time_s").unwrap().read_raw::<f64>().unwrap();
            let mut t2 = t.clone();
            let x = *rng.pick(VALUES);
            let i = rng.below(t2.len());
            t2[i] = x;
            bad = !x.is_finite();
            replace(&sg, "time_s");
            sg.new_dataset::<f64>().shape([t2.len()]).create("time_s").unwrap().write_raw(&t2).unwrap();
            format!("snapshots/time_s[{i}] = {x}")
        }
        8 => {
            let g = f.group("grid").unwrap();
            let _ = g.delete_attr("dx");
            let x = *rng.pick(VALUES);
            match rng.below(4) {
                0 => {
                    str_attr(&g, "dx", "0.1");
                    "grid dx as a string".to_string()
                }
                1 => "grid dx missing".to_string(),
                _ => {
                    g.new_attr::<f64>().shape(()).create("dx").unwrap().write_scalar(&x).unwrap();
                    bad = !x.is_finite();
                    format!("grid dx = {x}")
                }
            }
        }
        9 => {
            let _ = f.delete_attr("facility_name");
            match rng.below(3) {
                0 => {
                    str_attr(&f, "facility_name", &"W".repeat(200_000));
                    "facility_name of 200 000 characters".to_string()
                }
                1 => {
                    f.new_attr::<f64>().shape(()).create("facility_name").unwrap().write_scalar(&1.0).unwrap();
                    "facility_name as a number".to_string()
                }
                _ => {
                    str_attr(&f, "facility_name", "\u{202e}\u{1F525}\t\n");
                    "facility_name with control characters".to_string()
                }
            }
        }
        10 => {
            if rng.chance(0.5) {
                replace(&th, "T");
                "T missing".to_string()
            } else {
                replace(&f, "thermal");
                f.new_attr::<f64>().shape(()).create("thermal").unwrap().write_scalar(&1.0).unwrap();
                "/thermal missing".to_string()
            }
        }
        11 => {
            // Every temperature the same, or extreme.
            let x = *rng.pick(&[20.0, 1e308, -1e308, 1e-308]);
            replace(&th, "T");
            th.new_dataset::<f64>().shape(shape.clone()).create("T").unwrap().write_raw(&vec![x; cells]).unwrap();
            format!("every T = {x}")
        }
        _ => {
            drop(th);
            drop(f);
            let d = corrupt_bytes(base, path, rng);
            return (d, false);
        }
    };
    (desc, bad)
}

// ---------------------------------------------------------------------------------
// The campaign.

fn s(x: &str) -> String {
    x.to_string()
}

/// Run the binary once in setup; panics unless it exits 0.
fn setup_run(bin: &str, dir: &Path, args: &[&str]) {
    let o = Command::new(bin).args(args).current_dir(dir).output().unwrap();
    assert!(o.status.success(), "setup: thermogrid {} failed: {}", args.join(" "), String::from_utf8_lossy(&o.stderr));
}

#[test]
fn every_input_format_survives_seeded_mutations() {
    let mut fz = Fuzz::new("all");
    let bin = fz.bin;
    let base_dir = fz.root.join("base");
    std::fs::create_dir_all(&base_dir).unwrap();

    // --- facility TOML --------------------------------------------------------------
    let hall = hall_small();
    let tiny_net = format!("{TINY_FED}{NETWORK}");
    let tiny = TINY_FED.replace("feed_bus = \"PDU\"\n", "").replace("feed_bus = \"MECH\"\n", "");
    let tiny = tiny.as_str();
    let facilities: Vec<(&str, String, Vec<&str>, usize)> = vec![
        // (label, text, extra args, cases)
        ("hall", hall.clone(), vec![], 170),
        ("hall_airflow", format!("{hall}{AIRFLOW}"), vec![], 130),
        ("hall_scenario", format!("{hall}{SCENARIO}"), vec!["--transient"], 130),
        ("tiny", tiny_net.clone(), vec![], 200),
        ("tiny_scenario", format!("{tiny_net}{TINY_SCENARIO}"), vec!["--transient"], 100),
        ("tiny_sweep", format!("{tiny}{SWEEP}"), vec![], 60),
        ("3d", THREE_D.to_string(), vec![], 90),
        ("3d_airflow", format!("{THREE_D}{AIRFLOW}"), vec![], 60),
    ];
    let mut rng = Rng(0x7E57_F00D);
    for (label, text, extra, n) in &facilities {
        // The unmutated input solves.
        let p = base_dir.join(format!("{label}.toml"));
        std::fs::write(&p, text).unwrap();
        let mut args = vec!["solve", p.to_str().unwrap(), "--backend", "cpu"];
        args.extend(extra.iter());
        setup_run(bin, &base_dir, &args);
        for _ in 0..*n {
            let (m, desc, bad) = mutate_n(text, &mut rng, mutate_toml);
            let d = fz.dir();
            write_text(&d.join("facility.toml"), &m);
            let mut args = vec![s("solve"), s("facility.toml"), s("-o"), s("out/r.h5"), s("--backend"), s("cpu")];
            args.extend(extra.iter().map(|x| s(x)));
            if rng.chance(0.7) {
                args.push(s("--json"));
            }
            fz.push(&format!("facility:{label}: {desc}"), d, args, bad, Check::Thermal);
        }
    }
    // validate, and a batch with a sweep.
    for _ in 0..60 {
        let (text, _) = (&facilities[rng.below(facilities.len())].1, ());
        let (m, desc, bad) = mutate_n(text, &mut rng, mutate_toml);
        let d = fz.dir();
        write_text(&d.join("facility.toml"), &m);
        fz.push(&format!("validate: {desc}"), d, vec![s("validate"), s("facility.toml")], bad, Check::None);
    }
    for _ in 0..40 {
        let (m, desc, _) = mutate_n(&format!("{tiny}{SWEEP}"), &mut rng, mutate_toml);
        let d = fz.dir();
        std::fs::create_dir_all(d.join("in")).unwrap();
        write_text(&d.join("in/a.toml"), &m);
        std::fs::write(d.join("in/b.toml"), tiny).unwrap();
        let args = vec![s("batch"), s("in"), s("-o"), s("out"), s("--backend"), s("cpu"), s("--jobs"), s("2")];
        fz.push(&format!("batch: {desc}"), d, args, false, Check::Batch);
    }
    // Named problems of the issue.
    let named: Vec<(&str, String)> = vec![
        ("duration 1e308", format!("{tiny}{}", TINY_SCENARIO.replace("duration_s = 40.0", "duration_s = 1e308"))),
        ("dt 1e-300", format!("{tiny}{}", TINY_SCENARIO.replace("dt_s = 10.0", "dt_s = 1e-300"))),
        (
            "4e6 snapshots of 120 000 cells",
            format!(
                "{}{}",
                tiny.replace("cell_m = 0.2", "cell_m = 0.01"),
                TINY_SCENARIO.replace("dt_s = 10.0", "dt_s = 1e-5\nsnapshot_every_s = 1e-5")
            ),
        ),
        ("airflow without cooling", {
            let mut t = String::from(tiny);
            let a = t.find("[[cooling]]").unwrap();
            let b = t.find("[[obstacle]]").unwrap();
            t.replace_range(a..b, "");
            format!("{}{AIRFLOW}", t.replace("south = 22.0\n", ""))
        }),
        ("sweep of 1000^3", {
            let v = (0..1000).map(|i| format!("{}.0", 10 + i % 30)).collect::<Vec<_>>().join(", ");
            let k = (0..1000).map(|i| format!("{}.0", 100 + i)).collect::<Vec<_>>().join(", ");
            format!("{tiny}\n[sweep]\nsupply_c = [{v}]\nair_k_w_mk = [{k}]\nit_power_scale = [{k}]\n")
        }),
        ("rack power 1e308", tiny.replace("power_kw = 30.0", "power_kw = 1e308")),
        (
            "rack row of 1e9 tiny racks",
            tiny.replace(
                "count = 2\npitch_m = 0.6\nwidth_m = 0.6",
                "count = 1000000000\npitch_m = 1e-9\nwidth_m = 1e-9",
            ),
        ),
    ];
    for (what, text) in named {
        for cmd in ["solve", "validate", "batch"] {
            let d = fz.dir();
            let (args, check) = match cmd {
                "batch" => {
                    std::fs::create_dir_all(d.join("in")).unwrap();
                    std::fs::write(d.join("in/a.toml"), &text).unwrap();
                    (vec![s("batch"), s("in"), s("-o"), s("out"), s("--backend"), s("cpu")], Check::Batch)
                }
                "validate" => {
                    std::fs::write(d.join("facility.toml"), &text).unwrap();
                    (vec![s("validate"), s("facility.toml")], Check::None)
                }
                _ => {
                    std::fs::write(d.join("facility.toml"), &text).unwrap();
                    let mut a = vec![s("solve"), s("facility.toml")];
                    if text.contains("[transient]") {
                        a.push(s("--transient"));
                    }
                    a.extend([s("-o"), s("out/r.h5"), s("--backend"), s("cpu"), s("--json")]);
                    (a, Check::Thermal)
                }
            };
            // Each of these is bad input (exit 2); a batch reports a failed case with
            // exit 1 by design, so there only the common checks apply.
            fz.push(&format!("named: {what} ({cmd})"), d, args, false, check);
            if cmd != "batch" {
                fz.cases.last_mut().unwrap().expect_exit = Some(2);
            }
        }
    }

    // --- MATPOWER -------------------------------------------------------------------
    for (case, n) in [("case9", 150), ("case14", 150), ("case30", 160)] {
        let text = std::fs::read_to_string(repo(&format!("tests/data/cases/{case}.m"))).unwrap();
        for k in 0..n {
            let (m, desc, bad) = mutate_n(&text, &mut rng, mutate_matpower);
            let d = fz.dir();
            write_text(&d.join(format!("{case}.m")), &m);
            let f = format!("{case}.m");
            let (args, check) = match k % 5 {
                0 => (
                    vec![s("contingency"), f, s("--backend"), s("cpu"), s("-o"), s("out/n1.h5"), s("--json")],
                    Check::Contingency,
                ),
                1 => (
                    vec![
                        s("timeseries"),
                        f,
                        s("--steps"),
                        s("50"),
                        s("--backend"),
                        s("cpu"),
                        s("-o"),
                        s("out/ts.h5"),
                        s("--json"),
                    ],
                    Check::Series,
                ),
                3 => (vec![s("powerflow"), f, s("--ac"), s("-o"), s("out/pf.h5"), s("--json")], Check::Power),
                4 if k % 2 == 0 => (
                    vec![s("powerflow"), f, s("--ac"), s("--enforce-q-lims"), s("-o"), s("out/pf.h5"), s("--json")],
                    Check::Power,
                ),
                _ => (vec![s("powerflow"), f, s("-o"), s("out/pf.h5"), s("--json")], Check::Power),
            };
            fz.push(&format!("matpower:{case}: {desc}"), d, args, bad, check);
        }
    }
    // A facility's [network] through the power commands.
    for k in 0..90 {
        let (m, desc, bad) = mutate_n(&tiny_net, &mut rng, mutate_toml);
        let d = fz.dir();
        write_text(&d.join("facility.toml"), &m);
        let (args, check) = match k % 3 {
            0 if k % 2 == 0 => {
                (vec![s("powerflow"), s("facility.toml"), s("-o"), s("out/pf.h5"), s("--json")], Check::Power)
            }
            0 => (
                vec![s("powerflow"), s("facility.toml"), s("--ac"), s("-o"), s("out/pf.h5"), s("--json")],
                Check::Power,
            ),
            1 => (
                vec![
                    s("contingency"),
                    s("facility.toml"),
                    s("--backend"),
                    s("cpu"),
                    s("-o"),
                    s("out/n1.h5"),
                    s("--json"),
                ],
                Check::Contingency,
            ),
            _ => (
                vec![
                    s("timeseries"),
                    s("facility.toml"),
                    s("--steps"),
                    s("30"),
                    s("--backend"),
                    s("cpu"),
                    s("-o"),
                    s("out/ts.h5"),
                    s("--json"),
                ],
                Check::Series,
            ),
        };
        fz.push(&format!("network: {desc}"), d, args, bad, check);
    }

    // --- profiles ---------------------------------------------------------------------
    let case9 = std::fs::read_to_string(repo("tests/data/cases/case9.m")).unwrap();
    setup_run(bin, &base_dir, &{
        std::fs::write(base_dir.join("profile.toml"), PROFILE).unwrap();
        std::fs::write(base_dir.join("case9.m"), &case9).unwrap();
        ["timeseries", "case9.m", "--profile", "profile.toml", "--backend", "cpu"]
    });
    for k in 0..300 {
        let (m, desc, bad) = mutate_n(PROFILE, &mut rng, mutate_toml);
        let d = fz.dir();
        write_text(&d.join("profile.toml"), &m);
        let net = if k % 4 == 0 {
            std::fs::write(d.join("facility.toml"), &tiny_net).unwrap();
            "facility.toml"
        } else {
            std::fs::write(d.join("case9.m"), &case9).unwrap();
            "case9.m"
        };
        let mut args = vec![
            s("timeseries"),
            s(net),
            s("--profile"),
            s("profile.toml"),
            s("--backend"),
            s("cpu"),
            s("-o"),
            s("out/ts.h5"),
        ];
        if k % 3 != 0 {
            args.push(s("--json"));
        }
        fz.push(&format!("profile: {desc}"), d, args, bad, Check::Series);
    }

    // --- fields files -----------------------------------------------------------------
    let f2 = fields_2d(false);
    let f2t = fields_2d(true);
    let f3 = fields_3d();
    for (label, base, n) in [("2d", &f2, 130), ("2d_transient", &f2t, 130), ("3d", &f3, 90)] {
        let p = base_dir.join(format!("{label}.h5"));
        write_fields(&p, base, &[]);
        let transient = label.ends_with("transient");
        let args: Vec<&str> = if transient {
            vec!["solve", p.to_str().unwrap(), "--transient", "--dt", "0.5", "--steps", "4", "--backend", "cpu"]
        } else {
            vec!["solve", p.to_str().unwrap(), "--backend", "cpu"]
        };
        setup_run(bin, &base_dir, &args);
        for k in 0..n {
            let d = fz.dir();
            let (desc, bad) = mutate_fields(base, &d.join("fields.h5"), &mut rng);
            let mut args = if transient {
                vec![s("solve"), s("fields.h5"), s("--transient"), s("--dt"), s("0.5"), s("--steps"), s("4")]
            } else {
                vec![s("solve"), s("fields.h5")]
            };
            args.extend([s("--backend"), s("cpu"), s("-o"), s("out/r.h5"), s("--json")]);
            let (args, check) =
                if k % 10 == 9 { (vec![s("validate"), s("fields.h5")], Check::None) } else { (args, Check::Thermal) };
            fz.push(&format!("fields:{label}: {desc}"), d, args, bad, check);
        }
    }
    for (file, n, transient) in
        [("tests/data/thermal/mms2d_64x64.h5", 50, false), ("tests/data/thermal/transient2d_mode_64x48.h5", 50, true)]
    {
        for _ in 0..n {
            let d = fz.dir();
            let desc = corrupt_bytes(&repo(file), &d.join("fields.h5"), &mut rng);
            let mut args =
                vec![s("solve"), s("fields.h5"), s("--backend"), s("cpu"), s("-o"), s("out/r.h5"), s("--json")];
            if transient {
                args.extend([s("--transient"), s("--dt"), s("0.01"), s("--steps"), s("2")]);
            }
            fz.push(&format!("fields:bytes: {file}: {desc}"), d, args, false, Check::Thermal);
        }
    }

    // --- results files for render ---------------------------------------------------
    let mut results = Vec::new();
    for (label, text, extra) in [
        ("tiny", tiny.to_string(), vec![]),
        ("3d", THREE_D.to_string(), vec![]),
        ("scenario", format!("{tiny}{TINY_SCENARIO}"), vec!["--transient"]),
    ] {
        let p = base_dir.join(format!("{label}_r.toml"));
        std::fs::write(&p, text).unwrap();
        let out = base_dir.join(format!("{label}_r.h5"));
        let mut args = vec!["solve", p.to_str().unwrap(), "--backend", "cpu", "-o", out.to_str().unwrap()];
        args.extend(extra);
        setup_run(bin, &base_dir, &args);
        results.push(out);
    }
    let fields_out = base_dir.join("fields_r.h5");
    setup_run(
        bin,
        &base_dir,
        &["solve", base_dir.join("2d.h5").to_str().unwrap(), "--backend", "cpu", "-o", fields_out.to_str().unwrap()],
    );
    results.push(fields_out);
    for r in &results {
        setup_run(bin, &base_dir, &["render", r.to_str().unwrap(), "-o", base_dir.join("base.png").to_str().unwrap()]);
    }
    for k in 0..360 {
        let base = &results[k % results.len()];
        let d = fz.dir();
        let (desc, bad) = mutate_results(base, &d.join("results.h5"), &mut rng);
        let args = vec![s("render"), s("results.h5"), s("-o"), s("out/map.png")];
        let name = base.file_name().unwrap().to_string_lossy().to_string();
        fz.push(&format!("render:{name}: {desc}"), d, args, bad, Check::None);
    }

    // --- command-line values ----------------------------------------------------------
    let flag_cases: Vec<(Vec<&str>, bool)> = vec![
        (vec!["solve", "tiny.toml", "--tol", "nan"], true),
        (vec!["solve", "tiny.toml", "--tol", "inf"], true),
        (vec!["solve", "tiny.toml", "--tol", "0"], true),
        (vec!["solve", "tiny.toml", "--tol", "-1"], true),
        (vec!["solve", "tiny.toml", "--tol", "1e308"], true),
        (vec!["solve", "tiny.toml", "--max-iter", "0"], false),
        (vec!["solve", "tiny.toml", "--max-iter", "18446744073709551615"], false),
        (vec!["solve", "scenario.toml", "--transient", "--dt", "nan"], true),
        (vec!["solve", "scenario.toml", "--transient", "--dt", "-1"], true),
        (vec!["solve", "scenario.toml", "--transient", "--dt", "inf"], true),
        (vec!["solve", "scenario.toml", "--transient", "--dt", "1e-300"], false),
        (vec!["solve", "fields.h5", "--transient", "--dt", "nan", "--steps", "2"], true),
        (vec!["solve", "fields.h5", "--transient", "--dt", "0.5", "--steps", "0"], true),
        (vec!["solve", "fields.h5", "--transient", "--dt", "1e308", "--steps", "2"], false),
        (vec!["solve", "fields.h5", "--transient", "--dt", "0.5", "--steps", "18446744073709551615"], false),
        (vec!["solve", "fields.h5", "--transient", "--scheme", "forward-euler", "--dt", "1e9", "--steps", "2"], false),
        (vec!["timeseries", "case9.m", "--steps", "0"], true),
        (vec!["timeseries", "case9.m", "--steps", "1000000000"], false),
        (vec!["timeseries", "case9.m", "--steps", "18446744073709551615"], false),
        (vec!["timeseries", "case9.m", "--dt", "nan"], true),
        (vec!["timeseries", "case9.m", "--dt", "0"], true),
        (vec!["timeseries", "case9.m", "--dt", "inf"], true),
        (vec!["contingency", "case9.m", "--threshold", "nan"], true),
        (vec!["contingency", "case9.m", "--threshold", "inf"], true),
        (vec!["contingency", "case9.m", "--top", "0"], false),
        (vec!["contingency", "case9.m", "--top", "18446744073709551615"], false),
        (vec!["contingency", "case9.m", "--full"], false),
        (vec!["powerflow", "case9.m", "--repeat", "0"], false),
        (vec!["batch", "in", "--tol", "nan"], true),
        (vec!["batch", "in", "--tol", "inf"], true),
        (vec!["batch", "in", "--jobs", "0"], false),
    ];
    for (args, bad) in flag_cases {
        let d = fz.dir();
        std::fs::write(d.join("tiny.toml"), tiny).unwrap();
        std::fs::write(d.join("scenario.toml"), format!("{tiny}{TINY_SCENARIO}")).unwrap();
        std::fs::write(d.join("case9.m"), &case9).unwrap();
        std::fs::create_dir_all(d.join("in")).unwrap();
        std::fs::write(d.join("in/a.toml"), tiny).unwrap();
        write_fields(&d.join("fields.h5"), &f2t, &[]);
        let mut a: Vec<String> = args.iter().map(|x| s(x)).collect();
        let check = match args[0] {
            "batch" => {
                a.extend([s("-o"), s("out"), s("--backend"), s("cpu")]);
                Check::Batch
            }
            "powerflow" => {
                a.extend([s("-o"), s("out/pf.h5"), s("--json")]);
                Check::Power
            }
            "contingency" => {
                a.extend([s("-o"), s("out/n1.h5"), s("--json"), s("--backend"), s("cpu")]);
                Check::Contingency
            }
            "timeseries" => {
                a.extend([s("-o"), s("out/ts.h5"), s("--json"), s("--backend"), s("cpu")]);
                Check::Series
            }
            _ => {
                a.extend([s("-o"), s("out/r.h5"), s("--json"), s("--backend"), s("cpu")]);
                Check::Thermal
            }
        };
        fz.push(&format!("flags: {}", args.join(" ")), d, a, bad, check);
    }

    let total = fz.cases.len();
    let root = fz.root.clone();
    assert!(total >= 2000, "only {total} cases");
    let o = fz.run();
    if !o.failures.is_empty() {
        let mut by: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
        for (k, d) in &o.failures {
            by.entry(k.as_str()).or_default().push(d);
        }
        let all: String = o.failures.iter().map(|(k, d)| format!("{k}: {d}\n")).collect();
        let _ = std::fs::write(root.join("failures.txt"), all);
        let mut msg = format!(
            "{} of {total} fuzz cases failed (all in {}):\n",
            o.failures.len(),
            root.join("failures.txt").display()
        );
        for (k, v) in &by {
            msg += &format!("  {k}: {} case(s)\n", v.len());
            for d in v.iter().take(12) {
                msg += &format!("    - {d}\n");
            }
        }
        panic!("{msg}");
    }
}
