//! Reading a facility file: TOML → spec (syntax, unknown keys) → validated model.
//! Every error names the file, the line and column of the item, the item and the fix.

use super::network::NetworkSpec;
use super::spec::*;
use super::*;
use crate::error::{line_col, InputError};
use crate::grid::{Wall, Walls};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use toml::Spanned;

/// Bytes of memory a solve needs per cell (fields, operator, CG vectors, multigrid
/// hierarchy and output); measured by `benches/` and kept as an upper bound.
pub const BYTES_PER_CELL: usize = 200;

/// Read and validate a facility file.
pub fn load(path: &str) -> Result<Facility, InputError> {
    let bytes = std::fs::read(path).map_err(|e| {
        InputError::new(path, "facility file", format!("cannot read it: {e}"), "check the path and its permissions")
    })?;
    let src = String::from_utf8(bytes)
        .map_err(|_| InputError::new(path, "facility file", "is not UTF-8 text", "save the file as UTF-8 TOML"))?;
    load_str(path, &src)
}

struct Ctx<'a> {
    file: &'a str,
    src: &'a str,
}

impl Ctx<'_> {
    fn pos<T>(&self, s: &Spanned<T>) -> Pos {
        Some(line_col(self.src, s.span().start))
    }
    fn err(&self, pos: Pos, item: impl Into<String>, msg: impl Into<String>, fix: impl Into<String>) -> InputError {
        InputError::new(self.file, item, msg, fix).at(pos)
    }
    /// A finite number (TOML allows `nan` and `inf`).
    fn finite(&self, pos: Pos, item: &str, key: &str, v: f64) -> Result<f64, InputError> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.err(
                pos,
                item,
                format!("{key} = {v} is not a finite number"),
                format!("give {key} a finite value"),
            ))
        }
    }
    fn positive(&self, pos: Pos, item: &str, key: &str, v: f64) -> Result<f64, InputError> {
        self.finite(pos, item, key, v)?;
        if v > 0.0 {
            Ok(v)
        } else {
            Err(self.err(pos, item, format!("{key} = {v} must be > 0"), format!("set {key} to a positive value")))
        }
    }
    fn non_negative(&self, pos: Pos, item: &str, key: &str, v: f64) -> Result<f64, InputError> {
        self.finite(pos, item, key, v)?;
        if v >= 0.0 {
            Ok(v)
        } else {
            Err(self.err(pos, item, format!("{key} = {v} must be ≥ 0"), format!("set {key} to zero or more")))
        }
    }
}

