//! The shared transient reference (`transient2d_mode_64x48.h5`): backward Euler,
//! Crank–Nicolson and forward Euler, on the CPU (f64) and the GPU (f32).

use std::path::Path;
use thermogrid::io::fields::read_fields;
use thermogrid::thermal::transient::{run_transient, Engine, Scheme};

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

fn file() -> thermogrid::io::fields::FieldsFile {
    read_fields(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/thermal/transient2d_mode_64x48.h5").to_str().unwrap()).unwrap()
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
    let e = run_transient(&f.problem, &rho, &t0, Scheme::ForwardEuler, 1.01 * limit_file, 3, 1e-12, Engine::Cpu).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("unstable") && msg.contains("1.507"), "{msg}");
    // Just below the limit is accepted.
    assert!(run_transient(&f.problem, &rho, &t0, Scheme::ForwardEuler, 0.99 * limit_file, 3, 1e-12, Engine::Cpu).is_ok());
}
