//! Where the air comes from and goes: racks (intake → exhaust), rear doors, supply
//! tiles and cooling units (return → supply), balanced per sealed air region.

use super::super::balance::{balance_units, UnitAir};
use crate::error::{Error, InputError};
use crate::facility::{AirflowSettings, CoolingKind, Facility, Facing};
use crate::grid::Grid;
use crate::raster::{material, CellBox, Raster};

/// What an inflow is: a rack's exhaust, a unit's supply, or a tile at its temperature.
pub(super) enum Src {
    RackExhaust(usize),
    UnitSupply(usize),
    Tile(f64),
}

/// Every flow of a facility, m³/s, on the cells it enters and leaves.
pub(super) struct Sources {
    /// Cells air can move through.
    pub open: Vec<bool>,
    /// Net inflow per cell, m³/s.
    pub src: Vec<f64>,
    /// Every inflow (cell, m³/s, what it is); a cell may have several.
    pub kinds: Vec<(usize, f64, Src)>,
    /// Air through each rack, m³/s (0: the rack moves no air).
    pub rack_flow: Vec<f64>,
    /// Each rack's open intake cells.
    pub intakes: Vec<Vec<usize>>,
    /// A rack's rear-door heat exchanger (unit index).
    pub door_of: Vec<Option<usize>>,
    /// Doors whose rack blows through them.
    pub linked_door: Vec<bool>,
    /// Air of each supply region, m³/s, and their sum.
    pub tile_q: Vec<f64>,
    pub tile_total: f64,
    /// Each unit's return and supply cells and its air, m³/s.
    pub ret_cells: Vec<Vec<usize>>,
    pub sup_cells: Vec<Vec<usize>>,
    pub unit_flow: Vec<f64>,
    /// Connected air regions: a label per cell and their count.
    pub label: Vec<u32>,
    pub count: usize,
}

impl Sources {
    /// Temperature rise of rack `ri`'s air, K.
    pub fn rack_dt(&self, f: &Facility, ri: usize, rho_cp: f64) -> f64 {
        f.racks[ri].air_heat_w() / (rho_cp * self.rack_flow[ri])
    }
    /// Temperature drop across rack `ri`'s door `ui` at capacity, K.
    pub fn door_drop(&self, f: &Facility, ri: usize, ui: usize, rho_cp: f64) -> f64 {
        f.cooling[ui].capacity_kw * 1e3 / (rho_cp * self.rack_flow[ri])
    }
}

/// Mean of `t` over `cs`.
pub(super) fn mean(t: &[f64], cs: &[usize]) -> f64 {
    cs.iter().map(|&c| t[c]).sum::<f64>() / cs.len().max(1) as f64
}

