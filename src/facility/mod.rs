//! The user's model of a hall: floor, racks, cooling, supply regions, obstacles and the
//! electrical network, read from a TOML facility file and validated.

pub mod campus;
pub mod network;
pub mod spec;
pub mod sweep;
mod validate;

pub use spec::{CoolingKind, Facing, ObstacleKind};
pub use validate::{
    available_memory_bytes, load, load_str, scenario_steps, ScenarioSize, BYTES_PER_CELL, MAX_MAGNITUDE,
    MAX_SCENARIO_STEPS, MAX_SWEEP_CASES,
};

use crate::grid::Walls;

/// Default effective conductivity of hall air, W/(m·K). Still air conducts 0.026; a
/// hall is stirred by fans and cooling-unit jets, and a diffusion-only model must move
/// a rack row's heat to the cooling units with conduction alone. Bulk mixing of that
/// strength is ≈ 2000 W/(m·K) (see the README).
pub const AIR_K_W_MK: f64 = 2000.0;
/// Volumetric heat capacity of air at 25 °C, sea level: 1.184 kg/m³ × 1007 J/(kg·K).
pub const AIR_RHO_CP_J_M3K: f64 = 1192.0;
/// Conductivity of concrete, W/(m·K) (columns and walls by default).
pub const CONCRETE_K_W_MK: f64 = 1.4;

/// An axis-aligned footprint, m: `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn new(x: f64, y: f64, w: f64, d: f64) -> Self {
        Rect { x0: x, y0: y, x1: x + w, y1: y + d }
    }
    /// Strict overlap (touching edges do not overlap).
    pub fn overlaps(&self, o: &Rect) -> bool {
        let eps = 1e-9;
        self.x0 < o.x1 - eps && o.x0 < self.x1 - eps && self.y0 < o.y1 - eps && o.y0 < self.y1 - eps
    }
}

/// Where an item was written: line and column in the facility file.
pub type Pos = Option<(usize, usize)>;

#[derive(Clone, Debug)]
pub struct Floor {
    pub width_m: f64,
    pub depth_m: f64,
    pub cell_m: f64,
    pub height_m: f64,
    pub layers: usize,
    pub walls: Walls,
    pub nx: usize,
    pub ny: usize,
}

#[derive(Clone, Debug)]
pub struct Materials {
    /// W/(m·K).
    pub air_k_w_mk: f64,
    /// W/(m·K).
    pub rack_k_w_mk: f64,
    /// J/(m³·K).
    pub air_rho_cp_j_m3k: f64,
}

#[derive(Clone, Debug)]
pub struct Rack {
    pub id: String,
    pub rect: Rect,
    pub height_m: f64,
    pub facing: Facing,
    /// IT power, kW.
    pub power_kw: f64,
    /// Share of IT power to liquid cooling, 0–1.
    pub liquid_fraction: f64,
    pub feed_bus: Option<String>,
    /// The B side of a dual feed (see [`Feed`]).
    pub feed_b_bus: Option<String>,
    /// Share on `feed_bus` while both sides are live (1 when single-fed).
    pub feed_a_share: f64,
    pub pos: Pos,
}

impl Rack {
    /// Heat into the room air, W.
    pub fn air_heat_w(&self) -> f64 {
        self.power_kw * 1e3 * (1.0 - self.liquid_fraction)
    }
    /// Heat to the liquid loop, W.
    pub fn liquid_heat_w(&self) -> f64 {
        self.power_kw * 1e3 * self.liquid_fraction
    }
}

