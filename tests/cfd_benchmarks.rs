//! The hall-air model (`airflow::cfd`) against published benchmarks: the lid-driven
//! cavity of Ghia, Ghia & Shin (1982) at Re 100 and 1 000, and the differentially heated
//! cavity of de Vahl Davis (1983) at Ra 10³–10⁶ (`tests/data/cfd/README.md`).

use thermogrid::airflow::cfd::{solve_steady, Domain, Fluid, Relaxation, Settings, State, Turbulence};
use thermogrid::grid::{Grid, Wall, Walls};

/// Linear interpolation of samples `(x, y)` (sorted by x) at `x`.
fn interp(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let i = xs.partition_point(|&v| v < x).clamp(1, xs.len() - 1);
    let (x0, x1) = (xs[i - 1], xs[i]);
    ys[i - 1] + (ys[i] - ys[i - 1]) * (x - x0) / (x1 - x0)
}

fn ghia(re: u32) -> Vec<[f64; 4]> {
    let text =
        std::fs::read_to_string(format!("{}/tests/data/cfd/ghia_re{re}.csv", env!("CARGO_MANIFEST_DIR"))).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|x| x.trim().parse().unwrap()).collect();
            [v[0], v[1], v[2], v[3]]
        })
        .collect()
}

/// Lid-driven cavity on n × n cells, its predictors solved by `relax` at Courant
/// number `cfl`: (max |u − u_Ghia|, max |v − v_Ghia|, steps, seconds) and the field.
fn cavity_with(re: f64, n: usize, cfl: f64, relax: Relaxation) -> ((f64, f64, usize, f64), State) {
    let g = Grid::new_2d(n, n, 1.0 / n as f64, 1.0);
    let mut d = Domain::closed_box(g, Walls::all(Wall::Adiabatic));
    d.wall_velocity[3] = [1.0, 0.0, 0.0];
    let mut fluid = Fluid::air(20.0, &g);
    fluid.nu_m2_s = 1.0 / re;
    fluid.gravity_m_s2 = [0.0; 3];
    let s = Settings {
        turbulence: Turbulence::Laminar,
        energy: false,
        velocity_scale_m_s: 1.0,
        cfl,
        relax,
        tol: 1e-6,
        max_steps: 40_000,
        ..Settings::default()
    };
    let mut st = State::at_rest(&d, 20.0);
    let rep = solve_steady(&d, &fluid, &s, &mut st, &mut [], &mut |_, _| {}).unwrap();
    assert!(rep.converged, "Re {re}: not steady after {} steps ({:.2e})", rep.steps, rep.velocity_change);
    assert!(rep.mass_residual < 1e-9, "mass residual {:.2e}", rep.mass_residual);
    let h = 1.0 / n as f64;
    // u on the faces x = 0.5 (i = n/2), at cell-centre heights; walls 0 and 1.
    let mut ys = vec![0.0];
    let mut us = vec![0.0];
    for j in 0..n {
        ys.push((j as f64 + 0.5) * h);
        us.push(st.u[0][(j * (n + 1)) + n / 2]);
    }
    ys.push(1.0);
    us.push(1.0);
    let mut xs = vec![0.0];
    let mut vs = vec![0.0];
    for i in 0..n {
        xs.push((i as f64 + 0.5) * h);
        vs.push(st.u[1][(n / 2) * n + i]);
    }
    xs.push(1.0);
    vs.push(0.0);
    let (mut eu, mut ev) = (0.0f64, 0.0f64);
    for r in ghia(re as u32) {
        eu = eu.max((interp(&ys, &us, r[0]) - r[1]).abs());
        ev = ev.max((interp(&xs, &vs, r[2]) - r[3]).abs());
    }
    eprintln!(
        "cavity Re {re} on {n}² ({relax:?}, Courant {cfl}): max |Δu| {eu:.4}, max |Δv| {ev:.4}; {} steps, {:.1} s, mass residual {:.1e}",
        rep.steps, rep.seconds, rep.mass_residual
    );
    ((eu, ev, rep.steps, rep.seconds), st)
}

fn cavity(re: f64, n: usize, cfl: f64) -> (f64, f64, usize, f64) {
    cavity_with(re, n, cfl, Relaxation::Jacobi(3)).0
}

