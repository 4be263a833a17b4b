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
    /// UPS modules: a branch of the network (input bus → output bus) with stored energy.
    #[serde(default)]
    pub ups: Vec<Spanned<UpsSpec>>,
    /// Transfer switches (ATS, STS): a load bus fed by a normal branch, switched to an
    /// alternate (normally open) branch when the normal side loses its supply.
    #[serde(default)]
    pub transfer: Vec<Spanned<TransferSpec>>,
    /// Power factor of the racks' IT load (lagging), for the AC power flow. Default
    /// [`IT_POWER_FACTOR`].
    #[serde(default)]
    pub it_power_factor: Option<f64>,
    /// Power factor of the cooling units' electric draw (lagging). Default
    /// [`COOLING_POWER_FACTOR`].
    #[serde(default)]
    pub cooling_power_factor: Option<f64>,
}

/// Default IT power factor: server and GPU power supplies correct their power factor
/// actively; 80 PLUS Platinum/Titanium and the EU Lot 9 rules ask ≥ 0.95 from half
/// load, and they run at 0.98–0.99 near full load.
pub const IT_POWER_FACTOR: f64 = 0.98;
/// Default cooling power factor: fans, pumps and compressors on variable-speed drives
/// (displacement 0.95 and up) mixed with direct-on-line induction motors (0.80–0.88).
pub const COOLING_POWER_FACTOR: f64 = 0.90;
/// Default power factor of other loads (lighting, offices).
pub const LOAD_POWER_FACTOR: f64 = 0.95;
/// Voltage set-point range of a reference or generator bus, pu.
pub const V_SETPOINT_RANGE: (f64, f64) = (0.8, 1.2);

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
    /// Voltage set-point, pu, held at a reference bus or a bus with a generator or
    /// battery in the AC power flow. Default 1.0.
    #[serde(default)]
    pub v_pu: Option<f64>,
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
    /// Series resistance in per unit on `base_mva` (default 0; the DC model ignores it).
    #[serde(default)]
    pub r_pu: Option<f64>,
    /// Or in ohms, referred to `kv` (default: the `from` bus's kV).
    #[serde(default)]
    pub r_ohm: Option<f64>,
    /// Thermal rating, MW. Or, one of:
    #[serde(default)]
    pub rating_mw: Option<f64>,
    /// Apparent power rating, kVA or MVA (transformers, UPS, busways). Like MATPOWER's
    /// RATE_A, the AC model compares MVA with it and the DC model MW.
    #[serde(default)]
    pub rating_kva: Option<f64>,
    #[serde(default)]
    pub rating_mva: Option<f64>,
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
    /// A standby set: off in normal operation, started when its bus loses supply.
    #[serde(default)]
    pub standby: bool,
    /// Time from the loss of supply to the set carrying load, s (default 10: NFPA 110
    /// Type 10 diesel sets; gas turbines 30–120).
    #[serde(default)]
    pub start_delay_s: Option<f64>,
    /// How fast a standby set takes load once on line, MW/s: it carries its whole
    /// rating (`p_max_mw`) from `start_delay_s + p_max_mw / ramp_mw_per_s` (a gas
    /// turbine loads at 0.1–0.5 MW/s; a diesel set of NFPA 110 Type 10 takes its rated
    /// load at once, the default).
    #[serde(default)]
    pub ramp_mw_per_s: Option<f64>,
}

/// `[[network.ups]]`: a UPS module, the branch `branch` of the network (its input bus to
/// its output bus; its `rating_kva` is the UPS rating), carrying its output bus from its
/// batteries when its input is lost.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpsSpec {
    pub id: String,
    /// The branch that is the UPS (input → output).
    pub branch: String,
    /// Ride-through at its rated load, s (battery autonomy; default 300). Or:
    #[serde(default)]
    pub ride_through_s: Option<f64>,
    /// Usable battery energy, kWh (ride-through = energy / load at the outage).
    #[serde(default)]
    pub energy_kwh: Option<f64>,
    /// Efficiency from input to output, 0.5–1 (default [`UPS_EFFICIENCY`]): its input
    /// draws the load on its output side / efficiency.
    #[serde(default)]
    pub efficiency: Option<f64>,
}

/// Default UPS efficiency: double-conversion UPS at 40–100 % load (EN 62040-3 figures of
/// 2–3 MW class units: 0.95–0.97; eco-mode 0.99).
pub const UPS_EFFICIENCY: f64 = 0.96;

/// `[[network.transfer]]`: an automatic (ATS) or static (STS) transfer switch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferSpec {
    pub id: String,
    /// The branch that normally feeds the load bus (closed).
    pub normal: String,
    /// The branch that feeds it after a transfer (normally open: `in_service = false`).
    pub alternate: String,
    /// Time from the loss of the normal side to the alternate carrying load, s (default:
    /// ATS 5, STS 0.004).
    #[serde(default)]
    pub transfer_s: Option<f64>,
    /// "ats" (default) or "sts".
    #[serde(default)]
    pub kind: Option<String>,
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
    /// Power factor (lagging). Default [`LOAD_POWER_FACTOR`].
    #[serde(default)]
    pub power_factor: Option<f64>,
}

impl BranchSpec {
    /// The apparent power rating, MVA, if one is given.
    pub fn rating_mva(&self) -> Option<f64> {
        self.rating_mva.or(self.rating_kva.map(|k| k / 1e3))
    }
}

/// Reactive power of a lagging load of active power `p` at power factor `pf`.
pub fn reactive(p: f64, pf: f64) -> f64 {
    p * (1.0 - pf * pf).max(0.0).sqrt() / pf
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
