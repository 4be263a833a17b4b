//! Airflow building blocks: upwind advection–diffusion against the exact 1-D solution
//! at cell Péclet numbers 0.1–100, BiCGStab + multigrid against a dense LU, mass
//! conservation of potential flow, and energy conservation with advection.

use thermogrid::airflow::{add_upwind, mass_residual, mg_bicgstab, solve_potential, FlowProblem, Fluxes};
use thermogrid::grid::{Grid, Wall, Walls};
use thermogrid::thermal::cpu::dense::DenseCholesky;
use thermogrid::thermal::cpu::Multigrid;
use thermogrid::thermal::operator::assemble;
use thermogrid::thermal::ThermalProblem;

/// 1-D advection–diffusion on [0, 1]: T(0) = 0, T(1) = 1 (walls), k = 1, ρc = 1, velocity u.
fn one_d(n: usize, u: f64) -> (Vec<f64>, Vec<f64>) {
    let g = Grid::new_2d(n, 1, 1.0 / n as f64, 1.0);
    let walls = Walls { xlo: Wall::Fixed(0.0), xhi: Wall::Fixed(1.0), ..Walls::all(Wall::Adiabatic) };
    let p = ThermalProblem { grid: g, k: vec![1.0; n], q: vec![0.0; n], h: vec![0.0; n], t_s: vec![0.0; n], walls };
    let (mut a, mut b) = assemble(&p);
    let mut f = Fluxes::zeros(&g);
    let area = g.dx * g.slab_m;
    f.fx.iter_mut().for_each(|q| *q = u * area);
    add_upwind(&mut a, &mut b, &g, &walls, &f, &vec![0.0; n], &vec![0.0; n], 1.0);
    let lay = a.layout;
    let mut mg = Multigrid::new(&a).unwrap();
    let mut x = lay.zeros();
    let out = mg_bicgstab(&a, &mut mg, &b, &mut x, 1e-12, 200);
    assert!(out.converged, "n {n} u {u}: {}", out.relative_residual);
    let mut dense = lay.to_compact(&b);
    DenseCholesky::new(&a).unwrap().solve(&mut dense);
    let t = lay.to_compact(&x);
    let d = t.iter().zip(&dense).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(d < 1e-9, "BiCGStab vs dense LU: {d}");
    let exact: Vec<f64> = (0..n)
        .map(|i| {
            let xx = (i as f64 + 0.5) / n as f64;
            if u == 0.0 {
                xx
            } else {
                ((u * (xx - 1.0)).exp() - (-u).exp()) / (1.0 - (-u).exp())
            }
        })
        .collect();
    (t, exact)
}

#[test]
fn one_d_advection_diffusion_at_cell_peclet_0_1_to_100() {
    let n = 64;
    for pe_cell in [0.1, 1.0, 10.0, 100.0] {
        let u = pe_cell * n as f64;
        let (t, exact) = one_d(n, u);
        // Upwind is monotone and bounded at every Péclet number.
        assert!(t.windows(2).all(|w| w[1] >= w[0] - 1e-12), "Pe {pe_cell}: not monotone");
        assert!(t.iter().all(|&v| (-1e-12..=1.0 + 1e-12).contains(&v)), "Pe {pe_cell}: out of bounds");
        let err = t.iter().zip(&exact).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        eprintln!("cell Pe {pe_cell}: max error vs exact {err:.3e}");
        if pe_cell <= 1.0 {
            // First-order upwind: numerical diffusion ≈ u dx / 2, an error of order Pe_cell.
            assert!(err < 0.2 * pe_cell, "Pe {pe_cell}: {err}");
        } else {
            // Advection-dominated: the exact solution is a wall layer thinner than a cell;
            // upstream of it both are zero.
            let inner = t.iter().zip(&exact).take(n * 9 / 10).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(inner < 1e-6, "Pe {pe_cell}: {inner}");
        }
    }
}

#[test]
fn upwind_converges_at_first_order() {
    let u = 20.0;
    let errs: Vec<f64> = [40, 80, 160, 320]
        .iter()
        .map(|&n| {
            let (t, e) = one_d(n, u);
            t.iter().zip(&e).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
        })
        .collect();
    eprintln!("errors {errs:?}");
    for w in errs.windows(2) {
        let rate = (w[0] / w[1]).log2();
        assert!((0.75..1.3).contains(&rate), "order {rate} from {errs:?}");
    }
}