/// The fast path (line relaxation at Courant 20, as the facility model runs) and the
/// reference path (Jacobi sweeps at Courant 1) march to the same steady state: the
/// steady equations do not depend on the pseudo-time step or the inner solver.
#[test]
fn line_relaxation_reaches_the_jacobi_steady_state() {
    let ((_, _, jsteps, _), jac) = cavity_with(100.0, 32, 1.0, Relaxation::Jacobi(3));
    let ((eu, ev, lsteps, _), lin) = cavity_with(100.0, 32, 20.0, Relaxation::Lines(2));
    let worst = (0..2).flat_map(|a| jac.u[a].iter().zip(&lin.u[a]).map(|(x, y)| (x - y).abs())).fold(0.0f64, f64::max);
    eprintln!("Jacobi {jsteps} steps, lines {lsteps} steps; largest velocity difference {worst:.2e} (lid 1)");
    // Both stop at a normalized change of 1e-6 per step; what is left of the march
    // is of order 1e-4 of the lid speed.
    assert!(worst < 2e-4, "the two paths differ by {worst:.2e}");
    assert!(eu < 0.03 && ev < 0.03, "{eu} {ev}");
}

#[test]
fn lid_driven_cavity_re100_matches_ghia() {
    let (eu, ev, _, _) = cavity(100.0, 64, 1.0);
    assert!(eu < 0.02 && ev < 0.02, "{eu} {ev}");
}

#[test]
fn lid_driven_cavity_re1000_matches_ghia() {
    let (eu, ev, _, _) = cavity(1000.0, 96, 1.0);
    assert!(eu < 0.04 && ev < 0.04, "{eu} {ev}");
}

/// Differentially heated cavity at Rayleigh number `ra` on n × n cells: the hot wall's
/// mean Nusselt number.
fn heated_cavity(ra: f64, n: usize) -> (f64, f64, usize, f64) {
    let g = Grid::new_2d(n, n, 1.0 / n as f64, 1.0);
    let walls = Walls { xlo: Wall::Fixed(1.0), xhi: Wall::Fixed(0.0), ..Walls::all(Wall::Adiabatic) };
    let d = Domain::closed_box(g, walls);
    let pr = 0.71;
    let nu = (pr / ra).sqrt();
    let fluid = Fluid {
        nu_m2_s: nu,
        alpha_m2_s: nu / pr,
        prandtl_t: 0.85,
        beta_1_k: 1.0,
        t_ref_c: 0.5,
        gravity_m_s2: [0.0, -1.0, 0.0],
    };
    // Buoyant velocity scale √(gβΔT L) = 1 (the flow's peak is a fraction of it).
    let s = Settings {
        turbulence: Turbulence::Laminar,
        velocity_scale_m_s: 0.3,
        cfl: 1.0,
        energy_dt_factor: 4.0,
        tol: 1e-6,
        max_steps: 40_000,
        ..Settings::default()
    };
    let mut st = State::at_rest(&d, 0.5);
    let rep = solve_steady(&d, &fluid, &s, &mut st, &mut [], &mut |_, _| {}).unwrap();
    assert!(
        rep.converged,
        "Ra {ra}: not steady after {} steps ({:.2e} {:.2e})",
        rep.steps, rep.velocity_change, rep.temperature_change
    );
    let h = 1.0 / n as f64;
    // Hot wall: q = (T_w − T_0)/(h/2) per unit ΔT and L.
    let hot: f64 = (0..n).map(|j| (1.0 - st.t[j * n]) / (0.5 * h)).sum::<f64>() / n as f64;
    let cold: f64 = (0..n).map(|j| (st.t[j * n + n - 1] - 0.0) / (0.5 * h)).sum::<f64>() / n as f64;
    eprintln!(
        "heated cavity Ra {ra:.0e} on {n}²: Nu hot {hot:.4}, cold {cold:.4}; {} steps, {:.1} s",
        rep.steps, rep.seconds
    );
    (hot, cold, rep.steps, rep.seconds)
}

#[test]
fn heated_cavity_matches_de_vahl_davis() {
    for (ra, nu_ref, n) in [(1e3, 1.118, 32), (1e4, 2.243, 48), (1e5, 4.519, 64), (1e6, 8.800, 96)] {
        let (hot, cold, _, _) = heated_cavity(ra, n);
        let err = (hot - nu_ref).abs() / nu_ref;
        assert!(err < 0.03, "Ra {ra:.0e}: Nu {hot:.3} against {nu_ref} ({:.1} %)", 100.0 * err);
        // Heat in = heat out at the steady state.
        assert!((hot - cold).abs() / hot < 1e-3, "Ra {ra:.0e}: hot {hot} cold {cold}");
    }
}
