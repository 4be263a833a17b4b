//! Synthetic problems for benchmarks and tests: one physical floorplan at any
//! resolution, so iteration counts and timings can be compared under refinement.

use crate::grid::{Grid, Wall, Walls};
use crate::thermal::ThermalProblem;

/// Side of the sample hall, m.
pub const FLOORPLAN_SIDE_M: f64 = 25.6;

/// A 25.6 m × 25.6 m hall on an `n × n` grid: three hot/cold-aisle pairs of 40 kW
/// racks (rows x 4.0–21.6 m), six CRAHs on the west and east walls (300 kW each,
/// 20 °C supply, 12 K design ΔT), and 0.6 m concrete columns (k 1.4 W/(m·K)) in the
/// hot aisles and side aisles, in air of 2000 W/(m·K): a ≈ 1400× contrast. Walls are
/// adiabatic (`fixed_walls = false`, the hard realistic case: heat leaves only through
/// the cooling units) or held at 24 °C.
pub fn floorplan(n: usize, fixed_walls: bool) -> ThermalProblem {
    let dx = FLOORPLAN_SIDE_M / n as f64;
    let slab = 3.0;
    let grid = Grid::new_2d(n, n, dx, slab);
    let cells = grid.cells();
    let mut k = vec![2000.0; cells];
    let mut q = vec![0.0; cells];
    let mut h = vec![0.0; cells];
    let t_s = vec![20.0; cells];
    // Cell centres inside [x0, x1) × [y0, y1).
    let span = |a: f64, b: f64| {
        let lo = ((a / dx) - 0.5 - 1e-9).ceil().max(0.0) as usize;
        let hi = (((b / dx) - 0.5 - 1e-9).ceil().max(0.0) as usize).min(n);
        (lo, hi.max(lo + 1).min(n))
    };
    let paint = |x0: f64, y0: f64, w: f64, d: f64, f: &mut dyn FnMut(usize, f64)| {
        let (i0, i1) = span(x0, x0 + w);
        let (j0, j1) = span(y0, y0 + d);
        let count = ((i1 - i0) * (j1 - j0)) as f64;
        for j in j0..j1 {
            for i in i0..i1 {
                f(grid.idx(i, j, 0), count * dx * dx * slab);
            }
        }
    };
    // Rack rows: pairs at y = 4.0/6.4, 10.4/12.8, 16.8/19.2 (1.2 m deep), 40 kW per
    // 0.6 m of row.
    for y in [4.0, 6.4, 10.4, 12.8, 16.8, 19.2] {
        let power_w = 40e3 * (21.6 - 4.0) / 0.6;
        paint(4.0, y, 17.6, 1.2, &mut |c, vol| q[c] = power_w / vol);
    }
    // CRAHs: 1.0 m × 2.4 m on both side walls.
    for x in [0.4, 24.2] {
        for y in [3.2, 11.6, 20.0] {
            paint(x, y, 1.0, 2.4, &mut |c, vol| h[c] = 300e3 / (vol * 12.0));
        }
    }
    // Concrete columns in the hot aisles and the side aisles.
    for (x, y) in [
        (6.4, 8.7),
        (12.8, 8.7),
        (19.2, 8.7),
        (6.4, 15.1),
        (12.8, 15.1),
        (19.2, 15.1),
        (2.4, 8.7),
        (22.6, 15.1),
        (2.4, 21.0),
        (22.6, 3.0),
    ] {
        paint(x, y, 0.6, 0.6, &mut |c, _| k[c] = 1.4);
    }
    let walls = if fixed_walls { Walls::all(Wall::Fixed(24.0)) } else { Walls::all(Wall::Adiabatic) };
    ThermalProblem { grid, k, q, h, t_s, walls }
}

/// The floorplan of [`floorplan`] extruded to `nz` layers of cubes (`dx = 25.6 m / n`):
/// racks, CRAHs and columns fill the lower 40 % of the height, air above; floor and
/// ceiling adiabatic.
pub fn floorplan_3d(n: usize, nz: usize) -> ThermalProblem {
    let p2 = floorplan(n, false);
    let g2 = p2.grid;
    let grid = Grid::new_3d(n, n, nz, g2.dx);
    let low = ((nz as f64) * 0.4).ceil().max(1.0) as usize;
    let cells = grid.cells();
    let (mut k, mut q, mut h) = (vec![2000.0; cells], vec![0.0; cells], vec![0.0; cells]);
    for kk in 0..nz {
        for c2 in 0..g2.cells() {
            let c = kk * g2.cells() + c2;
            if kk < low {
                k[c] = p2.k[c2];
                // Same power per rack column, spread over its layers.
                q[c] = p2.q[c2] * g2.slab_m / (low as f64 * g2.dx);
                h[c] = p2.h[c2];
            }
        }
    }
    ThermalProblem { grid, k, q, h, t_s: vec![20.0; cells], walls: Walls::all(Wall::Adiabatic) }
}
