//! Time series of a training job's power through the network: per step, the IT load on
//! its buses follows the workload model, a battery smooths the utility draw, and every
//! branch flow is computed — on the CPU as many right-hand sides on one factorization,
//! on the GPU as `PTDF × injections` (`ptdf_gemm`).
//!
//! A profile file (TOML) holds `dt_s`, `steps` and the tables `[workload]`, `[battery]`
//! and `[controller]` of [`super::workload`]; every key has a documented default.

use super::contingency::inverse_ratings;
use super::dcpf::DcPowerFlow;
use super::network::{bus, gen, Network};
use super::workload::{max_ramp, simulate_battery, workload_mw, Battery, Controller, Workload};
use crate::backend::Backend;
use crate::error::{line_col, InputError};
use crate::gpu::{GpuContext, GpuError};
use rayon::prelude::*;
use serde::Deserialize;

/// A time-series study.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Profile {
    /// Step, s.
    pub dt_s: f64,
    pub steps: usize,
    pub workload: Workload,
    /// Overrides the facility's first `[[network.battery]]`; absent and none in the
    /// facility: no battery.
    pub battery: Option<Battery>,
    pub controller: Controller,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            dt_s: 1.0,
            steps: 3600,
            workload: Workload::default(),
            battery: None,
            controller: Controller::default(),
        }
    }
}

pub fn load_profile(path: &str) -> Result<Profile, InputError> {
    let src = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(path, "profile", format!("cannot read it: {e}"), "check the path"))?;
    let p: Profile = toml::from_str(&src).map_err(|e| {
        InputError::new(path, "profile", e.message().to_string(), "see the README's time-series section for the keys")
            .at(e.span().map(|s| line_col(&src, s.start)))
    })?;
    if !(p.dt_s.is_finite() && p.dt_s > 0.0) || p.steps == 0 {
        return Err(InputError::new(
            path,
            "profile",
            format!("dt_s = {}, steps = {}", p.dt_s, p.steps),
            "give dt_s > 0 and steps ≥ 1",
        ));
    }
    Ok(p)
}

/// Results of a time series.
#[derive(Clone, Debug, Default)]
pub struct TimeSeries {
    pub time_s: Vec<f64>,
    /// IT power of the job, MW.
    pub it_mw: Vec<f64>,
    /// Of which keep-busy dummy work, MW.
    pub keep_busy_mw: Vec<f64>,
    /// Load seen at the utility connection without the battery, MW.
    pub net_load_mw: Vec<f64>,
    pub grid_mw: Vec<f64>,
    pub battery_mw: Vec<f64>,
    pub soc: Vec<f64>,
    /// Flows, MW, one row of `n_branch` per step.
    pub flows_mw: Vec<f32>,
    /// Highest loading of each branch over the series, % (NaN without rating).
    pub peak_loading_pct: Vec<f64>,
    pub max_ramp_grid_mw_per_s: f64,
    pub max_ramp_unsmoothed_mw_per_s: f64,
    pub battery_cycled_mwh: f64,
    pub battery_losses_mwh: f64,
    pub keep_busy_mwh: f64,
    pub backend: String,
}

/// Where the job's IT load sits: full-power MW per bus row.
pub fn it_by_bus(net: &Network, racks_mw_by_bus: Option<&[f64]>) -> Vec<f64> {
    match racks_mw_by_bus {
        Some(v) => v.to_vec(),
        None => (0..net.bus.rows()).map(|r| net.bus.get(r, bus::PD).max(0.0)).collect(),
    }
}