/// A room with a column: air from a supply strip on the west to a return on the east.
fn room() -> (FlowProblem, Vec<usize>, Vec<usize>) {
    let (nx, ny) = (40, 24);
    let g = Grid::new_2d(nx, ny, 0.25, 3.0);
    let mut open = vec![true; g.cells()];
    for j in 9..15 {
        for i in 18..22 {
            open[g.idx(i, j, 0)] = false;
        }
    }
    let supply: Vec<usize> = (4..20).map(|j| g.idx(1, j, 0)).collect();
    let ret: Vec<usize> = (4..20).map(|j| g.idx(38, j, 0)).collect();
    let mut s = vec![0.0; g.cells()];
    supply.iter().for_each(|&c| s[c] = 2.0 / 16.0);
    ret.iter().for_each(|&c| s[c] = -2.0 / 16.0);
    (FlowProblem { grid: g, open, source_m3s: s }, supply, ret)
}

#[test]
fn potential_flow_conserves_mass_and_avoids_obstacles() {
    let (fp, _, _) = room();
    let (_, f) = solve_potential(&fp, 1e-12).unwrap();
    let m = mass_residual(&fp, &f);
    eprintln!("mass residual {m:.2e}");
    assert!(m < 1e-8, "{m}");
    let g = fp.grid;
    for j in 9..15 {
        assert_eq!(f.fx[Fluxes::ix(&g, 18, j, 0)], 0.0);
        assert_eq!(f.fx[Fluxes::ix(&g, 22, j, 0)], 0.0);
    }
    // All the supplied air crosses the middle of the room.
    let through: f64 = (0..g.ny).map(|j| f.fx[Fluxes::ix(&g, 10, j, 0)]).sum();
    assert!((through - 2.0).abs() < 1e-8, "{through}");
}

#[test]
fn energy_is_conserved_with_advection() {
    let (fp, supply, ret) = room();
    let (_, f) = solve_potential(&fp, 1e-13).unwrap();
    let g = fp.grid;
    let n = g.cells();
    let rho_cp = 1192.0;
    // 20 kW of heat in the middle of the west half, supply air at 18 °C.
    let mut q = vec![0.0; n];
    let hot: Vec<usize> = (10..14).flat_map(|j| (8..12).map(move |i| (i, j))).map(|(i, j)| g.idx(i, j, 0)).collect();
    hot.iter().for_each(|&c| q[c] = 20e3 / (hot.len() as f64 * g.cell_volume_m3()));
    let k: Vec<f64> = fp.open.iter().map(|&o| if o { 100.0 } else { 1.4 }).collect();
    let walls = Walls::all(Wall::Adiabatic);
    let p = ThermalProblem { grid: g, k, q, h: vec![0.0; n], t_s: vec![0.0; n], walls };
    let (mut a, mut b) = assemble(&p);
    let t_src = vec![18.0; n];
    add_upwind(&mut a, &mut b, &g, &walls, &f, &fp.source_m3s, &t_src, rho_cp);
    let mut mg = Multigrid::new(&a).unwrap();
    let mut x = a.layout.zeros();
    let out = mg_bicgstab(&a, &mut mg, &b, &mut x, 1e-13, 300);
    assert!(out.converged, "{}", out.relative_residual);
    let t = a.layout.to_compact(&x);
    // Heat carried away: air leaves at the return cells' temperature, enters at 18 °C.
    let out_w: f64 = ret.iter().map(|&c| rho_cp * (-fp.source_m3s[c]) * t[c]).sum::<f64>()
        - supply.iter().map(|&c| rho_cp * fp.source_m3s[c] * 18.0).sum::<f64>();
    let rel = (out_w - 20e3).abs() / 20e3;
    eprintln!("heat out {out_w:.6} W of 20 kW: relative error {rel:.2e}; {} BiCGStab iterations", out.iterations);
    assert!(rel < 1e-9, "{rel}");
    // Downstream of the heat is warmer than upstream.
    assert!(t[g.idx(30, 12, 0)] > t[g.idx(3, 12, 0)] + 1.0);
}
