//! `[sweep]`, `[airflow]`, `[transient]` and `[[event]]`: the values, and the size of
//! what they ask for (sweep cases, time steps, snapshot memory), bounded before any work.

use super::floor::available_memory_bytes;
use super::{Ctx, BYTES_PER_CELL, CFD_BYTES_PER_CELL, CFD_TEMPERATURE_RANGE_C};
use crate::error::InputError;
use crate::facility::spec::{AirflowSpec, EventKind, EventSpec, SweepSpec, TransientSpec};
use crate::facility::{AirModel, AirflowSettings, CoolingUnit, Facility, Pos, Rack, TurbulenceModel};
use toml::Spanned;

/// Most cases a `[sweep]` may expand into.
pub const MAX_SWEEP_CASES: usize = 100_000;
/// Most time steps a scenario may take.
pub const MAX_SCENARIO_STEPS: usize = 10_000_000;

/// Most (variant, swept value) pairs checked when a file is read.
const MAX_PAIRS_CHECKED: usize = 200;

pub(super) fn sweep(cx: &Ctx, sweep: Option<Spanned<SweepSpec>>) -> Result<Option<SweepSpec>, InputError> {
    let Some(sw) = sweep else { return Ok(None) };
    let pos = cx.pos(&sw);
    let mut sw = sw.into_inner();
    for v in std::mem::take(&mut sw.variants) {
        sw.variant.push(match v {
            crate::facility::spec::VariantEntry::Spec(v) => v,
            crate::facility::spec::VariantEntry::File(file) => crate::facility::spec::VariantSpec {
                name: std::path::Path::new(&file)
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default(),
                file: Some(file),
                remove: vec![],
                set: Default::default(),
            },
        });
    }
    for (key, vals, positive) in [
        ("supply_c", &sw.supply_c, false),
        ("air_k_w_mk", &sw.air_k_w_mk, true),
        ("it_power_scale", &sw.it_power_scale, false),
    ] {
        for &v in vals {
            cx.finite(pos, "[sweep]", key, v)?;
            if positive {
                cx.conductivity(pos, "[sweep]", key, v)?;
            } else if key == "it_power_scale" {
                cx.non_negative(pos, "[sweep]", key, v)?;
            }
        }
    }
    let mut names = std::collections::HashSet::new();
    for v in &sw.variant {
        let ok = !v.name.is_empty() && v.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(cx.err(
                pos,
                "[[sweep.variant]]",
                format!("name \"{}\" is not usable in a file name", v.name),
                "name variants with letters, digits, - and _ only",
            ));
        }
        if !names.insert(v.name.clone()) {
            return Err(cx.err(
                pos,
                "[[sweep.variant]]",
                format!("two variants are named \"{}\"", v.name),
                "give every variant its own name",
            ));
        }
    }
    // Dotted keys nest in TOML: flatten them back into paths.
    fn flatten(prefix: &str, v: toml::Value, out: &mut Vec<(String, toml::Value)>) {
        match v {
            toml::Value::Table(t) => {
                for (k, x) in t {
                    flatten(&if prefix.is_empty() { k } else { format!("{prefix}.{k}") }, x, out);
                }
            }
            other => out.push((prefix.to_string(), other)),
        }
    }
    let mut flat = Vec::new();
    for (k, v) in std::mem::take(&mut sw.written_paths) {
        flatten(&k, v, &mut flat);
    }
    for (path, v) in flat {
        if !path.contains('.') {
            return Err(cx.err(
                pos,
                "[sweep]",
                format!("unknown key `{path}`"),
                "sweep supply_c, air_k_w_mk, it_power_scale, variants ([[sweep.variant]]) or any key of the file by its dotted path, such as \"cooling.CRAH-1.capacity_kw\" = [60, 80]",
            ));
        }
        let toml::Value::Array(vals) = v else {
            return Err(cx.err(
                pos,
                "[sweep]",
                format!("`{path}` is {}, not a list of values", v.type_str()),
                format!("write \"{path}\" = [value, value, …]"),
            ));
        };
        if vals.is_empty() {
            return Err(cx.err(
                pos,
                "[sweep]",
                format!("`{path}` has no values"),
                "give it a list of values, or remove it",
            ));
        }
        if let Some(v) = vals.iter().find(|v| matches!(v, toml::Value::Array(_) | toml::Value::Table(_))) {
            return Err(cx.err(
                pos,
                "[sweep]",
                format!("`{path}` takes a list of single values, not {}", v.type_str()),
                "write a list of numbers, strings or booleans",
            ));
        }
        if sw.paths.insert(path.clone(), vals).is_some() {
            return Err(cx.err(pos, "[sweep]", format!("`{path}` is swept twice"), "sweep each key once"));
        }
    }
    // The built-in keys set every unit (or the materials): sweeping one of the keys they
    // set by path as well would leave the case's listed value unused.
    for (key, on, clash) in [
        ("supply_c", !sw.supply_c.is_empty(), &[".supply_c"][..]),
        ("air_k_w_mk", !sw.air_k_w_mk.is_empty(), &["materials.air_k_w_mk", "materials.rack_k_w_mk"][..]),
    ] {
        if let Some(p) = sw.paths.keys().find(|p| on && clash.iter().any(|c| p.ends_with(c) || p.as_str() == *c)) {
            return Err(cx.err(
                pos,
                "[sweep]",
                format!("sweeps {key} (every unit) and `{p}` together: {key} would override it"),
                format!("sweep either {key} or the path"),
            ));
        }
    }
    let lens: Vec<usize> = [sw.variant.len(), sw.supply_c.len(), sw.air_k_w_mk.len(), sw.it_power_scale.len()]
        .into_iter()
        .chain(sw.paths.values().map(Vec::len))
        .collect();
    let cases: u128 = lens.iter().try_fold(1u128, |a, &n| a.checked_mul(n.max(1) as u128)).unwrap_or(u128::MAX);
    if cases > MAX_SWEEP_CASES as u128 {
        let factors: Vec<String> = lens.iter().filter(|&&n| n > 0).map(|n| n.to_string()).collect();
        return Err(cx.err(
            pos,
            "[sweep]",
            format!("expands into {} = {cases} cases, more than {MAX_SWEEP_CASES}", factors.join(" × ")),
            "sweep fewer values (or split the sweep over several files)",
        ));
    }
    // Values that would name two cases alike.
    let dup = |key: &str, texts: Vec<String>| -> Result<(), InputError> {
        let mut seen = std::collections::HashSet::new();
        match texts.into_iter().find(|t| !seen.insert(t.clone())) {
            Some(t) => Err(cx.err(pos, "[sweep]", format!("`{key}` lists {t} twice"), "list each value once")),
            None => Ok(()),
        }
    };
    for (key, vals) in
        [("supply_c", &sw.supply_c), ("air_k_w_mk", &sw.air_k_w_mk), ("it_power_scale", &sw.it_power_scale)]
    {
        dup(key, vals.iter().map(|&v| crate::facility::short(v)).collect())?;
    }
    for (path, vals) in &sw.paths {
        dup(path, vals.iter().map(|v| crate::facility::sweep::value_text(v)).collect())?;
    }
    // Every variant and every swept value, each alone, must make a valid facility: a
    // typo in a path or a value out of range is found now, not case by case.
    let single = |case: crate::facility::SweepCase, what: String| -> Result<(), InputError> {
        let text = crate::facility::sweep::case_text(cx.file, cx.src, &case)
            .map_err(|m| cx.err(pos, "[sweep]", format!("{what}: {m}"), "correct the [sweep] table"))?;
        super::load_str(cx.file, &text)
            .map(|_| ())
            .map_err(|e| cx.err(pos, "[sweep]", format!("{what}: {}: {}", e.item, e.message), e.fix.clone()))
    };
    for v in &sw.variant {
        single(
            crate::facility::SweepCase { variant: Some(v.clone()), ..Default::default() },
            format!("variant \"{}\"", v.name),
        )?;
    }
    for (path, vals) in &sw.paths {
        for v in vals {
            let what = format!("{path} = {}", crate::facility::sweep::value_text(v));
            single(crate::facility::SweepCase { paths: vec![(path.clone(), v.clone())], ..Default::default() }, what)?;
        }
    }
    // Each variant with each swept value (a variant may remove what a path sweeps), while
    // that is cheap to check; beyond, such a case fails alone when it runs.
    let values: usize = sw.paths.values().map(Vec::len).sum();
    if sw.variant.len() * values <= MAX_PAIRS_CHECKED {
        for var in &sw.variant {
            for (path, vals) in &sw.paths {
                for v in vals {
                    let what =
                        format!("variant \"{}\" with {path} = {}", var.name, crate::facility::sweep::value_text(v));
                    let case = crate::facility::SweepCase {
                        variant: Some(var.clone()),
                        paths: vec![(path.clone(), v.clone())],
                        ..Default::default()
                    };
                    single(case, what)?;
                }
            }
        }
    }
    Ok(Some(sw))
}

