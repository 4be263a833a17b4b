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
//! charge and discharge, state-of-charge bounds) is driven by a ramp limiter: the grid
//! draw follows the load but moves at most `max_ramp_mw_per_s`; the battery supplies or
//! absorbs the difference within its limits, and a gentle recovery term steers the state
//! of charge back to its target.

use serde::Deserialize;

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
}

impl Default for Controller {
    fn default() -> Self {
        Controller { max_ramp_mw_per_s: 0.5, soc_target: 0.5, recovery_s: 900.0 }
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
}

/// Run the ramp limiter and battery over a load profile (MW per step of `dt_s`).
pub fn simulate_battery(load_mw: &[f64], dt_s: f64, b: &Battery, c: &Controller) -> BatteryRun {
    let h = dt_s / 3600.0;
    let eta = b.round_trip_efficiency.clamp(1e-6, 1.0).sqrt();
    let mut soc = b.soc_initial.clamp(b.soc_min, b.soc_max);
    let mut out = BatteryRun::default();
    let mut prev = load_mw.first().copied().unwrap_or(0.0);
    let has = b.power_mw > 0.0 && b.energy_mwh > 0.0;
    for &load in load_mw {
        let mut bat = 0.0;
        if has {
            let recover = (c.soc_target - soc) * b.energy_mwh * 3600.0 / c.recovery_s.max(dt_s);
            let want = load + recover;
            let r = c.max_ramp_mw_per_s * dt_s;
            let grid = want.clamp(prev - r, prev + r);
            // Energy limits: discharge until soc_min, charge until soc_max.
            let dis_max = ((soc - b.soc_min).max(0.0) * b.energy_mwh * eta / h).min(b.power_mw);
            let chg_max = ((b.soc_max - soc).max(0.0) * b.energy_mwh / (eta * h)).min(b.power_mw);
            bat = (load - grid).clamp(-chg_max, dis_max);
            if bat >= 0.0 {
                soc -= bat * h / (eta * b.energy_mwh);
                out.losses_mwh += bat * h * (1.0 / eta - 1.0);
            } else {
                soc += -bat * h * eta / b.energy_mwh;
                out.losses_mwh += -bat * h * (1.0 - eta);
            }
            soc = soc.clamp(b.soc_min, b.soc_max);
            out.cycled_mwh += bat.abs() * h;
        }
        let grid = load - bat;
        out.grid_mw.push(grid);
        out.battery_mw.push(bat);
        out.soc.push(soc);
        prev = grid;
    }
    out
}

/// Largest |ΔP/Δt| of a series, MW/s.
pub fn max_ramp(p: &[f64], dt_s: f64) -> f64 {
    p.windows(2).map(|w| (w[1] - w[0]).abs() / dt_s).fold(0.0, f64::max)
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
}