/// The flows of facility `f` on raster `r`.
pub(super) fn sources(f: &Facility, r: &Raster, s: &AirflowSettings) -> Result<Sources, Error> {
    let g = r.problem.grid;
    let n = g.cells();
    let rho_cp = f.materials.air_rho_cp_j_m3k;
    let err = |m: String| {
        Error::Input(InputError::new(
            &f.path,
            "[airflow]",
            m,
            "give racks and cooling units open air on their intake and exhaust sides, or write [airflow] model = \"diffusion\"",
        ))
    };
    let open: Vec<bool> = r.material.iter().map(|&m| m == material::AIR || m == material::SUPPLY).collect();
    let mut src = vec![0.0; n];
    // Every inflow (cell, m³/s, what it is); a cell may have several.
    let mut kinds: Vec<(usize, f64, Src)> = Vec::new();
    // Racks: air in at the intake, out at the exhaust.
    let mut rack_flow = vec![0.0; f.racks.len()];
    let mut intakes: Vec<Vec<usize>> = vec![Vec::new(); f.racks.len()];
    // A rack's rear-door heat exchanger (unit index): the rack's air passes through it.
    let door_of: Vec<Option<usize>> = f
        .racks
        .iter()
        .map(|rack| {
            f.cooling.iter().zip(&r.cooling).position(|(u, b)| {
                u.kind == CoolingKind::RearDoor && u.rack.as_deref() == Some(rack.id.as_str()) && b.is_some()
            })
        })
        .collect();
    for (ri, (rack, cells)) in f.racks.iter().zip(&r.racks).enumerate() {
        let intake: Vec<usize> = cells.intake.iter().copied().filter(|&c| open[c]).collect();
        // The air leaves behind the rack, or behind its rear door.
        let behind = match door_of[ri].and_then(|ui| r.cooling[ui].as_ref()) {
            Some(door) => door,
            None => &cells.cells,
        };
        let ex = adjacent(&g, behind, opposite(rack.facing), &open);
        let v = rack.air_heat_w() / (rho_cp * s.rack_delta_t_k);
        if v == 0.0 {
            continue;
        }
        if intake.is_empty() || ex.is_empty() {
            let side = if intake.is_empty() { "intake (front)" } else { "exhaust (back)" };
            return Err(err(format!("rack \"{}\" has no open air on its {side} side", rack.id)));
        }
        rack_flow[ri] = v;
        intake.iter().for_each(|&c| src[c] -= v / intake.len() as f64);
        ex.iter().for_each(|&c| {
            src[c] += v / ex.len() as f64;
            kinds.push((c, v / ex.len() as f64, Src::RackExhaust(ri)));
        });
        intakes[ri] = intake;
    }
    // Doors whose rack blows through them cool that air (the link); others keep their h.
    let linked_door: Vec<bool> = (0..f.cooling.len())
        .map(|ui| door_of.iter().zip(&rack_flow).any(|(d, v)| *d == Some(ui) && *v > 0.0))
        .collect();
    // Tiles: air from the raised floor at their supply temperature.
    let v_cell = g.cell_volume_m3();
    let mut tile_total = 0.0;
    let mut tile_q = Vec::with_capacity(f.supply.len());
    let tiles: Vec<Vec<usize>> =
        tile_cells(f, r).into_iter().map(|cs| cs.into_iter().filter(|&c| open[c]).collect()).collect();
    for (sr, cells) in f.supply.iter().zip(&tiles) {
        let q = sr.airflow_m3_s.unwrap_or_else(|| sr.h_w_m3k.unwrap_or(0.0) * cells.len() as f64 * v_cell / rho_cp);
        tile_total += if cells.is_empty() { 0.0 } else { q };
        tile_q.push(if cells.is_empty() { 0.0 } else { q });
    }
    // Cooling units: return behind, supply in front (CRAHs feed the tiles when there are any).
    let mut ret_cells: Vec<Vec<usize>> = vec![Vec::new(); f.cooling.len()];
    let mut sup_cells: Vec<Vec<usize>> = vec![Vec::new(); f.cooling.len()];
    let mut unit_flow = vec![0.0; f.cooling.len()];
    let crah_nominal: f64 = f
        .cooling
        .iter()
        .filter(|u| u.kind == CoolingKind::Crah)
        .map(|u| u.capacity_kw * 1e3 / (rho_cp * u.delta_t_k))
        .sum();
    for (ui, (u, b)) in f.cooling.iter().zip(&r.cooling).enumerate() {
        let (Some(b), true) = (b, u.is_air_side() && u.kind != CoolingKind::RearDoor) else { continue };
        // Default: in-row units blow like their nearest rack; others away from the wall.
        let facing = u.facing.unwrap_or_else(|| match (u.kind, u.rect) {
            (CoolingKind::InRow, Some(ur)) => {
                let (cx, cy) = ((ur.x0 + ur.x1) / 2.0, (ur.y0 + ur.y1) / 2.0);
                f.racks
                    .iter()
                    .min_by(|a, b| {
                        let d = |r: &crate::facility::Rack| {
                            ((r.rect.x0 + r.rect.x1) / 2.0 - cx).powi(2) + ((r.rect.y0 + r.rect.y1) / 2.0 - cy).powi(2)
                        };
                        d(a).total_cmp(&d(b))
                    })
                    .map(|r| r.facing)
                    .unwrap_or_else(|| default_facing(&g, b))
            }
            _ => default_facing(&g, b),
        });
        let nominal = u.capacity_kw * 1e3 / (rho_cp * u.delta_t_k);
        let feeds_tiles = u.kind == CoolingKind::Crah && tile_total > 0.0;
        let v = if feeds_tiles { nominal * tile_total / crah_nominal } else { nominal };
        let mut back = if u.ceiling_return {
            // A ceiling plenum: return grilles over the whole room's top layer.
            let top = g.nz - 1;
            (0..g.ny).flat_map(|j| (0..g.nx).map(move |i| g.idx(i, j, top))).filter(|&c| open[c]).collect()
        } else {
            adjacent(&g, b, opposite(facing), &open)
        };
        if back.is_empty() {
            // Units against a wall take their return from the sides.
            back = [Facing::East, Facing::West, Facing::North, Facing::South]
                .iter()
                .filter(|&&d| d != facing)
                .flat_map(|&d| adjacent(&g, b, d, &open))
                .collect();
        }
        let front = adjacent(&g, b, facing, &open);
        if back.is_empty() || (!feeds_tiles && front.is_empty()) {
            return Err(err(format!("cooling unit \"{}\" has no open air to take from or blow into", u.id)));
        }
        unit_flow[ui] = v;
        ret_cells[ui] = back;
        if !feeds_tiles {
            sup_cells[ui] = front;
        }
    }
    // Sealed regions: the units' fans and the raised floor's tiles deliver what each
    // region's racks draw (racks keep their flows).
    let mut units_air: Vec<UnitAir> = f
        .cooling
        .iter()
        .zip(sup_cells.iter().zip(&ret_cells))
        .map(|(u, (s, r))| UnitAir { name: &u.id, supply: s, ret: r })
        .collect();
    units_air.extend(f.supply.iter().zip(&tiles).map(|(sr, t)| UnitAir { name: &sr.id, supply: t, ret: &[] }));
    let mut flows: Vec<f64> = unit_flow.iter().chain(&tile_q).copied().collect();
    let (label, count) = super::super::regions::regions(&g, &open);
    balance_units(&g, (&label, count), &src, &units_air, &mut flows).map_err(|m| {
        Error::Input(InputError::new(
            &f.path,
            "[airflow]",
            m,
            "leave a gap in the containment (doors leak) or give the sealed region a cooling unit that serves it",
        ))
    })?;
    unit_flow.copy_from_slice(&flows[..f.cooling.len()]);
    tile_q.copy_from_slice(&flows[f.cooling.len()..]);
    tile_total = tile_q.iter().sum();
    for ((sr, cells), q) in f.supply.iter().zip(&tiles).zip(&tile_q) {
        cells.iter().for_each(|&c| {
            src[c] += q / cells.len() as f64;
            kinds.push((c, q / cells.len() as f64, Src::Tile(sr.supply_c)));
        });
    }
    for ui in 0..f.cooling.len() {
        let v = unit_flow[ui];
        let (back, front) = (&ret_cells[ui], &sup_cells[ui]);
        back.iter().for_each(|&c| src[c] -= v / back.len() as f64);
        front.iter().for_each(|&c| {
            src[c] += v / front.len() as f64;
            kinds.push((c, v / front.len() as f64, Src::UnitSupply(ui)));
        });
    }
    if tile_total > 0.0 && crah_nominal == 0.0 {
        return Err(err("supply tiles need CRAHs to return their air".into()));
    }
    Ok(Sources {
        open,
        src,
        kinds,
        rack_flow,
        intakes,
        door_of,
        linked_door,
        tile_q,
        tile_total,
        ret_cells,
        sup_cells,
        unit_flow,
        label,
        count,
    })
}