/// Run a time series. `it_full` is the IT load at full power per bus row (MW);
/// `battery` is (bus row, battery).
pub fn run(
    net: &Network,
    it_full: &[f64],
    battery: Option<(usize, Battery)>,
    p: &Profile,
    backend: Backend,
) -> Result<TimeSeries, String> {
    let pf = DcPowerFlow::new(net).map_err(|e| e.to_string())?;
    let nl = net.branch.rows();
    let full_mw: f64 = it_full.iter().sum();
    let job_full = if p.workload.gpus > 0 { p.workload.gpus as f64 * p.workload.w_per_gpu / 1e6 } else { full_mw };
    let (it, extra) = workload_mw(&p.workload, job_full, p.dt_s, p.steps);
    // Level relative to the network's nominal IT load.
    let level: Vec<f64> = it.iter().map(|&x| if full_mw > 0.0 { x / full_mw } else { 0.0 }).collect();
    let fixed_gen: f64 = (0..net.gen.rows())
        .filter(|&g| net.gen_status(g) && !pf.slack_gen.contains(&Some(g)))
        .map(|g| net.gen.get(g, gen::PG))
        .sum();
    let base_load: f64 = (0..net.bus.rows())
        .filter(|&r| pf.bus_idx[r].is_some())
        .map(|r| net.bus.get(r, bus::PD) + net.bus.get(r, bus::GS))
        .sum();
    let net_load: Vec<f64> = level.iter().map(|&l| base_load - full_mw + full_mw * l - fixed_gen).collect();
    let (bat_bus, bat) = match &battery {
        Some((b, bat)) => (Some(*b), bat.clone()),
        None => (None, Battery::default()),
    };
    let run = simulate_battery(&net_load, p.dt_s, &bat, &p.controller);
    let unsmoothed = max_ramp(&net_load, p.dt_s);
    // Injection changes per bus row and step, MW: −ΔIT + battery.
    let varying: Vec<usize> =
        (0..net.bus.rows()).filter(|&r| (it_full[r] != 0.0 || Some(r) == bat_bus) && pf.bus_idx[r].is_some()).collect();
    let dp = |t: usize, r: usize| -> f64 {
        let mut v = -it_full[r] * (level[t] - 1.0);
        if Some(r) == bat_bus {
            v += run.battery_mw[t];
        }
        v
    };
    let base = pf.solve(net).pf_mw;
    let inv_rate = inverse_ratings(net);
    let gpu = crate::backend::gpu_for(backend).map_err(|e| e.to_string())?;
    let (flows, used) = crate::backend::run_on(
        backend,
        gpu.as_ref(),
        "time series",
        |c| flows_gpu(c, &pf, &base, &varying, &dp, p.steps).map(|f| (f, format!("gpu ({})", c.adapter.name))),
        || Ok((flows_cpu(&pf, net, &varying, &dp, p.steps), "cpu".into())),
        |_| true,
    )
    .map_err(|e| e.to_string())?;
    let mut peak = vec![f64::NAN; nl];
    for (l, pk) in peak.iter_mut().enumerate() {
        if inv_rate[l] > 0.0 {
            *pk = (0..p.steps).map(|t| flows[t * nl + l].abs() as f64).fold(0.0, f64::max) * inv_rate[l] * 100.0;
        }
    }
    Ok(TimeSeries {
        time_s: (0..p.steps).map(|t| t as f64 * p.dt_s).collect(),
        keep_busy_mwh: extra.iter().sum::<f64>() * p.dt_s / 3600.0,
        it_mw: it,
        keep_busy_mw: extra,
        max_ramp_grid_mw_per_s: max_ramp(&run.grid_mw, p.dt_s),
        max_ramp_unsmoothed_mw_per_s: unsmoothed,
        net_load_mw: net_load,
        battery_cycled_mwh: run.cycled_mwh,
        battery_losses_mwh: run.losses_mwh,
        grid_mw: run.grid_mw,
        battery_mw: run.battery_mw,
        soc: run.soc,
        flows_mw: flows,
        peak_loading_pct: peak,
        backend: used,
    })
}

/// CPU: all steps as right-hand sides on the kept factorization, in blocks.
pub fn flows_cpu(
    pf: &DcPowerFlow,
    net: &Network,
    varying: &[usize],
    dp: &(dyn Fn(usize, usize) -> f64 + Sync),
    steps: usize,
) -> Vec<f32> {
    let nl = pf.b.len();
    let nr = pf.n_reduced();
    let n = pf.bus_row.len();
    let pbus0 = pf.pbus(net);
    const B: usize = 128;
    let blocks: Vec<usize> = (0..steps).step_by(B).collect();
    let parts: Vec<Vec<f32>> = blocks
        .par_iter()
        .map(|&t0| {
            let t1 = (t0 + B).min(steps);
            let w = t1 - t0;
            let mut rhs = vec![0.0; nr * w];
            let mut p = pbus0.clone();
            let mut out = vec![0.0f32; w * nl];
            for (j, t) in (t0..t1).enumerate() {
                p.copy_from_slice(&pbus0);
                for &r in varying {
                    if let Some(i) = pf.bus_idx[r] {
                        p[i] += dp(t, r) / pf.base_mva;
                    }
                }
                // Reduced right-hand side with the reference angles moved across.
                let full = pf.reduced_rhs(&p);
                rhs[j * nr..(j + 1) * nr].copy_from_slice(&full);
            }
            pf.solve_block(&mut rhs, w);
            let mut va = vec![0.0; n];
            for j in 0..w {
                for (i, v) in va.iter_mut().enumerate() {
                    *v = match pf.reduced(i) {
                        Some(r) => rhs[j * nr + r],
                        None => pf.ref_va_rad[pf.ref_position(i).expect("reference")],
                    };
                }
                for l in 0..nl {
                    out[j * nl + l] = if pf.in_service[l] {
                        (pf.base_mva * pf.b[l] * (va[pf.f_idx[l]] - va[pf.t_idx[l]] - pf.shift_rad[l])) as f32
                    } else {
                        0.0
                    };
                }
            }
            out
        })
        .collect();
    parts.concat()
}

