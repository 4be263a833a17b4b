//! Power of an AI training job over time, and a battery that smooths it at the utility
//! connection.
//!
//! The workload model, per time step (levels are fractions of full IT power
//! `gpus × w_per_gpu`, which includes each GPU's share of servers and network):
//! - before `start_s` and after the job, `idle_frac`; linear ramps of `ramp_up_s` and
//!   `ramp_down_s` into and out of the job;
//! - during the job, each `sync_period_s` is compute (`compute_frac`) followed by
//!   `sync_s` of weight synchronization (`sync_frac`: GPUs wait on the network);
//! - every `checkpoint_every_s` the job pauses `checkpoint_s` at `checkpoint_frac`;
//! - `keep_busy` fills synchronization dips with dummy work at `keep_busy_frac`,
//!   trading energy for a steadier load;
//! - multiplicative jitter `1 + jitter_frac · u`, `u` uniform in [−1, 1], seeded.
//!
//! The battery (power and energy limits, round-trip efficiency split evenly between
//! charge and discharge, state-of-charge bounds) is driven by a ramp limiter
//! ([`simulate_battery`]): the grid draw moves at most `max_ramp_mw_per_s · dt` per step
//! whenever the battery's power and energy allow it; within that window it heads for
//! the load smoothed over `smoothing_s`, plus a state-of-charge recovery toward
//! `soc_target` capped to the power the largest swing seen leaves free. Where the
//! battery cannot hold the limit the run says so ([`RampCheck`]), and [`size_battery`]
//! names the battery power and energy that would have held it.
//!
//! Every value is checked where a profile is parsed ([`Workload::issue`],
//! [`Battery::issue`], [`Controller::issue`]: finite numbers (`stop_s`,
//! `checkpoint_every_s` and `recovery_s` may also be `inf`: never), fractions in [0, 1],
//! 0 ≤ soc_min < soc_max ≤ 1, soc_initial between them, efficiency in (0, 1], ramps ≥ 0);
//! the simulation itself never panics on what slips past (no `f64::clamp` on bounds
//! that could cross).

use super::validate::num;
use serde::Deserialize;

/// A value of a profile that is out of range: its key (`soc_min`), what is wrong and
/// how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub key: &'static str,
    pub message: String,
    pub fix: String,
}

fn issue(key: &'static str, message: String, fix: impl Into<String>) -> Option<Issue> {
    Some(Issue { key, message, fix: fix.into() })
}

/// `v` finite and within `lo..=hi`.
fn within(key: &'static str, v: f64, lo: f64, hi: f64) -> Option<Issue> {
    let (sv, slo, shi) = (num(v), num(lo), num(hi));
    if v.is_finite() && v >= lo && v <= hi {
        None
    } else if !v.is_finite() {
        issue(
            key,
            format!("{key} = {sv} is not a finite number"),
            format!("give {key} a finite value from {slo} to {shi}"),
        )
    } else {
        issue(key, format!("{key} = {sv} is outside {slo} … {shi}"), format!("give {key} a value from {slo} to {shi}"))
    }
}

/// `v` finite and > 0, at most `hi`.
fn positive(key: &'static str, v: f64, hi: f64) -> Option<Issue> {
    if v.is_finite() && v > 0.0 && v <= hi {
        None
    } else {
        issue(
            key,
            format!("{key} = {} must be finite, > 0 and at most {}", num(v), num(hi)),
            format!("give {key} a positive value"),
        )
    }
}

/// `v` and `lo..=hi` with `f64::clamp`'s meaning, but never a panic (bounds that cross
/// or are NaN give a value between them instead).
#[inline]
fn clamp(v: f64, lo: f64, hi: f64) -> f64 {
    v.max(lo).min(hi)
}

