//! Inputs that ask for too much or hold nonsense are bad input: exit 2, a message naming
//! the file, the item (and line:column where there is one) and the fix, nothing written.
//! Each case here was found by `tests/fuzz.rs` or named in the issue.

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOM: &str = r#"name = "limits"
[floor]
width_m = 4.0
depth_m = 3.0
cell_m = 0.2
height_m = 3.0
[[rack]]
id = "R1"
x_m = 1.0
y_m = 1.0
facing = "north"
power_kw = 30.0
[[rack_row]]
id = "A"
x_m = 2.0
y_m = 0.4
count = 2
facing = "north"
power_kw = 20.0
[[cooling]]
id = "C1"
kind = "crah"
x_m = 0.0
y_m = 0.0
width_m = 0.8
depth_m = 0.8
capacity_kw = 80.0
supply_c = 20.0
delta_t_k = 12.0
"#;

const SCENARIO: &str = "\n[transient]\ndt_s = 10.0\nduration_s = 40.0\n";

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Self {
        let d = std::env::temp_dir().join(format!("tg-limits-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("out")).unwrap();
        Dir(d)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    /// Run thermogrid; (exit code, stderr). Never a panic.
    fn run(&self, args: &[&str]) -> (i32, String) {
        let o = Command::new(env!("CARGO_BIN_EXE_thermogrid")).args(args).current_dir(&self.0).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!err.contains("panicked"), "panic: {err}");
        (o.status.code().expect("exited, not killed by a signal"), err)
    }
    /// `args` must exit 2 with every needle in the message, a fix, and nothing in out/.
    fn expect_bad(&self, args: &[&str], needles: &[&str]) -> String {
        let t0 = std::time::Instant::now();
        let (code, err) = self.run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(t0.elapsed().as_secs() < 10, "{args:?} took {:?} to refuse", t0.elapsed());
        for n in needles {
            assert!(err.contains(n), "{args:?}: message lacks {n:?}: {err}");
        }
        assert!(err.contains("fix:"), "{args:?}: no fix: {err}");
        let left: Vec<_> = std::fs::read_dir(self.path("out")).unwrap().collect();
        assert!(left.is_empty(), "{args:?}: left {left:?}");
        err
    }
    fn facility(&self, text: &str) -> &'static str {
        std::fs::write(self.path("facility.toml"), text).unwrap();
        "facility.toml"
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn solve_and_validate(d: &Dir, text: &str, transient: bool, needles: &[&str]) {
    let f = d.facility(text);
    let mut args = vec!["solve", f, "--backend", "cpu", "-o", "out/r.h5"];
    if transient {
        args.push("--transient");
    }
    d.expect_bad(&args, needles);
    d.expect_bad(&["validate", f], needles);
}

#[test]
fn scenario_of_1e308_seconds_is_refused_with_its_step_count() {
    let d = Dir::new("duration");
    let text = format!("{ROOM}{}", SCENARIO.replace("duration_s = 40.0", "duration_s = 1e308"));
    solve_and_validate(&d, &text, true, &["[transient]", "duration_s = 1e308 is beyond any physical value"]);
    let text = format!("{ROOM}{}", SCENARIO.replace("duration_s = 40.0", "duration_s = 1e11"));
    let at = format!("facility.toml:{}:1", ROOM.lines().count() + 2);
    solve_and_validate(&d, &text, true, &[&at, "[transient]", "steps, more than 10000000"]);
    let text = format!("{ROOM}{}", SCENARIO.replace("dt_s = 10.0", "dt_s = 1e-300"));
    solve_and_validate(&d, &text, true, &["[transient]", "dt_s = 1e-300", "larger time step"]);
    // The step given on the command line is bounded the same way.
    let f = d.facility(&format!("{ROOM}{SCENARIO}"));
    d.expect_bad(
        &["solve", f, "--transient", "--dt", "1e-300", "--backend", "cpu", "-o", "out/r.h5"],
        &["--dt = 1e-300"],
    );
}

#[test]
fn scenario_snapshots_beyond_memory_are_refused() {
    let d = Dir::new("snapshots");
    // 4 × 10⁶ steps (under the step limit), a snapshot at each, of 120 000 cells: 1.9 TB.
    let text = format!(
        "{}{}",
        ROOM.replace("cell_m = 0.2", "cell_m = 0.01"),
        "\n[transient]\ndt_s = 1e-5\nduration_s = 40.0\nsnapshot_every_s = 1e-5\n"
    );
    solve_and_validate(&d, &text, true, &["[transient]", "snapshots", "GiB", "snapshot_every_s"]);
}

#[test]
fn sweep_of_a_billion_cases_is_refused_naming_the_count() {
    let d = Dir::new("sweep");
    let v = (0..1000).map(|i| format!("{}.0", 10 + i % 30)).collect::<Vec<_>>().join(", ");
    let k = (0..1000).map(|i| format!("{}.0", 100 + i)).collect::<Vec<_>>().join(", ");
    let text = format!("{ROOM}\n[sweep]\nsupply_c = [{v}]\nair_k_w_mk = [{k}]\nit_power_scale = [{k}]\n");
    let at = format!("facility.toml:{}:1", ROOM.lines().count() + 2);
    solve_and_validate(&d, &text, false, &[&at, "[sweep]", "1000000000 cases", "more than 100000"]);
}

#[test]
fn airflow_hall_without_cooling_is_bad_input() {
    let d = Dir::new("nocool");
    let text = format!("{}\n[airflow]\n", ROOM.split("[[cooling]]").next().unwrap());
    solve_and_validate(&d, &text, false, &["facility.toml", "no heat path", "[[cooling]]"]);
}

#[test]
fn deep_nesting_and_huge_or_unused_numbers_are_bad_input() {
    let d = Dir::new("numbers");
    let deep = format!("{ROOM}x = {}1{}\n", "[".repeat(50_000), "]".repeat(50_000));
    let at = format!("facility.toml:{}:", ROOM.lines().count() + 1);
    solve_and_validate(&d, &deep, false, &[&at, "nest deeper than 64"]);
    let huge = ROOM.replace("power_kw = 30.0", "power_kw = 1e300");
    solve_and_validate(
        &d,
        &huge,
        false,
        &["facility.toml:7:1", "rack \"R1\"", "power_kw", "beyond any physical value"],
    );
    let cdu = format!("{ROOM}[[cooling]]\nid = \"CDU\"\nkind = \"cdu\"\ncapacity_kw = 10.0\nsupply_c = nan\n");
    solve_and_validate(&d, &cdu, false, &["cooling \"CDU\"", "supply_c = NaN"]);
    let ev =
        format!("{ROOM}{SCENARIO}[[event]]\nat_s = 10.0\nkind = \"cooling_failure\"\nunits = [\"C1\"]\nfactor = inf\n");
    solve_and_validate(&d, &ev, true, &["[[event]]", "factor = inf"]);
}

#[test]
fn a_row_of_a_billion_nanometre_racks_is_refused_at_once() {
    let d = Dir::new("row");
    let text = ROOM.replace("count = 2\n", "count = 1000000000\npitch_m = 1e-9\nwidth_m = 1e-9\n");
    solve_and_validate(&d, &text, false, &["rack_row \"A\"", "cannot each cover a cell centre"]);
}

/// A fields file: 8 × 6 cells, k = 1, a source, a sink; `edit` changes it.
fn fields(path: &Path, edit: impl Fn(&hdf5::File, &mut Vec<(&'static str, Vec<f64>)>)) {
    let (ny, nx) = (6, 8);
    let f = hdf5::File::create(path).unwrap();
    let mut sets = vec![
        ("k", vec![1.0; ny * nx]),
        ("q", vec![100.0; ny * nx]),
        ("h", vec![10.0; ny * nx]),
        ("rho_cp", vec![1000.0; ny * nx]),
        ("T_initial", vec![20.0; ny * nx]),
    ];
    edit(&f, &mut sets);
    for (name, v) in &sets {
        if !f.link_exists(name) {
            f.new_dataset::<f64>().shape([ny, nx]).create(*name).unwrap().write_raw(v).unwrap();
        }
    }
    for (k, v) in [("dx", 0.1), ("T_amb", 20.0)] {
        f.new_attr::<f64>().shape(()).create(k).unwrap().write_scalar(&v).unwrap();
    }
    for w in ["xlo", "xhi", "ylo", "yhi"] {
        let s: hdf5::types::VarLenUnicode = "adiabatic".parse().unwrap();
        f.new_attr::<hdf5::types::VarLenUnicode>()
            .shape(())
            .create(format!("bc_{w}").as_str())
            .unwrap()
            .write_scalar(&s)
            .unwrap();
    }
}

#[test]
fn fields_file_declaring_100000_squared_cells_is_refused_before_reading() {
    let d = Dir::new("declared");
    fields(&d.path("big.h5"), |f, _| {
        f.new_dataset::<f64>().shape([100_000, 100_000]).chunk([64, 64]).create("k").unwrap();
    });
    let size = std::fs::metadata(d.path("big.h5")).unwrap().len();
    assert!(size < 1 << 20, "the file itself is small ({size} B)");
    for cmd in ["solve", "validate"] {
        let mut args = vec![cmd, "big.h5"];
        if cmd == "solve" {
            args.extend(["--backend", "cpu", "-o", "out/r.h5"]);
        }
        d.expect_bad(&args, &["big.h5", "dataset k", "[100000, 100000] = 10000000000 cells", "GiB", "coarser grid"]);
    }
}

#[test]
fn non_finite_values_in_a_fields_file_are_refused_naming_the_first() {
    let d = Dir::new("nan");
    fields(&d.path("nan.h5"), |_, sets| sets[4].1[19] = f64::NAN);
    let args = ["solve", "nan.h5", "--transient", "--dt", "0.5", "--steps", "3", "--backend", "cpu", "-o", "out/r.h5"];
    d.expect_bad(&args, &["nan.h5", "dataset T_initial", "value [2, 3] (flat index 19) is NaN"]);
    fields(&d.path("inf.h5"), |_, sets| sets[1].1[0] = f64::INFINITY);
    d.expect_bad(&["solve", "inf.h5", "--backend", "cpu", "-o", "out/r.h5"], &["dataset q", "is inf"]);
    fields(&d.path("str.h5"), |f, _| {
        let v: Vec<hdf5::types::VarLenUnicode> = (0..48).map(|_| "1".parse().unwrap()).collect();
        f.new_dataset::<hdf5::types::VarLenUnicode>().shape([6, 8]).create("h").unwrap().write_raw(&v).unwrap();
    });
    d.expect_bad(&["solve", "str.h5", "--backend", "cpu", "-o", "out/r.h5"], &["dataset h", "not numbers"]);
}

/// Solve the room (a scenario: snapshots too) into `results.h5`, then let `edit` change it.
fn results(d: &Dir, edit: impl FnOnce(&hdf5::File)) {
    let f = d.facility(&format!("{ROOM}{SCENARIO}"));
    let (code, err) = d.run(&["solve", f, "--transient", "--backend", "cpu", "-o", "results.h5"]);
    assert_eq!(code, 0, "{err}");
    let h = hdf5::File::open_rw(d.path("results.h5")).unwrap();
    edit(&h);
}

#[test]
fn render_checks_shapes_dtypes_and_values_before_drawing() {
    let d = Dir::new("render");
    let render = ["render", "results.h5", "-o", "out/map.png"];
    results(&d, |_| {});
    let (code, err) = d.run(&render);
    assert_eq!(code, 0, "{err}");
    assert!(d.path("out/map.png").exists() && d.path("out/map_000.png").exists());
    for e in std::fs::read_dir(d.path("out")).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    // /thermal/material of another shape than /thermal/T (this panicked: slicing).
    results(&d, |h| {
        h.unlink("thermal/material").unwrap();
        h.new_dataset::<u8>().shape([7]).create("thermal/material").unwrap().write_raw(&[1u8; 7]).unwrap();
    });
    d.expect_bad(&render, &["results.h5", "/thermal/material", "shape [7] but /thermal/T has [15, 20]"]);
    // Snapshots with fewer cells than the field (this panicked too).
    results(&d, |h| {
        h.unlink("thermal/snapshots/T").unwrap();
        let v = vec![20.0f32; 5 * 100];
        h.new_dataset::<f32>().shape([5, 100]).create("thermal/snapshots/T").unwrap().write_raw(&v).unwrap();
    });
    d.expect_bad(&render, &["/thermal/snapshots/T", "shape [5, 100]", "[5, 15, 20]"]);
    // More times than frames.
    results(&d, |h| {
        h.unlink("thermal/snapshots/time_s").unwrap();
        let t: Vec<f64> = (0..9).map(|k| k as f64).collect();
        h.new_dataset::<f64>().shape([9]).create("thermal/snapshots/time_s").unwrap().write_raw(&t).unwrap();
    });
    d.expect_bad(&render, &["/thermal/snapshots/T", "9 times"]);
    // A temperature that is not a number, or not numbers at all.
    results(&d, |h| {
        let mut t = h.dataset("thermal/T").unwrap().read_raw::<f64>().unwrap();
        t[42] = f64::NAN;
        h.unlink("thermal/T").unwrap();
        h.new_dataset::<f64>().shape([15, 20]).create("thermal/T").unwrap().write_raw(&t).unwrap();
    });
    d.expect_bad(&render, &["/thermal/T", "NaN at index 42"]);
    results(&d, |h| {
        h.unlink("thermal/T").unwrap();
        let v: Vec<hdf5::types::VarLenUnicode> = (0..300).map(|_| "20".parse().unwrap()).collect();
        h.new_dataset::<hdf5::types::VarLenUnicode>()
            .shape([15, 20])
            .create("thermal/T")
            .unwrap()
            .write_raw(&v)
            .unwrap();
    });
    d.expect_bad(&render, &["/thermal/T", "not numbers"]);
    // A field declared far beyond memory, and a 1-D one.
    results(&d, |h| {
        h.unlink("thermal/T").unwrap();
        h.new_dataset::<f64>().shape([100_000, 100_000]).chunk([64, 64]).create("thermal/T").unwrap();
    });
    d.expect_bad(&render, &["/thermal/T", "[100000, 100000]", "GiB"]);
    results(&d, |h| {
        h.unlink("thermal/T").unwrap();
        h.new_dataset::<f64>().shape([300]).create("thermal/T").unwrap().write_raw(&[20.0; 300]).unwrap();
    });
    d.expect_bad(&render, &["/thermal/T", "shape [300]"]);
    results(&d, |h| {
        let g = h.group("grid").unwrap();
        g.delete_attr("dx").unwrap();
        g.new_attr::<f64>().shape(()).create("dx").unwrap().write_scalar(&f64::NAN).unwrap();
    });
    d.expect_bad(&render, &["dx", "NaN"]);
}

#[test]
fn conductivities_beyond_what_the_solver_resolves_are_bad_input_not_exit_1() {
    // air 1e-3 next to an obstacle at 1e7 W/(m·K) left the solve short of its tolerance
    // (exit 1); both are outside the accepted 1e-2–1e4 W/(m·K).
    let d = Dir::new("k");
    let text = ROOM.replace("[[rack]]", "[materials]\nair_k_w_mk = 1e-3\n[[rack]]");
    solve_and_validate(&d, &text, false, &["[materials]", "air_k_w_mk = 1e-3 W/(m·K) is outside 1e-2–1e4"]);
    let text = format!("{ROOM}[[obstacle]]\nid = \"O\"\nkind = \"wall\"\nx_m = 3.0\ny_m = 2.0\nwidth_m = 0.4\ndepth_m = 0.4\nk_w_mk = 1e7\n");
    solve_and_validate(&d, &text, false, &["obstacle \"O\"", "k_w_mk = 1e7"]);
}
