//! The momentum model (`[airflow] model = "cfd"`) on a small raised-floor room: it
//! converges (in the mean where plumes keep moving), conserves mass and energy, shows
//! recirculation over the rack tops when the tiles are short, and gives the same answer
//! whatever the thread count.

use thermogrid::facility::load_str;
use thermogrid::run::{solve_input, Backend, Input, Study};
use thermogrid::thermal::SolveOptions;

/// 6.0 m × 4.8 m × 3.0 m at 0.3 m (20 × 16 × 10 cells): four 10 kW racks (y 1.2–2.4,
/// facing north, 2.1 m tall) on a tiled cold aisle (y 2.4–3.0) fed by a CRAH that
/// takes its return through the ceiling. The racks draw 4 × 0.699 = 2.80 m³/s.
const ROOM: &str = r#"name = "cfd_room_test"
[floor]
width_m = 6.0
depth_m = 4.8
cell_m = 0.3
height_m = 3.0
layers = 10
[[rack_row]]
id = "A"
x_m = 1.8
y_m = 1.2
count = 4
height_m = 2.1
facing = "north"
power_kw = 10.0
[[supply]]
id = "tiles"
x_m = 1.8
y_m = 2.4
width_m = 2.4
depth_m = 0.6
height_m = 0.3
supply_c = 18.0
airflow_m3_s = TILEFLOW
[[cooling]]
id = "CRAH"
kind = "crah"
x_m = 0.0
y_m = 3.0
width_m = 0.6
depth_m = 1.2
height_m = 2.1
capacity_kw = 100.0
supply_c = 18.0
delta_t_k = 12.0
return = "ceiling"
[airflow]
model = "cfd"
"#;

fn room(tile_m3s: f64) -> Study {
    room_on(tile_m3s, Backend::Cpu)
}

fn room_on(tile_m3s: f64, backend: Backend) -> Study {
    let f = load_str("cfd_room.toml", &ROOM.replace("TILEFLOW", &tile_m3s.to_string())).unwrap();
    solve_input(
        Input::Facility(Box::new(f)),
        "cfd_room.toml",
        backend,
        &SolveOptions::default(),
        std::time::Instant::now(),
    )
    .unwrap()
}

/// Mean intake temperature of the racks in layer k (cells just north of the row).
fn intake_layer(s: &Study, k: usize) -> f64 {
    let (nx, ny) = (20, 16);
    (6..14).map(|i| s.t[(k * ny + 8) * nx + i]).sum::<f64>() / 8.0
}

#[test]
fn short_tiles_recirculate_over_the_rack_tops_and_energy_balances() {
    let s = room(2.2);
    assert!(s.airflow_mass_residual.unwrap() < 1e-9, "mass {:?}", s.airflow_mass_residual);
    assert!(s.energy.rel_error < 1e-9, "energy {}", s.energy.rel_error);
    let it: f64 = s.racks.iter().map(|r| r.air_heat_kw).sum::<f64>() * 1e3;
    let removed: f64 = s.cooling.iter().map(|c| c.removed_kw).sum::<f64>() * 1e3;
    assert!((it - removed).abs() < 1e-6 * it, "racks {it} W, units {removed} W");
    // 20 % of the rack air is not from the tiles: it is exhaust that came round, and it
    // reaches the upper intakes first.
    let (bottom, top) = (intake_layer(&s, 0), intake_layer(&s, 6));
    eprintln!(
        "intake bottom {bottom:.2} °C, top {top:.2} °C; racks {:?}",
        s.racks.iter().map(|r| r.intake_c).collect::<Vec<_>>()
    );
    assert!(top > bottom + 0.5, "top {top} bottom {bottom}");
    assert!(s.racks.iter().all(|r| r.intake_c > 18.0 && r.intake_c < 18.0 + 12.0));
}