#[derive(Clone, Debug)]
pub struct CoolingUnit {
    pub id: String,
    pub kind: CoolingKind,
    /// Footprint; `None` for a CDU written without a position.
    pub rect: Option<Rect>,
    pub height_m: f64,
    /// kW.
    pub capacity_kw: f64,
    /// °C (air-side units).
    pub supply_c: f64,
    /// K (air-side units).
    pub delta_t_k: f64,
    pub rack: Option<String>,
    /// Side the supply air leaves from (`None`: away from the nearest wall).
    pub facing: Option<Facing>,
    /// Return air from the ceiling layer instead of behind the unit (airflow model, 3-D).
    pub ceiling_return: bool,
    /// Electric draw at rated capacity, kW.
    pub electric_kw: f64,
    /// Whether `electric_kw` was written in the file (else the supply-temperature model
    /// of [`crate::coupling`] applies).
    pub electric_kw_given: bool,
    pub feed_bus: Option<String>,
    /// The B side of a dual feed (see [`Feed`]).
    pub feed_b_bus: Option<String>,
    /// Share on `feed_bus` while both sides are live (1 when single-fed).
    pub feed_a_share: f64,
    /// The chiller whose water the unit's coil takes.
    pub chiller: Option<String>,
    /// CDUs: water in the loop it serves, L (0 for air-side units).
    pub loop_volume_l: f64,
    /// CDUs: allowed warming of the loop above its design supply, K (NaN for air-side
    /// units).
    pub loop_limit_k: f64,
    pub pos: Pos,
}

/// Default electric draw per kW of rated cooling: air-side units (COP 4, fans included).
pub const AIR_UNIT_KW_E_PER_KW: f64 = 0.25;
/// Default electric draw per kW of rated CDU capacity (pumps, dry-cooler fans).
pub const CDU_KW_E_PER_KW: f64 = 0.05;
/// Default water in a CDU's secondary loop per kW of its capacity, L: a loop sized for a
/// 10 K rise circulates ≈ 1.44 L/min per kW (1 kW / (4.18 kJ/(kg·K) · 10 K)); at a
/// circulation time of ≈ 20 s through CDU, manifolds and cold plates that is ≈ 0.5 L
/// per kW. An estimate: give `loop_volume_l` where the loop's volume is known.
pub const LOOP_L_PER_KW: f64 = 0.5;
/// Default allowed warming of a liquid loop, K: from a 30 °C design supply (ASHRAE W32)
/// to 45 °C (the top of class W45), where cold-plated GPUs approach their throttling
/// temperatures.
pub const LOOP_LIMIT_K: f64 = 15.0;

impl CoolingUnit {
    /// Whether the unit removes heat from room air.
    pub fn is_air_side(&self) -> bool {
        self.kind != CoolingKind::Cdu
    }
}

