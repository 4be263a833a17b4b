//! The command line explains itself: every argument and option of every command has a
//! description in `--help`, and every command shows an example whose bundled files
//! exist; `render` writes PNG only (chosen by the output's extension) and takes a colour
//! range, a layer or height, rack labels and metre axes, refusing bad values with exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_thermogrid"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run thermogrid")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tg-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The subcommands `thermogrid --help` lists (less `help`).
fn commands() -> Vec<String> {
    let o = run(&["--help"]);
    assert!(o.status.success(), "{}", text(&o));
    let help = String::from_utf8_lossy(&o.stdout).to_string();
    let mut in_cmds = false;
    let mut cmds = Vec::new();
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_cmds = true;
            continue;
        }
        if in_cmds {
            if !line.starts_with("  ") {
                break;
            }
            let name = line.split_whitespace().next().unwrap_or("");
            if name != "help" && !name.is_empty() {
                cmds.push(name.to_string());
            }
        }
    }
    cmds
}

/// Every argument or option line of `help` with its description; a line with none is
/// returned with an empty one.
fn described(help: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = help.lines().collect();
    let mut out = Vec::new();
    let mut section = false;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("Arguments:") || line.starts_with("Options:") {
            section = true;
            continue;
        }
        if !line.starts_with(' ') && !line.is_empty() {
            section = false;
        }
        if !section {
            continue;
        }
        // An item: `-x`, `--long` or `<ARG>` at the item indent (2 spaces, 6 for a long
        // option without a short one); deeper lines are continuations or value lists.
        let rest = line.trim_start();
        let indent = line.len() - rest.len();
        if !((indent == 2 || indent == 6) && (rest.starts_with('-') || rest.starts_with('<'))) {
            continue;
        }
        // Inline layout: the spec, two or more spaces, the description.
        let (spec, inline) = match rest.find("  ") {
            Some(k) => (rest[..k].to_string(), rest[k..].trim().to_string()),
            None => (rest.trim().to_string(), String::new()),
        };
        let desc = if !inline.is_empty() {
            inline
        } else {
            // Next-line layout: the description is the next line, indented deeper.
            lines.get(i + 1).filter(|l| l.starts_with("          ")).map(|l| l.trim().to_string()).unwrap_or_default()
        };
        let desc = if desc.starts_with('[') { String::new() } else { desc };
        out.push((spec, desc));
    }
    out
}

#[test]
fn the_help_parser_finds_an_option_without_a_description() {
    let inline = "Usage: x\n\nArguments:\n  <FILE>  A file\n\nOptions:\n  -o, --output <OUTPUT>  \n      --backend <B>  [default: auto] [possible values: cpu, gpu]\n      --json  JSON\n  -h, --help  Print help\n";
    let d = described(inline);
    assert_eq!(d.len(), 5, "{d:?}");
    assert_eq!(d.iter().filter(|(_, t)| t.is_empty()).count(), 2, "{d:?}");
    let next_line = "Options:\n  -o, --output <OUTPUT>\n\n      --backend <B>\n          Where\n\n          Possible values:\n          - cpu: CPU\n\n      --tol <TOL>\n          [default: 1e-10]\n";
    let d = described(next_line);
    assert_eq!(d.len(), 3, "{d:?}");
    assert_eq!(d.iter().map(|(_, t)| t.is_empty()).collect::<Vec<_>>(), [true, false, true], "{d:?}");
}

