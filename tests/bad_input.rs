//! Bad input: a clear message naming the file (and line:column where it has one), the
//! item and the fix; exit code 2; no panic; nothing written at the output path.

use std::path::{Path, PathBuf};
use std::process::Command;

const BASE: &str = r#"
name = "tiny"
[floor]
width_m = 4.0
depth_m = 3.0
cell_m = 0.1
height_m = 3.0
[[rack]]
id = "R1"
x_m = 1.0
y_m = 1.0
facing = "north"
power_kw = 30.0
[[cooling]]
id = "C1"
kind = "crah"
x_m = 0.0
y_m = 0.0
width_m = 0.8
depth_m = 0.8
capacity_kw = 50.0
supply_c = 20.0
delta_t_k = 12.0
"#;

struct Case {
    dir: PathBuf,
}

impl Case {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tg-bad-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Case { dir }
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
    /// Run `thermogrid <args>`; return (exit code, stderr).
    fn run(&self, args: &[&str]) -> (i32, String) {
        let o = Command::new(env!("CARGO_BIN_EXE_thermogrid")).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!err.contains("panicked"), "panic: {err}");
        (o.status.code().unwrap_or(-1), err)
    }
    /// Solve `text` expecting exit 2 with every `needle` in the message and no output.
    fn expect_bad(&self, text: &str, needles: &[&str]) -> String {
        let input = self.write("facility.toml", text);
        let out = self.dir.join("out.h5");
        let (code, err) = self.run(&["solve", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(code, 2, "exit code for: {err}");
        assert!(err.contains("facility.toml"), "message does not name the file: {err}");
        for n in needles {
            assert!(err.contains(n), "message lacks {n:?}: {err}");
        }
        assert!(err.contains("fix:"), "message gives no fix: {err}");
        self.assert_nothing_written();
        err
    }
    fn assert_nothing_written(&self) {
        let names: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".h5") && !n.contains(".tmp")), "output left behind: {names:?}");
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn replace(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    BASE.replacen(from, to, 1)
}