/// The training job (see the module comment).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Workload {
    /// GPUs; 0 = as many as the facility's IT power holds at `w_per_gpu`.
    pub gpus: usize,
    /// IT power per GPU at full compute, W (DGX H100: 10.2 kW / 8 GPUs = 1275 W).
    pub w_per_gpu: f64,
    pub idle_frac: f64,
    pub compute_frac: f64,
    pub sync_period_s: f64,
    pub sync_s: f64,
    pub sync_frac: f64,
    pub checkpoint_every_s: f64,
    pub checkpoint_s: f64,
    pub checkpoint_frac: f64,
    pub start_s: f64,
    pub ramp_up_s: f64,
    /// End of the job, s (∞: runs to the end).
    pub stop_s: f64,
    pub ramp_down_s: f64,
    pub jitter_frac: f64,
    pub seed: u64,
    pub keep_busy: bool,
    pub keep_busy_frac: f64,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            gpus: 0,
            w_per_gpu: 1275.0,
            idle_frac: 0.2,
            compute_frac: 0.95,
            sync_period_s: 20.0,
            sync_s: 4.0,
            sync_frac: 0.35,
            checkpoint_every_s: 1800.0,
            checkpoint_s: 120.0,
            checkpoint_frac: 0.25,
            start_s: 60.0,
            ramp_up_s: 30.0,
            stop_s: f64::INFINITY,
            ramp_down_s: 30.0,
            jitter_frac: 0.01,
            seed: 1,
            keep_busy: false,
            keep_busy_frac: 0.85,
        }
    }
}

/// Battery energy storage (MW, MWh, fractions).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Battery {
    pub power_mw: f64,
    pub energy_mwh: f64,
    /// Round-trip efficiency (charge × discharge).
    pub round_trip_efficiency: f64,
    pub soc_min: f64,
    pub soc_max: f64,
    pub soc_initial: f64,
    /// Where the battery connects (a profile's `[battery]`): a bus number (MATPOWER
    /// `BUS_I`, or 1, 2, … in file order for a facility's buses) or a facility bus id.
    /// Default: the facility's first `[[network.battery]]` bus, else the reference bus.
    pub bus: Option<BusRef>,
}

/// A bus named in a profile.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum BusRef {
    Number(i64),
    Name(String),
}

impl std::fmt::Display for BusRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BusRef::Number(n) => write!(f, "{n}"),
            BusRef::Name(s) => write!(f, "\"{s}\""),
        }
    }
}

impl Default for Battery {
    fn default() -> Self {
        Battery {
            power_mw: 0.0,
            energy_mwh: 0.0,
            round_trip_efficiency: 0.9,
            soc_min: 0.1,
            soc_max: 0.9,
            soc_initial: 0.5,
            bus: None,
        }
    }
}

/// The ramp-limiting controller at the utility connection.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Controller {
    /// Largest change of the grid draw, MW/s.
    pub max_ramp_mw_per_s: f64,
    pub soc_target: f64,
    /// State-of-charge recovery time constant, s.
    pub recovery_s: f64,
    /// The grid's reference is the load smoothed over this time constant, s: the
    /// battery covers faster swings (0: the grid follows the load as fast as the ramp
    /// limit allows).
    pub smoothing_s: f64,
}

impl Default for Controller {
    fn default() -> Self {
        Controller { max_ramp_mw_per_s: 0.5, soc_target: 0.5, recovery_s: 900.0, smoothing_s: 10.0 }
    }
}

/// Largest GPU count of a job.
pub const MAX_GPUS: usize = 100_000_000;

