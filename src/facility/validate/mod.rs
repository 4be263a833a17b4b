//! Reading a facility file: TOML → spec (syntax, unknown keys) → validated model.
//! Every error names the file, the line and column of the item, the item and the fix.
//!
//! The checks are split along the file's parts: [`floor`] (extent, grid, memory,
//! materials), [`items`] (racks, cooling, supply regions, obstacles, their overlaps),
//! [`network`] (`[network]` and feed buses) and [`scenario`] (`[sweep]`, `[airflow]`,
//! `[transient]` and its `[[event]]`s).

pub(super) mod campus;
mod floor;
mod items;
mod network;
mod scenario;

pub use floor::available_memory_bytes;
pub use scenario::{scenario_steps, ScenarioSize, MAX_SCENARIO_STEPS, MAX_SWEEP_CASES};

use super::spec::*;
use super::*;
use crate::error::{line_col, InputError};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use toml::Spanned;

/// Bytes of memory a solve needs per cell (fields, operator, CG vectors, multigrid
/// hierarchy and output); measured by `benches/` and kept as an upper bound.
pub const BYTES_PER_CELL: usize = 200;

/// Bytes per cell of the momentum model of hall air (its fields, averages, line-solve
/// coefficients, the pressure multigrid and the final energy solve): 756 B measured on
/// hall_gb200_nvl72 (3-D), 563 B on hall_xai_h100 (2-D); kept as an upper bound.
pub const CFD_BYTES_PER_CELL: usize = 800;

/// Air temperatures the momentum model takes (supplies, walls held at a temperature), °C:
/// its Boussinesq buoyancy (β = 1/T_ref) holds for air near room temperature.
pub const CFD_TEMPERATURE_RANGE_C: (f64, f64) = (-40.0, 90.0);

/// Largest magnitude any number of a facility file may have: no length (m), power (kW),
/// temperature (°C), conductivity or coefficient of a hall comes near it, and numbers
/// beyond it overflow what is computed from them (heat per cell, energy sums).
pub const MAX_MAGNITUDE: f64 = 1e12;

/// Conductivities accepted, W/(m·K) (materials, obstacles, the airflow model, sweeps).
pub const K_RANGE_W_MK: (f64, f64) = (1e-2, 1e4);