#[derive(Clone, Debug)]
pub struct SupplyRegion {
    pub id: String,
    pub rect: Rect,
    /// m; `None`: one cell.
    pub height_m: Option<f64>,
    pub supply_c: f64,
    pub airflow_m3_s: Option<f64>,
    pub h_w_m3k: Option<f64>,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub struct Obstacle {
    pub id: String,
    pub kind: ObstacleKind,
    pub rect: Rect,
    pub height_m: f64,
    /// Underside above the floor, m (0 for a column standing on it).
    pub z_m: f64,
    pub k_w_mk: f64,
    pub pos: Pos,
}

/// A validated facility.
#[derive(Debug, Clone)]
pub struct Facility {
    pub name: String,
    pub description: Option<String>,
    /// The file it came from.
    pub path: String,
    /// SHA-256 of the file's bytes, hex.
    pub input_sha256: String,
    pub floor: Floor,
    pub materials: Materials,
    pub racks: Vec<Rack>,
    pub cooling: Vec<CoolingUnit>,
    pub supply: Vec<SupplyRegion>,
    pub obstacles: Vec<Obstacle>,
    pub network: Option<network::NetworkSpec>,
    /// The declared parameter sweep, if any (see [`spec::SweepSpec`]).
    pub sweep: Option<spec::SweepSpec>,
    /// The airflow model's settings, when enabled.
    pub airflow: Option<AirflowSettings>,
    /// The scenario's time stepping and its events (sorted by time).
    pub transient: Option<spec::TransientSpec>,
    /// Where `[transient]` was written.
    pub transient_pos: Pos,
    pub events: Vec<spec::EventSpec>,
    /// Chillers (electrical loads that supply the units naming them).
    pub chillers: Vec<Chiller>,
}

/// A chiller as an electrical load supplying chilled water (`[[chiller]]`).
#[derive(Clone, Debug)]
pub struct Chiller {
    pub id: String,
    /// kW.
    pub electric_kw: f64,
    /// kW (0 when not given).
    pub capacity_kw: f64,
    pub feed: Feed,
    /// Time from power back to chilled water, s.
    pub restart_s: f64,
    pub pos: Pos,
}

/// Default chiller restart time, s (power back to chilled water again).
pub const CHILLER_RESTART_S: f64 = 300.0;

/// How a load is fed: bus `a`, or buses `a` and `b` sharing it (`a_share` on `a`) and
/// each carrying all of it when the other is lost.
#[derive(Clone, Debug, PartialEq)]
pub struct Feed {
    pub a: Option<String>,
    pub b: Option<String>,
    pub a_share: f64,
}

impl Feed {
    /// The load's share on each live side, given which sides are live: (on a, on b).
    /// (0, 0) when neither is.
    pub fn shares(&self, a_live: bool, b_live: bool) -> (f64, f64) {
        match (self.a.is_some() && a_live, self.b.is_some() && b_live) {
            (true, true) => (self.a_share, 1.0 - self.a_share),
            (true, false) => (1.0, 0.0),
            (false, true) => (0.0, 1.0),
            (false, false) => (0.0, 0.0),
        }
    }
}

impl Rack {
    pub fn feed(&self) -> Feed {
        Feed { a: self.feed_bus.clone(), b: self.feed_b_bus.clone(), a_share: self.feed_a_share }
    }
}

impl CoolingUnit {
    pub fn feed(&self) -> Feed {
        Feed { a: self.feed_bus.clone(), b: self.feed_b_bus.clone(), a_share: self.feed_a_share }
    }
}

/// Settings of the airflow model.
#[derive(Clone, Debug)]
pub struct AirflowSettings {
    /// W/(m·K) (potential flow's turbulent conductivity).
    pub turbulent_k_w_mk: f64,
    /// K.
    pub rack_delta_t_k: f64,
    /// Which air model runs.
    pub model: AirModel,
    /// The momentum model's turbulence closure.
    pub turbulence: TurbulenceModel,
}

/// The air models of a facility (`[airflow] model`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AirModel {
    /// Momentum, buoyancy and turbulence on the grid (`"cfd"`).
    Cfd,
    /// A velocity potential: mass conserved, no momentum (`"potential"`).
    Potential,
}

impl AirModel {
    pub fn name(&self) -> &'static str {
        match self {
            AirModel::Cfd => "cfd",
            AirModel::Potential => "potential",
        }
    }
}

/// Turbulence closures of the momentum model (`[airflow] turbulence`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurbulenceModel {
    /// LVEL: wall distance and local speed through Spalding's law of the wall.
    Lvel,
    /// Chen & Xu's indoor zero-equation model, `ν_t = 0.03874 |u| d`.
    ChenXu,
    /// No eddy viscosity.
    Laminar,
}

/// One case of a sweep: a name suffix and the changes it makes.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SweepCase {
    pub suffix: String,
    pub supply_c: Option<f64>,
    pub air_k_w_mk: Option<f64>,
    pub it_power_scale: Option<f64>,
    /// The variant of the file (`[[sweep.variant]]`), if the sweep has variants.
    pub variant: Option<spec::VariantSpec>,
    /// Dotted paths and the values this case gives them.
    pub paths: Vec<(String, toml::Value)>,
}

impl SweepCase {
    /// The swept values, named as in `[sweep]` (`variant` for the variant), as text.
    pub fn values(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let Some(x) = &self.variant {
            v.push(("variant".to_string(), x.name.clone()));
        }
        for (k, x) in
            [("supply_c", self.supply_c), ("air_k_w_mk", self.air_k_w_mk), ("it_power_scale", self.it_power_scale)]
        {
            if let Some(x) = x {
                v.push((k.to_string(), short(x)));
            }
        }
        for (k, x) in &self.paths {
            v.push((k.clone(), sweep::value_text(x)));
        }
        v
    }
}

