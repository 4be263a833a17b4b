//! Rasterizing a facility onto the grid: conductivity, heat sources, cooling sinks and a
//! material id per cell.
//!
//! Rule: a cell belongs to an item when the cell's centre lies in the item's footprint
//! `[x0, x1) × [y0, y1)` (and, in 3-D, below the item's height, rounded to whole
//! cells, at least one). An item that covers no cell centre is an error: the cell is
//! too coarse for it. Heat and cooling are spread over the cells an item covers, so
//! the rasterized totals equal the written ones exactly.

use crate::error::InputError;
use crate::facility::{CoolingKind, Facility, Facing, Pos, Rect};
use crate::grid::Grid;
use crate::thermal::ThermalProblem;

/// Material ids of the `/thermal/material` field.
pub mod material {
    pub const AIR: u8 = 0;
    pub const RACK: u8 = 1;
    pub const COOLING: u8 = 2;
    pub const SUPPLY: u8 = 3;
    pub const OBSTACLE: u8 = 4;
    pub const CDU: u8 = 5;
    /// `"0=air 1=rack …"`, stored as an HDF5 attribute.
    pub const LEGEND: &str = "0=air 1=rack 2=cooling unit (air side) 3=supply region 4=obstacle 5=CDU cabinet";
}

/// A box of cells `[i0, i1) × [j0, j1) × [k0, k1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellBox {
    pub i0: usize,
    pub i1: usize,
    pub j0: usize,
    pub j1: usize,
    pub k0: usize,
    pub k1: usize,
}

impl CellBox {
    pub fn count(&self) -> usize {
        (self.i1 - self.i0) * (self.j1 - self.j0) * (self.k1 - self.k0)
    }
    /// Linear indices of the cells.
    pub fn cells<'a>(&'a self, g: &'a Grid) -> impl Iterator<Item = usize> + 'a {
        (self.k0..self.k1)
            .flat_map(move |k| (self.j0..self.j1).flat_map(move |j| (self.i0..self.i1).map(move |i| g.idx(i, j, k))))
    }
}

/// Cells of one rack.
#[derive(Clone, Debug)]
pub struct RackCells {
    pub cells: CellBox,
    /// Cells just in front of the intake (air or supply cells; the rack's own front
    /// layer when nothing is in front of it).
    pub intake: Vec<usize>,
}

/// A facility on its grid.
pub struct Raster {
    pub problem: ThermalProblem,
    /// Material id per cell, see [`material`].
    pub material: Vec<u8>,
    /// One per facility rack, same order.
    pub racks: Vec<RackCells>,
    /// One per cooling unit, same order; `None` for CDUs without a footprint.
    pub cooling: Vec<Option<CellBox>>,
}

fn span(a: f64, b: f64, dx: f64, n: usize) -> (usize, usize) {
    let lo = ((a / dx) - 0.5 - 1e-9).ceil().max(0.0) as usize;
    let hi = ((b / dx) - 0.5 - 1e-9).ceil().max(0.0) as usize;
    (lo.min(n), hi.min(n))
}

fn cell_box(f: &Facility, g: &Grid, r: &Rect, height_m: f64, item: &str, pos: Pos) -> Result<CellBox, InputError> {
    let (i0, i1) = span(r.x0, r.x1, g.dx, g.nx);
    let (j0, j1) = span(r.y0, r.y1, g.dx, g.ny);
    let k1 = if g.is_3d() { ((height_m / g.dx).round() as usize).clamp(1, g.nz) } else { 1 };
    if i1 <= i0 || j1 <= j0 {
        return Err(InputError::new(
            &f.path,
            item,
            format!(
                "covers no cell centre at cell_m = {} m ({:.3} × {:.3} m footprint)",
                g.dx,
                r.x1 - r.x0,
                r.y1 - r.y0
            ),
            "use a smaller cell_m or a larger footprint",
        )
        .at(pos));
    }
    Ok(CellBox { i0, i1, j0, j1, k0: 0, k1 })
}

/// A per-cell source or coefficient of an item: finite and of physical size, else an
/// error naming the item (its numbers are checked one by one when the file is read; a
/// product of them, or a scenario's or sweep's change, can still overflow).
fn per_cell(f: &Facility, v: f64, item: &str, pos: Pos) -> Result<f64, InputError> {
    const MAX_PER_CELL: f64 = 1e30;
    if v.is_finite() && v.abs() <= MAX_PER_CELL {
        return Ok(v);
    }
    Err(InputError::new(
        &f.path,
        item,
        format!("gives {v:e} per cell (W/m³ or W/(m³·K)), beyond any physical value"),
        "lower its power or capacity, or enlarge its footprint",
    )
    .at(pos))
}

