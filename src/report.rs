//! Summaries of a study for people (text) and programs (JSON).

use crate::metrics::ASHRAE_RECOMMENDED_C;
use crate::study::Study;
use serde_json::json;
use std::fmt::Write;

pub use crate::study::{air_model, max_temperature_c, rci};

/// The `--json` summary.
pub fn json_summary(s: &Study, output: Option<&str>) -> serde_json::Value {
    let g = &s.problem.grid;
    let r = &s.report;
    json!({
        "name": s.name,
        "input": s.input_path,
        "input_sha256": s.input_sha256,
        "output": output,
        "grid": { "nx": g.nx, "ny": g.ny, "nz": g.nz, "dx_m": g.dx, "cells": g.cells() },
        "backend": r.backend,
        "method": r.method,
        "air_model": air_model(s),
        "iterations": r.iterations,
        "relative_residual": r.relative_residual,
        "tol": r.tol,
        "levels": r.levels,
        "setup_s": r.setup_s,
        "solve_s": r.solve_s,
        "wall_time_s": s.wall_s,
        "max_temperature_c": max_temperature_c(s),
        "heat_injected_w": s.energy.injected_w,
        "heat_removed_w": s.energy.removed_by_cooling_w + s.energy.removed_by_walls_w,
        "liquid_heat_w": s.liquid_heat_w,
        "energy_balance_rel_error": s.energy.rel_error,
        "airflow_mass_residual": s.airflow_mass_residual,
        "expected_max_abs_error_k": s.expected_error_k.map(|e| e.0),
        "coupling": s.coupling,
        "pue": s.coupling.as_ref().and_then(|c| c.pue),
        "rci_hi_pct": rci(s).0,
        "rci_lo_pct": rci(s).1,
        "racks": s.racks.iter().map(|r| json!({
            "id": r.id, "power_kw": r.power_kw, "mean_c": r.mean_c, "max_c": r.max_c, "intake_c": r.intake_c, "intake_top_c": r.intake_top_c,
            "intake_in_ashrae_recommended": r.intake_in_band(),
            "ashrae_class": crate::metrics::ashrae_class(r.intake_c),
        })).collect::<Vec<_>>(),
        "cooling": s.cooling.iter().map(|c| json!({
            "id": c.id, "kind": c.kind, "capacity_kw": c.capacity_kw, "removed_kw": c.removed_kw, "load_pct": c.load_pct,
        })).collect::<Vec<_>>(),
        "warnings": s.warnings,
    })
}

fn kw(w: f64) -> String {
    if w.abs() >= 1e6 {
        format!("{:.2} MW", w / 1e6)
    } else {
        format!("{:.1} kW", w / 1e3)
    }
}