/// One of a key's named options (`None`: the first, the default), else an error that
/// lists them.
fn choice<T: Copy>(cx: &Ctx, pos: Pos, key: &str, v: Option<&str>, options: &[(&str, T)]) -> Result<T, InputError> {
    let Some(v) = v else { return Ok(options[0].1) };
    options.iter().find(|(name, _)| *name == v).map(|(_, t)| *t).ok_or_else(|| {
        let names: Vec<String> = options.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        cx.err(
            pos,
            "[airflow]",
            format!("unknown {key} `{v}`"),
            format!("write {key} = one of {} (default {})", names.join(", "), names[0]),
        )
    })
}

/// The air model of a facility: `[airflow]` as written, or, without it, the momentum
/// model with its defaults (the default for facility files). `enabled = false` or
/// `model = "diffusion"` asks for the diffusion-only model (`None`).
pub(super) fn airflow(cx: &Ctx, airflow: Option<Spanned<AirflowSpec>>) -> Result<Option<AirflowSettings>, InputError> {
    let Some(a) = airflow else {
        return Ok(Some(AirflowSettings {
            model: AirModel::Cfd,
            turbulence: TurbulenceModel::ChenXu,
            turbulent_k_w_mk: DEFAULT_TURBULENT_K_W_MK,
            rack_delta_t_k: DEFAULT_RACK_DELTA_T_K,
        }));
    };
    let pos = cx.pos(&a);
    let a = a.into_inner();
    if a.enabled == Some(false) {
        if let Some(m) = a.model.as_deref().filter(|m| *m != "diffusion") {
            return Err(cx.err(
                pos,
                "[airflow]",
                format!("enabled = false (the diffusion model) contradicts model = \"{m}\""),
                "remove one of them: model = \"diffusion\" is enabled = false",
            ));
        }
        return Ok(None);
    }
    let model = choice(
        cx,
        pos,
        "model",
        a.model.as_deref(),
        &[("cfd", Some(AirModel::Cfd)), ("potential", Some(AirModel::Potential)), ("diffusion", None)],
    )?;
    let Some(model) = model else { return Ok(None) };
    let turbulence = choice(
        cx,
        pos,
        "turbulence",
        a.turbulence.as_deref(),
        &[("chen_xu", TurbulenceModel::ChenXu), ("lvel", TurbulenceModel::Lvel), ("laminar", TurbulenceModel::Laminar)],
    )?;
    Ok(Some(AirflowSettings {
        model,
        turbulence,
        turbulent_k_w_mk: cx.conductivity(
            pos,
            "[airflow]",
            "turbulent_k_w_mk",
            a.turbulent_k_w_mk.unwrap_or(DEFAULT_TURBULENT_K_W_MK),
        )?,
        rack_delta_t_k: cx.within(
            pos,
            "[airflow]",
            "rack_delta_t_k",
            a.rack_delta_t_k.unwrap_or(DEFAULT_RACK_DELTA_T_K),
            super::DELTA_T_RANGE_K,
            "K",
        )?,
    }))
}