/// Parse and validate facility text; `file` names it in messages.
pub fn load_str(file: &str, src: &str) -> Result<Facility, InputError> {
    let cx = Ctx { file, src };
    let spec: FacilitySpec = toml::from_str(src).map_err(|e| {
        let pos = e.span().map(|s| line_col(src, s.start));
        let msg = e.message().trim().to_string();
        let fix = if msg.contains("unknown field") {
            "remove or correct the key (keys are listed in the README's facility-file section)"
        } else if msg.contains("missing field") {
            "add the missing key"
        } else {
            "correct the TOML at that position"
        };
        InputError::new(file, "TOML", msg, fix).at(pos)
    })?;
    let name = spec.name.trim().to_string();
    if name.is_empty() {
        return Err(cx.err(Some((1, 1)), "name", "the facility has an empty name", "set name = \"…\""));
    }
    let floor = floor(&cx, &spec.floor)?;
    let materials = materials(&cx, spec.materials.as_ref())?;
    let mut racks = Vec::new();
    for r in &spec.rack {
        racks.push(rack(&cx, cx.pos(r), r.get_ref().clone(), &floor)?);
    }
    for row in &spec.rack_row {
        racks.extend(rack_row(&cx, row, &floor)?);
    }
    unique_ids(&cx, racks.iter().map(|r| (r.id.as_str(), r.pos)), "rack")?;
    let mut cooling = Vec::new();
    for c in &spec.cooling {
        cooling.push(cooling_unit(&cx, c, &floor, &racks)?);
    }
    unique_ids(&cx, cooling.iter().map(|c| (c.id.as_str(), c.pos)), "cooling unit")?;
    let mut supply = Vec::new();
    for s in &spec.supply {
        supply.push(supply_region(&cx, s, &floor)?);
    }
    unique_ids(&cx, supply.iter().map(|c| (c.id.as_str(), c.pos)), "supply region")?;
    let mut obstacles = Vec::new();
    for o in &spec.obstacle {
        obstacles.push(obstacle(&cx, o, &floor)?);
    }
    unique_ids(&cx, obstacles.iter().map(|c| (c.id.as_str(), c.pos)), "obstacle")?;
    overlaps(&cx, &racks, &cooling, &supply, &obstacles)?;
    let network = match spec.network {
        Some(n) => {
            let pos = cx.pos(&n);
            let n = n.into_inner();
            validate_network(&cx, pos, &n)?;
            Some(n)
        }
        None => None,
    };
    feed_buses(&cx, network.as_ref(), &racks, &cooling)?;
    let sweep = match spec.sweep {
        Some(sw) => {
            let pos = cx.pos(&sw);
            let sw = sw.into_inner();
            for (key, vals, positive) in [
                ("supply_c", &sw.supply_c, false),
                ("air_k_w_mk", &sw.air_k_w_mk, true),
                ("it_power_scale", &sw.it_power_scale, false),
            ] {
                for &v in vals {
                    cx.finite(pos, "[sweep]", key, v)?;
                    if positive {
                        cx.positive(pos, "[sweep]", key, v)?;
                    } else if key == "it_power_scale" {
                        cx.non_negative(pos, "[sweep]", key, v)?;
                    }
                }
            }
            Some(sw)
        }
        None => None,
    };
    let airflow = match spec.airflow {
        Some(a) if a.get_ref().enabled != Some(false) => {
            let pos = cx.pos(&a);
            let a = a.into_inner();
            Some(AirflowSettings {
                turbulent_k_w_mk: cx.positive(
                    pos,
                    "[airflow]",
                    "turbulent_k_w_mk",
                    a.turbulent_k_w_mk.unwrap_or(100.0),
                )?,
                rack_delta_t_k: cx.positive(pos, "[airflow]", "rack_delta_t_k", a.rack_delta_t_k.unwrap_or(12.0))?,
            })
        }
        _ => None,
    };
    let transient = match spec.transient {
        Some(t) => {
            let pos = cx.pos(&t);
            let t = t.into_inner();
            cx.positive(pos, "[transient]", "dt_s", t.dt_s)?;
            cx.positive(pos, "[transient]", "duration_s", t.duration_s)?;
            if let Some(v) = t.snapshot_every_s {
                cx.positive(pos, "[transient]", "snapshot_every_s", v)?;
            }
            if let Some(s) = &t.scheme {
                if !["backward-euler", "crank-nicolson", "forward-euler"].contains(&s.as_str()) {
                    return Err(cx.err(
                        pos,
                        "[transient]",
                        format!("scheme = \"{s}\""),
                        "use \"backward-euler\", \"crank-nicolson\" or \"forward-euler\"",
                    ));
                }
            }
            for &v in t.thresholds_c.iter().flatten() {
                cx.finite(pos, "[transient]", "thresholds_c", v)?;
            }
            Some(t)
        }
        None => None,
    };
    let mut events = Vec::new();
    for e in &spec.event {
        let pos = cx.pos(e);
        let e = e.get_ref().clone();
        let it = "[[event]]";
        cx.non_negative(pos, it, "at_s", e.at_s)?;
        for u in &e.units {
            if !cooling.iter().any(|c| &c.id == u) {
                return Err(cx.err(
                    pos,
                    it,
                    format!("cooling unit \"{u}\" does not exist"),
                    "name units defined in [[cooling]]",
                ));
            }
        }
        for r in &e.racks {
            if !racks.iter().any(|x| &x.id == r) {
                return Err(cx.err(
                    pos,
                    it,
                    format!("rack \"{r}\" does not exist"),
                    "name racks by their ids (rows: <row>-01, …)",
                ));
            }
        }
        match e.kind {
            EventKind::CoolingFailure if e.units.is_empty() => {
                return Err(cx.err(
                    pos,
                    it,
                    "a cooling failure names no unit",
                    "list the failing units: units = [\"CRAH-1\"]",
                ))
            }
            EventKind::ItLoad => {
                let f = e.factor.ok_or_else(|| {
                    cx.err(
                        pos,
                        it,
                        "an it_load event needs factor",
                        "add factor = 1.2 (multiplies the racks' IT power)",
                    )
                })?;
                cx.non_negative(pos, it, "factor", f)?;
            }
            EventKind::SupplyTemperature => {
                let t = e.supply_c.ok_or_else(|| {
                    cx.err(pos, it, "a supply_temperature event needs supply_c", "add supply_c = 24.0")
                })?;
                cx.finite(pos, it, "supply_c", t)?;
            }
            _ => {}
        }
        if events.is_empty() && transient.is_none() {
            return Err(cx.err(
                pos,
                it,
                "events need a [transient] section",
                "add [transient] with dt_s and duration_s",
            ));
        }
        events.push(e);
    }
    events.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    Ok(Facility {
        airflow,
        transient,
        events,
        name,
        description: spec.description,
        path: file.to_string(),
        input_sha256: format!("{:x}", Sha256::digest(src.as_bytes())),
        floor,
        materials,
        racks,
        cooling,
        supply,
        obstacles,
        network,
        sweep,
    })
}

