//! The project's rules, through the CLI: one rule for "converged" (CPU, GPU, airflow,
//! transient steps), `--max-iter` honoured, command-line numbers checked, guard-rail
//! warnings (`--strict`), and atomic outputs (no half-written file, stale temporaries
//! removed, a failed sidecar removes what the run wrote).

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_thermogrid")).args(args).env("XDG_RUNTIME_DIR", "/tmp").output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tg-trust-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn repo(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p).to_str().unwrap().to_string()
}

fn hall_small() -> String {
    std::fs::read_to_string(repo("meshes/hall_small.toml")).unwrap()
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn iteration_limit_is_not_converged_exit_1_and_nothing_written() {
    let d = tmpdir("maxiter");
    let out = d.join("o.h5");
    let mms = repo("tests/data/thermal/mms2d_64x64.h5");
    let (code, _, err) = run(&["solve", &mms, "--backend", "cpu", "--max-iter", "2", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("did not converge"), "{err}");
    assert!(!out.exists());
    // The airflow model honours --max-iter too (it used a fixed 500 before).
    let air = d.join("air.toml");
    std::fs::write(&air, format!("{}\n[airflow]\nmodel = \"potential\"\n", hall_small())).unwrap();
    let (code, _, err) =
        run(&["solve", air.to_str().unwrap(), "--backend", "cpu", "--max-iter", "3", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("did not converge"), "{err}");
    assert!(!out.exists());
    let (code, stdout, err) = run(&["solve", air.to_str().unwrap(), "--backend", "cpu", "--json"]);
    assert_eq!(code, 0, "{err}");
    let j = json(&stdout);
    assert!(j["relative_residual"].as_f64().unwrap() <= j["tol"].as_f64().unwrap(), "{j}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn gpu_converged_means_the_tolerance_was_met() {
    if thermogrid::gpu::context_for_tests().is_none() {
        return;
    }
    let mms = repo("tests/data/thermal/mms2d_64x64.h5");
    // 1e-6 is at the f32 floor: the GPU refines until the f64 residual meets it.
    for tol in ["1e-6", "1e-9"] {
        let (code, stdout, err) = run(&["solve", &mms, "--backend", "gpu", "--tol", tol, "--json"]);
        assert_eq!(code, 0, "{err}");
        let j = json(&stdout);
        let rel = j["relative_residual"].as_f64().unwrap();
        assert!(rel <= tol.parse::<f64>().unwrap(), "tol {tol}: reported relative residual {rel}");
    }
    // Too few iterations on the GPU: not converged, exit 1, not "converged = 1".
    let d = tmpdir("gpumax");
    let out = d.join("o.h5");
    let (code, _, err) =
        run(&["solve", &mms, "--backend", "gpu", "--tol", "1e-9", "--max-iter", "2", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(!out.exists());
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn gpu_transient_steps_are_checked() {
    use thermogrid::thermal::transient::{run_transient_with, Engine, Scheme, TransientError};
    let Some(ctx) = thermogrid::gpu::context_for_tests() else { return };
    let f = thermogrid::io::fields::read_fields(&repo("tests/data/thermal/transient2d_mode_64x48.h5")).unwrap();
    let rho = f.rho_cp.clone().unwrap();
    let t0 = f.t_initial.clone().unwrap();
    // One f32 iteration cannot reach 1e-9 on a step: the march must say so.
    let e = run_transient_with(
        &f.problem,
        &rho,
        &t0,
        Scheme::BackwardEuler,
        f.number("dt_implicit_s").unwrap(),
        3,
        1e-9,
        1,
        Engine::Gpu(&ctx),
        &mut |_, _| {},
    );
    assert!(matches!(e, Err(TransientError::NotConverged { step: 0, .. })), "{:?}", e.err());
    // With a budget, every step converges and the worst step residual is reported.
    let m = run_transient_with(
        &f.problem,
        &rho,
        &t0,
        Scheme::BackwardEuler,
        f.number("dt_implicit_s").unwrap(),
        3,
        1e-7,
        500,
        Engine::Gpu(&ctx),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(m.worst_step_residual <= 1e-7, "{}", m.worst_step_residual);
}

#[test]
fn command_line_numbers_are_checked_not_replaced() {
    let mms = repo("tests/data/thermal/transient2d_mode_64x48.h5");
    for (args, flag) in [
        (vec!["--transient", "--dt", "1", "--steps", "0"], "--steps"),
        (vec!["--transient", "--dt=-1"], "--dt"),
        (vec!["--transient", "--dt", "nan"], "--dt"),
        (vec!["--transient", "--dt", "inf"], "--dt"),
        (vec!["--tol", "inf"], "--tol"),
        (vec!["--tol", "0"], "--tol"),
        (vec!["--tol", "1e-300"], "--tol"),
        (vec!["--max-iter", "0"], "--max-iter"),
    ] {
        let mut a = vec!["solve", mms.as_str(), "--backend", "cpu"];
        a.extend(args.iter().copied());
        let (code, _, err) = run(&a);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(flag) && err.contains("fix:"), "{args:?}: {err}");
    }
}

#[test]
fn guard_rails_warn_and_strict_refuses() {
    let d = tmpdir("guard");
    let cold = d.join("cold.toml");
    let cold_text = hall_small().replacen("supply_c = 20.0", "supply_c = -300.0", 1);
    // The momentum model (the default) refuses it outright: its buoyancy holds near room
    // temperature. The diffusion model solves it, and the guard rails warn.
    std::fs::write(&cold, &cold_text).unwrap();
    let (code, _, err) = run(&["solve", cold.to_str().unwrap(), "--backend", "cpu"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("-300 °C is outside") && err.contains("model = \"diffusion\""), "{err}");
    std::fs::write(&cold, format!("{cold_text}\n[airflow]\nmodel = \"diffusion\"\n")).unwrap();
    let out = d.join("o.h5");
    let (code, stdout, err) =
        run(&["solve", cold.to_str().unwrap(), "--backend", "cpu", "--json", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let w = json(&stdout)["warnings"].as_array().unwrap().clone();
    assert!(w.iter().any(|w| w.as_str().unwrap().contains("-300 °C")), "{w:?}");
    let f = hdf5::File::open(&out).unwrap();
    let attr = thermogrid::io::h5util::read_attr_str(&f, "warnings").unwrap();
    assert!(attr.contains("-300 °C"), "{attr}");
    drop(f);
    std::fs::remove_file(&out).unwrap();
    let (code, stdout, _) = run(&["solve", cold.to_str().unwrap(), "--backend", "cpu"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("warning: ") && stdout.contains("-300 °C"), "{stdout}");
    let (code, _, err) =
        run(&["solve", cold.to_str().unwrap(), "--backend", "cpu", "--strict", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--strict") && err.contains("-300 °C"), "{err}");
    assert!(!out.exists());
    // A rack of 50 MW.
    let big = d.join("big.toml");
    std::fs::write(&big, hall_small().replacen("power_kw = 40.8", "power_kw = 50000.0", 1)).unwrap();
    let (_, stdout, _) = run(&["validate", big.to_str().unwrap()]);
    assert!(stdout.contains("warning: rack"), "{stdout}");
    // The bundled meshes are plausible: no warning, so --strict passes on them.
    for m in ["meshes/hall_small.toml", "meshes/hall_gb200_nvl72.toml"] {
        let (code, stdout, err) = run(&["solve", &repo(m), "--backend", "cpu", "--strict", "--json"]);
        assert_eq!(code, 0, "{m}: {err}");
        assert!(json(&stdout)["warnings"].as_array().unwrap().is_empty(), "{m}");
    }
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn outputs_are_atomic_and_stale_temporaries_are_removed() {
    let d = tmpdir("atomic");
    let out = d.join("o.h5");
    // A temporary left by a killed run (a process id that is not running).
    let stale = d.join(".o.h5.tmp-4000000");
    std::fs::write(&stale, b"half").unwrap();
    let (code, _, err) =
        run(&["solve", &repo("meshes/hall_small.toml"), "--backend", "cpu", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.exists() && d.join("o.xmf").exists());
    assert!(!stale.exists(), "the stale temporary is still there");
    // The sidecar cannot be written (a directory is in its place): exit 2, and the run
    // leaves no results file behind.
    std::fs::remove_file(&out).unwrap();
    std::fs::remove_file(d.join("o.xmf")).unwrap();
    std::fs::create_dir(d.join("o.xmf")).unwrap();
    let (code, _, err) =
        run(&["solve", &repo("meshes/hall_small.toml"), "--backend", "cpu", "-o", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(!out.exists(), "a results file without its sidecar was left");
    let names: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn no_nan_in_a_successful_answer() {
    // No IT load: PUE is undefined and said so, not NaN.
    let d = tmpdir("nan");
    let idle = d.join("idle.toml");
    std::fs::write(&idle, hall_small().replace("power_kw = 40.8", "power_kw = 0.0")).unwrap();
    let (code, stdout, err) = run(&["solve", idle.to_str().unwrap(), "--backend", "cpu"]);
    assert_eq!(code, 0, "{err}");
    assert!(!stdout.contains("NaN") && !stdout.contains("inf"), "{stdout}");
    let (code, stdout, _) = run(&["solve", idle.to_str().unwrap(), "--backend", "cpu", "--json"]);
    assert_eq!(code, 0);
    assert!(json(&stdout)["pue"].is_null(), "{stdout}");
    std::fs::remove_dir_all(&d).ok();
}

/// Found by an independent mutation campaign (other seeds and mutations than
/// tests/fuzz.rs); each was answered with exit 0 or destroyed data before.
#[test]
fn independent_campaign_findings() {
    let d = tmpdir("campaign");
    // A number attribute with a NULL dataspace, or a boolean, is not a number (it was
    // read as 0 °C and 1 °C).
    for f in ["twall_empty.h5", "twall_bool.h5"] {
        let (code, _, err) = run(&["solve", &repo(&format!("tests/data/bad/{f}")), "--backend", "cpu"]);
        assert_eq!(code, 2, "{f}: {err}");
        assert!(err.contains("T_wall_xlo") && err.contains("fix:"), "{f}: {err}");
    }
    // -o naming the input: refused before anything is written; the input survives.
    let m = d.join("c9.m");
    std::fs::copy(repo("tests/data/cases/case9.m"), &m).unwrap();
    let before = std::fs::read(&m).unwrap();
    let (code, _, err) = run(&["powerflow", m.to_str().unwrap(), "-o", m.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("destroy the input"), "{err}");
    assert_eq!(std::fs::read(&m).unwrap(), before);
    let t = d.join("t.toml");
    std::fs::write(&t, hall_small()).unwrap();
    let (code, _, _) = run(&["solve", t.to_str().unwrap(), "-o", t.to_str().unwrap(), "--backend", "cpu"]);
    assert_eq!(code, 2);
    assert_eq!(std::fs::read_to_string(&t).unwrap(), hall_small());
    // A time step so small that rho_cp / dt overflows is bad input, not a NaN residual.
    let (code, _, err) = run(&[
        "solve",
        &repo("tests/data/thermal/transient2d_mode_64x48.h5"),
        "--transient",
        "--dt",
        "5e-324",
        "--backend",
        "cpu",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("dt"), "{err}");
    // A tiny swept value gives a short case name (it was printed with 300 digits, past
    // the file-name limit).
    let sw = d.join("in");
    std::fs::create_dir_all(&sw).unwrap();
    std::fs::write(sw.join("s.toml"), format!("{}\n[sweep]\nsupply_c = [1e-300, 20.0]\n", hall_small())).unwrap();
    let out = d.join("out");
    let (code, stdout, err) = run(&["batch", sw.to_str().unwrap(), "-o", out.to_str().unwrap(), "--backend", "cpu"]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(out.join("s__supply_c=1e-300.h5").exists(), "{stdout}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn airflow_energy_balance_counts_walls_with_the_airflow_conductivity() {
    // A small room with a fixed-temperature wall: the summary's heat removed must equal
    // the heat injected (the walls were counted with the diffusion model's 2000 W/(m·K)).
    let room = r#"name = "wall room"
[floor]
width_m = 4.0
depth_m = 3.0
cell_m = 0.1
height_m = 3.0
[floor.walls]
east = 25.0
[[rack]]
id = "R1"
x_m = 1.5
y_m = 1.0
facing = "north"
power_kw = 20.0
[[cooling]]
id = "C1"
kind = "crah"
x_m = 0.2
y_m = 2.0
width_m = 0.8
depth_m = 0.6
capacity_kw = 40.0
supply_c = 20.0
delta_t_k = 12.0
[airflow]
"#;
    let d = tmpdir("wall");
    let f = d.join("room.toml");
    std::fs::write(&f, room).unwrap();
    let (code, stdout, err) = run(&["solve", f.to_str().unwrap(), "--backend", "cpu", "--json"]);
    assert_eq!(code, 0, "{err}");
    let j = json(&stdout);
    let (inj, rem) = (j["heat_injected_w"].as_f64().unwrap(), j["heat_removed_w"].as_f64().unwrap());
    assert!((inj - rem).abs() <= 1e-6 * inj, "injected {inj} W, removed {rem} W");
    assert!(j["energy_balance_rel_error"].as_f64().unwrap() < 1e-9);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn validate_checks_what_solve_checks_with_the_facility_names() {
    let d = tmpdir("validate");
    for (from, to, needles) in [
        ("base_mva = 100.0", "base_mva = 0.000999", vec!["[network]", "base_mva"]),
        ("x_pu = 0.05", "x_pu = 1e-9", vec!["branch", "series reactance"]),
        ("x_pu = 0.05", "x_pu = 0.05\ntap = 1e4", vec!["branch", "tap"]),
    ] {
        let f = d.join("f.toml");
        std::fs::write(&f, hall_small().replacen(from, to, 1)).unwrap();
        for cmd in ["validate", "solve"] {
            let (code, _, err) =
                run(&[cmd, f.to_str().unwrap(), "--backend", "cpu"][..if cmd == "validate" { 2 } else { 4 }]);
            assert_eq!(code, 2, "{cmd} {to}: {err}");
            // The facility's own key, and the line of the item, not a MATPOWER column.
            assert!(needles.iter().all(|n| err.contains(n)) && err.contains("f.toml:"), "{cmd} {to}: {err}");
        }
    }
    std::fs::remove_dir_all(&d).ok();
}

/// A results file whose metadata libhdf5 1.10 crashes on (a damaged global heap behind a
/// string attribute: three flipped bits): bad input, never a segfault.
#[test]
fn a_file_that_crashes_libhdf5_is_bad_input() {
    let d = tmpdir("corrupt");
    let bad = repo("tests/data/bad/corrupt_heap.h5");
    let png = d.join("map.png");
    let (code, _, err) = run(&["render", &bad, "-o", png.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("corrupt") && err.contains("fix:"), "{err}");
    assert!(std::fs::read_dir(&d).unwrap().next().is_none(), "a failed render left files");
    let (code, _, err) = run(&["solve", &bad, "--backend", "cpu"]);
    assert_eq!(code, 2, "{err}");
    std::fs::remove_dir_all(&d).ok();
}
