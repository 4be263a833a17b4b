//! The facility file as written (TOML), before validation. Every table rejects unknown
//! keys, so a typo is an error rather than a silently ignored setting.
//!
//! Coordinates: x runs west → east along the floor's width, y south → north along its
//! depth, z up. Positions are the south-west (lower-left) corner of an item, in m.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilitySpec {
    /// Name of the facility (titles, HDF5 attribute).
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub floor: Spanned<FloorSpec>,
    #[serde(default)]
    pub materials: Option<Spanned<MaterialsSpec>>,
    #[serde(default)]
    pub rack: Vec<Spanned<RackSpec>>,
    #[serde(default)]
    pub rack_row: Vec<Spanned<RackRowSpec>>,
    #[serde(default)]
    pub cooling: Vec<Spanned<CoolingSpec>>,
    #[serde(default)]
    pub supply: Vec<Spanned<SupplySpec>>,
    #[serde(default)]
    pub obstacle: Vec<Spanned<ObstacleSpec>>,
    #[serde(default)]
    pub network: Option<Spanned<super::network::NetworkSpec>>,
    /// A parameter sweep for `thermogrid batch` (ignored by `solve`, which uses the
    /// values as written).
    #[serde(default)]
    pub sweep: Option<Spanned<SweepSpec>>,
    /// The airflow model (potential flow + advection); absent: diffusion only.
    #[serde(default)]
    pub airflow: Option<Spanned<AirflowSpec>>,
    /// Time-stepping settings of a scenario (`thermogrid solve --transient`).
    #[serde(default)]
    pub transient: Option<Spanned<TransientSpec>>,
    /// Events of the scenario, in any order.
    #[serde(default)]
    pub event: Vec<Spanned<EventSpec>>,
    /// Chillers: electrical loads that supply chilled water to cooling units.
    #[serde(default)]
    pub chiller: Vec<Spanned<ChillerSpec>>,
}

/// `[[chiller]]`: a chiller (with its pumps and cooling tower or dry cooler) as an
/// electrical load that supplies chilled water to the cooling units naming it
/// (`chiller = "…"`). Losing it, or its power, stops their cooling (their fans keep
/// running where they have power); it restarts `restart_s` after its power returns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChillerSpec {
    pub id: String,
    /// Electric draw, kW (compressors, pumps, tower fans).
    pub electric_kw: f64,
    /// Rated cooling, kW (for the summary).
    #[serde(default)]
    pub capacity_kw: Option<f64>,
    pub feed_bus: String,
    #[serde(default)]
    pub feed_b_bus: Option<String>,
    #[serde(default)]
    pub feed_a_share: Option<f64>,
    /// Time from power back to chilled water again, s (default 300: a chiller restart;
    /// "rapid restart" chillers 60–120 s).
    #[serde(default)]
    pub restart_s: Option<f64>,
}

/// `[airflow]`: solve the air's motion and carry heat with it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AirflowSpec {
    /// Default true; `false` is `model = "diffusion"`.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Turbulent conductivity of the moving air, W/(m·K) (default 100).
    #[serde(default)]
    pub turbulent_k_w_mk: Option<f64>,
    /// Air temperature rise through a rack, K (default 12): sets its airflow.
    #[serde(default)]
    pub rack_delta_t_k: Option<f64>,
    /// "cfd" (the default: momentum, buoyancy, turbulence), "potential" (mass only) or
    /// "diffusion" (no air motion: an effective conductivity).
    #[serde(default)]
    pub model: Option<String>,
    /// "chen_xu" (the default), "lvel" or "laminar": the momentum model's turbulence closure.
    #[serde(default)]
    pub turbulence: Option<String>,
}