#[test]
fn base_is_valid() {
    let c = Case::new("base");
    let input = c.write("facility.toml", BASE);
    let out = c.dir.join("out.h5");
    let (code, err) = c.run(&["solve", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.exists());
}

#[test]
fn malformed_toml() {
    let e = Case::new("syntax").expect_bad(&replace("power_kw = 30.0", "power_kw = = 30.0"), &["facility.toml:13:"]);
    assert!(e.contains("TOML"), "{e}");
}

#[test]
fn unknown_key_is_an_error() {
    Case::new("unknown")
        .expect_bad(&replace("power_kw = 30.0", "powr_kw = 30.0"), &["facility.toml:13:1", "unknown field `powr_kw`"]);
    Case::new("unknown2")
        .expect_bad(&replace("cell_m = 0.1", "cell_m = 0.1\ncell_size = 0.1"), &["unknown field `cell_size`"]);
}

#[test]
fn rack_outside_floor() {
    Case::new("outside")
        .expect_bad(&replace("x_m = 1.0", "x_m = 3.7"), &["facility.toml:8:1", "rack \"R1\"", "outside the floor"]);
}

#[test]
fn rack_overlapping_another() {
    let text = format!("{BASE}\n[[rack]]\nid = \"R2\"\nx_m = 1.3\ny_m = 1.5\nfacing = \"south\"\npower_kw = 30.0\n");
    Case::new("overlap").expect_bad(&text, &["rack \"R2\"", "overlaps rack \"R1\""]);
}

#[test]
fn zero_or_negative_conductivity() {
    Case::new("k0").expect_bad(
        &format!("{BASE}\n[materials]\nair_k_w_mk = 0.0\n"),
        &["[materials]", "air_k_w_mk = 0 must be > 0"],
    );
    let obst = format!("{BASE}\n[[obstacle]]\nid = \"col\"\nkind = \"column\"\nx_m = 3.0\ny_m = 2.0\nwidth_m = 0.6\ndepth_m = 0.6\nk_w_mk = -1.4\n");
    Case::new("kneg").expect_bad(&obst, &["obstacle \"col\"", "conductivity must be finite and > 0"]);
}

#[test]
fn nan_and_infinite_values() {
    Case::new("nan").expect_bad(
        &replace("power_kw = 30.0", "power_kw = nan"),
        &["rack \"R1\"", "power_kw = NaN is not a finite number"],
    );
    Case::new("inf")
        .expect_bad(&replace("width_m = 4.0", "width_m = inf"), &["[floor]", "width_m = inf is not a finite number"]);
    Case::new("nanwall").expect_bad(&format!("{BASE}\n[floor.walls]\nnorth = nan\n"), &["[floor.walls]", "north"]);
}

#[test]
fn cell_size_that_does_not_fit() {
    Case::new("cell")
        .expect_bad(&replace("cell_m = 0.1", "cell_m = 0.07"), &["[floor]", "not a whole number of cells", "cell_m"]);
}

#[test]
fn grid_too_large_for_memory() {
    Case::new("huge").expect_bad(
        &replace("cell_m = 0.1", "cell_m = 0.000001"),
        &["[floor]", "cells and needs about", "GiB", "larger cell_m"],
    );
}

#[test]
fn no_heat_path_out() {
    let text = BASE.split("[[cooling]]").next().unwrap().to_string();
    Case::new("noheat").expect_bad(&text, &["no heat path"]);
}

#[test]
fn network_errors() {
    let net = r#"
[network]
[[network.bus]]
id = "U"
kind = "utility"
kv = 13.8
[[network.bus]]
id = "P"
kind = "pdu"
kv = 0.415
[[network.branch]]
id = "T1"
from = "U"
to = "P"
x_pu = 2.0
"#;
    Case::new("netbus").expect_bad(
        &format!("{BASE}{}", net.replace("to = \"P\"", "to = \"Q\"")),
        &["branch \"T1\"", "bus \"Q\" does not exist"],
    );
    Case::new("netx").expect_bad(
        &format!("{BASE}{}", net.replace("x_pu = 2.0", "x_pu = 0.0")),
        &["branch \"T1\"", "reactance is zero"],
    );
    let island = format!("{BASE}{net}[[network.bus]]\nid = \"X\"\nkind = \"ups\"\nkv = 0.48\n");
    Case::new("netisland").expect_bad(&island, &["island of buses \"X\" has no reference bus"]);
    Case::new("netdup").expect_bad(
        &format!("{BASE}{}", net.replace("id = \"P\"", "id = \"U\"").replace("to = \"P\"", "to = \"U\"")),
        &["duplicate bus id"],
    );
    Case::new("feed").expect_bad(
        &format!("{}{net}", replace("power_kw = 30.0", "power_kw = 30.0\nfeed_bus = \"NOPE\"")),
        &["rack \"R1\"", "feed_bus \"NOPE\""],
    );
}

#[test]
fn unwritable_output_path() {
    let c = Case::new("unwritable");
    let input = c.write("facility.toml", BASE);
    for out in [c.dir.join("missing-dir/out.h5"), c.dir.clone()] {
        let (code, err) = c.run(&["solve", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("output") && err.contains("fix:"), "{err}");
    }
    c.assert_nothing_written();
}

fn write_h5(path: &Path, shapes: [(usize, usize); 3], attrs: &[(&str, f64)], bc: bool) {
    let f = hdf5::File::create(path).unwrap();
    for (name, (ny, nx)) in ["k", "q", "h"].iter().zip(shapes) {
        let v = vec![1.0f64; ny * nx];
        f.new_dataset_builder()
            .with_data(&ndarray::Array2::from_shape_vec((ny, nx), v).unwrap())
            .create(*name)
            .unwrap();
    }
    for (k, v) in attrs {
        f.new_attr::<f64>().shape(()).create(*k).unwrap().write_scalar(v).unwrap();
    }
    if bc {
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
}

#[test]
fn fields_file_mismatched_shapes_or_missing_attributes() {
    let c = Case::new("fields");
    let out = c.dir.join("out.h5");
    let cases: Vec<(&str, [(usize, usize); 3], Vec<(&str, f64)>, bool, &str)> = vec![
        ("shape", [(8, 8), (8, 7), (8, 8)], vec![("dx", 0.1), ("T_amb", 20.0)], true, "dataset q"),
        ("nodx", [(8, 8), (8, 8), (8, 8)], vec![("T_amb", 20.0)], true, "attribute dx"),
        ("nobc", [(8, 8), (8, 8), (8, 8)], vec![("dx", 0.1), ("T_amb", 20.0)], false, "attribute bc_xlo"),
        ("badx", [(8, 8), (8, 8), (8, 8)], vec![("dx", -0.1), ("T_amb", 20.0)], true, "attribute dx"),
    ];
    for (tag, shapes, attrs, bc, needle) in cases {
        let p = c.dir.join(format!("{tag}.fields"));
        write_h5(&p, shapes, &attrs, bc);
        let (code, err) = c.run(&["solve", p.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{tag}: {err}");
        assert!(err.contains(needle) && err.contains(&format!("{tag}.fields")) && err.contains("fix:"), "{tag}: {err}");
        assert!(!out.exists());
    }
}

#[test]
fn gpu_backend_solves_or_says_why() {
    let c = Case::new("gpu");
    let input = c.write("facility.toml", BASE);
    let (code, err) = c.run(&["solve", input.to_str().unwrap(), "--backend", "gpu", "--json"]);
    if std::env::var("THERMOGRID_REQUIRE_GPU").as_deref() == Ok("1") {
        assert_eq!(code, 0, "{err}");
    } else {
        assert!(code == 0 || err.contains("GPU adapter"), "{err}");
    }
}

#[test]
fn not_converged_is_exit_1_and_writes_nothing() {
    let c = Case::new("noconv");
    let input = c.write("facility.toml", BASE);
    let out = c.dir.join("out.h5");
    let (code, err) =
        c.run(&["solve", input.to_str().unwrap(), "--tol", "1e-12", "--max-iter", "1", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("did not converge"), "{err}");
    assert!(!out.exists());
}

#[test]
fn ceiling_return_needs_a_3d_hall() {
    Case::new("ceiling2d").expect_bad(
        &replace("delta_t_k = 12.0", "delta_t_k = 12.0\nreturn = \"ceiling\""),
        &["facility.toml:14:1", "cooling \"C1\"", "needs a 3-D hall", "layers > 1"],
    );
    Case::new("ceilingbad").expect_bad(
        &replace("delta_t_k = 12.0", "delta_t_k = 12.0\nreturn = \"floor\""),
        &["facility.toml:", "unknown variant `floor`"],
    );
}

#[test]
fn sealed_air_region_without_a_unit() {
    // Walls box in the air in front of R1 (x 1.0–1.6, y 2.2–2.4): its intake draws from
    // a pocket nothing feeds.
    let walls = [("W1", 0.9, 2.4, 0.8, 0.1), ("W2", 0.9, 2.2, 0.1, 0.2), ("W3", 1.6, 2.2, 0.1, 0.2)]
        .iter()
        .map(|(id, x, y, w, d)| {
            format!(
                "[[obstacle]]\nid = \"{id}\"\nkind = \"wall\"\nx_m = {x}\ny_m = {y}\nwidth_m = {w}\ndepth_m = {d}\n"
            )
        })
        .collect::<String>();
    Case::new("sealed").expect_bad(
        &format!("{BASE}\n{walls}\n[airflow]\n"),
        &["facility.toml", "[airflow]", "sealed air region", "no cooling unit serves it", "leave a gap"],
    );
}

#[test]
fn rack_without_air_behind_it() {
    // R1's back against the south wall: its exhaust has nowhere to go.
    Case::new("rackwall").expect_bad(
        &format!("{}\n[airflow]\n", replace("y_m = 1.0", "y_m = 0.0")),
        &["facility.toml", "[airflow]", "rack \"R1\" has no open air on its exhaust (back) side"],
    );
}

#[test]
fn the_momentum_models_own_limits() {
    // Its buoyancy holds near room temperature: a supply of 2e9 °C ran for minutes.
    Case::new("cfdtemp").expect_bad(
        &replace("supply_c = 20.0", "supply_c = 2147483648.0"),
        &["facility.toml", "supply_c = 2147483648 °C is outside -40…90 °C", "model = \"diffusion\""],
    );
    // Asking for diffusion and a model at once.
    Case::new("cfdboth").expect_bad(
        &format!("{BASE}\n[airflow]\nenabled = false\nmodel = \"cfd\"\n"),
        &["facility.toml", "[airflow]", "contradicts model = \"cfd\""],
    );
    // fans belongs to a cooling failure.
    Case::new("cfdfans").expect_bad(
        &format!("{BASE}\n[transient]\ndt_s = 1.0\nduration_s = 10.0\n[[event]]\nat_s = 1.0\nkind = \"it_load\"\nfactor = 1.1\nfans = \"on\"\n"),
        &["facility.toml", "[[event]]", "fans = \"on\"", "cooling_failure"],
    );
}