/// The momentum model's memory against what the machine has, checked before any work.
pub(super) fn cfd_memory(
    cx: &Ctx,
    pos: Pos,
    a: Option<&AirflowSettings>,
    floor: &crate::facility::Floor,
) -> Result<(), InputError> {
    if a.map(|a| a.model) != Some(AirModel::Cfd) {
        return Ok(());
    }
    let cells = floor.nx as u128 * floor.ny as u128 * floor.layers as u128;
    let need = cells * CFD_BYTES_PER_CELL as u128;
    let avail = available_memory_bytes() as u128;
    if need <= avail {
        return Ok(());
    }
    let gib = |b: u128| b as f64 / (1u64 << 30) as f64;
    Err(cx.err(
        pos,
        "[airflow]",
        format!(
            "the momentum model (model = \"cfd\", the default) on {cells} cells needs about {:.1} GiB \
             ({CFD_BYTES_PER_CELL} B per cell), more than the {:.1} GiB available",
            gib(need),
            gib(avail)
        ),
        "use a larger cell_m, or write [airflow] model = \"potential\" (about 300 B per cell)",
    ))
}

/// The temperatures the momentum model's buoyancy takes: every air-side supply, tile,
/// wall held at a temperature and scenario supply within [`CFD_TEMPERATURE_RANGE_C`].
#[allow(clippy::too_many_arguments)]
pub(super) fn cfd_temperatures(
    cx: &Ctx,
    pos: Pos,
    a: Option<&AirflowSettings>,
    cooling: &[CoolingUnit],
    supply: &[crate::facility::SupplyRegion],
    floor: &crate::facility::Floor,
    events: &[EventSpec],
) -> Result<(), InputError> {
    if a.map(|a| a.model) != Some(AirModel::Cfd) {
        return Ok(());
    }
    let (lo, hi) = CFD_TEMPERATURE_RANGE_C;
    let check = |pos: Pos, item: String, what: &str, t: f64| {
        if (lo..=hi).contains(&t) {
            return Ok(());
        }
        Err(cx.err(
            pos,
            item,
            format!(
                "{what} = {t} °C is outside {lo}…{hi} °C, where the momentum model's buoyancy (Boussinesq, air near room \
                 temperature) holds"
            ),
            format!("use a temperature within {lo}…{hi} °C, or write [airflow] model = \"diffusion\""),
        ))
    };
    for u in cooling.iter().filter(|u| u.is_air_side()) {
        check(u.pos, format!("cooling unit \"{}\"", u.id), "supply_c", u.supply_c)?;
    }
    for s in supply {
        check(s.pos, format!("supply region \"{}\"", s.id), "supply_c", s.supply_c)?;
    }
    for (w, name) in floor.walls.as_array().iter().zip(["west", "east", "south", "north", "floor", "ceiling"]) {
        if let crate::grid::Wall::Fixed(t) = w {
            check(pos, "[floor.walls]".into(), name, *t)?;
        }
    }
    for e in events.iter().filter(|e| e.kind == EventKind::SupplyTemperature) {
        if let Some(t) = e.supply_c {
            check(pos, "[[event]]".into(), "supply_c", t)?;
        }
    }
    Ok(())
}