impl Workload {
    /// The first out-of-range value, if any.
    pub fn issue(&self) -> Option<Issue> {
        if self.gpus > MAX_GPUS {
            return issue("gpus", format!("gpus = {} is more than {MAX_GPUS}", self.gpus), "give the GPUs of one job");
        }
        positive("w_per_gpu", self.w_per_gpu, 1e5)
            .or_else(|| within("idle_frac", self.idle_frac, 0.0, 1.0))
            .or_else(|| within("compute_frac", self.compute_frac, 0.0, 1.0))
            .or_else(|| positive("sync_period_s", self.sync_period_s, 1e9))
            .or_else(|| within("sync_s", self.sync_s, 0.0, self.sync_period_s))
            .or_else(|| within("sync_frac", self.sync_frac, 0.0, 1.0))
            .or_else(|| {
                // inf: never.
                (self.checkpoint_every_s != f64::INFINITY)
                    .then(|| within("checkpoint_every_s", self.checkpoint_every_s, 0.0, 1e12))
                    .flatten()
            })
            .or_else(|| {
                let hi = if self.checkpoint_every_s > 0.0 { self.checkpoint_every_s } else { 1e12 };
                within("checkpoint_s", self.checkpoint_s, 0.0, hi)
            })
            .or_else(|| within("checkpoint_frac", self.checkpoint_frac, 0.0, 1.0))
            .or_else(|| within("start_s", self.start_s, -1e12, 1e12))
            .or_else(|| within("ramp_up_s", self.ramp_up_s, 0.0, 1e12))
            .or_else(|| {
                if self.stop_s == f64::INFINITY {
                    None
                } else {
                    within("stop_s", self.stop_s, self.start_s, 1e12).map(|mut i| {
                        i.fix = "give stop_s at or after start_s (inf: the job runs to the end)".into();
                        i
                    })
                }
            })
            .or_else(|| within("ramp_down_s", self.ramp_down_s, 0.0, 1e12))
            .or_else(|| {
                let i = within("jitter_frac", self.jitter_frac, 0.0, 0.999)?;
                issue("jitter_frac", i.message, "give jitter_frac from 0 to below 1 (0.01: ±1 %)")
            })
            .or_else(|| within("keep_busy_frac", self.keep_busy_frac, 0.0, 1.0))
    }
}

/// Largest battery power or energy, MW / MWh.
pub const MAX_BATTERY: f64 = 1e6;

impl Battery {
    /// The first out-of-range value, if any.
    pub fn issue(&self) -> Option<Issue> {
        within("power_mw", self.power_mw, 0.0, MAX_BATTERY)
            .or_else(|| within("energy_mwh", self.energy_mwh, 0.0, MAX_BATTERY))
            .or_else(|| {
                let e = self.round_trip_efficiency;
                (!(e.is_finite() && e > 0.0 && e <= 1.0)).then(|| Issue {
                    key: "round_trip_efficiency",
                    message: format!("round_trip_efficiency = {} is not in (0, 1]", num(e)),
                    fix: "give the round-trip efficiency as a fraction, e.g. 0.9".into(),
                })
            })
            .or_else(|| within("soc_min", self.soc_min, 0.0, 1.0))
            .or_else(|| within("soc_max", self.soc_max, 0.0, 1.0))
            .or_else(|| {
                (self.soc_min >= self.soc_max).then(|| Issue {
                    key: "soc_min",
                    message: format!("soc_min = {} is not below soc_max = {}", self.soc_min, self.soc_max),
                    fix: "give 0 ≤ soc_min < soc_max ≤ 1".into(),
                })
            })
            .or_else(|| {
                let s = self.soc_initial;
                (!(s.is_finite() && s >= self.soc_min && s <= self.soc_max)).then(|| Issue {
                    key: "soc_initial",
                    message: format!(
                        "soc_initial = {} is outside soc_min … soc_max = {} … {}",
                        num(s),
                        self.soc_min,
                        self.soc_max
                    ),
                    fix: "give soc_initial between soc_min and soc_max".into(),
                })
            })
    }
}

impl Controller {
    /// The first out-of-range value, if any.
    pub fn issue(&self) -> Option<Issue> {
        within("max_ramp_mw_per_s", self.max_ramp_mw_per_s, 0.0, 1e9)
            .or_else(|| within("soc_target", self.soc_target, 0.0, 1.0))
            // inf: no recovery toward soc_target.
            .or_else(|| {
                (self.recovery_s != f64::INFINITY).then(|| positive("recovery_s", self.recovery_s, 1e12)).flatten()
            })
            .or_else(|| within("smoothing_s", self.smoothing_s, 0.0, 1e12))
    }
}

