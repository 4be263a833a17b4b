//! Guard rails for the physically implausible: inputs and answers that parse and solve
//! but that no real hall has. Each is a warning — in the text summary, as `warnings` in
//! `--json`, and as the `warnings` attribute of the results file's root — and `--strict`
//! turns warnings into exit 2.
//!
//! Thresholds (documented in the README):
//! - supply air below [`SUPPLY_MIN_C`] or above [`SUPPLY_MAX_C`] (°C), for cooling units
//!   and supply tiles (ASHRAE's allowable classes end at 45 °C; air below freezing
//!   would frost every coil);
//! - a rack above [`RACK_MAX_KW`] (kW); today's densest racks draw ~130–250 kW;
//! - a cooling unit removing more than [`UNIT_OVERLOAD_PCT`] % of its capacity;
//! - any temperature in the answer above [`T_MAX_C`] or below [`T_MIN_C`] (°C).

use crate::facility::Facility;
use crate::study::Study;

/// °C: supply air colder than this is implausible.
pub const SUPPLY_MIN_C: f64 = 0.0;
/// °C: supply air warmer than this is implausible.
pub const SUPPLY_MAX_C: f64 = 45.0;
/// kW: one rack drawing more than this is implausible.
pub const RACK_MAX_KW: f64 = 2000.0;
/// %: a unit removing more than this share of its rated capacity.
pub const UNIT_OVERLOAD_PCT: f64 = 150.0;
/// °C: a temperature above this anywhere in the answer.
pub const T_MAX_C: f64 = 100.0;
/// °C: a temperature below this anywhere in the answer.
pub const T_MIN_C: f64 = -20.0;

/// Warnings about a facility's inputs.
pub fn input_warnings(f: &Facility) -> Vec<String> {
    let mut w = Vec::new();
    let supply = |what: String, t: f64, w: &mut Vec<String>| {
        if !(SUPPLY_MIN_C..=SUPPLY_MAX_C).contains(&t) {
            w.push(format!("{what} supplies air at {t} °C, outside the plausible {SUPPLY_MIN_C}–{SUPPLY_MAX_C} °C"));
        }
    };
    for u in f.cooling.iter().filter(|u| u.is_air_side()) {
        supply(format!("cooling unit \"{}\"", u.id), u.supply_c, &mut w);
    }
    for (i, s) in f.supply.iter().enumerate() {
        supply(format!("supply region {}", i + 1), s.supply_c, &mut w);
    }
    for r in &f.racks {
        if r.power_kw > RACK_MAX_KW {
            w.push(format!(
                "rack \"{}\" draws {:.0} kW, more than the plausible {RACK_MAX_KW:.0} kW per rack",
                r.id, r.power_kw
            ));
        }
    }
    w
}

/// Warnings about an answer (and, for a facility, its inputs).
pub fn warnings(f: Option<&Facility>, s: &Study) -> Vec<String> {
    let mut w = f.map(input_warnings).unwrap_or_default();
    for c in &s.cooling {
        if c.load_pct > UNIT_OVERLOAD_PCT {
            w.push(format!(
                "cooling unit \"{}\" removes {:.0} kW, {:.0} % of its {:.0} kW capacity (above {UNIT_OVERLOAD_PCT:.0} %)",
                c.id, c.removed_kw, c.load_pct, c.capacity_kw
            ));
        }
    }
    if f.is_none() {
        // Fields files are numerical problems, not halls: no temperature bounds.
        return w;
    }
    let (lo, hi) = s.t.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &t| (lo.min(t), hi.max(t)));
    if hi > T_MAX_C {
        w.push(format!("the hottest cell is at {hi:.1} °C, above {T_MAX_C} °C: check rack powers and cooling"));
    }
    if lo < T_MIN_C {
        w.push(format!("the coldest cell is at {lo:.1} °C, below {T_MIN_C} °C: check supply temperatures"));
    }
    w
}
