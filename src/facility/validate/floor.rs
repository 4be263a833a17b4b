//! `[floor]` and `[materials]`: extent, whole cells, layers, walls, the memory the grid
//! needs, and the room's effective properties.

use super::{num, Ctx, BYTES_PER_CELL};
use crate::error::InputError;
use crate::facility::spec::{FloorSpec, MaterialsSpec, WallSpec};
use crate::facility::{Floor, Materials, Pos, AIR_K_W_MK, AIR_RHO_CP_J_M3K};
use crate::grid::{Wall, Walls};
use toml::Spanned;

/// Whole cells along an extent, or an error naming the nearest sizes that fit.
fn whole_cells(cx: &Ctx, pos: Pos, key: &str, extent: f64, cell: f64) -> Result<usize, InputError> {
    let n = (extent / cell).round();
    if n < 1.0 || (n * cell - extent).abs() > 1e-6 * extent.max(1.0) {
        let lo = (extent / cell).floor().max(1.0);
        return Err(cx.err(
            pos,
            "[floor]",
            format!(
                "{key} = {extent} m is not a whole number of cells of cell_m = {cell} m ({:.4} cells)",
                extent / cell
            ),
            format!(
                "make {key} {} or {} m, or pick a cell_m that divides it (e.g. {} m)",
                num(lo * cell),
                num((lo + 1.0) * cell),
                num(extent / lo)
            ),
        ));
    }
    Ok(n as usize)
}

pub(super) fn floor(cx: &Ctx, f: &Spanned<FloorSpec>) -> Result<Floor, InputError> {
    let pos = cx.pos(f);
    let s = f.get_ref();
    let it = "[floor]";
    let width = cx.positive(pos, it, "width_m", s.width_m)?;
    let depth = cx.positive(pos, it, "depth_m", s.depth_m)?;
    let cell = cx.positive(pos, it, "cell_m", s.cell_m)?;
    let height = cx.positive(pos, it, "height_m", s.height_m)?;
    let nx = whole_cells(cx, pos, "width_m", width, cell)?;
    let ny = whole_cells(cx, pos, "depth_m", depth, cell)?;
    if s.layers == 0 {
        return Err(cx.err(pos, it, "layers = 0", "use layers = 1 for a 2-D floorplan or more for 3-D"));
    }
    if s.layers > 1 && ((height / s.layers as f64) - cell).abs() > 1e-6 * cell {
        return Err(cx.err(
            pos,
            it,
            format!("{} layers over height_m = {height} m gives {:.4} m per layer, but cells are cubes of cell_m = {cell} m", s.layers, height / s.layers as f64),
            format!("set layers = {} (height_m / cell_m) or change height_m", (height / cell).round()),
        ));
    }
    let cells = nx as u128 * ny as u128 * s.layers as u128;
    let need = cells * BYTES_PER_CELL as u128;
    let avail = available_memory_bytes();
    if need > avail as u128 {
        return Err(cx.err(
            pos,
            it,
            format!(
                "the grid has {nx} × {ny} × {} = {cells} cells and needs about {:.1} GiB ({BYTES_PER_CELL} B per cell), more than the {:.1} GiB available",
                s.layers,
                need as f64 / (1u64 << 30) as f64,
                avail as f64 / (1u64 << 30) as f64
            ),
            "use a larger cell_m",
        ));
    }
    let w = &s.walls;
    let mut walls = [Wall::Adiabatic; 6];
    for (slot, (name, spec)) in walls.iter_mut().zip([
        ("west", w.west),
        ("east", w.east),
        ("south", w.south),
        ("north", w.north),
        ("floor", w.floor),
        ("ceiling", w.ceiling),
    ]) {
        *slot = match spec {
            WallSpec::Adiabatic => Wall::Adiabatic,
            WallSpec::FixedC(t) => Wall::Fixed(cx.finite(pos, "[floor.walls]", name, t)?),
        };
    }
    Ok(Floor {
        width_m: width,
        depth_m: depth,
        cell_m: cell,
        height_m: height,
        layers: s.layers,
        walls: Walls::from_array(walls),
        nx,
        ny,
    })
}

pub use crate::memory::available_bytes as available_memory_bytes;

pub(super) fn materials(cx: &Ctx, m: Option<&Spanned<MaterialsSpec>>) -> Result<Materials, InputError> {
    let Some(m) = m else {
        return Ok(Materials { air_k_w_mk: AIR_K_W_MK, rack_k_w_mk: AIR_K_W_MK, air_rho_cp_j_m3k: AIR_RHO_CP_J_M3K });
    };
    let pos = cx.pos(m);
    let s = m.get_ref();
    let it = "[materials]";
    let air = cx.conductivity(pos, it, "air_k_w_mk", s.air_k_w_mk.unwrap_or(AIR_K_W_MK))?;
    Ok(Materials {
        air_k_w_mk: air,
        rack_k_w_mk: cx.conductivity(pos, it, "rack_k_w_mk", s.rack_k_w_mk.unwrap_or(air))?,
        air_rho_cp_j_m3k: cx.within(
            pos,
            it,
            "air_rho_cp_j_m3k",
            s.air_rho_cp_j_m3k.unwrap_or(AIR_RHO_CP_J_M3K),
            super::RHO_CP_RANGE_J_M3K,
            "J/(m³·K)",
        )?,
    })
}
