//! The Python side, run from `cargo test`: a virtual environment with xarray, h5netcdf,
//! netCDF4, h5py, VTK and pytest (`python/requirements-test.txt`), the thermogrid wheel
//! built by maturin (PyO3, abi3) and installed into it, then `python/tests/` with
//! pytest against the binary cargo built:
//! - the results files are netCDF-4 (xarray with both engines, h5py, the README's
//!   snippets) on 2-D, 3-D, transient and power results;
//! - the XDMF sidecar read by VTK's XDMF reader (2-D in the XY plane, the velocity
//!   vector, snapshots as time steps) and a slice rendered to PNG off screen;
//! - `thermogrid.solve(...)` and the other functions against the command line.
//!
//! Without Python (or without PyPI) the test is skipped, unless
//! `THERMOGRID_REQUIRE_PYTHON=1` (CI sets it): then it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn required() -> bool {
    std::env::var("THERMOGRID_REQUIRE_PYTHON").is_ok_and(|v| v == "1")
}

/// Skip (or fail, when Python is required) with `why`.
fn unavailable(why: &str) {
    assert!(!required(), "THERMOGRID_REQUIRE_PYTHON=1 but {why}");
    eprintln!("skipping the Python tests: {why} (set THERMOGRID_REQUIRE_PYTHON=1 to fail instead)");
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let o = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}

/// The test environment in target/tmp, made once per requirements file.
fn venv(python: &str) -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
    let reqs = root().join("python/requirements-test.txt");
    let want = std::fs::read_to_string(&reqs).map_err(|e| format!("{}: {e}", reqs.display()))?;
    let stamp = dir.join("requirements-installed.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    run(Command::new(python).args(["-m", "venv"]).arg(&dir), "python3 -m venv")?;
    let pip = dir.join("bin/pip");
    run(
        Command::new(&pip).args(["install", "-q", "--disable-pip-version-check", "-r"]).arg(&reqs),
        "pip install -r python/requirements-test.txt",
    )?;
    std::fs::write(&stamp, want).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// The wheel alone in a new virtual environment (pip resolves its declared
/// dependencies), then `thermogrid.solve("meshes/hall_small.toml")`: the same
/// temperatures as the command line.
fn fresh_install(python: &str, wheel: &Path) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-fresh");
    let _ = std::fs::remove_dir_all(&dir);
    run(Command::new(python).args(["-m", "venv"]).arg(&dir), "python3 -m venv (fresh)").unwrap();
    run(
        Command::new(dir.join("bin/pip")).args(["install", "-q", "--disable-pip-version-check"]).arg(wheel),
        "pip install the wheel into a fresh environment",
    )
    .unwrap();
    let o = Command::new(dir.join("bin/python"))
        .args([
            "-c",
            "import thermogrid; ds = thermogrid.solve('meshes/hall_small.toml'); print(repr(float(ds.T.max())))",
        ])
        .current_dir(root())
        .env("XDG_RUNTIME_DIR", "/tmp")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let py_max: f64 = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap();
    let c = Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args(["solve", "meshes/hall_small.toml", "--json"])
        .current_dir(root())
        .env("XDG_RUNTIME_DIR", "/tmp")
        .output()
        .unwrap();
    assert!(c.status.success());
    let j: serde_json::Value = serde_json::from_slice(&c.stdout).unwrap();
    assert_eq!(py_max, j["max_temperature_c"].as_f64().unwrap(), "the package and the CLI agree");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn python_package_netcdf_and_paraview() {
    let python = std::env::var("THERMOGRID_PYTHON").unwrap_or_else(|_| "python3".into());
    if Command::new(&python).arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        return unavailable(&format!("{python} is not there"));
    }
    let env = match venv(&python) {
        Ok(d) => d,
        Err(e) => return unavailable(&e),
    };
    let bin = env.join("bin");
    // The wheel, from this checkout (maturin builds the cdylib in the workspace's target
    // directory, next to the library these tests were built from).
    let wheels = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wheels");
    let _ = std::fs::remove_dir_all(&wheels);
    run(
        Command::new(bin.join("maturin"))
            .args(["build", "--release", "--quiet", "-m"])
            .arg(root().join("python/Cargo.toml"))
            .arg("-o")
            .arg(&wheels),
        "maturin build",
    )
    .unwrap();
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .expect("maturin wrote a wheel");
    let name = wheel.file_name().unwrap().to_string_lossy().to_string();
    assert!(name.contains("-abi3-"), "one abi3 wheel: {name}");
    run(
        Command::new(bin.join("pip"))
            .args(["install", "-q", "--disable-pip-version-check", "--force-reinstall", "--no-deps"])
            .arg(&wheel),
        "pip install the wheel",
    )
    .unwrap();
    fresh_install(&python, &wheel);
    let o = Command::new(bin.join("python"))
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "python/tests"])
        .current_dir(root())
        .env("THERMOGRID_BIN", env!("CARGO_BIN_EXE_thermogrid"))
        .env("XDG_RUNTIME_DIR", "/tmp")
        .output()
        .expect("pytest runs");
    let out = String::from_utf8_lossy(&o.stdout);
    eprintln!("{out}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "pytest failed:\n{out}");
    assert!(!out.contains("skipped"), "no Python test may skip here:\n{out}");
}