fn opposite(f: Facing) -> Facing {
    match f {
        Facing::North => Facing::South,
        Facing::South => Facing::North,
        Facing::East => Facing::West,
        Facing::West => Facing::East,
    }
}

/// Open cells just outside side `side` of a box.
fn adjacent(g: &Grid, b: &CellBox, side: Facing, open: &[bool]) -> Vec<usize> {
    let mut v = Vec::new();
    for k in b.k0..b.k1 {
        match side {
            Facing::North if b.j1 < g.ny => (b.i0..b.i1).for_each(|i| v.push(g.idx(i, b.j1, k))),
            Facing::South if b.j0 > 0 => (b.i0..b.i1).for_each(|i| v.push(g.idx(i, b.j0 - 1, k))),
            Facing::East if b.i1 < g.nx => (b.j0..b.j1).for_each(|j| v.push(g.idx(b.i1, j, k))),
            Facing::West if b.i0 > 0 => (b.j0..b.j1).for_each(|j| v.push(g.idx(b.i0 - 1, j, k))),
            _ => {}
        }
    }
    v.retain(|&c| open[c]);
    v
}

/// Away from the nearest wall.
fn default_facing(g: &Grid, b: &CellBox) -> Facing {
    let d = [(b.i0, Facing::East), (g.nx - b.i1, Facing::West), (b.j0, Facing::North), (g.ny - b.j1, Facing::South)];
    d.iter().min_by_key(|x| x.0).map(|x| x.1).unwrap_or(Facing::North)
}

fn tile_cells(f: &Facility, r: &Raster) -> Vec<Vec<usize>> {
    let g = &r.problem.grid;
    f.supply
        .iter()
        .map(|s| {
            let lo = |a: f64, n: usize| (((a / g.dx) - 0.5 - 1e-9).ceil().max(0.0) as usize).min(n);
            let (i0, i1) = (lo(s.rect.x0, g.nx), lo(s.rect.x1, g.nx));
            let (j0, j1) = (lo(s.rect.y0, g.ny), lo(s.rect.y1, g.ny));
            let k1 = if g.is_3d() { ((s.height_m.unwrap_or(g.dx) / g.dx).round() as usize).clamp(1, g.nz) } else { 1 };
            (0..k1).flat_map(|k| (j0..j1).flat_map(move |j| (i0..i1).map(move |i| g.idx(i, j, k)))).collect()
        })
        .collect()
}