/// Level (fraction of full IT power) at time `t`, and whether keep-busy work is running.
fn level(w: &Workload, t: f64, u: f64) -> (f64, f64) {
    let in_job = |t: f64| -> (f64, f64) {
        let since = t - w.start_s;
        let mut f = w.compute_frac;
        let mut extra = 0.0;
        if since.rem_euclid(w.sync_period_s) >= w.sync_period_s - w.sync_s {
            if w.keep_busy {
                extra = (w.keep_busy_frac - w.sync_frac).max(0.0);
                f = w.sync_frac.max(w.keep_busy_frac);
            } else {
                f = w.sync_frac;
            }
        }
        if w.checkpoint_every_s > 0.0
            && since.rem_euclid(w.checkpoint_every_s) < w.checkpoint_s
            && since >= w.checkpoint_every_s
        {
            f = w.checkpoint_frac;
            extra = 0.0;
        }
        (f, extra)
    };
    let ramp = |a: f64, b: f64, x: f64| a + (b - a) * x.clamp(0.0, 1.0);
    let (job, extra) = in_job(t);
    let (l, e) = if t < w.start_s {
        (w.idle_frac, 0.0)
    } else if t < w.start_s + w.ramp_up_s {
        let x = ((t - w.start_s) / w.ramp_up_s.max(1e-9)).clamp(0.0, 1.0);
        (ramp(w.idle_frac, job, x), extra * x)
    } else if t < w.stop_s {
        (job, extra)
    } else {
        let x = ((t - w.stop_s) / w.ramp_down_s.max(1e-9)).clamp(0.0, 1.0);
        (ramp(job, w.idle_frac, x), extra * (1.0 - x))
    };
    let j = 1.0 + w.jitter_frac * u;
    (l * j, e * j)
}

/// IT power of the job, MW per step, and the extra power spent keeping GPUs busy, MW.
pub fn workload_mw(w: &Workload, full_mw: f64, dt_s: f64, steps: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = w.seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    let mut uniform = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    (0..steps)
        .map(|s| {
            let (l, e) = level(w, s as f64 * dt_s, uniform());
            (l * full_mw, e * full_mw)
        })
        .unzip()
}

/// What the battery and the grid did.
#[derive(Clone, Debug, Default)]
pub struct BatteryRun {
    /// Grid (utility) draw, MW.
    pub grid_mw: Vec<f64>,
    /// Battery output at its terminals, MW (+ discharge, − charge).
    pub battery_mw: Vec<f64>,
    /// State of charge after each step.
    pub soc: Vec<f64>,
    /// Σ |battery| dt, MWh.
    pub cycled_mwh: f64,
    /// Energy lost in the battery (charge and discharge losses), MWh.
    pub losses_mwh: f64,
    /// Whether the grid draw kept to `max_ramp_mw_per_s` at every step.
    pub ramp: RampCheck,
}

/// The grid draw against the ramp limit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RampCheck {
    /// Steps whose grid change exceeded `max_ramp_mw_per_s · dt`.
    pub violations: usize,
    /// First such step (its index; its time is `index · dt`).
    pub first_violation: Option<usize>,
    /// Largest |Δgrid| / dt, MW/s.
    pub worst_mw_per_s: f64,
}

impl RampCheck {
    pub fn held(&self) -> bool {
        self.violations == 0
    }
}

