//! Racks, rack rows, cooling units, supply regions and obstacles: numbers, footprints
//! inside the floor, heights, and overlaps.

use super::Ctx;
use crate::error::InputError;
use crate::facility::spec::*;
use crate::facility::*;
use toml::Spanned;

fn inside(cx: &Ctx, pos: Pos, item: &str, r: &Rect, f: &Floor) -> Result<(), InputError> {
    let eps = 1e-9 * f.width_m.max(f.depth_m);
    if r.x0 < -eps || r.y0 < -eps || r.x1 > f.width_m + eps || r.y1 > f.depth_m + eps {
        return Err(cx.err(
            pos,
            item,
            format!(
                "spans x {:.3}–{:.3} m, y {:.3}–{:.3} m, outside the floor (0–{} m × 0–{} m)",
                r.x0, r.x1, r.y0, r.y1, f.width_m, f.depth_m
            ),
            "move it inside the floor or enlarge [floor]",
        ));
    }
    Ok(())
}

/// A validated footprint `(x, y, width, depth)` inside the floor.
fn footprint(
    cx: &Ctx,
    pos: Pos,
    item: &str,
    (x, y, w, d): (f64, f64, f64, f64),
    f: &Floor,
) -> Result<Rect, InputError> {
    cx.finite(pos, item, "x_m", x)?;
    cx.finite(pos, item, "y_m", y)?;
    let r = Rect::new(x, y, cx.positive(pos, item, "width_m", w)?, cx.positive(pos, item, "depth_m", d)?);
    inside(cx, pos, item, &r, f)?;
    Ok(r)
}

fn height(cx: &Ctx, pos: Pos, item: &str, h: f64, f: &Floor) -> Result<f64, InputError> {
    let h = cx.positive(pos, item, "height_m", h)?;
    if h > f.height_m * (1.0 + 1e-9) {
        return Err(cx.err(
            pos,
            item,
            format!("height_m = {h} m is taller than the floor's {} m", f.height_m),
            "lower height_m",
        ));
    }
    Ok(h)
}

/// Footprint of a rack: width across the front, depth front to back.
fn rack_rect(x: f64, y: f64, w: f64, d: f64, facing: Facing) -> Rect {
    match facing {
        Facing::North | Facing::South => Rect::new(x, y, w, d),
        Facing::East | Facing::West => Rect::new(x, y, d, w),
    }
}

pub(super) fn rack(cx: &Ctx, pos: Pos, s: RackSpec, f: &Floor) -> Result<Rack, InputError> {
    let item = format!("rack \"{}\"", s.id);
    let it = item.as_str();
    if s.id.trim().is_empty() {
        return Err(cx.err(pos, "rack", "empty id", "give every rack a unique id"));
    }
    cx.finite(pos, it, "x_m", s.x_m)?;
    cx.finite(pos, it, "y_m", s.y_m)?;
    let w = cx.positive(pos, it, "width_m", s.width_m)?;
    let d = cx.positive(pos, it, "depth_m", s.depth_m)?;
    let h = height(cx, pos, it, s.height_m, f)?;
    let p = cx.non_negative(pos, it, "power_kw", s.power_kw)?;
    let lf = cx.finite(pos, it, "liquid_fraction", s.liquid_fraction)?;
    if !(0.0..=1.0).contains(&lf) {
        return Err(cx.err(
            pos,
            it,
            format!("liquid_fraction = {lf} is outside 0–1"),
            "give the liquid-cooled share as a fraction, e.g. 0.9",
        ));
    }
    let rect = rack_rect(s.x_m, s.y_m, w, d, s.facing);
    inside(cx, pos, it, &rect, f)?;
    Ok(Rack {
        id: s.id,
        rect,
        height_m: h,
        facing: s.facing,
        power_kw: p,
        liquid_fraction: lf,
        feed_a_share: super::network::a_share(
            cx,
            pos,
            it,
            s.feed_bus.as_deref(),
            s.feed_b_bus.as_deref(),
            s.feed_a_share,
        )?,
        feed_bus: s.feed_bus,
        feed_b_bus: s.feed_b_bus,
        pos,
    })
}