/// Deepest nesting of arrays and inline tables read (the TOML parser recurses).
const MAX_NESTING: usize = 64;

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
    /// A finite number (TOML allows `nan` and `inf`) of physical size (|v| ≤ 1e12).
    fn finite(&self, pos: Pos, item: &str, key: &str, v: f64) -> Result<f64, InputError> {
        if !v.is_finite() {
            Err(self.err(
                pos,
                item,
                format!("{key} = {v} is not a finite number"),
                format!("give {key} a finite value"),
            ))
        } else if v.abs() > MAX_MAGNITUDE {
            Err(self.err(
                pos,
                item,
                format!("{key} = {v:e} is beyond any physical value (|{key}| ≤ {MAX_MAGNITUDE:e})"),
                format!("give {key} in the units of the README"),
            ))
        } else {
            Ok(v)
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
    /// A conductivity, W/(m·K), within [`K_RANGE_W_MK`]: from insulation to the effective
    /// conductivity of stirred hall air and beyond copper. Wider, the contrast between
    /// cells (up to 10⁶ here) leaves the f64 solve short of its default tolerance.
    fn conductivity(&self, pos: Pos, item: &str, key: &str, v: f64) -> Result<f64, InputError> {
        self.positive(pos, item, key, v)?;
        self.within(pos, item, key, v, K_RANGE_W_MK, "W/(m·K)")
    }
    /// A number within the physical range `lo`–`hi` (in `unit`).
    fn within(
        &self,
        pos: Pos,
        item: &str,
        key: &str,
        v: f64,
        (lo, hi): (f64, f64),
        unit: &str,
    ) -> Result<f64, InputError> {
        self.finite(pos, item, key, v)?;
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(self.err(
                pos,
                item,
                format!("{key} = {v:e} {unit} is outside {lo:e}–{hi:e}"),
                format!("give {key} in {unit} within {lo:e}–{hi:e}"),
            ))
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

/// Volumetric heat capacity of air, J/(m³·K): thin air at altitude to liquids.
pub const RHO_CP_RANGE_J_M3K: (f64, f64) = (100.0, 1e7);
/// Design air temperature rise across a rack or a cooling unit, K.
pub const DELTA_T_RANGE_K: (f64, f64) = (0.5, 60.0);

/// Where arrays or inline tables nest deeper than [`MAX_NESTING`], outside strings and
/// comments: the byte offset of the bracket that goes too deep.
fn too_deep(src: &str) -> Option<usize> {
    let b = src.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'"' | b'\'') => {
                // Multi-line strings ("""…""", '''…''') and one-line ones.
                let triple = b.get(i..i + 3) == Some(&[q, q, q][..]);
                i += if triple { 3 } else { 1 };
                while i < b.len() {
                    if triple && b.get(i..i + 3) == Some(&[q, q, q][..]) {
                        i += 2;
                        break;
                    }
                    if !triple && (b[i] == q || b[i] == b'\n') {
                        break;
                    }
                    if q == b'"' && b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parse and validate facility text; `file` names it in messages.
pub fn load_str(file: &str, src: &str) -> Result<Facility, InputError> {
    let cx = Ctx { file, src };
    if campus::is_campus_str(src) {
        return Err(cx.err(
            None,
            "[campus]",
            "is a campus file (several halls), not one hall's facility file",
            "run `thermogrid contingency`, `powerflow` or `validate` on the campus, or give one hall's own file",
        ));
    }
    if let Some(at) = too_deep(src) {
        return Err(cx.err(
            Some(line_col(src, at)),
            "TOML",
            format!("arrays or inline tables nest deeper than {MAX_NESTING} levels"),
            "write the value without deep nesting (no facility key takes nested arrays)",
        ));
    }
    let spec: FacilitySpec = toml::from_str(src).map_err(|e| {
        toml_error(file, src, &e, "remove or correct the key (keys are listed in the README's facility-file section)")
    })?;
    let name = spec.name.trim().to_string();
    if name.is_empty() {
        return Err(cx.err(Some((1, 1)), "name", "the facility has an empty name", "set name = \"…\""));
    }
    let floor = floor::floor(&cx, &spec.floor)?;
    let materials = floor::materials(&cx, spec.materials.as_ref())?;
    let mut racks = Vec::new();
    for r in &spec.rack {
        racks.push(items::rack(&cx, cx.pos(r), r.get_ref().clone(), &floor)?);
    }
    for row in &spec.rack_row {
        racks.extend(items::rack_row(&cx, row, &floor)?);
    }
    unique_ids(&cx, racks.iter().map(|r| (r.id.as_str(), r.pos)), "rack")?;
    let mut cooling = Vec::new();
    for c in &spec.cooling {
        cooling.push(items::cooling_unit(&cx, c, &floor, &racks)?);
    }
    unique_ids(&cx, cooling.iter().map(|c| (c.id.as_str(), c.pos)), "cooling unit")?;
    let mut supply = Vec::new();
    for s in &spec.supply {
        supply.push(items::supply_region(&cx, s, &floor)?);
    }
    unique_ids(&cx, supply.iter().map(|c| (c.id.as_str(), c.pos)), "supply region")?;
    let mut obstacles = Vec::new();
    for o in &spec.obstacle {
        obstacles.push(items::obstacle(&cx, o, &floor)?);
    }
    unique_ids(&cx, obstacles.iter().map(|c| (c.id.as_str(), c.pos)), "obstacle")?;
    items::overlaps(&cx, &racks, &cooling, &supply, &obstacles)?;
    let network = match spec.network {
        Some(n) => {
            let pos = cx.pos(&n);
            let n = n.into_inner();
            network::validate_network(&cx, pos, &n)?;
            Some(n)
        }
        None => None,
    };
    let chillers = chillers(&cx, &spec.chiller)?;
    network::feed_buses(&cx, network.as_ref(), &racks, &cooling, &chillers)?;
    heat_path(&cx, &floor, &cooling, &supply)?;
    let sweep = scenario::sweep(&cx, spec.sweep)?;
    let airflow_pos = spec.airflow.as_ref().map(|a| cx.pos(a)).unwrap_or(None);
    let airflow = scenario::airflow(&cx, spec.airflow)?;
    scenario::cfd_memory(&cx, airflow_pos, airflow.as_ref(), &floor)?;
    let transient_pos = spec.transient.as_ref().map(|t| cx.pos(t)).unwrap_or(None);
    let transient = scenario::transient(&cx, spec.transient)?;
    let mut events = scenario::events(&cx, &spec.event, &racks, &cooling, transient.is_some())?;
    events.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    scenario::cfd_temperatures(&cx, airflow_pos, airflow.as_ref(), &cooling, &supply, &floor, &events)?;
    let facility = Facility {
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
        transient_pos,
        chillers,
    };
    if let Some(t) = &facility.transient {
        scenario_steps(&facility, t.dt_s, "dt_s")?;
    }
    Ok(facility)
}

/// A TOML or serde error as an input error at its position; `unknown_fix` is the fix
/// for an unknown key.
fn toml_error(file: &str, src: &str, e: &toml::de::Error, unknown_fix: &str) -> InputError {
    let pos = e.span().map(|s| line_col(src, s.start));
    let msg = e.message().trim().to_string();
    let fix = if msg.contains("unknown field") {
        unknown_fix
    } else if msg.contains("missing field") {
        "add the missing key"
    } else {
        "correct the TOML at that position"
    };
    InputError::new(file, "TOML", msg, fix).at(pos)
}

/// `[[chiller]]`s: ids unique, draws and times in range, feeds checked later with the
/// other feeds.
fn chillers(cx: &Ctx, specs: &[toml::Spanned<super::spec::ChillerSpec>]) -> Result<Vec<super::Chiller>, InputError> {
    let mut out: Vec<super::Chiller> = Vec::new();
    for c in specs {
        let pos = cx.pos(c);
        let s = c.get_ref();
        let item = format!("chiller \"{}\"", s.id);
        cx.within(pos, &item, "electric_kw", s.electric_kw, (0.0, MAX_MAGNITUDE), "kW")?;
        let capacity_kw = match s.capacity_kw {
            Some(k) => cx.within(pos, &item, "capacity_kw", k, (0.0, MAX_MAGNITUDE), "kW")?,
            None => 0.0,
        };
        let restart_s = match s.restart_s {
            Some(t) => cx.within(pos, &item, "restart_s", t, (0.0, network::MAX_DELAY_S), "s")?,
            None => super::CHILLER_RESTART_S,
        };
        let a_share = network::a_share(cx, pos, &item, Some(&s.feed_bus), s.feed_b_bus.as_deref(), s.feed_a_share)?;
        out.push(super::Chiller {
            id: s.id.clone(),
            electric_kw: s.electric_kw,
            capacity_kw,
            feed: super::Feed { a: Some(s.feed_bus.clone()), b: s.feed_b_bus.clone(), a_share },
            restart_s,
            pos,
        });
    }
    unique_ids(cx, out.iter().map(|c| (c.id.as_str(), c.pos)), "chiller")?;
    Ok(out)
}

/// Some way for heat to leave the room: an air-side cooling unit, a supply region or a
/// wall held at a temperature. Without one the steady problem has no solution.
fn heat_path(cx: &Ctx, f: &Floor, cooling: &[CoolingUnit], supply: &[SupplyRegion]) -> Result<(), InputError> {
    let walls = if f.layers > 1 { 6 } else { 4 };
    let fixed = f.walls.as_array()[..walls].iter().any(|w| matches!(w, crate::grid::Wall::Fixed(_)));
    if fixed || !supply.is_empty() || cooling.iter().any(|u| u.is_air_side()) {
        return Ok(());
    }
    Err(cx.err(
        Some((1, 1)),
        "facility",
        "no heat path out of the room: no air-side cooling unit, no supply region and every wall adiabatic",
        "add a [[cooling]] unit or a [[supply]] region, or give a wall in [floor.walls] a temperature",
    ))
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
