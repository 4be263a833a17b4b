//! The shared transient reference (`transient2d_mode_64x48.h5`): backward Euler,
//! Crank–Nicolson and forward Euler, on the CPU (f64) and the GPU (f32).

use std::path::Path;
use thermogrid::io::fields::read_fields;
use thermogrid::thermal::transient::{run_transient, Engine, Scheme};

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

fn file() -> thermogrid::io::fields::FieldsFile {
    read_fields(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/thermal/transient2d_mode_64x48.h5").to_str().unwrap(),
    )
    .unwrap()
}

fn cases(f: &thermogrid::io::fields::FieldsFile) -> Vec<(Scheme, f64, usize, Vec<f64>)> {
    let (dti, ni) = (f.number("dt_implicit_s").unwrap(), f.number("nsteps_implicit").unwrap() as usize);
    let (dte, ne) = (f.number("dt_explicit_s").unwrap(), f.number("nsteps_explicit").unwrap() as usize);
    vec![
        (Scheme::BackwardEuler, dti, ni, f.t_expected.clone().unwrap()),
        (Scheme::CrankNicolson, dti, ni, f.answer("T_expected_crank_nicolson").unwrap().to_vec()),
        (Scheme::ForwardEuler, dte, ne, f.answer("T_expected_explicit").unwrap().to_vec()),
    ]
}

#[test]
fn transient_reference_cpu() {
    let f = file();
    let (rho, t0) = (f.rho_cp.clone().unwrap(), f.t_initial.clone().unwrap());
    for (scheme, dt, n, want) in cases(&f) {
        let t = run_transient(&f.problem, &rho, &t0, scheme, dt, n, 1e-12, Engine::Cpu).unwrap();
        let e = max_diff(&t, &want);
        eprintln!("CPU {}: max error {e:.2e} K", scheme.name());
        assert!(e <= f.atol_f64_k.unwrap(), "{}: {e}", scheme.name());
    }
}

#[test]
fn transient_reference_gpu() {
    let Some(ctx) = thermogrid::gpu::context_for_tests() else { return };
    let f = file();
    let (rho, t0) = (f.rho_cp.clone().unwrap(), f.t_initial.clone().unwrap());
    for (scheme, dt, n, want) in cases(&f) {
        let t = run_transient(&f.problem, &rho, &t0, scheme, dt, n, 1e-6, Engine::Gpu(&ctx)).unwrap();
        let e = max_diff(&t, &want);
        eprintln!("GPU {}: max error {e:.2e} K", scheme.name());
        assert!(e <= f.atol_f32_k.unwrap(), "{}: {e}", scheme.name());
    }
}

#[test]
fn unstable_forward_euler_is_refused_with_the_limit() {
    let f = file();
    let (rho, t0) = (f.rho_cp.clone().unwrap(), f.t_initial.clone().unwrap());
    let limit_file = 0.0015070290534208062; // dt_explicit_stability_limit_s of the file
    let e = run_transient(&f.problem, &rho, &t0, Scheme::ForwardEuler, 1.01 * limit_file, 3, 1e-12, Engine::Cpu)
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("unstable") && msg.contains("1.507"), "{msg}");
    // Just below the limit is accepted.
    assert!(
        run_transient(&f.problem, &rho, &t0, Scheme::ForwardEuler, 0.99 * limit_file, 3, 1e-12, Engine::Cpu).is_ok()
    );
}

#[test]
fn cli_transient_writes_the_final_field_and_refuses_unstable_steps() {
    let dir = std::env::temp_dir().join(format!("tg-tr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/thermal/transient2d_mode_64x48.h5");
    let out = dir.join("t.h5");
    let f = file();
    let dt = f.number("dt_implicit_s").unwrap().to_string();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args([
            "solve",
            input.to_str().unwrap(),
            "--backend",
            "cpu",
            "--transient",
            "--scheme",
            "backward-euler",
            "--dt",
            &dt,
            "--steps",
            "10",
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t = hdf5::File::open(&out).unwrap().dataset("thermal/T").unwrap();
    assert_eq!(t.shape(), vec![48, 64]);
    let e = max_diff(&t.read_raw::<f64>().unwrap(), f.t_expected.as_ref().unwrap());
    assert!(e <= 1e-9, "{e}");
    let bad = dir.join("bad.h5");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args([
            "solve",
            input.to_str().unwrap(),
            "--backend",
            "cpu",
            "--transient",
            "--scheme",
            "forward-euler",
            "--dt",
            "0.01",
            "--steps",
            "3",
            "-o",
            bad.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("limit for this grid is 1.507"));
    assert!(!bad.exists());
    std::fs::remove_dir_all(&dir).ok();
}