pub(super) fn rack_row(cx: &Ctx, row: &Spanned<RackRowSpec>, f: &Floor) -> Result<Vec<Rack>, InputError> {
    let pos = cx.pos(row);
    let s = row.get_ref();
    let item = format!("rack_row \"{}\"", s.id);
    if s.count == 0 {
        return Err(cx.err(pos, &item, "count = 0", "give the number of racks in the row (≥ 1)"));
    }
    let pitch = cx.positive(pos, &item, "pitch_m", s.pitch_m.unwrap_or(s.width_m))?;
    if pitch < s.width_m - 1e-9 {
        return Err(cx.err(
            pos,
            &item,
            format!("pitch_m = {pitch} m is less than the rack width {} m: racks would overlap", s.width_m),
            "set pitch_m ≥ width_m",
        ));
    }
    // Two racks closer than half a cell cannot each cover a cell centre: refuse such a
    // row before building it (a row of 10⁹ racks of 1 nm would otherwise be built).
    if s.count > 1 && pitch <= f.cell_m / 2.0 {
        return Err(cx.err(
            pos,
            &item,
            format!(
                "{} racks at pitch_m = {pitch} m cannot each cover a cell centre of cell_m = {} m",
                s.count, f.cell_m
            ),
            "use a larger pitch_m and width_m, or a smaller cell_m",
        ));
    }
    let digits = s.count.to_string().len().max(2);
    (0..s.count)
        .map(|n| {
            let along = n as f64 * pitch;
            let (x, y) = match s.facing {
                Facing::North | Facing::South => (s.x_m + along, s.y_m),
                Facing::East | Facing::West => (s.x_m, s.y_m + along),
            };
            let r = RackSpec {
                id: format!("{}-{:0digits$}", s.id, n + 1),
                x_m: x,
                y_m: y,
                width_m: s.width_m,
                depth_m: s.depth_m,
                height_m: s.height_m,
                facing: s.facing,
                power_kw: s.power_kw,
                liquid_fraction: s.liquid_fraction,
                feed_bus: s.feed_bus.clone(),
                feed_b_bus: s.feed_b_bus.clone(),
                feed_a_share: s.feed_a_share,
            };
            rack(cx, pos, r, f)
        })
        .collect()
}