/// A swept value as it appears in a case name: as written (`18`, `0.5`) when that is
/// short, else in exponent form (`1e-300`), so names stay within file-name limits.
pub(crate) fn short(v: f64) -> String {
    let plain = format!("{v}");
    if plain.len() <= 12 {
        plain
    } else {
        format!("{v:e}")
    }
}

impl Facility {
    /// Every combination of the declared sweep (one case, unchanged, without a sweep):
    /// variants outermost, then supply_c, air_k_w_mk, it_power_scale, then the dotted
    /// paths in name order.
    pub fn sweep_cases(&self) -> Vec<SweepCase> {
        let s = self.sweep.clone().unwrap_or_default();
        let mut out = vec![SweepCase::default()];
        let grow = |out: Vec<SweepCase>, n: usize, f: &dyn Fn(&mut SweepCase, usize)| -> Vec<SweepCase> {
            if n == 0 {
                return out;
            }
            let mut next = Vec::with_capacity(out.len() * n);
            for c in &out {
                for k in 0..n {
                    let mut c = c.clone();
                    f(&mut c, k);
                    next.push(c);
                }
            }
            next
        };
        out = grow(out, s.variant.len(), &|c, k| {
            c.suffix += &format!("__{}", s.variant[k].name);
            c.variant = Some(s.variant[k].clone());
        });
        out = grow(out, s.supply_c.len(), &|c, k| {
            c.suffix += &format!("__supply_c={}", short(s.supply_c[k]));
            c.supply_c = Some(s.supply_c[k]);
        });
        out = grow(out, s.air_k_w_mk.len(), &|c, k| {
            c.suffix += &format!("__air_k_w_mk={}", short(s.air_k_w_mk[k]));
            c.air_k_w_mk = Some(s.air_k_w_mk[k]);
        });
        out = grow(out, s.it_power_scale.len(), &|c, k| {
            c.suffix += &format!("__it_power_scale={}", short(s.it_power_scale[k]));
            c.it_power_scale = Some(s.it_power_scale[k]);
        });
        for (path, vals) in &s.paths {
            out = grow(out, vals.len(), &|c, k| {
                c.suffix += &sweep::file_safe(&format!("__{path}={}", sweep::value_text(&vals[k])));
                c.paths.push((path.clone(), vals[k].clone()));
            });
        }
        out
    }

    /// Apply a sweep case.
    pub fn apply(&mut self, c: &SweepCase) {
        if let Some(t) = c.supply_c {
            self.cooling.iter_mut().filter(|u| u.is_air_side()).for_each(|u| u.supply_c = t);
            self.supply.iter_mut().for_each(|s| s.supply_c = t);
        }
        if let Some(k) = c.air_k_w_mk {
            if self.materials.rack_k_w_mk == self.materials.air_k_w_mk {
                self.materials.rack_k_w_mk = k;
            }
            self.materials.air_k_w_mk = k;
        }
        if let Some(f) = c.it_power_scale {
            self.racks.iter_mut().for_each(|r| r.power_kw *= f);
        }
        self.name = format!("{}{}", self.name, c.suffix);
    }
    /// Total IT power, W.
    pub fn it_power_w(&self) -> f64 {
        self.racks.iter().map(|r| r.power_kw * 1e3).sum()
    }
    pub fn is_3d(&self) -> bool {
        self.floor.layers > 1
    }
    pub fn cells(&self) -> usize {
        self.floor.nx * self.floor.ny * self.floor.layers
    }
}

#[cfg(test)]
mod tests {
    use super::Rect;

    #[test]
    fn touching_rectangles_do_not_overlap() {
        let a = Rect::new(0.0, 0.0, 0.6, 1.2);
        assert!(!a.overlaps(&Rect::new(0.6, 0.0, 0.6, 1.2)));
        assert!(!a.overlaps(&Rect::new(0.0, 1.2, 0.6, 1.2)));
        assert!(a.overlaps(&Rect::new(0.5, 1.1, 0.6, 1.2)));
    }
}