/// The grid draw of `grid` against `max_ramp_mw_per_s`: a step breaks the limit when it
/// moves more than `max_ramp · dt` (to 1e-9 relative, 1e-12 MW absolute, the rounding of
/// the controller's own arithmetic).
pub fn ramp_check(grid: &[f64], dt_s: f64, max_ramp_mw_per_s: f64) -> RampCheck {
    let r = (max_ramp_mw_per_s * dt_s).max(0.0);
    let mut c = RampCheck { worst_mw_per_s: max_ramp(grid, dt_s), ..Default::default() };
    for (i, w) in grid.windows(2).enumerate() {
        // NaN counts as broken.
        if !((w[1] - w[0]).abs() <= r * (1.0 + 1e-9) + 1e-12) {
            c.violations += 1;
            c.first_violation.get_or_insert(i + 1);
        }
    }
    c
}

/// Run the ramp limiter and battery over a load profile (MW per step of `dt_s`).
///
/// Per step, in this order of priority:
/// 1. the grid draw stays within `max_ramp · dt` of the previous step's whenever the
///    battery's power and remaining energy allow it (the battery takes `load − grid`);
///    when they do not, the battery works at its limit and the grid moves as little
///    beyond the ramp limit as it can (a violation, counted in [`BatteryRun::ramp`]);
/// 2. within the ramp window left, the grid heads for a reference: the load smoothed
///    over `smoothing_s` (an exponential mean, so the battery covers the fast swings and
///    the grid follows the slow ones), plus
/// 3. state-of-charge recovery toward `soc_target` over `recovery_s`, at a power capped
///    to half of what the battery has beyond the largest swing `|load − reference|` seen
///    so far (at least 5 % of its power): recovery never takes the power a swing needs,
///    and never drives the battery to a limit by itself, since it fades as the state of
///    charge nears its target, which lies inside the window.
pub fn simulate_battery(load_mw: &[f64], dt_s: f64, b: &Battery, c: &Controller) -> BatteryRun {
    let h = dt_s / 3600.0;
    let eta = b.round_trip_efficiency.clamp(1e-6, 1.0).sqrt();
    let mut soc = clamp(b.soc_initial, b.soc_min, b.soc_max);
    let target = clamp(c.soc_target, b.soc_min, b.soc_max);
    let mut out = BatteryRun::default();
    let mut prev = load_mw.first().copied().unwrap_or(0.0);
    let mut smooth = prev;
    let mut swing = 0.0f64;
    let has = b.power_mw > 0.0 && b.energy_mwh > 0.0;
    let r = (c.max_ramp_mw_per_s * dt_s).max(0.0);
    let a = dt_s / (c.smoothing_s.max(0.0) + dt_s);
    for &load in load_mw {
        let mut bat = 0.0;
        if a.is_finite() {
            smooth += (load - smooth) * a;
        }
        if has {
            swing = swing.max((load - smooth).abs());
            // What the battery can give or take this step: power, and the energy left
            // between its state of charge and the window's bounds.
            let dis_max = ((soc - b.soc_min).max(0.0) * b.energy_mwh * eta / h).min(b.power_mw);
            let chg_max = ((b.soc_max - soc).max(0.0) * b.energy_mwh / (eta * h)).min(b.power_mw);
            let cap = 0.5 * (b.power_mw - swing).max(0.05 * b.power_mw);
            let recover = if c.recovery_s.is_finite() {
                clamp((target - soc) * b.energy_mwh * 3600.0 / c.recovery_s.max(dt_s), -cap, cap)
            } else {
                0.0
            };
            let want = smooth + recover;
            // Grid bounds: the ramp window, and what the battery can cover.
            let (lo_b, hi_b) = (load - dis_max, load + chg_max);
            let (lo, hi) = ((prev - r).max(lo_b), (prev + r).min(hi_b));
            let grid = if lo <= hi {
                clamp(want, lo, hi)
            } else if hi_b < prev - r {
                hi_b
            } else {
                lo_b
            };
            bat = clamp(load - grid, -chg_max, dis_max);
            if bat >= 0.0 {
                soc -= bat * h / (eta * b.energy_mwh);
                out.losses_mwh += bat * h * (1.0 / eta - 1.0);
            } else {
                soc += -bat * h * eta / b.energy_mwh;
                out.losses_mwh += -bat * h * (1.0 - eta);
            }
            soc = clamp(soc, b.soc_min, b.soc_max);
            out.cycled_mwh += bat.abs() * h;
        }
        let grid = load - bat;
        out.grid_mw.push(grid);
        out.battery_mw.push(bat);
        out.soc.push(soc);
        prev = grid;
    }
    out.ramp = ramp_check(&out.grid_mw, dt_s, c.max_ramp_mw_per_s);
    out
}