pub(super) fn cooling_unit(
    cx: &Ctx,
    c: &Spanned<CoolingSpec>,
    f: &Floor,
    racks: &[Rack],
) -> Result<CoolingUnit, InputError> {
    let pos = cx.pos(c);
    let s = c.get_ref();
    let item = format!("cooling \"{}\"", s.id);
    let it = item.as_str();
    let capacity = cx.positive(pos, it, "capacity_kw", s.capacity_kw)?;
    let h = height(cx, pos, it, s.height_m.unwrap_or(2.0f64.min(f.height_m)), f)?;
    let (supply, dt) = if s.kind == CoolingKind::Cdu {
        // Not used by a CDU, but a number written is still checked.
        if let Some(v) = s.supply_c {
            cx.finite(pos, it, "supply_c", v)?;
        }
        if let Some(v) = s.delta_t_k {
            cx.within(pos, it, "delta_t_k", v, super::DELTA_T_RANGE_K, "K")?;
        }
        (f64::NAN, f64::NAN)
    } else {
        let Some(sc) = s.supply_c else {
            return Err(cx.err(
                pos,
                it,
                "missing supply_c",
                "give the unit's supply air temperature in °C, e.g. supply_c = 20.0",
            ));
        };
        let Some(dt) = s.delta_t_k else {
            return Err(cx.err(
                pos,
                it,
                "missing delta_t_k",
                "give the unit's design air temperature rise in K, e.g. delta_t_k = 12.0",
            ));
        };
        (cx.finite(pos, it, "supply_c", sc)?, cx.within(pos, it, "delta_t_k", dt, super::DELTA_T_RANGE_K, "K")?)
    };
    let rect = if s.kind == CoolingKind::RearDoor {
        if s.x_m.is_some() || s.y_m.is_some() || s.width_m.is_some() || s.depth_m.is_some() {
            return Err(cx.err(
                pos,
                it,
                "a rear door takes its place from its rack",
                "remove x_m/y_m/width_m/depth_m and keep rack = \"…\"",
            ));
        }
        let Some(rid) = &s.rack else {
            return Err(cx.err(pos, it, "a rear door needs the rack it is mounted on", "add rack = \"<rack id>\""));
        };
        let Some(r) = racks.iter().find(|r| &r.id == rid) else {
            return Err(cx.err(pos, it, format!("rack \"{rid}\" does not exist"), "name an existing rack id"));
        };
        // One cell deep, on the exhaust (rear) side.
        let e = f.cell_m;
        let q = r.rect;
        let rect = match r.facing {
            Facing::North => Rect { x0: q.x0, x1: q.x1, y0: q.y0 - e, y1: q.y0 },
            Facing::South => Rect { x0: q.x0, x1: q.x1, y0: q.y1, y1: q.y1 + e },
            Facing::East => Rect { x0: q.x0 - e, x1: q.x0, y0: q.y0, y1: q.y1 },
            Facing::West => Rect { x0: q.x1, x1: q.x1 + e, y0: q.y0, y1: q.y1 },
        };
        inside(cx, pos, it, &rect, f)?;
        Some(rect)
    } else {
        if s.rack.is_some() {
            return Err(cx.err(
                pos,
                it,
                "only rear doors are mounted on a rack",
                "remove rack = … or use kind = \"rear_door\"",
            ));
        }
        match (s.x_m, s.y_m, s.width_m, s.depth_m) {
            (Some(x), Some(y), Some(w), Some(d)) => Some(footprint(cx, pos, it, (x, y, w, d), f)?),
            (None, None, None, None) if s.kind == CoolingKind::Cdu => None,
            _ => return Err(cx.err(pos, it, "position incomplete", "give x_m, y_m, width_m and depth_m")),
        }
    };
    let per_kw = if s.kind == CoolingKind::Cdu { CDU_KW_E_PER_KW } else { AIR_UNIT_KW_E_PER_KW };
    let (loop_volume_l, loop_limit_k) = if s.kind == CoolingKind::Cdu {
        (
            cx.positive(pos, it, "loop_volume_l", s.loop_volume_l.unwrap_or(capacity * LOOP_L_PER_KW))?,
            cx.positive(pos, it, "loop_limit_k", s.loop_limit_k.unwrap_or(LOOP_LIMIT_K))?,
        )
    } else {
        if s.loop_volume_l.is_some() || s.loop_limit_k.is_some() {
            return Err(cx.err(
                pos,
                it,
                "loop_volume_l and loop_limit_k are a CDU's liquid loop",
                "remove them, or use kind = \"cdu\"",
            ));
        }
        (0.0, f64::NAN)
    };
    let electric_kw = cx.non_negative(pos, it, "electric_kw", s.electric_kw.unwrap_or(capacity * per_kw))?;
    let ceiling_return = match s.return_from {
        Some(ReturnFrom::Ceiling) if f.layers < 2 => {
            return Err(cx.err(
                pos,
                it,
                "return = \"ceiling\" needs a 3-D hall",
                "set [floor] layers > 1, or use return = \"behind\"",
            ))
        }
        Some(ReturnFrom::Ceiling) if !matches!(s.kind, CoolingKind::Crah | CoolingKind::InRow) => {
            return Err(cx.err(
                pos,
                it,
                "only CRAHs and in-row units take return air from the ceiling",
                "remove return = \"ceiling\"",
            ))
        }
        r => r == Some(ReturnFrom::Ceiling),
    };
    Ok(CoolingUnit {
        ceiling_return,
        facing: s.facing,
        electric_kw,
        electric_kw_given: s.electric_kw.is_some(),
        id: s.id.clone(),
        kind: s.kind,
        rect,
        height_m: h,
        capacity_kw: capacity,
        supply_c: supply,
        delta_t_k: dt,
        rack: s.rack.clone(),
        feed_a_share: super::network::a_share(
            cx,
            pos,
            it,
            s.feed_bus.as_deref(),
            s.feed_b_bus.as_deref(),
            s.feed_a_share,
        )?,
        feed_bus: s.feed_bus.clone(),
        feed_b_bus: s.feed_b_bus.clone(),
        chiller: s.chiller.clone(),
        loop_volume_l,
        loop_limit_k,
        pos,
    })
}