#[test]
fn every_command_describes_every_option_and_shows_an_example() {
    let cmds = commands();
    for want in
        ["solve", "validate", "batch", "summarize", "report", "render", "contingency", "timeseries", "powerflow"]
    {
        assert!(cmds.iter().any(|c| c == want), "{want} missing from `thermogrid --help`: {cmds:?}");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for cmd in &cmds {
        let o = run(&[cmd, "--help"]);
        assert!(o.status.success(), "{cmd} --help: {}", text(&o));
        let help = String::from_utf8_lossy(&o.stdout).to_string();
        let items = described(&help);
        assert!(items.iter().any(|(s, _)| s.contains("--help")), "{cmd}: no options parsed from\n{help}");
        for (spec, desc) in &items {
            assert!(!desc.is_empty(), "`thermogrid {cmd} --help`: {spec} has no description\n{help}");
        }
        for must in ["--quiet"] {
            assert!(items.iter().any(|(s, _)| s.contains(must)), "{cmd}: no {must}\n{help}");
        }
        // An example that runs this command, naming bundled files that exist.
        assert!(help.contains("Example"), "`thermogrid {cmd} --help` shows no example\n{help}");
        let examples: Vec<&str> =
            help.lines().filter(|l| l.trim_start().starts_with(&format!("thermogrid {cmd}"))).collect();
        assert!(!examples.is_empty(), "{cmd}: no example line `thermogrid {cmd} …`\n{help}");
        for ex in examples {
            for tok in ex.split_whitespace() {
                let tok = tok.trim_matches('\'');
                if (tok.starts_with("meshes/") || tok.starts_with("tests/data/")) && !tok.contains('*') {
                    assert!(root.join(tok).exists(), "{cmd}'s example names {tok}, which does not exist");
                }
            }
        }
    }
    // Every option that changes a command's output is described where it is: the
    // options the issue names, explicitly.
    let solve = String::from_utf8_lossy(&run(&["solve", "--help"]).stdout).to_string();
    for (opt, words) in [("--backend", "software"), ("--json", "JSON"), ("--tol", "residual"), ("<FILE>", "TOML")] {
        let d = described(&solve).into_iter().find(|(s, _)| s.contains(opt)).map(|(_, d)| d).unwrap_or_default();
        assert!(d.contains(words), "solve {opt}: \"{d}\" does not mention {words}");
    }
}

/// A results file of meshes/hall_small.toml, solved once per test process.
fn hall_small() -> PathBuf {
    static H5: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    H5.get_or_init(|| {
        let dir = scratch("solved");
        let h5 = dir.join("hall_small.h5");
        let mesh = Path::new(env!("CARGO_MANIFEST_DIR")).join("meshes/hall_small.toml");
        let o = run(&["solve", mesh.to_str().unwrap(), "--backend", "cpu", "--quiet", "-o", h5.to_str().unwrap()]);
        assert!(o.status.success(), "{}", text(&o));
        h5
    })
    .clone()
}

/// The size and RGB pixels of a PNG.
fn pixels(p: &Path) -> (usize, usize, Vec<u8>) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(p).unwrap()));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