/// A battery that holds the ramp limit over a load profile (see [`size_battery`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Sizing {
    pub power_mw: f64,
    pub energy_mwh: f64,
    /// The lower bound it was searched from: the ideal ramp-limited grid draw with an
    /// unlimited battery (power = max |load − grid|, energy = the range of the stored
    /// energy, efficiency included, over the usable state-of-charge window).
    pub ideal_power_mw: f64,
    pub ideal_energy_mwh: f64,
}

/// `x` rounded up to three significant digits.
fn ceil3(x: f64) -> f64 {
    if !(x > 0.0) {
        return 0.0;
    }
    let k = x.log10().floor() as i32 - 2;
    // n · 10^k as the nearest double to that decimal (6.1, not 6.1000000000000005).
    let at = |n: f64| if k < 0 { n / 10f64.powi(-k) } else { n * 10f64.powi(k) };
    let n = (if k < 0 { x * 10f64.powi(-k) } else { x / 10f64.powi(k) }).ceil();
    let v = at(n);
    if v < x {
        at(n + 1.0)
    } else {
        v
    }
}

/// The battery power (MW) and energy (MWh) that hold the ramp limit over `load_mw` with
/// this controller: `b`'s efficiency, state-of-charge window and initial state of
/// charge, other power and energy. It starts from the ideal (an unlimited battery under
/// the same controller without recovery: power = max |load − grid|, energy = the range
/// of the stored energy over `soc_max − soc_min`), then simulates [`simulate_battery`]
/// and grows whichever of power and energy the battery ran out of, 5 % at a time, until
/// a run holds the limit. The answer is rounded up to three significant digits and that
/// battery has been simulated and holds it. None: the load is not finite, or no battery
/// up to [`MAX_BATTERY`] holds it.
pub fn size_battery(load_mw: &[f64], dt_s: f64, b: &Battery, c: &Controller) -> Option<Sizing> {
    if load_mw.iter().any(|v| !v.is_finite()) || !(dt_s > 0.0) || b.issue().is_some() || c.issue().is_some() {
        return None;
    }
    let eta = b.round_trip_efficiency.sqrt();
    let h = dt_s / 3600.0;
    // The ideal: the battery never at a limit, no recovery.
    let huge = 1e12;
    let ideal_b =
        Battery { power_mw: huge, energy_mwh: huge, soc_initial: 0.5, soc_min: 0.0, soc_max: 1.0, ..b.clone() };
    let ideal_c = Controller { recovery_s: f64::INFINITY, ..c.clone() };
    let ideal = simulate_battery(load_mw, dt_s, &ideal_b, &ideal_c);
    let ideal_p = nan_max_abs(&ideal.battery_mw);
    let (mut e, mut lo, mut hi) = (0.0f64, 0.0f64, 0.0f64);
    for &p in &ideal.battery_mw {
        e -= if p >= 0.0 { p * h / eta } else { p * h * eta };
        lo = lo.min(e);
        hi = hi.max(e);
    }
    let ideal_e = (hi - lo) / (b.soc_max - b.soc_min);
    let floor = 1e-6 * nan_max_abs(load_mw).max(1e-6);
    let (mut p, mut en) = (ideal_p.max(floor), ideal_e.max(floor * h));
    for _ in 0..2000 {
        let (pr, er) = (ceil3(p), ceil3(en));
        if pr > MAX_BATTERY || er > MAX_BATTERY {
            return None;
        }
        let cand = Battery { power_mw: pr, energy_mwh: er, ..b.clone() };
        let run = simulate_battery(load_mw, dt_s, &cand, c);
        if run.ramp.held() {
            return Some(Sizing { power_mw: pr, energy_mwh: er, ideal_power_mw: ideal_p, ideal_energy_mwh: ideal_e });
        }
        // What ran out at the first violation: power, else energy.
        let i = run.ramp.first_violation.unwrap_or(0);
        let at_power = run.battery_mw.get(i).is_some_and(|x| x.abs() >= pr * (1.0 - 1e-9));
        if at_power {
            p = pr * 1.05;
        } else {
            en = er * 1.05;
        }
    }
    None
}