pub(super) fn supply_region(cx: &Ctx, c: &Spanned<SupplySpec>, f: &Floor) -> Result<SupplyRegion, InputError> {
    let pos = cx.pos(c);
    let s = c.get_ref();
    let item = format!("supply \"{}\"", s.id);
    let it = item.as_str();
    let rect = footprint(cx, pos, it, (s.x_m, s.y_m, s.width_m, s.depth_m), f)?;
    let sc = cx.finite(pos, it, "supply_c", s.supply_c)?;
    match (s.airflow_m3_s, s.h_w_m3k) {
        (Some(a), None) => {
            cx.positive(pos, it, "airflow_m3_s", a)?;
        }
        (None, Some(h)) => {
            cx.positive(pos, it, "h_w_m3k", h)?;
        }
        _ => {
            return Err(cx.err(
                pos,
                it,
                "give exactly one of airflow_m3_s and h_w_m3k",
                "keep airflow_m3_s (the tile airflow) or h_w_m3k, not both",
            ))
        }
    }
    let h = match s.height_m {
        Some(h) => Some(height(cx, pos, it, h, f)?),
        None => None,
    };
    Ok(SupplyRegion {
        id: s.id.clone(),
        rect,
        height_m: h,
        supply_c: sc,
        airflow_m3_s: s.airflow_m3_s,
        h_w_m3k: s.h_w_m3k,
        pos,
    })
}

pub(super) fn obstacle(cx: &Ctx, c: &Spanned<ObstacleSpec>, f: &Floor) -> Result<Obstacle, InputError> {
    let pos = cx.pos(c);
    let s = c.get_ref();
    let item = format!("obstacle \"{}\"", s.id);
    let it = item.as_str();
    let rect = footprint(cx, pos, it, (s.x_m, s.y_m, s.width_m, s.depth_m), f)?;
    let k = s.k_w_mk.unwrap_or(CONCRETE_K_W_MK);
    if !(k.is_finite() && k > 0.0) {
        return Err(cx.err(
            pos,
            it,
            format!("k_w_mk = {k}: conductivity must be finite and > 0"),
            "give the material's conductivity in W/(m·K), e.g. 1.4 for concrete",
        ));
    }
    cx.conductivity(pos, it, "k_w_mk", k)?;
    let z = s.z_m.unwrap_or(0.0);
    if !(z.is_finite() && z >= 0.0 && z < f.height_m) {
        return Err(cx.err(
            pos,
            it,
            format!(
                "z_m = {z} m: the underside must be at or above the floor and below the ceiling ({} m)",
                f.height_m
            ),
            "give z_m from 0 up to the floor's height_m",
        ));
    }
    if z > 0.0 && f.layers <= 1 {
        return Err(cx.err(
            pos,
            it,
            "z_m needs a 3-D floor: a floorplan has no heights",
            "give [floor] layers (e.g. layers = 18) or drop z_m",
        ));
    }
    let h = height(cx, pos, it, s.height_m.unwrap_or(f.height_m - z), f)?;
    if z + h > f.height_m * (1.0 + 1e-9) {
        return Err(cx.err(
            pos,
            it,
            format!("z_m + height_m = {} m is above the ceiling ({} m)", z + h, f.height_m),
            "lower z_m or height_m",
        ));
    }
    Ok(Obstacle { id: s.id.clone(), kind: s.kind, rect, height_m: h, z_m: z, k_w_mk: k, pos })
}

pub(super) fn overlaps(
    cx: &Ctx,
    racks: &[Rack],
    cooling: &[CoolingUnit],
    supply: &[SupplyRegion],
    obstacles: &[Obstacle],
) -> Result<(), InputError> {
    let mut items: Vec<(String, Rect, Pos)> = Vec::new();
    items.extend(racks.iter().map(|r| (format!("rack \"{}\"", r.id), r.rect, r.pos)));
    items.extend(cooling.iter().filter_map(|c| c.rect.map(|r| (format!("cooling \"{}\"", c.id), r, c.pos))));
    items.extend(supply.iter().map(|s| (format!("supply \"{}\"", s.id), s.rect, s.pos)));
    items.extend(obstacles.iter().map(|o| (format!("obstacle \"{}\"", o.id), o.rect, o.pos)));
    // Sweep along x: sort by x0 and compare only with items that start before x1.
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| items[a].1.x0.total_cmp(&items[b].1.x0));
    for (n, &a) in order.iter().enumerate() {
        for &b in &order[n + 1..] {
            if items[b].1.x0 >= items[a].1.x1 {
                break;
            }
            if items[a].1.overlaps(&items[b].1) {
                let (first, second) = if items[a].2 <= items[b].2 { (a, b) } else { (b, a) };
                let r = items[first].1;
                return Err(cx.err(
                    items[second].2,
                    items[second].0.clone(),
                    format!("overlaps {} (x {:.3}–{:.3} m, y {:.3}–{:.3} m)", items[first].0, r.x0, r.x1, r.y0, r.y1),
                    "move one of them; items may touch but not overlap",
                ));
            }
        }
    }
    Ok(())
}