/// `[transient]`: a scenario starting from the design's steady state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransientSpec {
    /// Time step, s.
    pub dt_s: f64,
    /// Length of the scenario, s.
    pub duration_s: f64,
    /// Interval between stored snapshots of the field, s (default: 10 snapshots).
    #[serde(default)]
    pub snapshot_every_s: Option<f64>,
    /// "backward-euler" (default), "crank-nicolson" or "forward-euler".
    #[serde(default)]
    pub scheme: Option<String>,
    /// Intake temperatures whose crossing time is reported per rack, °C (default: the
    /// ASHRAE recommended 27 °C and A1 allowable 32 °C limits).
    #[serde(default)]
    pub thresholds_c: Option<Vec<f64>>,
    /// Heat capacity of each rack's equipment, kJ/K (momentum model; default 300: about
    /// 600 kg of steel, aluminium and copper at 0.5 kJ/(kg·K)).
    #[serde(default)]
    pub rack_heat_capacity_kj_k: Option<f64>,
    /// Heat capacity of a cooling unit's coil and the water in it, kJ/K per kW of rated
    /// capacity (momentum model, units that keep their fans after a failure; default 5).
    #[serde(default)]
    pub unit_heat_capacity_kj_k_per_kw: Option<f64>,
    /// Heat capacity of the building envelope (walls, floor and ceiling slabs) per area
    /// of surface, kJ/(m²·K) (momentum model; default 100: 50 mm of concrete).
    #[serde(default)]
    pub building_heat_capacity_kj_m2k: Option<f64>,
    /// Film coefficient between the air and the envelope, W/(m²·K) (default 5).
    #[serde(default)]
    pub building_h_w_m2k: Option<f64>,
}

/// Kinds of scenario event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The listed cooling units stop (`units = [...]`).
    CoolingFailure,
    /// IT power of the listed racks (or all) is multiplied by `factor`.
    ItLoad,
    /// Supply temperature of the listed units and supply regions (or all) becomes `supply_c`.
    SupplyTemperature,
    /// The listed cooling units run again as designed (after a `cooling_failure`).
    CoolingRestore,
    /// The listed racks (or all) draw their design IT power again (after an `it_load`).
    ItRestore,
}

impl EventKind {
    /// The name the file uses.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::CoolingFailure => "cooling_failure",
            EventKind::ItLoad => "it_load",
            EventKind::SupplyTemperature => "supply_temperature",
            EventKind::CoolingRestore => "cooling_restore",
            EventKind::ItRestore => "it_restore",
        }
    }
}

/// `[[event]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// When it happens, s after the start.
    pub at_s: f64,
    pub kind: EventKind,
    #[serde(default)]
    pub units: Vec<String>,
    #[serde(default)]
    pub racks: Vec<String>,
    #[serde(default)]
    pub factor: Option<f64>,
    #[serde(default)]
    pub supply_c: Option<f64>,
    /// A cooling failure's fans: "off" (the default: the units stop and move no air) or
    /// "on" (a chiller trip with the fans on UPS: the units move air and warm with it).
    #[serde(default)]
    pub fans: Option<String>,
}

/// `[sweep]`: lists of values; `thermogrid batch` solves every combination (variants
/// × built-in keys × dotted paths). See [`super::sweep`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SweepSpec {
    /// Supply temperature of every cooling unit and supply region, °C.
    #[serde(default)]
    pub supply_c: Vec<f64>,
    /// Effective air conductivity, W/(m·K).
    #[serde(default)]
    pub air_k_w_mk: Vec<f64>,
    /// Factor on every rack's IT power.
    #[serde(default)]
    pub it_power_scale: Vec<f64>,
    /// Alternative versions of the file (`[[sweep.variant]]`).
    #[serde(default)]
    pub variant: Vec<VariantSpec>,
    /// The same, written as a list: fragment files (named by their stem) or inline
    /// tables (`variants = ["contained.toml", { name = "open" }]`); validation appends
    /// them to `variant`.
    #[serde(default)]
    pub variants: Vec<VariantEntry>,
    /// Any other key of the file by its dotted path, as written: quoted
    /// (`"cooling.CRAH-1.capacity_kw" = […]`) or as TOML dotted keys, which nest
    /// (`cooling.CRAH-1.capacity_kw = […]`); validation flattens them into `paths`.
    #[serde(flatten)]
    pub written_paths: std::collections::BTreeMap<String, toml::Value>,
    /// Dotted path → the values it takes (filled by validation).
    #[serde(skip)]
    pub paths: std::collections::BTreeMap<String, Vec<toml::Value>>,
}

