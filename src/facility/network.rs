//! `[network]`: the facility's electrical network as written, and its validation.
//! The power-flow model that consumes it lives in `power/` (later issue); here the
//! network is parsed and checked so that mistakes surface at once.

use serde::Deserialize;
use toml::Spanned;

/// `[network]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// System base, MVA (per-unit reactances refer to it).
    #[serde(default = "base_mva")]
    pub base_mva: f64,
    #[serde(default)]
    pub bus: Vec<Spanned<BusSpec>>,
    #[serde(default)]
    pub branch: Vec<Spanned<BranchSpec>>,
    #[serde(default)]
    pub generator: Vec<Spanned<GeneratorSpec>>,
    #[serde(default)]
    pub battery: Vec<Spanned<BatterySpec>>,
    #[serde(default)]
    pub load: Vec<Spanned<LoadSpec>>,
}

fn base_mva() -> f64 {
    100.0
}
fn yes() -> bool {
    true
}

/// What a bus is in the facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusKind {
    Utility,
    Switchgear,
    Transformer,
    Ups,
    Pdu,
    Busway,
    Generator,
    Battery,
    Other,
}

/// `[[network.bus]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusSpec {
    pub id: String,
    pub kind: BusKind,
    /// Nominal voltage, kV.
    pub kv: f64,
    /// Angle reference (slack) of its island. Utility buses are references by default.
    #[serde(default)]
    pub reference: Option<bool>,
}

impl BusSpec {
    pub fn is_reference(&self) -> bool {
        self.reference.unwrap_or(self.kind == BusKind::Utility)
    }
}

/// `[[network.branch]]`: a line, cable, busway or transformer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchSpec {
    pub id: String,
    pub from: String,
    pub to: String,
    /// Series reactance in per unit on `base_mva`.
    #[serde(default)]
    pub x_pu: Option<f64>,
    /// Or in ohms, referred to `kv` (default: the `from` bus's kV).
    #[serde(default)]
    pub x_ohm: Option<f64>,
    #[serde(default)]
    pub kv: Option<f64>,
    /// Thermal rating, MW.
    #[serde(default)]
    pub rating_mw: Option<f64>,
    /// Off-nominal tap ratio (transformers), default 1.
    #[serde(default)]
    pub tap: Option<f64>,
    /// Phase shift, degrees, default 0.
    #[serde(default)]
    pub shift_deg: Option<f64>,
    #[serde(default = "yes")]
    pub in_service: bool,
}

/// `[[network.generator]]`: gas turbine, diesel set, or the utility infeed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorSpec {
    pub id: String,
    pub bus: String,
    /// Scheduled output, MW (the reference bus's generator picks up the balance).
    #[serde(default)]
    pub p_mw: f64,
    #[serde(default)]
    pub p_max_mw: Option<f64>,
    #[serde(default = "yes")]
    pub in_service: bool,
}

/// `[[network.battery]]`: battery energy storage.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatterySpec {
    pub id: String,
    pub bus: String,
    /// Power rating, MW.
    pub power_mw: f64,
    /// Energy capacity, MWh.
    pub energy_mwh: f64,
    /// Initial state of charge, 0–1.
    #[serde(default)]
    pub soc: Option<f64>,
    /// Round-trip efficiency, 0–1.
    #[serde(default)]
    pub efficiency: Option<f64>,
}

/// `[[network.load]]`: a fixed load besides racks and cooling (lighting, offices).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadSpec {
    pub id: String,
    pub bus: String,
    pub p_mw: f64,
}

// Ranges of a network's numbers (MATPOWER cases and facility `[network]`s alike).

/// Largest bus number accepted (MATPOWER numbers buses with 32-bit integers).
pub const MAX_BUS_NUMBER: f64 = i32::MAX as f64;
/// Largest |power| of one bus load, shunt or generator, MW (10 TW: beyond any grid).
pub const MAX_MW: f64 = 1e7;
/// baseMVA range.
pub const BASE_MVA_RANGE: (f64, f64) = (1e-3, 1e6);
/// Largest |VA| of a bus, degrees (ten turns; beyond it angle differences lose digits).
pub const MAX_VA_DEG: f64 = 3600.0;
/// Largest |SHIFT| of a phase shifter, degrees.
pub const MAX_SHIFT_DEG: f64 = 360.0;
/// |BR_X| of an in-service branch, per unit.
pub const X_RANGE: (f64, f64) = (1e-8, 1e6);
/// RATE_A when given (0 or Inf: no rating), MVA.
pub const RATE_RANGE: (f64, f64) = (1e-6, 1e12);
/// TAP (when not 0, which means 1).
pub const TAP_RANGE: (f64, f64) = (1e-3, 1e3);
