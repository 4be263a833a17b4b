//! The room air after an outage: the design's steady state, then the facility's own
//! scenario machinery ([`crate::scenario`]) with the outage's consequences as events —
//! a cooling unit stopping (`cooling_failure`, fans off; fans on where only its chiller
//! is lost) and running again (`cooling_restore`), racks without power drawing nothing
//! (`it_load` × 0) until it returns (`it_restore`).

use super::{OutageResult, ThermalOutcome};
use crate::error::Error;
use crate::facility::spec::{EventKind, EventSpec, TransientSpec};
use crate::facility::Facility;
use crate::run::Backend;
use crate::thermal::SolveOptions;

/// Default time step and length of an outage transient, s.
pub const DT_S: f64 = 5.0;
pub const DURATION_S: f64 = 600.0;
/// The intake limits reported: ASHRAE's recommended maximum and A1 allowable maximum.
pub const LIMITS_C: [f64; 2] = [27.0, 32.0];

/// The events of an outage within `duration_s`, in time order (at one time, what runs
/// again before what stops).
pub fn events(o: &OutageResult, duration_s: f64) -> Vec<EventSpec> {
    let ev = |at_s: f64, kind: EventKind| EventSpec {
        at_s,
        kind,
        units: vec![],
        racks: vec![],
        factor: None,
        supply_c: None,
        fans: None,
    };
    let mut out = Vec::new();
    for d in &o.cooling_units_down {
        if d.from_s < duration_s {
            let mut e = ev(d.from_s, EventKind::CoolingFailure);
            e.units = vec![d.id.clone()];
            e.fans = Some(if d.fans_on { "on" } else { "off" }.into());
            out.push(e);
            if let Some(t) = d.until_s.filter(|&t| t < duration_s) {
                let mut e = ev(t, EventKind::CoolingRestore);
                e.units = vec![d.id.clone()];
                out.push(e);
            }
        }
    }
    for (rack, from, until) in &o.rack_dark {
        if *from < duration_s {
            let mut e = ev(*from, EventKind::ItLoad);
            e.racks = vec![rack.clone()];
            e.factor = Some(0.0);
            out.push(e);
            if let Some(t) = until.filter(|&t| t < duration_s) {
                let mut e = ev(t, EventKind::ItRestore);
                e.racks = vec![rack.clone()];
                out.push(e);
            }
        }
    }
    let order = |k: EventKind| matches!(k, EventKind::CoolingRestore | EventKind::ItRestore) as u8 ^ 1;
    out.sort_by(|a, b| a.at_s.total_cmp(&b.at_s).then(order(a.kind).cmp(&order(b.kind))));
    out
}

/// The room's transient after outage `o`: `duration_s` of `dt_s` steps from the steady
/// state, on the facility's air model (the momentum model by default), on `backend`'s
/// hardware (the steady start on the CPU). The facility's own `[transient]` heat
/// capacities apply where it has one.
pub fn transient(
    f: &Facility,
    o: &OutageResult,
    (dt_s, duration_s): (f64, f64),
    backend: Backend,
) -> Result<(ThermalOutcome, crate::scenario::ScenarioResult), Error> {
    transient_from(f, &Start::of(f)?, o, (dt_s, duration_s), backend)
}

/// The steady state a hall's outage transients start from, solved once per design.
pub struct Start(Option<crate::scenario::SteadyStart>);

impl Start {
    pub fn of(f: &Facility) -> Result<Self, Error> {
        crate::scenario::steady_start(f).map(Start)
    }
}

/// [`transient`] from a steady start of `f` already solved.
pub fn transient_from(
    f: &Facility,
    start: &Start,
    o: &OutageResult,
    (dt_s, duration_s): (f64, f64),
    backend: Backend,
) -> Result<(ThermalOutcome, crate::scenario::ScenarioResult), Error> {
    let t0 = std::time::Instant::now();
    let mut g = f.clone();
    let mut spec = f.transient.clone().unwrap_or(TransientSpec {
        dt_s,
        duration_s,
        snapshot_every_s: None,
        scheme: None,
        thresholds_c: None,
        rack_heat_capacity_kj_k: None,
        unit_heat_capacity_kj_k_per_kw: None,
        building_heat_capacity_kj_m2k: None,
        building_h_w_m2k: None,
    });
    spec.dt_s = dt_s;
    spec.duration_s = duration_s;
    spec.snapshot_every_s = Some(duration_s);
    spec.thresholds_c = Some(LIMITS_C.to_vec());
    g.transient = Some(spec);
    g.events = events(o, duration_s);
    let sc = crate::scenario::run_scenario_from(&g, backend, &SolveOptions::default(), None, start.0.as_ref())?;
    let nr = sc.rack_ids.len();
    let warmest: Vec<f64> = (0..nr)
        .map(|r| (0..sc.time_s.len()).map(|k| sc.intake_c[k * nr + r]).fold(f64::NEG_INFINITY, f64::max))
        .collect();
    let first = |k: usize| sc.time_to_threshold_s[k].iter().flatten().copied().reduce(f64::min);
    let outcome = ThermalOutcome {
        duration_s,
        racks_over_27c: sc.time_to_threshold_s[0].iter().filter(|t| t.is_some()).count(),
        racks_over_32c: sc.time_to_threshold_s[1].iter().filter(|t| t.is_some()).count(),
        first_time_to_27c_s: first(0),
        first_time_to_32c_s: first(1),
        max_intake_c: warmest.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        racks: (0..nr)
            .map(|r| (sc.rack_ids[r].clone(), sc.time_to_threshold_s[0][r], sc.time_to_threshold_s[1][r], warmest[r]))
            .collect(),
        wall_s: t0.elapsed().as_secs_f64(),
        time_s: sc.time_s.clone(),
        intake_c: sc.intake_c.clone(),
    };
    Ok((outcome, sc))
}
