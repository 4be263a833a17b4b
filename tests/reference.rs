//! The shared steady reference (`tests/data/thermal/mms2d_64x64.h5`) and fields files of
//! our own in its schema (odd sizes, mixed walls, 3-D), through the library and the CLI.

mod common;
use std::path::Path;
use thermogrid::io::fields::{read_fields, write_fields};
use thermogrid::thermal::{solve_steady, Method, SolveOptions};

fn shared(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/thermal").join(name);
    assert!(p.exists(), "shared reference {} is missing", p.display());
    p.display().to_string()
}

#[test]
fn shared_mms2d_at_atol_f64() {
    let f = read_fields(&shared("mms2d_64x64.h5")).unwrap();
    let atol = f.atol_f64_k.expect("atol_f64_K");
    let expected = f.t_expected.clone().expect("T_expected");
    let s = solve_steady(&f.problem, &SolveOptions::default()).unwrap();
    assert!(s.report.relative_residual <= 1e-10);
    let err = s.t.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    eprintln!("mms2d: {} iterations, max error {err:.2e} K (atol {atol:.0e})", s.report.iterations);
    assert!(err <= atol, "max |T - T_expected| = {err} > {atol}");
}

#[test]
fn cli_solves_shared_fields_file_and_writes_t_in_its_layout() {
    let dir = std::env::temp_dir().join(format!("tg-ref-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("mms.h5");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args(["solve", &shared("mms2d_64x64.h5"), "--backend", "cpu", "--json", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(j["expected_max_abs_error_k"].as_f64().unwrap() <= 1e-6);
    let f = hdf5::File::open(&out).unwrap();
    let t = f.dataset("thermal/T").unwrap();
    assert_eq!(t.shape(), vec![64, 64]);
    let exp =
        hdf5::File::open(shared("mms2d_64x64.h5")).unwrap().dataset("T_expected").unwrap().read_raw::<f64>().unwrap();
    let got = t.read_raw::<f64>().unwrap();
    let err = got.iter().zip(&exp).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(err <= 1e-6, "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Fields files of our own: answers from the sparse direct solve, then read back and
/// solved by multigrid, as a user's file would be.
#[test]
fn own_fields_files_odd_sizes_mixed_walls_3d() {
    let dir = std::env::temp_dir().join(format!("tg-fields-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (s, (nx, ny, nz)) in [(37, 23, 1), (64, 17, 1), (15, 12, 9)].into_iter().enumerate() {
        let mut p = common::random_problem(500 + s as u64, nx, ny, nz);
        p.t_s = vec![18.0; p.grid.cells()];
        let exact = solve_steady(&p, &SolveOptions { method: Method::Direct, ..Default::default() }).unwrap().t;
        let path = dir.join(format!("f{s}.h5"));
        write_fields(&path, &p, 18.0, Some(&exact)).unwrap();
        let f = read_fields(path.to_str().unwrap()).unwrap();
        assert_eq!(
            (f.problem.grid.nx, f.problem.grid.ny, f.problem.grid.nz, f.problem.grid.dx),
            (p.grid.nx, p.grid.ny, p.grid.nz, p.grid.dx)
        );
        let t = solve_steady(&f.problem, &SolveOptions::default()).unwrap().t;
        let err = t.iter().zip(f.t_expected.as_ref().unwrap()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(err <= 1e-6, "{nx}x{ny}x{nz}: {err} K");
    }
    std::fs::remove_dir_all(&dir).ok();
}