/// A number with at most six significant digits, trailing zeros dropped.
fn num(v: f64) -> String {
    let s = format!("{:.*}", (5 - v.abs().log10().floor().max(-6.0) as i32).clamp(0, 12) as usize, v);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

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

fn floor(cx: &Ctx, f: &Spanned<FloorSpec>) -> Result<Floor, InputError> {
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

/// Memory the solver may use: `MemAvailable` from /proc/meminfo, or 16 GiB if unknown.
pub fn available_memory_bytes() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        })
        .map(|kb| kb * 1024)
        .unwrap_or(16 << 30)
}

fn materials(cx: &Ctx, m: Option<&Spanned<MaterialsSpec>>) -> Result<Materials, InputError> {
    let Some(m) = m else {
        return Ok(Materials { air_k_w_mk: AIR_K_W_MK, rack_k_w_mk: AIR_K_W_MK, air_rho_cp_j_m3k: AIR_RHO_CP_J_M3K });
    };
    let pos = cx.pos(m);
    let s = m.get_ref();
    let it = "[materials]";
    let air = cx.positive(pos, it, "air_k_w_mk", s.air_k_w_mk.unwrap_or(AIR_K_W_MK))?;
    Ok(Materials {
        air_k_w_mk: air,
        rack_k_w_mk: cx.positive(pos, it, "rack_k_w_mk", s.rack_k_w_mk.unwrap_or(air))?,
        air_rho_cp_j_m3k: cx.positive(pos, it, "air_rho_cp_j_m3k", s.air_rho_cp_j_m3k.unwrap_or(AIR_RHO_CP_J_M3K))?,
    })
}

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

fn rack(cx: &Ctx, pos: Pos, s: RackSpec, f: &Floor) -> Result<Rack, InputError> {
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
        feed_bus: s.feed_bus,
        pos,
    })
}

fn rack_row(cx: &Ctx, row: &Spanned<RackRowSpec>, f: &Floor) -> Result<Vec<Rack>, InputError> {
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
            };
            rack(cx, pos, r, f)
        })
        .collect()
}

fn cooling_unit(cx: &Ctx, c: &Spanned<CoolingSpec>, f: &Floor, racks: &[Rack]) -> Result<CoolingUnit, InputError> {
    let pos = cx.pos(c);
    let s = c.get_ref();
    let item = format!("cooling \"{}\"", s.id);
    let it = item.as_str();
    let capacity = cx.positive(pos, it, "capacity_kw", s.capacity_kw)?;
    let h = height(cx, pos, it, s.height_m.unwrap_or(2.0f64.min(f.height_m)), f)?;
    let (supply, dt) = if s.kind == CoolingKind::Cdu {
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
        (cx.finite(pos, it, "supply_c", sc)?, cx.positive(pos, it, "delta_t_k", dt)?)
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
        feed_bus: s.feed_bus.clone(),
        pos,
    })
}