/// Rasterize a validated facility.
pub fn rasterize(f: &Facility) -> Result<Raster, InputError> {
    let fl = &f.floor;
    let g = if f.is_3d() {
        Grid::new_3d(fl.nx, fl.ny, fl.layers, fl.cell_m)
    } else {
        Grid::new_2d(fl.nx, fl.ny, fl.cell_m, fl.height_m)
    };
    let n = g.cells();
    let m = &f.materials;
    let mut k = vec![m.air_k_w_mk; n];
    let mut q = vec![0.0; n];
    let mut h = vec![0.0; n];
    let mut t_s = vec![f64::NAN; n];
    let mut mat = vec![material::AIR; n];
    let v = g.cell_volume_m3();

    for o in &f.obstacles {
        let mut b = cell_box(f, &g, &o.rect, o.z_m + o.height_m, &format!("obstacle \"{}\"", o.id), o.pos)?;
        if g.is_3d() {
            b.k0 = ((o.z_m / g.dx).round() as usize).min(b.k1.saturating_sub(1));
        }
        for c in b.cells(&g) {
            k[c] = o.k_w_mk;
            mat[c] = material::OBSTACLE;
        }
    }
    let mut rack_boxes = Vec::with_capacity(f.racks.len());
    for r in &f.racks {
        let b = cell_box(f, &g, &r.rect, r.height_m, &format!("rack \"{}\"", r.id), r.pos)?;
        let qv = per_cell(f, r.air_heat_w() / (b.count() as f64 * v), &format!("rack \"{}\"", r.id), r.pos)?;
        for c in b.cells(&g) {
            k[c] = m.rack_k_w_mk;
            q[c] = qv;
            mat[c] = material::RACK;
        }
        rack_boxes.push(b);
    }
    let mut cooling = Vec::with_capacity(f.cooling.len());
    for u in &f.cooling {
        let Some(rect) = u.rect else {
            cooling.push(None);
            continue;
        };
        let b = cell_box(f, &g, &rect, u.height_m, &format!("cooling \"{}\"", u.id), u.pos)?;
        if u.kind == CoolingKind::Cdu {
            for c in b.cells(&g) {
                k[c] = m.rack_k_w_mk;
                mat[c] = material::CDU;
            }
        } else {
            // At the design return temperature (supply + ΔT) the unit removes exactly its
            // capacity: Σ h (T − T_s) V = capacity.
            let hv = per_cell(
                f,
                u.capacity_kw * 1e3 / (b.count() as f64 * v * u.delta_t_k),
                &format!("cooling \"{}\"", u.id),
                u.pos,
            )?;
            for c in b.cells(&g) {
                h[c] = hv;
                t_s[c] = u.supply_c;
                mat[c] = material::COOLING;
            }
        }
        cooling.push(Some(b));
    }
    for s in &f.supply {
        let b = cell_box(f, &g, &s.rect, s.height_m.unwrap_or(g.dx), &format!("supply \"{}\"", s.id), s.pos)?;
        let vol = b.count() as f64 * v;
        let hv = match (s.h_w_m3k, s.airflow_m3_s) {
            (Some(h), _) => h,
            (None, Some(a)) => m.air_rho_cp_j_m3k * a / vol,
            (None, None) => unreachable!("validated: one of h_w_m3k and airflow_m3_s"),
        };
        let hv = per_cell(f, hv, &format!("supply \"{}\"", s.id), s.pos)?;
        for c in b.cells(&g) {
            h[c] = hv;
            t_s[c] = s.supply_c;
            mat[c] = material::SUPPLY;
        }
    }
    let racks = f
        .racks
        .iter()
        .zip(&rack_boxes)
        .map(|(r, b)| RackCells { cells: *b, intake: intake_cells(&g, &mat, r.facing, b) })
        .collect();
    let problem = ThermalProblem { grid: g, k, q, h, t_s, walls: fl.walls };
    Ok(Raster { problem, material: mat, racks, cooling })
}

/// The layer of cells just outside the rack's front face, over its width and height.
fn intake_cells(g: &Grid, mat: &[u8], facing: Facing, b: &CellBox) -> Vec<usize> {
    let (front, own) = match facing {
        Facing::North => (CellBox { j0: b.j1, j1: b.j1 + 1, ..*b }, CellBox { j0: b.j1 - 1, ..*b }),
        Facing::South => (CellBox { j0: b.j0.wrapping_sub(1), j1: b.j0, ..*b }, CellBox { j1: b.j0 + 1, ..*b }),
        Facing::East => (CellBox { i0: b.i1, i1: b.i1 + 1, ..*b }, CellBox { i0: b.i1 - 1, ..*b }),
        Facing::West => (CellBox { i0: b.i0.wrapping_sub(1), i1: b.i0, ..*b }, CellBox { i1: b.i0 + 1, ..*b }),
    };
    let in_grid = front.i1 <= g.nx && front.j1 <= g.ny && front.i0 < front.i1 && front.j0 < front.j1;
    if in_grid {
        let v: Vec<usize> = front.cells(g).filter(|&c| mat[c] == material::AIR || mat[c] == material::SUPPLY).collect();
        if !v.is_empty() {
            return v;
        }
    }
    own.cells(g).collect()
}