/// The terminal summary.
pub fn text_summary(s: &Study, output: Option<&str>) -> String {
    let g = &s.problem.grid;
    let r = &s.report;
    let mut o = String::new();
    let dim = if g.is_3d() { format!("{} × {} × {}", g.nx, g.ny, g.nz) } else { format!("{} × {}", g.nx, g.ny) };
    let _ = writeln!(o, "thermogrid · {} ({})", s.name, s.input_path);
    let transient = r.method.starts_with("transient");
    if transient {
        let _ = writeln!(
            o,
            "grid {dim} at {} m ({} cells) · {} {} · {} steps · {:.2} s",
            g.dx,
            g.cells(),
            r.backend,
            r.method,
            r.iterations,
            s.wall_s
        );
    } else {
        let _ = writeln!(
            o,
            "grid {dim} at {} m ({} cells) · {} {} · {} iterations · relative residual {:.1e} · {:.2} s",
            g.dx,
            g.cells(),
            r.backend,
            r.method,
            r.iterations,
            r.relative_residual,
            s.wall_s
        );
    }
    let e = &s.energy;
    if transient {
        let _ = writeln!(
            o,
            "heat at the final step: injected {} · removed {} (the difference is being stored in the room)",
            kw(e.injected_w),
            kw(e.removed_by_cooling_w + e.removed_by_walls_w)
        );
    } else {
        let _ = writeln!(
            o,
            "heat: injected {} · removed {} (cooling {}, walls {}) · energy balance error {:.1e}",
            kw(e.injected_w),
            kw(e.removed_by_cooling_w + e.removed_by_walls_w),
            kw(e.removed_by_cooling_w),
            kw(e.removed_by_walls_w),
            e.rel_error
        );
    }
    if s.liquid_heat_w > 0.0 {
        let _ = writeln!(o, "liquid loop: {} to CDUs of {} capacity", kw(s.liquid_heat_w), kw(s.cdu_capacity_w));
    }
    let _ = writeln!(o, "max temperature {:.2} °C", max_temperature_c(s));
    if let Some((err, atol)) = s.expected_error_k {
        let verdict = match atol {
            Some(a) if err <= a => format!(" (≤ atol {a:.0e} K: pass)"),
            Some(a) => format!(" (> atol {a:.0e} K: FAIL)"),
            None => String::new(),
        };
        let _ = writeln!(o, "max |T − T_expected| = {err:.2e} K{verdict}");
    }
    if !s.racks.is_empty() {
        let mut idx: Vec<usize> = (0..s.racks.len()).collect();
        idx.sort_by(|&a, &b| s.racks[b].max_c.total_cmp(&s.racks[a].max_c));
        let _ = writeln!(o, "hottest racks           max °C  mean °C  intake °C");
        for &i in idx.iter().take(5) {
            let k = &s.racks[i];
            let _ = writeln!(o, "  {:<20} {:>7.2} {:>8.2} {:>10.2}", k.id, k.max_c, k.mean_c, k.intake_c);
        }
        let (lo, hi) = ASHRAE_RECOMMENDED_C;
        let above: Vec<_> = s.racks.iter().filter(|r| r.intake_c > hi).collect();
        let below = s.racks.iter().filter(|r| r.intake_c < lo).count();
        let _ = writeln!(
            o,
            "intake vs ASHRAE recommended {lo}–{hi} °C: {} of {} racks in band, {} above, {} below",
            s.racks.len() - above.len() - below,
            s.racks.len(),
            above.len(),
            below
        );
        if let Some(worst) = above.iter().max_by(|a, b| a.intake_c.total_cmp(&b.intake_c)) {
            let _ = writeln!(o, "  warmest intake: {} at {:.2} °C", worst.id, worst.intake_c);
        }
        let mut classes = std::collections::BTreeMap::new();
        for r in &s.racks {
            *classes.entry(crate::metrics::ashrae_class(r.intake_c)).or_insert(0) += 1;
        }
        let (hi, lo) = rci(s);
        let _ = writeln!(
            o,
            "ASHRAE allowable class of intakes: {} · RCI_HI {:.1} % · RCI_LO {:.1} %",
            classes.iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(", "),
            hi.unwrap_or(f64::NAN),
            lo.unwrap_or(f64::NAN)
        );
    }
    if !s.cooling.is_empty() {
        let over: Vec<_> = s.cooling.iter().filter(|c| c.load_pct > 100.0).collect();
        let total_cap: f64 = s.cooling.iter().map(|c| c.capacity_kw).sum();
        let total_rem: f64 = s.cooling.iter().map(|c| c.removed_kw).sum();
        let _ = writeln!(
            o,
            "cooling units: {} removing {} of {} rated; {} above capacity",
            s.cooling.len(),
            kw(total_rem * 1e3),
            kw(total_cap * 1e3),
            over.len()
        );
        for c in over.iter().take(5) {
            let _ = writeln!(o, "  {} at {:.0} % ({:.1} of {:.1} kW)", c.id, c.load_pct, c.removed_kw, c.capacity_kw);
        }
    }
    if let Some(c) = &s.coupling {
        let _ = writeln!(
            o,
            "facility: IT {:.2} MW + cooling {:.2} MW + other {:.2} MW = input {:.2} MW · PUE {} · balance error {:.1e}",
            c.it_mw, c.cooling_mw, c.other_mw, c.facility_input_mw, c.pue.map(|p| format!("{p:.3}")).unwrap_or("n/a (no IT load)".into()), c.energy_balance_rel_error
        );
        let _ =
            writeln!(o, "network: highest branch loading {:.1} %, {} overloaded", c.max_loading_pct, c.overloads.len());
        for (name, l) in c.overloads.iter().take(5) {
            let _ = writeln!(o, "  {name}: {l:.1} %");
        }
    }
    for w in &s.warnings {
        let _ = writeln!(o, "warning: {w}");
    }
    if let Some(out) = output {
        let _ = writeln!(o, "results: {out}");
    }
    o
}