/// GPU: flows = base + PTDF[:, varying] × ΔP[varying, steps] (`ptdf_gemm`).
pub fn flows_gpu(
    ctx: &GpuContext,
    pf: &DcPowerFlow,
    base: &[f64],
    varying: &[usize],
    dp: &(dyn Fn(usize, usize) -> f64 + Sync),
    steps: usize,
) -> Result<Vec<f32>, GpuError> {
    let nl = pf.b.len();
    let k = varying.len();
    let ptdf = super::contingency::ptdf_columns(pf, varying);
    // A: nl × k, B: k × steps.
    let mut a = vec![0.0f32; nl * k];
    for (c, col) in ptdf.iter().enumerate() {
        for l in 0..nl {
            a[l * k + c] = col[l] as f32;
        }
    }
    let mut bm = vec![0.0f32; k * steps];
    for (c, &r) in varying.iter().enumerate() {
        for t in 0..steps {
            bm[c * steps + t] = dp(t, r) as f32;
        }
    }
    let d = if k > 0 { super::gpu::ptdf_gemm_gpu(ctx, &a, &bm, nl, steps, k)? } else { vec![0.0; nl * steps] };
    let mut out = vec![0.0f32; steps * nl];
    for l in 0..nl {
        for t in 0..steps {
            out[t * nl + l] = base[l] as f32 + d[l * steps + t];
        }
    }
    Ok(out)
}

/// The battery to use: the profile's `[battery]` at the facility's first battery bus,
/// else the facility's first `[[network.battery]]`, else none.
pub fn choose_battery(p: &Profile, loads: Option<&super::facility_net::AttachedLoads>) -> Option<(usize, Battery)> {
    let fac = loads.and_then(|l| l.battery);
    match (&p.battery, fac) {
        (Some(b), Some((bus, ..))) => Some((bus, b.clone())),
        (None, Some((bus, power, energy, soc, eff))) => {
            let d = Battery::default();
            Some((
                bus,
                Battery {
                    power_mw: power,
                    energy_mwh: energy,
                    soc_initial: soc.unwrap_or(d.soc_initial),
                    round_trip_efficiency: eff.unwrap_or(d.round_trip_efficiency),
                    ..d
                },
            ))
        }
        _ => None,
    }
}

pub fn text_summary(net: &Network, ts: &TimeSeries, secs: f64, output: Option<&str>) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let steps = ts.time_s.len();
    let dt = if steps > 1 { ts.time_s[1] - ts.time_s[0] } else { 1.0 };
    let _ = writeln!(o, "thermogrid timeseries · {} ({})", net.name, net.source);
    let _ = writeln!(
        o,
        "{steps} steps of {dt} s, {} branches, flows on {} in {:.1} ms",
        net.branch.rows(),
        ts.backend,
        secs * 1e3
    );
    let (lo, hi) = ts.it_mw.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let _ = writeln!(o, "job IT power {lo:.2}–{hi:.2} MW; keep-busy energy {:.3} MWh", ts.keep_busy_mwh);
    let _ = writeln!(
        o,
        "utility ramp: {:.3} MW/s without battery → {:.3} MW/s with it; battery cycled {:.3} MWh, losses {:.3} MWh",
        ts.max_ramp_unsmoothed_mw_per_s, ts.max_ramp_grid_mw_per_s, ts.battery_cycled_mwh, ts.battery_losses_mwh
    );
    let mut idx: Vec<usize> = (0..ts.peak_loading_pct.len()).filter(|&l| ts.peak_loading_pct[l].is_finite()).collect();
    idx.sort_by(|&a, &b| ts.peak_loading_pct[b].total_cmp(&ts.peak_loading_pct[a]));
    let _ = writeln!(o, "peak branch loadings over the series:");
    for &l in idx.iter().take(5) {
        let name = net.branch_names.get(l).cloned().unwrap_or_else(|| format!("row {l}"));
        let _ = writeln!(o, "  {name:<28} {:>8.1} %", ts.peak_loading_pct[l]);
    }
    if let Some(out) = output {
        let _ = writeln!(o, "results: {out}");
    }
    o
}

pub fn json_summary(net: &Network, ts: &TimeSeries, secs: f64, output: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "name": net.name, "input": net.source, "output": output, "backend": ts.backend, "steps": ts.time_s.len(), "seconds": secs,
        "max_ramp_unsmoothed_mw_per_s": ts.max_ramp_unsmoothed_mw_per_s, "max_ramp_grid_mw_per_s": ts.max_ramp_grid_mw_per_s,
        "battery_cycled_mwh": ts.battery_cycled_mwh, "battery_losses_mwh": ts.battery_losses_mwh, "keep_busy_mwh": ts.keep_busy_mwh,
        "peak_loading_pct_max": ts.peak_loading_pct.iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max),
    })
}