/// The march on the GPU (f32 kernels, on lavapipe in CI) against the CPU's f64 one:
/// the same rack intakes within 0.05 K, and after the host's final projection and
/// linked energy solve the same mass and energy balance.
#[test]
fn the_gpu_march_matches_the_cpu_reference() {
    if thermogrid::gpu::context_for_tests().is_none() {
        return;
    }
    let cpu = room(2.2);
    let gpu = room_on(2.2, Backend::Gpu);
    assert_eq!(gpu.report.backend, "gpu");
    assert!(gpu.airflow_mass_residual.unwrap() < 1e-9, "mass {:?}", gpu.airflow_mass_residual);
    assert!(gpu.energy.rel_error < 1e-9, "energy {}", gpu.energy.rel_error);
    for (c, g) in cpu.racks.iter().zip(&gpu.racks) {
        eprintln!("{}: intake CPU {:.3} °C, GPU {:.3} °C", c.id, c.intake_c, g.intake_c);
        assert!((c.intake_c - g.intake_c).abs() < 0.05, "{}: CPU {} GPU {}", c.id, c.intake_c, g.intake_c);
    }
    // The layers the intakes are averaged from, too.
    for k in [0, 6] {
        assert!((intake_layer(&cpu, k) - intake_layer(&gpu, k)).abs() < 0.05, "layer {k}");
    }
}

/// 300 steps of a heated cavity with one and with two threads, with either inner solver:
/// every kernel reads only
/// the previous iterate, so the fields agree to the last bit.
#[test]
fn same_answer_whatever_the_thread_count() {
    use thermogrid::airflow::cfd::{solve_steady, Domain, Fluid, Relaxation, Settings, State, Turbulence};
    use thermogrid::grid::{Grid, Wall, Walls};
    for relax in [Relaxation::Jacobi(3), Relaxation::Lines(2)] {
        let run = || {
            let g = Grid::new_3d(16, 12, 10, 0.1);
            let walls = Walls { xlo: Wall::Fixed(30.0), xhi: Wall::Fixed(20.0), ..Walls::all(Wall::Adiabatic) };
            let d = Domain::closed_box(g, walls);
            let fluid = Fluid::air(25.0, &g);
            let s = Settings { turbulence: Turbulence::Lvel, max_steps: 300, relax, ..Settings::default() };
            let mut st = State::at_rest(&d, 25.0);
            solve_steady(&d, &fluid, &s, &mut st, &mut [], &mut |_, _| {}).unwrap();
            st
        };
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(run);
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap().install(run);
        assert!(one.u[0].iter().any(|v| v.abs() > 1e-4), "the air moved");
        assert_eq!(one.t, two.t);
        assert_eq!(one.u, two.u, "{relax:?}");
    }
}

/// A containment roof is an obstacle with an underside (`z_m`); heights it cannot have
/// are input errors that name the obstacle.
#[test]
fn obstacle_heights_are_checked() {
    let base = ROOM.replace("TILEFLOW", "2.8");
    let roof = "[[obstacle]]\nid = \"ROOF\"\nkind = \"other\"\nx_m = 1.8\ny_m = 3.0\nwidth_m = 2.4\ndepth_m = 0.6\nz_m = 2.1\nheight_m = 0.3\n";
    let f = load_str("cfd_room.toml", &format!("{base}\n{roof}")).unwrap();
    let r = thermogrid::raster::rasterize(&f).unwrap();
    // Layer 7 (z 2.1–2.4 m) is solid over the roof's footprint, layer 6 below it is air.
    let (nx, ny) = (20, 16);
    let at = |i: usize, j: usize, k: usize| r.material[(k * ny + j) * nx + i];
    assert_eq!(at(7, 11, 7), thermogrid::raster::material::OBSTACLE);
    assert_eq!(at(7, 11, 6), thermogrid::raster::material::AIR);
    let above = roof.replace("z_m = 2.1", "z_m = 2.9");
    let e = load_str("cfd_room.toml", &format!("{base}\n{above}")).unwrap_err().to_string();
    assert!(e.contains("ROOF") && e.contains("above the ceiling"), "{e}");
    let flat = base.replace("layers = 10\n", "").replace("return = \"ceiling\"", "return = \"behind\"");
    let e = load_str("cfd_room.toml", &format!("{flat}\n{roof}")).unwrap_err().to_string();
    assert!(e.contains("ROOF") && e.contains("3-D"), "{e}");
}