fn supply_region(cx: &Ctx, c: &Spanned<SupplySpec>, f: &Floor) -> Result<SupplyRegion, InputError> {
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

fn obstacle(cx: &Ctx, c: &Spanned<ObstacleSpec>, f: &Floor) -> Result<Obstacle, InputError> {
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
    Ok(Obstacle {
        id: s.id.clone(),
        kind: s.kind,
        rect,
        height_m: height(cx, pos, it, s.height_m.unwrap_or(f.height_m), f)?,
        k_w_mk: k,
        pos,
    })
}

fn unique_ids<'a>(cx: &Ctx, ids: impl Iterator<Item = (&'a str, Pos)>, what: &str) -> Result<(), InputError> {
    let mut seen: HashMap<&str, Pos> = HashMap::new();
    for (id, pos) in ids {
        if let Some(first) = seen.insert(id, pos) {
            let at = first.map(|(l, c)| format!(" (first at line {l}, column {c})")).unwrap_or_default();
            return Err(cx.err(
                pos,
                format!("{what} \"{id}\""),
                format!("duplicate id{at}"),
                "give every item a unique id",
            ));
        }
    }
    Ok(())
}

fn overlaps(
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

fn validate_network(cx: &Ctx, pos: Pos, n: &NetworkSpec) -> Result<(), InputError> {
    cx.positive(pos, "[network]", "base_mva", n.base_mva)?;
    if n.bus.is_empty() {
        return Err(cx.err(pos, "[network]", "has no buses", "add [[network.bus]] entries or remove [network]"));
    }
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, b) in n.bus.iter().enumerate() {
        let p = cx.pos(b);
        let b = b.get_ref();
        let item = format!("bus \"{}\"", b.id);
        cx.positive(p, &item, "kv", b.kv)?;
        if index.insert(b.id.as_str(), i).is_some() {
            return Err(cx.err(p, item, "duplicate bus id", "give every bus a unique id"));
        }
    }
    let bus = |p: Pos, item: &str, id: &str| -> Result<usize, InputError> {
        index.get(id).copied().ok_or_else(|| {
            cx.err(p, item, format!("bus \"{id}\" does not exist"), "name a bus defined in [[network.bus]]")
        })
    };
    let mut parent: Vec<usize> = (0..n.bus.len()).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut ids = HashSet::new();
    for br in &n.branch {
        let p = cx.pos(br);
        let b = br.get_ref();
        let item = format!("branch \"{}\"", b.id);
        if !ids.insert(b.id.as_str()) {
            return Err(cx.err(p, item, "duplicate branch id", "give every branch a unique id"));
        }
        let f = bus(p, &item, &b.from)?;
        let t = bus(p, &item, &b.to)?;
        if f == t {
            return Err(cx.err(p, item, "connects a bus to itself", "set from and to to different buses"));
        }
        let x = match (b.x_pu, b.x_ohm) {
            (Some(x), None) => cx.finite(p, &item, "x_pu", x)?,
            (None, Some(x)) => {
                let kv = b.kv.unwrap_or(n.bus[f].get_ref().kv);
                cx.positive(p, &item, "kv", kv)?;
                cx.finite(p, &item, "x_ohm", x)? * n.base_mva / (kv * kv)
            }
            _ => {
                return Err(cx.err(
                    p,
                    item,
                    "give exactly one of x_pu and x_ohm",
                    "write the series reactance once, in per unit or in ohms",
                ))
            }
        };
        if x == 0.0 {
            return Err(cx.err(
                p,
                item,
                "reactance is zero: a DC power flow needs 1/x",
                "give the branch its series reactance (a closed breaker: a small value such as x_pu = 1e-4)",
            ));
        }
        if let Some(r) = b.rating_mw {
            cx.positive(p, &item, "rating_mw", r)?;
        }
        if let Some(t) = b.tap {
            cx.positive(p, &item, "tap", t)?;
        }
        if let Some(s) = b.shift_deg {
            cx.finite(p, &item, "shift_deg", s)?;
        }
        if b.in_service {
            let (a, c) = (root(&mut parent, f), root(&mut parent, t));
            parent[a] = c;
        }
    }
    for g in &n.generator {
        let p = cx.pos(g);
        let g = g.get_ref();
        let item = format!("generator \"{}\"", g.id);
        bus(p, &item, &g.bus)?;
        cx.finite(p, &item, "p_mw", g.p_mw)?;
        if let Some(m) = g.p_max_mw {
            cx.non_negative(p, &item, "p_max_mw", m)?;
        }
    }
    for b in &n.battery {
        let p = cx.pos(b);
        let b = b.get_ref();
        let item = format!("battery \"{}\"", b.id);
        bus(p, &item, &b.bus)?;
        cx.non_negative(p, &item, "power_mw", b.power_mw)?;
        cx.non_negative(p, &item, "energy_mwh", b.energy_mwh)?;
        for (k, v) in [("soc", b.soc), ("efficiency", b.efficiency)] {
            if let Some(v) = v {
                cx.finite(p, &item, k, v)?;
                if !(0.0..=1.0).contains(&v) {
                    return Err(cx.err(
                        p,
                        item,
                        format!("{k} = {v} is outside 0–1"),
                        format!("give {k} as a fraction"),
                    ));
                }
            }
        }
    }
    for l in &n.load {
        let p = cx.pos(l);
        let l = l.get_ref();
        let item = format!("load \"{}\"", l.id);
        bus(p, &item, &l.bus)?;
        cx.finite(p, &item, "p_mw", l.p_mw)?;
    }
    // Every island (buses joined by in-service branches) needs an angle reference.
    let mut has_ref = vec![false; n.bus.len()];
    for (i, b) in n.bus.iter().enumerate() {
        if b.get_ref().is_reference() {
            let r = root(&mut parent, i);
            has_ref[r] = true;
        }
    }
    let mut islands: HashMap<usize, Vec<&str>> = HashMap::new();
    for (i, b) in n.bus.iter().enumerate() {
        let r = root(&mut parent, i);
        if !has_ref[r] {
            islands.entry(r).or_default().push(b.get_ref().id.as_str());
        }
    }
    if let Some(buses) = islands.values().min_by_key(|v| v.first().copied()) {
        return Err(cx.err(
            pos,
            "[network]",
            format!("the island of buses {} has no reference bus", buses.iter().map(|b| format!("\"{b}\"")).collect::<Vec<_>>().join(", ")),
            "connect it to the rest with a branch, or mark one of its buses reference = true (utility buses are references)",
        ));
    }
    Ok(())
}

fn feed_buses(cx: &Ctx, n: Option<&NetworkSpec>, racks: &[Rack], cooling: &[CoolingUnit]) -> Result<(), InputError> {
    let items = racks
        .iter()
        .map(|r| (format!("rack \"{}\"", r.id), &r.feed_bus, r.pos))
        .chain(cooling.iter().map(|c| (format!("cooling \"{}\"", c.id), &c.feed_bus, c.pos)));
    for (item, bus, pos) in items {
        let Some(bus) = bus else { continue };
        match n {
            None => {
                return Err(cx.err(
                    pos,
                    item,
                    format!("feed_bus = \"{bus}\" but the file has no [network]"),
                    "add a [network] with that bus, or remove feed_bus",
                ))
            }
            Some(n) if !n.bus.iter().any(|b| b.get_ref().id == *bus) => {
                return Err(cx.err(
                    pos,
                    item,
                    format!("feed_bus \"{bus}\" is not a bus of [network]"),
                    "name a bus defined in [[network.bus]]",
                ))
            }
            _ => {}
        }
    }
    Ok(())
}