/// An entry of `variants = […]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum VariantEntry {
    /// A fragment file, merged in; the variant is named by the file's stem.
    File(String),
    Spec(VariantSpec),
}

/// `[[sweep.variant]]`: one alternative version of the facility file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// Its name in case names and summaries (letters, digits, `-`, `_`).
    pub name: String,
    /// A TOML fragment (path relative to the facility file) merged into the file:
    /// tables key by key, arrays of tables (`[[obstacle]]`, `[[cooling]]`) appended.
    #[serde(default)]
    pub file: Option<String>,
    /// Keys or blocks removed, by dotted path (`"obstacle.roof-A"`).
    #[serde(default)]
    pub remove: Vec<String>,
    /// Keys set, by dotted path.
    #[serde(default)]
    pub set: std::collections::BTreeMap<String, toml::Value>,
}

/// `[floor]`: the hall's extent and grid.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorSpec {
    /// Extent along x, m.
    pub width_m: f64,
    /// Extent along y, m.
    pub depth_m: f64,
    /// Cell edge, m. Must divide width, depth (and height in 3-D) into whole cells.
    pub cell_m: f64,
    /// Clear height, m: the slab thickness of the 2-D model; the z extent in 3-D.
    pub height_m: f64,
    /// Height layers. 1 (default) is the 2-D floorplan; more makes a 3-D grid and then
    /// `height_m / layers` must equal `cell_m`.
    #[serde(default = "one")]
    pub layers: usize,
    #[serde(default)]
    pub walls: WallsSpec,
}

fn one() -> usize {
    1
}

/// `[floor.walls]`: `"adiabatic"` (default) or a fixed temperature in °C.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallsSpec {
    /// x = 0.
    #[serde(default)]
    pub west: WallSpec,
    /// x = width.
    #[serde(default)]
    pub east: WallSpec,
    /// y = 0.
    #[serde(default)]
    pub south: WallSpec,
    /// y = depth.
    #[serde(default)]
    pub north: WallSpec,
    /// z = 0 (3-D only).
    #[serde(default)]
    pub floor: WallSpec,
    /// z = height (3-D only).
    #[serde(default)]
    pub ceiling: WallSpec,
}

/// One wall: adiabatic, or held at a temperature (°C).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub enum WallSpec {
    #[default]
    Adiabatic,
    FixedC(f64),
}