#[test]
fn render_chooses_png_by_extension_and_refuses_the_rest() {
    let h5 = hall_small();
    let dir = scratch("format");
    for bad in ["map.jpg", "map.svg", "map.PNG.gz", "map"] {
        let out = dir.join(bad);
        let o = run(&["render", h5.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", text(&o));
        assert!(!out.exists(), "{bad} was written");
        assert!(text(&o).contains(".png"), "{bad}: the message names no fix: {}", text(&o));
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
    // Upper-case .PNG is PNG.
    let out = dir.join("map.PNG");
    let o = run(&["render", h5.to_str().unwrap(), "-o", out.to_str().unwrap(), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(&std::fs::read(&out).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn render_takes_a_range_labels_and_axes() {
    let h5 = hall_small();
    let dir = scratch("options");
    let render = |name: &str, extra: &[&str]| -> (Output, PathBuf) {
        let out = dir.join(name);
        let mut args = vec!["render", h5.to_str().unwrap(), "-o", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        (run(&args), out)
    };
    let (o, plain) = render("plain.png", &[]);
    assert!(o.status.success(), "{}", text(&o));
    let (o, ranged) = render("ranged.png", &["--range", "20:30", "--labels"]);
    assert!(o.status.success(), "{}", text(&o));
    let (pw, ph, pp) = pixels(&plain);
    let (rw, rh, rp) = pixels(&ranged);
    assert_eq!((pw, ph), (rw, rh), "a range and labels keep the picture's size");
    let changed = pp.chunks(3).zip(rp.chunks(3)).filter(|(a, b)| a != b).count();
    assert!(changed > 1000, "--range 20:30 --labels changed only {changed} pixels");
    // Labels alone change the picture too (the rack ids are drawn on the map).
    let (o, labelled) = render("labelled.png", &["--labels"]);
    assert!(o.status.success(), "{}", text(&o));
    let (_, _, lp) = pixels(&labelled);
    assert_ne!(lp, pp, "--labels drew nothing");
    // Axes make room for the ticks and their labels.
    let (o, axes) = render("axes.png", &["--axes"]);
    assert!(o.status.success(), "{}", text(&o));
    let (aw, ah, _) = pixels(&axes);
    assert!(aw > pw && ah > ph, "--axes: {aw}×{ah} vs {pw}×{ph}");
    // Bad values: exit 2, a message naming the flag, nothing written.
    for (name, args, flag) in [
        ("r1.png", vec!["--range", "30:20"], "--range"),
        ("r2.png", vec!["--range", "20"], "--range"),
        ("r3.png", vec!["--range", "nan:30"], "--range"),
        ("r4.png", vec!["--range", "20:inf"], "--range"),
        ("l1.png", vec!["--layer", "1"], "--layer"),
        ("h1.png", vec!["--height-m", "1.0"], "--height-m"),
        ("both.png", vec!["--layer", "0", "--height-m", "1.0"], "--height-m"),
    ] {
        let (o, out) = render(name, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(flag), "{args:?}: {}", text(&o));
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A 3-D results file: `nz` layers of `ny` × `nx` cells of `dx` m, layer k at 20 + 5k °C
/// plus a gradient along x.
fn results_3d(path: &Path, nz: usize, ny: usize, nx: usize, dx: f64) {
    let f = hdf5::File::create(path).unwrap();
    let t: Vec<f64> =
        (0..nz * ny * nx).map(|c| 20.0 + 5.0 * (c / (ny * nx)) as f64 + (c % nx) as f64 / nx as f64).collect();
    let th = f.create_group("thermal").unwrap();
    th.new_dataset::<f64>().shape([nz, ny, nx]).create("T").unwrap().write_raw(&t).unwrap();
    let g = f.create_group("grid").unwrap();
    g.new_attr::<f64>().create("dx").unwrap().write_scalar(&dx).unwrap();
}

#[test]
fn render_picks_a_layer_or_a_height_within_the_grid() {
    let dir = scratch("layers");
    let h5 = dir.join("box.h5");
    results_3d(&h5, 4, 30, 40, 0.5);
    let render = |name: &str, extra: &[&str]| -> (Output, PathBuf) {
        let out = dir.join(name);
        let mut args = vec!["render", h5.to_str().unwrap(), "-o", out.to_str().unwrap(), "--range", "15:45"];
        args.extend_from_slice(extra);
        (run(&args), out)
    };
    let (o, l0) = render("l0.png", &["--layer", "0"]);
    assert!(o.status.success(), "{}", text(&o));
    let (o, l3) = render("l3.png", &["--layer", "3"]);
    assert!(o.status.success(), "{}", text(&o));
    let (o, h) = render("h.png", &["--height-m", "1.9"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_ne!(pixels(&l0).2, pixels(&l3).2, "layers 0 and 3 drew the same picture");
    // 1.9 m lies in layer 3 (1.5–2.0 m).
    assert_eq!(pixels(&h).2, pixels(&l3).2, "--height-m 1.9 is not layer 3");
    let (o, out) = render("l4.png", &["--layer", "4"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("0 to 3"), "the valid range is not named: {}", text(&o));
    assert!(!out.exists());
    let (o, out) = render("h5.png", &["--height-m", "2.5"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("0 to 2"), "the valid range is not named: {}", text(&o));
    assert!(!out.exists());
    // A file without racks has nothing to label: exit 2, not a panic.
    let (o, out) = render("lab.png", &["--labels"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--labels") && !out.exists(), "{}", text(&o));
    std::fs::remove_dir_all(&dir).ok();
}