/// W/(m·K): the potential model's turbulent conductivity unless written.
const DEFAULT_TURBULENT_K_W_MK: f64 = 100.0;
/// K: air temperature rise through a rack unless written (sets its airflow).
const DEFAULT_RACK_DELTA_T_K: f64 = 12.0;

pub(super) fn transient(cx: &Ctx, t: Option<Spanned<TransientSpec>>) -> Result<Option<TransientSpec>, InputError> {
    let Some(t) = t else { return Ok(None) };
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
    for (key, v) in [
        ("rack_heat_capacity_kj_k", t.rack_heat_capacity_kj_k),
        ("unit_heat_capacity_kj_k_per_kw", t.unit_heat_capacity_kj_k_per_kw),
        ("building_heat_capacity_kj_m2k", t.building_heat_capacity_kj_m2k),
        ("building_h_w_m2k", t.building_h_w_m2k),
    ] {
        if let Some(v) = v {
            cx.non_negative(pos, "[transient]", key, v)?;
        }
    }
    Ok(Some(t))
}

pub(super) fn events(
    cx: &Ctx,
    spec: &[Spanned<EventSpec>],
    racks: &[Rack],
    cooling: &[CoolingUnit],
    has_transient: bool,
) -> Result<Vec<EventSpec>, InputError> {
    let mut events = Vec::new();
    for e in spec {
        let pos = cx.pos(e);
        let e = e.get_ref().clone();
        let it = "[[event]]";
        cx.non_negative(pos, it, "at_s", e.at_s)?;
        // Values a kind does not use are still numbers the file states.
        if let Some(f) = e.factor {
            cx.non_negative(pos, it, "factor", f)?;
        }
        if let Some(t) = e.supply_c {
            cx.finite(pos, it, "supply_c", t)?;
        }
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
        if let Some(f) = &e.fans {
            if e.kind != EventKind::CoolingFailure || !["on", "off"].contains(&f.as_str()) {
                return Err(cx.err(
                    pos,
                    it,
                    format!("fans = \"{f}\""),
                    "fans belongs to a cooling_failure: \"off\" (the units stop) or \"on\" (they lose cooling, keep moving air)",
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
            EventKind::CoolingRestore if e.units.is_empty() => {
                return Err(cx.err(
                    pos,
                    it,
                    "a cooling restore names no unit",
                    "list the units that run again: units = [\"CRAH-1\"]",
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
        if events.is_empty() && !has_transient {
            return Err(cx.err(
                pos,
                it,
                "events need a [transient] section",
                "add [transient] with dt_s and duration_s",
            ));
        }
        events.push(e);
    }
    Ok(events)
}

/// What a scenario will march and keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScenarioSize {
    pub steps: usize,
    /// Stored snapshots of the field, the steady start included.
    pub snapshots: usize,
}

/// The steps and snapshots of the facility's scenario at step `dt` (s), refused when the
/// step count exceeds [`MAX_SCENARIO_STEPS`] or what is kept (snapshots of the field,
/// the racks' intake history, the grid's solver memory) exceeds the available memory.
/// `dt_from` names where the step came from (`dt_s` or `--dt`).
pub fn scenario_steps(f: &Facility, dt: f64, dt_from: &str) -> Result<ScenarioSize, InputError> {
    // The solver's own memory: the momentum model's or the thermal operator's.
    let per_cell =
        if f.airflow.as_ref().is_some_and(|a| a.model == AirModel::Cfd) { CFD_BYTES_PER_CELL } else { BYTES_PER_CELL };
    let err = |msg: String, fix: &str| InputError::new(&f.path, "[transient]", msg, fix).at(f.transient_pos);
    let Some(t) = &f.transient else {
        return Err(err("is missing".into(), "add [transient] with dt_s and duration_s"));
    };
    if !(dt.is_finite() && dt > 0.0) {
        return Err(err(format!("{dt_from} = {dt} is not a time step"), "give a step in seconds > 0"));
    }
    let n = (t.duration_s / dt).round().max(1.0);
    if !(n <= MAX_SCENARIO_STEPS as f64) {
        return Err(err(
            format!(
                "duration_s = {} s at {dt_from} = {} s is {n:.3e} steps, more than {MAX_SCENARIO_STEPS}",
                show(t.duration_s),
                show(dt)
            ),
            "use a larger time step or a shorter duration_s",
        ));
    }
    let steps = n as usize;
    let every = t.snapshot_every_s.unwrap_or(t.duration_s / 10.0);
    // At most one snapshot per step, plus the steady start.
    let snapshots = ((t.duration_s / every).floor().min(steps as f64) as usize) + 1;
    let cells = f.cells() as u128;
    let need = snapshots as u128 * cells * 4
        + (steps as u128 + 1) * (f.racks.len() as u128 + 1) * 8
        + cells * per_cell as u128;
    let avail = available_memory_bytes() as u128;
    if need > avail {
        let gib = |b: u128| b as f64 / (1u64 << 30) as f64;
        return Err(err(
            format!(
                "{steps} steps with {snapshots} snapshots of {cells} cells need about {:.1} GiB, more than the {:.1} GiB available",
                gib(need),
                gib(avail)
            ),
            "use a larger snapshot_every_s, a larger time step or a shorter duration_s",
        ));
    }
    Ok(ScenarioSize { steps, snapshots })
}

/// A number as written by a person: plain when moderate, else in e-notation.
fn show(v: f64) -> String {
    if v != 0.0 && !(1e-3..1e6).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}