impl<'de> Deserialize<'de> for WallSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WallSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"adiabatic\" or a wall temperature in °C (a number)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<WallSpec, E> {
                if s == "adiabatic" {
                    Ok(WallSpec::Adiabatic)
                } else {
                    Err(E::custom(format!(
                        "unknown wall `{s}`: write \"adiabatic\" or a temperature in °C such as 24.0"
                    )))
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<WallSpec, E> {
                Ok(WallSpec::FixedC(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WallSpec, E> {
                Ok(WallSpec::FixedC(v as f64))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[materials]`: effective properties of the room. See the README for the defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialsSpec {
    /// Effective (turbulent-mixing) conductivity of hall air, W/(m·K).
    pub air_k_w_mk: Option<f64>,
    /// Effective conductivity inside a rack, W/(m·K).
    pub rack_k_w_mk: Option<f64>,
    /// Volumetric heat capacity of air, J/(m³·K).
    pub air_rho_cp_j_m3k: Option<f64>,
}

/// Which side of a rack is its front (air intake).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Facing {
    North,
    South,
    East,
    West,
}

/// `[[rack]]`: one rack.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RackSpec {
    pub id: String,
    pub x_m: f64,
    pub y_m: f64,
    /// Width across the front, m (19-inch racks: 0.6; OCP/NVL72: 0.6).
    #[serde(default = "rack_width")]
    pub width_m: f64,
    /// Depth front to back, m.
    #[serde(default = "rack_depth")]
    pub depth_m: f64,
    #[serde(default = "rack_height")]
    pub height_m: f64,
    /// Side of the intake (front).
    pub facing: Facing,
    /// IT power, kW.
    pub power_kw: f64,
    /// Share of the IT power taken by liquid cooling (0–1); the rest heats the room.
    #[serde(default)]
    pub liquid_fraction: f64,
    /// Electrical bus that feeds the rack.
    #[serde(default)]
    pub feed_bus: Option<String>,
    /// Second (B-side) feed bus: the load shares itself between `feed_bus` (A) and this
    /// one, and transfers all of it to the side that survives when one is lost
    /// (dual-corded power supplies; an STS for single-corded loads).
    #[serde(default)]
    pub feed_b_bus: Option<String>,
    /// Share of the load on the A side when both are live, 0–1 (default 0.5).
    #[serde(default)]
    pub feed_a_share: Option<f64>,
}

pub fn rack_width() -> f64 {
    0.6
}
pub fn rack_depth() -> f64 {
    1.2
}
pub fn rack_height() -> f64 {
    2.2
}

/// `[[rack_row]]`: `count` identical racks side by side, ids `<id>-01`, `<id>-02`, …
/// Rows of racks facing north or south run east (+x); facing east or west, north (+y).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RackRowSpec {
    pub id: String,
    pub x_m: f64,
    pub y_m: f64,
    pub count: usize,
    /// Centre-to-centre spacing along the row, m (default: the rack width).
    #[serde(default)]
    pub pitch_m: Option<f64>,
    #[serde(default = "rack_width")]
    pub width_m: f64,
    #[serde(default = "rack_depth")]
    pub depth_m: f64,
    #[serde(default = "rack_height")]
    pub height_m: f64,
    pub facing: Facing,
    pub power_kw: f64,
    #[serde(default)]
    pub liquid_fraction: f64,
    #[serde(default)]
    pub feed_bus: Option<String>,
    /// Second (B-side) feed bus: the load shares itself between `feed_bus` (A) and this
    /// one, and transfers all of it to the side that survives when one is lost
    /// (dual-corded power supplies; an STS for single-corded loads).
    #[serde(default)]
    pub feed_b_bus: Option<String>,
    /// Share of the load on the A side when both are live, 0–1 (default 0.5).
    #[serde(default)]
    pub feed_a_share: Option<f64>,
}

/// Kinds of cooling unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoolingKind {
    /// Computer-room air handler at the hall perimeter.
    Crah,
    /// In-row cooler between racks.
    InRow,
    /// Rear-door heat exchanger on a rack's exhaust side (`rack = "…"`).
    RearDoor,
    /// Coolant distribution unit: takes the racks' liquid-cooled share; no air side.
    Cdu,
}

impl CoolingKind {
    /// The name the facility file uses (`kind = "in_row"`), also in every output.
    pub fn name(self) -> &'static str {
        match self {
            CoolingKind::Crah => "crah",
            CoolingKind::InRow => "in_row",
            CoolingKind::RearDoor => "rear_door",
            CoolingKind::Cdu => "cdu",
        }
    }
}

/// `[[cooling]]`: a cooling unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoolingSpec {
    pub id: String,
    pub kind: CoolingKind,
    #[serde(default)]
    pub x_m: Option<f64>,
    #[serde(default)]
    pub y_m: Option<f64>,
    #[serde(default)]
    pub width_m: Option<f64>,
    #[serde(default)]
    pub depth_m: Option<f64>,
    /// Height of the unit (3-D), m; default 2.0.
    #[serde(default)]
    pub height_m: Option<f64>,
    /// Rated heat removal, kW.
    pub capacity_kw: f64,
    /// Supply (leaving-air) temperature, °C. Not used by CDUs.
    #[serde(default)]
    pub supply_c: Option<f64>,
    /// Design air temperature rise across the unit, K: return = supply + ΔT at capacity.
    #[serde(default)]
    pub delta_t_k: Option<f64>,
    /// Electric draw at rated capacity, kW (fans, pumps and the unit's share of the chiller
    /// plant). Default: capacity × 0.25 for air-side units (COP 4 including fans),
    /// capacity × 0.05 for CDUs (pumps and dry-cooler fans).
    #[serde(default)]
    pub electric_kw: Option<f64>,
    /// Side the unit blows its supply air from. Default: in-row units like their nearest
    /// rack, other units away from the nearest wall.
    #[serde(default)]
    pub facing: Option<Facing>,
    /// The rack a rear door is mounted on.
    #[serde(default)]
    pub rack: Option<String>,
    /// Where an air-side unit takes its return air from (airflow model): "behind" the
    /// unit (default) or the "ceiling" (a ceiling plenum with return grilles over the
    /// whole room; 3-D halls only).
    #[serde(default, rename = "return")]
    pub return_from: Option<ReturnFrom>,
    #[serde(default)]
    pub feed_bus: Option<String>,
    /// Second (B-side) feed bus: the load shares itself between `feed_bus` (A) and this
    /// one, and transfers all of it to the side that survives when one is lost
    /// (dual-corded power supplies; an STS for single-corded loads).
    #[serde(default)]
    pub feed_b_bus: Option<String>,
    /// Share of the load on the A side when both are live, 0–1 (default 0.5).
    #[serde(default)]
    pub feed_a_share: Option<f64>,
    /// The chiller whose water the unit's coil takes (`[[chiller]]`); losing it stops
    /// the unit's cooling, not its fans.
    #[serde(default)]
    pub chiller: Option<String>,
    /// CDUs: water in the secondary (TCS) loop the CDU serves, L — the loop's heat
    /// capacity when its cooling is lost. Default [`crate::facility::LOOP_L_PER_KW`] L
    /// per kW of capacity.
    #[serde(default)]
    pub loop_volume_l: Option<f64>,
    /// CDUs: how far the loop may warm above its design supply before the racks on it
    /// throttle, K. Default [`crate::facility::LOOP_LIMIT_K`].
    #[serde(default)]
    pub loop_limit_k: Option<f64>,
}

/// Where a cooling unit's return air comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReturnFrom {
    Behind,
    Ceiling,
}

/// `[[supply]]`: a region where cold air enters (perforated tiles, diffusers).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplySpec {
    pub id: String,
    pub x_m: f64,
    pub y_m: f64,
    pub width_m: f64,
    pub depth_m: f64,
    /// Height of the region above the floor in 3-D, m; default one cell.
    #[serde(default)]
    pub height_m: Option<f64>,
    pub supply_c: f64,
    /// Air delivered, m³/s: h = ρc_p · airflow / region volume.
    #[serde(default)]
    pub airflow_m3_s: Option<f64>,
    /// Or the volumetric coefficient directly, W/(m³·K).
    #[serde(default)]
    pub h_w_m3k: Option<f64>,
}

/// Kinds of obstacle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObstacleKind {
    Column,
    Wall,
    Other,
}

/// `[[obstacle]]`: solid building elements.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObstacleSpec {
    pub id: String,
    pub kind: ObstacleKind,
    pub x_m: f64,
    pub y_m: f64,
    pub width_m: f64,
    pub depth_m: f64,
    /// Height (3-D), m; default the full floor height (less `z_m`).
    #[serde(default)]
    pub height_m: Option<f64>,
    /// Height of its underside above the floor (3-D), m; default 0. A containment roof
    /// over an aisle is an obstacle at the racks' height.
    #[serde(default)]
    pub z_m: Option<f64>,
    /// Conductivity, W/(m·K); default concrete, 1.4.
    #[serde(default)]
    pub k_w_mk: Option<f64>,
}