/// A 6.4 m × 5.6 m × 2.8 m room, two rows of three 0.8 m racks (10–18 kW, 2.0 m tall)
/// on one tiled cold aisle at 90 % of their air, a CRAH with a ceiling return, at cell
/// size `dx` (every edge a multiple of 0.4 m): the rack intakes, row by row.
fn convergence_room(dx: f64) -> Vec<f64> {
    let mut s = format!(
        "name = \"grid convergence room at {dx} m\"\n[floor]\nwidth_m = 6.4\ndepth_m = 5.6\ncell_m = {dx}\nheight_m = 2.8\nlayers = {}\n",
        (2.8 / dx).round()
    );
    let mut air = 0.0;
    for (row, y, facing, kws) in [("A", 0.8, "north", [12.0, 16.0, 12.0]), ("B", 3.2, "south", [14.0, 18.0, 10.0])] {
        for (i, kw) in kws.iter().enumerate() {
            air += kw * 1e3 / (1192.0 * 12.0);
            s += &format!(
                "[[rack]]\nid = \"{row}-{}\"\nx_m = {:.1}\ny_m = {y}\nwidth_m = 0.8\ndepth_m = 1.2\nheight_m = 2.0\nfacing = \"{facing}\"\npower_kw = {kw}\n",
                i + 1,
                2.0 + 0.8 * i as f64
            );
        }
    }
    s += &format!(
        "[[supply]]\nid = \"tiles\"\nx_m = 2.0\ny_m = 2.0\nwidth_m = 2.4\ndepth_m = 1.2\nheight_m = {dx}\nsupply_c = 18.0\nairflow_m3_s = {:.4}\n",
        0.9 * air
    );
    s += "[[cooling]]\nid = \"CRAH\"\nkind = \"crah\"\nx_m = 0.0\ny_m = 0.0\nwidth_m = 0.8\ndepth_m = 1.6\nheight_m = 2.0\ncapacity_kw = 120.0\nsupply_c = 18.0\ndelta_t_k = 12.0\nreturn = \"ceiling\"\n[airflow]\nmodel = \"cfd\"\nrack_delta_t_k = 12.0\n";
    let f = load_str("convergence_room.toml", &s).unwrap();
    let st = solve_input(
        Input::Facility(Box::new(f)),
        "convergence_room.toml",
        Backend::Cpu,
        &SolveOptions::default(),
        std::time::Instant::now(),
    )
    .unwrap();
    assert!(st.energy.rel_error < 1e-9, "{dx} m: heat balance {:.1e}", st.energy.rel_error);
    st.racks.iter().map(|r| r.intake_c).collect()
}

/// Grid convergence on a room: halving the cells twice (0.4 → 0.2 → 0.1 m: 16 × 14 × 7,
/// 32 × 28 × 14 and 64 × 56 × 28 cells) moves the intakes less each time, and by less
/// than the 0.7 K the RANS reference moved under the same halving (see the README);
/// the order of the racks (row ends warm, mid-row at the tiles' air) holds on every grid.
#[test]
fn intakes_converge_under_grid_refinement() {
    let grids: Vec<Vec<f64>> = [0.4, 0.2, 0.1].iter().map(|&dx| convergence_room(dx)).collect();
    let change = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64;
    let (coarse, fine) = (change(&grids[0], &grids[1]), change(&grids[1], &grids[2]));
    eprintln!("intakes at 0.4 / 0.2 / 0.1 m: {grids:.2?}; mean |change| {coarse:.2} K then {fine:.2} K");
    assert!(fine < coarse, "refining 0.2 → 0.1 m moved the intakes {fine:.2} K, 0.4 → 0.2 m {coarse:.2} K");
    assert!(fine < 0.7, "refining 0.2 → 0.1 m moved the intakes {fine:.2} K on average");
    for (g, t) in grids.iter().enumerate() {
        for row in [0, 3] {
            let mid = t[row + 1];
            assert!(t[row] > mid + 1.0 && t[row + 2] > mid + 1.0, "grid {g}: row ends {t:.2?}");
        }
    }
}