fn nan_max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// Largest |ΔP/Δt| of a series, MW/s (NaN if the series holds a NaN; 0 for fewer than
/// two steps).
pub fn max_ramp(p: &[f64], dt_s: f64) -> f64 {
    crate::outcome::nan_max(p.windows(2).map(|w| (w[1] - w[0]).abs() / dt_s)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn battery_stays_in_bounds_and_conserves_energy() {
        let w = Workload { gpus: 8000, jitter_frac: 0.03, sync_period_s: 12.0, sync_s: 3.0, ..Default::default() };
        let (load, _) = workload_mw(&w, 10.0, 1.0, 7200);
        let b = Battery {
            power_mw: 4.0,
            energy_mwh: 1.0,
            round_trip_efficiency: 0.88,
            soc_min: 0.1,
            soc_max: 0.9,
            soc_initial: 0.5,
            bus: None,
        };
        let c = Controller { max_ramp_mw_per_s: 0.05, ..Default::default() };
        let r = simulate_battery(&load, 1.0, &b, &c);
        let eta = 0.88f64.sqrt();
        let mut e = 0.5 * 1.0;
        for (i, &p) in r.battery_mw.iter().enumerate() {
            assert!(p.abs() <= b.power_mw + 1e-12, "power bound at {i}");
            assert!(r.soc[i] >= b.soc_min - 1e-12 && r.soc[i] <= b.soc_max + 1e-12, "soc bound at {i}");
            e += if p >= 0.0 { -p / 3600.0 / eta } else { -p / 3600.0 * eta };
            // Grid + battery = load at every step.
            assert!((r.grid_mw[i] + p - load[i]).abs() < 1e-12);
        }
        assert!((e - r.soc.last().unwrap() * 1.0).abs() < 1e-9, "stored energy {e} vs soc");
        assert!(max_ramp(&r.grid_mw, 1.0) < max_ramp(&load, 1.0));
    }

    #[test]
    fn ramp_check_counts_steps_over_the_limit() {
        let c = ramp_check(&[0.0, 0.5, 1.5, 1.5, 0.0], 1.0, 0.5);
        assert_eq!((c.violations, c.first_violation, c.worst_mw_per_s), (2, Some(2), 1.5));
        assert!(ramp_check(&[0.0, 0.25, 0.75, 0.5], 0.5, 1.0).held());
        assert_eq!(ceil3(6.0987), 6.1);
        assert_eq!(ceil3(0.12880), 0.129);
        assert_eq!(ceil3(223.07), 224.0);
        assert_eq!(ceil3(1234.5), 1240.0);
        assert!(ceil3(0.1) >= 0.1 && ceil3(0.1) < 0.1001);
    }

    #[test]
    fn recovery_never_takes_the_power_a_step_needs() {
        // A full battery recovering toward 0.5 while the load sits flat, then a step
        // down that needs most of its power: the limit holds.
        let mut load = vec![10.0; 600];
        load.extend(vec![6.5; 600]);
        let b = Battery { power_mw: 4.0, energy_mwh: 2.0, soc_initial: 0.9, ..Default::default() };
        let c = Controller::default();
        let r = simulate_battery(&load, 1.0, &b, &c);
        assert!(r.ramp.held(), "{:?}", r.ramp);
        // Before the step, recovery used at most half the power.
        assert!(r.battery_mw[..600].iter().all(|p| p.abs() <= 0.5 * b.power_mw + 1e-12));
        assert!(r.soc[599] < 0.9 && r.soc[599] > 0.5);
        // Too small a battery breaks it; the sizing names one that holds it.
        assert!(!simulate_battery(&load, 1.0, &Battery { power_mw: 1.0, ..b.clone() }, &c).ramp.held());
        let s = size_battery(&load, 1.0, &Battery { power_mw: 1.0, ..b.clone() }, &c).unwrap();
        assert!(s.power_mw >= s.ideal_power_mw && s.power_mw <= 4.0, "{s:?}");
        let held = simulate_battery(&load, 1.0, &Battery { power_mw: s.power_mw, energy_mwh: s.energy_mwh, ..b }, &c);
        assert!(held.ramp.held());
    }

    #[test]
    fn keep_busy_fills_the_dips() {
        let base = Workload { jitter_frac: 0.0, ..Default::default() };
        let busy = Workload { keep_busy: true, ..base.clone() };
        let (a, _) = workload_mw(&base, 100.0, 1.0, 600);
        let (b, extra) = workload_mw(&busy, 100.0, 1.0, 600);
        assert!(max_ramp(&b, 1.0) < max_ramp(&a, 1.0));
        assert!(b.iter().sum::<f64>() > a.iter().sum::<f64>());
        let extra_sum: f64 = extra.iter().sum();
        assert!((b.iter().sum::<f64>() - a.iter().sum::<f64>() - extra_sum).abs() < 1e-9);
    }

    #[test]
    fn out_of_range_values_are_issues_and_never_panic() {
        assert_eq!(Workload::default().issue(), None);
        assert_eq!(Battery::default().issue(), None);
        assert_eq!(Controller::default().issue(), None);
        let crossed = Battery { power_mw: 1.0, energy_mwh: 1.0, soc_min: 0.9, soc_max: 0.1, ..Default::default() };
        assert_eq!(crossed.issue().unwrap().key, "soc_min");
        assert_eq!(Battery { soc_initial: 1.5, ..Default::default() }.issue().unwrap().key, "soc_initial");
        assert_eq!(
            Battery { round_trip_efficiency: 1.5, ..Default::default() }.issue().unwrap().key,
            "round_trip_efficiency"
        );
        assert_eq!(Battery { soc_min: f64::NAN, ..Default::default() }.issue().unwrap().key, "soc_min");
        assert_eq!(
            Controller { max_ramp_mw_per_s: -1.0, ..Default::default() }.issue().unwrap().key,
            "max_ramp_mw_per_s"
        );
        assert_eq!(
            Workload { jitter_frac: f64::NEG_INFINITY, ..Default::default() }.issue().unwrap().key,
            "jitter_frac"
        );
        assert_eq!(Workload { sync_period_s: 0.0, ..Default::default() }.issue().unwrap().key, "sync_period_s");
        assert_eq!(Controller { smoothing_s: -1.0, ..Default::default() }.issue().unwrap().key, "smoothing_s");
        // What slips past validation (a library caller) still does not panic.
        let load = vec![1.0, 2.0, f64::NAN, 3.0];
        let c = Controller { max_ramp_mw_per_s: -1.0, ..Default::default() };
        let r = simulate_battery(&load, 1.0, &crossed, &c);
        assert_eq!(r.grid_mw.len(), 4);
        assert_eq!(size_battery(&load, 1.0, &crossed, &c), None);
        let w = Workload { jitter_frac: f64::NEG_INFINITY, sync_period_s: 0.0, ..Default::default() };
        let _ = workload_mw(&w, 1.0, 1.0, 10);
    }
}
