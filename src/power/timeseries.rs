//! Time series of a training job's power through the network: per step, the IT load on
//! its buses follows the workload model, a battery smooths the utility draw, and every
//! branch flow is computed — on the CPU as many right-hand sides on one factorization,
//! on the GPU as `PTDF × injections` (`ptdf_gemm`).
//!
//! A profile file (TOML) holds `dt_s`, `steps` and the tables `[workload]`, `[battery]`
//! and `[controller]` of [`super::workload`]; every key has a documented default. It is
//! validated where it is parsed ([`parse_profile`], [`Profile::check`]): errors name the
//! file, the key's line:column and the fix.
//!
//! The battery ([`battery_for`]) applies to any network: a profile's `[battery]` sits at
//! its `bus = N` (a bus number, or a facility bus id), else at the facility's first
//! `[[network.battery]]` bus, else at the first reference (slack) bus.
//!
//! Memory is estimated before any per-step allocation ([`timeseries_bytes`],
//! [`super::limits`]); a series that does not fit is refused naming its size.

use super::contingency::inverse_ratings;
use super::dcpf::{bad_result, DcPowerFlow};
use super::network::{bus, gen, Network};
use super::workload::{
    max_ramp, simulate_battery, size_battery, workload_mw, Battery, BusRef, Controller, Issue, RampCheck, Sizing,
    Workload,
};
use crate::backend::Backend;
use crate::error::{line_col, Error, InputError};
use crate::gpu::{GpuContext, GpuError};
use crate::outcome::{first_non_finite, nan_max, nan_min};
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// A time-series study.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Profile {
    /// Step, s.
    pub dt_s: f64,
    pub steps: usize,
    pub workload: Workload,
    /// A battery for any network: at its `bus`, else at the facility's first
    /// `[[network.battery]]` bus, else at the reference bus (see [`battery_for`]).
    /// Absent: the facility's first `[[network.battery]]`, or none.
    pub battery: Option<Battery>,
    pub controller: Controller,
    /// Where the values came from, for messages.
    #[serde(skip)]
    pub origin: Origin,
}

/// Where a profile's values came from: its file and the line:column of each key
/// (`dt_s`, `battery.soc_min`), and the keys a command-line flag replaced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Origin {
    pub file: String,
    pub pos: BTreeMap<String, (usize, usize)>,
    /// Key → the flag that set it (`steps` → `--steps`).
    pub flags: BTreeMap<String, String>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            dt_s: 1.0,
            steps: 3600,
            workload: Workload::default(),
            battery: None,
            controller: Controller::default(),
            origin: Origin::default(),
        }
    }
}

/// Step range, s: a microsecond to about eleven days (ramps are ΔP / dt: a step far
/// below it would overflow them).
pub const DT_RANGE_S: (f64, f64) = (1e-6, 1e6);

impl Profile {
    /// Record that `flag` on the command line set `key`.
    pub fn set_by_flag(&mut self, key: &str, flag: &str) {
        self.origin.flags.insert(key.to_string(), flag.to_string());
    }

    /// An input error about `key` (`steps`, `battery.soc_min`): the profile file and the
    /// key's line:column, or the command-line flag that set it.
    pub fn error(&self, key: &str, message: impl Into<String>, fix: impl Into<String>) -> InputError {
        if let Some(flag) = self.origin.flags.get(key) {
            return InputError::new("command line", flag.as_str(), message, fix);
        }
        let file = if self.origin.file.is_empty() { "profile (defaults)" } else { self.origin.file.as_str() };
        let item = match key.split_once('.') {
            Some((table, k)) => format!("[{table}] {k}"),
            None => key.to_string(),
        };
        // The key itself, else its table, where the file has them.
        let table = key.split_once('.').map(|(t, _)| t);
        let pos = self.origin.pos.get(key).or_else(|| table.and_then(|t| self.origin.pos.get(t))).copied();
        InputError::new(file, item, message, fix).at(pos)
    }

    /// The first out-of-range value as an input error (see [`super::workload`]).
    pub fn check(&self) -> Result<(), InputError> {
        let (lo, hi) = DT_RANGE_S;
        if !(self.dt_s.is_finite() && self.dt_s >= lo && self.dt_s <= hi) {
            return Err(self.error(
                "dt_s",
                format!("dt_s = {} is not a time step from {lo:e} to {hi:e} s", super::validate::num(self.dt_s)),
                format!("give dt_s in seconds, from {lo:e} to {hi:e}"),
            ));
        }
        if self.steps == 0 {
            return Err(self.error("steps", "steps = 0", "give steps ≥ 1"));
        }
        let at = |table: &str, i: Issue| self.error(&format!("{table}.{}", i.key), i.message, i.fix);
        if let Some(i) = self.workload.issue() {
            return Err(at("workload", i));
        }
        if let Some(i) = self.battery.as_ref().and_then(|b| b.issue()) {
            return Err(at("battery", i));
        }
        if let Some(i) = self.controller.issue() {
            return Err(at("controller", i));
        }
        Ok(())
    }
}

/// Line:column of the keys of a profile (a second, lenient read of the same text).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Spans {
    dt_s: Option<Spanned<toml::Value>>,
    steps: Option<Spanned<toml::Value>>,
    workload: Option<Spanned<BTreeMap<String, Spanned<toml::Value>>>>,
    battery: Option<Spanned<BTreeMap<String, Spanned<toml::Value>>>>,
    controller: Option<Spanned<BTreeMap<String, Spanned<toml::Value>>>>,
}

fn positions(src: &str) -> BTreeMap<String, (usize, usize)> {
    let mut pos = BTreeMap::new();
    let Ok(sp) = toml::from_str::<Spans>(src) else { return pos };
    let lc = |start: usize| line_col(src, start);
    for (k, v) in [("dt_s", &sp.dt_s), ("steps", &sp.steps)] {
        if let Some(v) = v {
            pos.insert(k.to_string(), lc(v.span().start));
        }
    }
    for (t, tab) in [("workload", &sp.workload), ("battery", &sp.battery), ("controller", &sp.controller)] {
        if let Some(tab) = tab {
            pos.insert(t.to_string(), lc(tab.span().start));
            for (k, v) in tab.get_ref() {
                pos.insert(format!("{t}.{k}"), lc(v.span().start));
            }
        }
    }
    pos
}

/// The profile of one run: the file `profile` (else the defaults) with the caller's
/// overrides, each `(value, name)` naming the flag or keyword that set it (`--steps`,
/// `steps`), then checked. The overrides are checked already (a count ≥ 1, a finite
/// step > 0).
pub fn profile_for(
    profile: Option<&str>,
    steps: Option<(usize, &str)>,
    dt_s: Option<(f64, &str)>,
    keep_busy: bool,
) -> Result<Profile, InputError> {
    let mut p = match profile {
        Some(path) => load_profile(path)?,
        None => Profile::default(),
    };
    if let Some((s, flag)) = steps {
        p.steps = s;
        p.set_by_flag("steps", flag);
    }
    if let Some((d, flag)) = dt_s {
        p.dt_s = d;
        p.set_by_flag("dt_s", flag);
    }
    p.workload.keep_busy |= keep_busy;
    p.check()?;
    Ok(p)
}

/// Read and validate a profile: every number finite and in range ([`Profile::check`]),
/// errors naming the file, the key's line:column and the fix.
pub fn load_profile(path: &str) -> Result<Profile, InputError> {
    let src = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(path, "profile", format!("cannot read it: {e}"), "check the path"))?;
    parse_profile(path, &src)
}

/// [`load_profile`] of text; `path` names it in messages.
pub fn parse_profile(path: &str, src: &str) -> Result<Profile, InputError> {
    let mut p: Profile = toml::from_str(src).map_err(|e| {
        InputError::new(
            path,
            "profile",
            e.message().trim().to_string(),
            "see the README's time-series section for the keys and their types",
        )
        .at(e.span().map(|s| line_col(src, s.start)))
    })?;
    p.origin = Origin { file: path.to_string(), pos: positions(src), flags: BTreeMap::new() };
    p.check()?;
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
    /// The controller's `max_ramp_mw_per_s`.
    pub ramp_limit_mw_per_s: f64,
    /// The grid draw against it: steps over the limit, the first, the worst ramp.
    pub ramp: RampCheck,
    /// Where the limit broke: the battery (power, energy) that holds it for this
    /// profile, with the same efficiency, state-of-charge window and initial state of
    /// charge (the default battery's where there is none), simulated and holding it.
    pub battery_needed: Option<Sizing>,
    pub backend: String,
}

/// Where the job's IT load sits: full-power MW per bus row.
pub fn it_by_bus(net: &Network, racks_mw_by_bus: Option<&[f64]>) -> Vec<f64> {
    match racks_mw_by_bus {
        Some(v) => v.to_vec(),
        None => (0..net.bus.rows()).map(|r| net.bus.get(r, bus::PD).max(0.0)).collect(),
    }
}

/// Bytes a time series of `steps` over `nl` branches needs, with `k` buses whose
/// injection varies, on the GPU or the CPU (see [`super::limits`]).
pub fn timeseries_bytes(steps: usize, nl: usize, k: usize, gpu: bool) -> u128 {
    let (s, nl, k) = (steps as u128, nl as u128, k as u128);
    let mut b = s * nl * 8 + s * 96;
    if gpu {
        b += 4 * k * (s + nl) + 8 * k * nl;
    }
    b
}

/// Run a time series. `it_full` is the IT load at full power per bus row (MW);
/// `battery` is (bus row, battery), from [`battery_for`].
///
/// Bad input (the profile's values, the network, a battery at a missing or isolated bus,
/// a series too large for memory) is an [`Error::Input`] before any large allocation;
/// the results hold no NaN or Inf (apart from `peak_loading_pct` of unrated branches).
pub fn run(
    net: &Network,
    it_full: &[f64],
    battery: Option<(usize, Battery)>,
    p: &Profile,
    backend: Backend,
) -> Result<TimeSeries, Error> {
    p.check()?;
    let pf = DcPowerFlow::new(net)?;
    let base = pf.solve_checked(net)?.pf_mw;
    if it_full.len() != net.bus.rows() {
        return Err(Error::Internal(format!(
            "IT load given for {} buses, the network has {}",
            it_full.len(),
            net.bus.rows()
        )));
    }
    if let Some((r, v)) = it_full.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
        return Err(InputError::new(
            &net.source,
            format!("bus row {}", r + 1),
            format!("IT load {v} MW is not a finite power ≥ 0"),
            "give finite, non-negative loads",
        )
        .into());
    }
    if let Some((r, b)) = &battery {
        if let Some(i) = b.issue() {
            return Err(p.error(&format!("battery.{}", i.key), i.message, i.fix).into());
        }
        if pf.bus_idx.get(*r).copied().flatten().is_none() {
            return Err(p
                .error(
                    "battery.bus",
                    format!("the battery's bus (row {}) is missing or isolated (BUS_TYPE 4)", r + 1),
                    "connect the battery to an in-service bus",
                )
                .into());
        }
    }
    // IT load at isolated buses is not in the network.
    let it_full: Vec<f64> =
        it_full.iter().enumerate().map(|(r, &v)| if pf.bus_idx[r].is_some() { v } else { 0.0 }).collect();
    let nl = net.branch.rows();
    let full_mw: f64 = it_full.iter().sum();
    let job_full = if p.workload.gpus > 0 { p.workload.gpus as f64 * p.workload.w_per_gpu / 1e6 } else { full_mw };
    if job_full > 0.0 && full_mw <= 0.0 {
        return Err(p
            .error(
                "workload.gpus",
                format!("the job draws {job_full} MW but the network has no IT load for it to follow"),
                "give the network loads (PD > 0, or racks with feed_bus on [network] buses)",
            )
            .into());
    }
    let bat_bus = battery.as_ref().map(|(b, _)| *b);
    let varying: Vec<usize> =
        (0..net.bus.rows()).filter(|&r| (it_full[r] != 0.0 || Some(r) == bat_bus) && pf.bus_idx[r].is_some()).collect();
    // Memory, before any per-step allocation.
    let mut backend = backend;
    let fix = "use fewer steps (a longer dt_s covers the same time) or a smaller network";
    let what = |gpu: bool| format!("{} steps × {nl} branches{}", p.steps, if gpu { " (flows on the GPU)" } else { "" });
    let cpu_bytes = timeseries_bytes(p.steps, nl, varying.len(), false);
    let gpu_bytes = timeseries_bytes(p.steps, nl, varying.len(), true);
    match backend {
        Backend::Cpu => super::limits::check(&net.source, "steps", &what(false), cpu_bytes, fix),
        Backend::Gpu => super::limits::check(&net.source, "steps", &what(true), gpu_bytes, fix),
        Backend::Auto => {
            if !super::limits::fits(gpu_bytes) {
                backend = Backend::Cpu;
            }
            super::limits::check(&net.source, "steps", &what(false), cpu_bytes, fix)
        }
    }
    .map_err(|e| {
        // Named where `steps` came from: the flag, the profile's key, or (the default)
        // the network that is too large for it.
        let mut named = p.error("steps", e.message, e.fix);
        if !p.origin.flags.contains_key("steps") && p.origin.file.is_empty() {
            named.file = net.source.clone();
        }
        named
    })?;
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
    let bat = battery.as_ref().map(|(_, b)| b.clone()).unwrap_or_default();
    let run = simulate_battery(&net_load, p.dt_s, &bat, &p.controller);
    let battery_needed = if run.ramp.held() { None } else { size_battery(&net_load, p.dt_s, &bat, &p.controller) };
    let unsmoothed = max_ramp(&net_load, p.dt_s);
    // Injection changes per bus row and step, MW: −ΔIT + battery.
    let dp = |t: usize, r: usize| -> f64 {
        let mut v = -it_full[r] * (level[t] - 1.0);
        if Some(r) == bat_bus {
            v += run.battery_mw[t];
        }
        v
    };
    let inv_rate = inverse_ratings(net);
    let gpu = crate::backend::gpu_for(backend).map_err(|e| Error::Internal(e.to_string()))?;
    let (flows, used) = crate::backend::run_on(
        backend,
        gpu.as_ref(),
        "time series",
        |c| flows_gpu(c, &pf, &base, &varying, &dp, p.steps).map(|f| (f, format!("gpu ({})", c.adapter.name))),
        || Ok((flows_cpu(&pf, net, &varying, &dp, p.steps), "cpu".into())),
        |_| true,
    )
    .map_err(super::screen::gpu_error)?;
    if let Some(i) = flows.iter().position(|v| !v.is_finite()) {
        let (t, l) = (i / nl.max(1), i % nl.max(1));
        return Err(bad_result(
            net,
            format!("branch row {}", l + 1),
            net.branch.lines[l],
            format!("the flow at step {t} is {}", flows[i]),
        )
        .into());
    }
    let mut peak = vec![f64::NAN; nl];
    for (l, pk) in peak.iter_mut().enumerate() {
        if inv_rate[l] > 0.0 {
            *pk = nan_max((0..p.steps).map(|t| flows[t * nl + l].abs() as f64)) * inv_rate[l] * 100.0;
        }
    }
    let ts = TimeSeries {
        time_s: (0..p.steps).map(|t| t as f64 * p.dt_s).collect(),
        keep_busy_mwh: extra.iter().sum::<f64>() * p.dt_s / 3600.0,
        it_mw: it,
        keep_busy_mw: extra,
        max_ramp_grid_mw_per_s: max_ramp(&run.grid_mw, p.dt_s),
        max_ramp_unsmoothed_mw_per_s: unsmoothed,
        net_load_mw: net_load,
        battery_cycled_mwh: run.cycled_mwh,
        battery_losses_mwh: run.losses_mwh,
        ramp_limit_mw_per_s: p.controller.max_ramp_mw_per_s,
        ramp: run.ramp,
        battery_needed,
        grid_mw: run.grid_mw,
        battery_mw: run.battery_mw,
        soc: run.soc,
        flows_mw: flows,
        peak_loading_pct: peak,
        backend: used,
    };
    ts.check()?;
    Ok(ts)
}

impl TimeSeries {
    /// No NaN or Inf in any series or total (`peak_loading_pct` is NaN only for branches
    /// without a rating, as documented).
    pub fn check(&self) -> Result<(), Error> {
        let series: [(&str, &[f64]); 7] = [
            ("time_s", &self.time_s),
            ("it_mw", &self.it_mw),
            ("keep_busy_mw", &self.keep_busy_mw),
            ("net_load_mw", &self.net_load_mw),
            ("grid_mw", &self.grid_mw),
            ("battery_mw", &self.battery_mw),
            ("soc", &self.soc),
        ];
        for (name, v) in series {
            if let Some((i, x)) = first_non_finite(v) {
                return Err(Error::Internal(format!("the time series {name} is {x} at step {i}")));
            }
        }
        for (name, x) in [
            ("max_ramp_grid_mw_per_s", self.max_ramp_grid_mw_per_s),
            ("max_ramp_unsmoothed_mw_per_s", self.max_ramp_unsmoothed_mw_per_s),
            ("battery_cycled_mwh", self.battery_cycled_mwh),
            ("battery_losses_mwh", self.battery_losses_mwh),
            ("keep_busy_mwh", self.keep_busy_mwh),
            ("worst_ramp_mw_per_s", self.ramp.worst_mw_per_s),
            ("battery_needed_power_mw", self.battery_needed.as_ref().map_or(0.0, |s| s.power_mw)),
            ("battery_needed_energy_mwh", self.battery_needed.as_ref().map_or(0.0, |s| s.energy_mwh)),
        ] {
            if !x.is_finite() {
                return Err(Error::Internal(format!("the time series total {name} is {x}")));
            }
        }
        if self.peak_loading_pct.iter().any(|v| v.is_infinite()) {
            return Err(Error::Internal("a peak loading is infinite".into()));
        }
        Ok(())
    }
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

/// The battery to use: the profile's `[battery]` at its `bus`, else at the facility's
/// first battery bus, else at the first reference (slack) bus — on any network, a .m case
/// included; without a profile `[battery]`, the facility's first `[[network.battery]]`;
/// else none. A bus that does not exist or is isolated is an input error naming the
/// profile's `bus` key; so is a facility battery whose state of charge lies outside the
/// operating window.
pub fn battery_for(
    p: &Profile,
    net: &Network,
    loads: Option<&super::facility_net::AttachedLoads>,
) -> Result<Option<(usize, Battery)>, InputError> {
    let fac = loads.and_then(|l| l.battery);
    match (&p.battery, fac) {
        (Some(b), fac) => {
            let row = match &b.bus {
                Some(r) => bus_row_of(p, net, r)?,
                None => match fac {
                    Some((row, ..)) => row,
                    None => {
                        let idx = super::validate::validate(net)?;
                        match super::validate::reference_rows(net, &idx).first() {
                            Some(&r) => r,
                            // No reference: the power flow names the problem.
                            None => {
                                return Err(DcPowerFlow::new(net).err().unwrap_or_else(|| {
                                    InputError::new(
                                        &net.source,
                                        "reference bus",
                                        "the network has none",
                                        "give it a type-3 bus with an on-line generator",
                                    )
                                }))
                            }
                        }
                    }
                },
            };
            Ok(Some((row, b.clone())))
        }
        (None, Some((row, power, energy, soc, eff))) => {
            let d = Battery::default();
            let b = Battery {
                power_mw: power,
                energy_mwh: energy,
                soc_initial: soc.unwrap_or(d.soc_initial),
                round_trip_efficiency: eff.unwrap_or(d.round_trip_efficiency),
                ..d
            };
            if let Some(i) = b.issue() {
                return Err(InputError::new(
                    &net.source,
                    "[[network.battery]]",
                    format!(
                        "{} (with the default window soc_min … soc_max = {} … {})",
                        i.message, d.soc_min, d.soc_max
                    ),
                    "give the facility battery's soc and efficiency within the window, or a [battery] in the profile",
                ));
            }
            Ok(Some((row, b)))
        }
        (None, None) => Ok(None),
    }
}

/// The bus row a profile's `bus = …` names.
fn bus_row_of(p: &Profile, net: &Network, r: &BusRef) -> Result<usize, InputError> {
    let row = match r {
        BusRef::Number(n) => (0..net.bus.rows()).find(|&i| net.bus.get(i, bus::BUS_I) == *n as f64),
        BusRef::Name(s) => net.bus_names.iter().position(|b| b == s),
    };
    let Some(row) = row else {
        return Err(p.error(
            "battery.bus",
            format!("bus {r} is not a bus of {}", net.source),
            "name an existing bus: its number (BUS_I; 1, 2, … in file order for a facility) or its id",
        ));
    };
    if net.bus.get(row, bus::BUS_TYPE) == bus::NONE {
        return Err(p.error(
            "battery.bus",
            format!("bus {r} is isolated (BUS_TYPE 4)"),
            "connect the battery to an in-service bus",
        ));
    }
    Ok(row)
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
    let (lo, hi) = (nan_min(ts.it_mw.iter().copied()), nan_max(ts.it_mw.iter().copied()));
    let _ = writeln!(o, "job IT power {lo:.2}–{hi:.2} MW; keep-busy energy {:.3} MWh", ts.keep_busy_mwh);
    let _ = writeln!(
        o,
        "utility ramp: {:.3} MW/s without battery → {:.3} MW/s with it; battery cycled {:.3} MWh, losses {:.3} MWh",
        ts.max_ramp_unsmoothed_mw_per_s, ts.max_ramp_grid_mw_per_s, ts.battery_cycled_mwh, ts.battery_losses_mwh
    );
    let _ = writeln!(o, "{}", ramp_line(ts));
    let mut idx: Vec<usize> = (0..ts.peak_loading_pct.len()).filter(|&l| ts.peak_loading_pct[l].is_finite()).collect();
    idx.sort_by(|&a, &b| ts.peak_loading_pct[b].total_cmp(&ts.peak_loading_pct[a]));
    let _ = writeln!(o, "peak branch loadings over the series:");
    for &l in idx.iter().take(5) {
        let name = net.branch_name(l);
        let _ = writeln!(o, "  {name:<28} {:>8.1} %", ts.peak_loading_pct[l]);
    }
    if let Some(out) = output {
        let _ = writeln!(o, "results: {out}");
    }
    o
}

impl TimeSeries {
    /// Time of the first step that broke the ramp limit, s.
    pub fn first_violation_s(&self) -> Option<f64> {
        self.ramp.first_violation.and_then(|i| self.time_s.get(i).copied())
    }
}

/// The ramp limit held, or where it broke and the battery that would hold it.
fn ramp_line(ts: &TimeSeries) -> String {
    let lim = ts.ramp_limit_mw_per_s;
    if ts.ramp.held() {
        return format!("ramp limit {lim} MW/s held at every step");
    }
    let mut o = format!(
        "ramp limit {lim} MW/s BROKEN at {} of {} steps (first at t = {} s, worst {:.3} MW/s)",
        ts.ramp.violations,
        ts.time_s.len().saturating_sub(1),
        ts.first_violation_s().unwrap_or(f64::NAN),
        ts.ramp.worst_mw_per_s
    );
    match &ts.battery_needed {
        Some(s) => o.push_str(&format!(
            "\n  a battery of {} MW / {} MWh holds it for this profile (simulated; ideal lower bound {:.3} MW / {:.3} MWh)",
            s.power_mw, s.energy_mwh, s.ideal_power_mw, s.ideal_energy_mwh
        )),
        None => o.push_str("\n  no battery up to 1e6 MW / 1e6 MWh holds it for this profile"),
    }
    o
}

pub fn json_summary(net: &Network, ts: &TimeSeries, secs: f64, output: Option<&str>) -> serde_json::Value {
    // The ten highest peak loadings, named.
    let mut idx: Vec<usize> = (0..ts.peak_loading_pct.len()).filter(|&l| ts.peak_loading_pct[l].is_finite()).collect();
    idx.sort_by(|&a, &b| ts.peak_loading_pct[b].total_cmp(&ts.peak_loading_pct[a]));
    let peaks: Vec<serde_json::Value> = idx
        .iter()
        .take(10)
        .map(|&l| serde_json::json!({"row": l, "name": net.branch_name(l), "peak_loading_pct": ts.peak_loading_pct[l]}))
        .collect();
    serde_json::json!({
        "name": net.name, "input": net.source, "output": output, "backend": ts.backend, "steps": ts.time_s.len(), "seconds": secs,
        "max_ramp_unsmoothed_mw_per_s": ts.max_ramp_unsmoothed_mw_per_s, "max_ramp_grid_mw_per_s": ts.max_ramp_grid_mw_per_s,
        "battery_cycled_mwh": ts.battery_cycled_mwh, "battery_losses_mwh": ts.battery_losses_mwh, "keep_busy_mwh": ts.keep_busy_mwh,
        "max_ramp_limit_mw_per_s": ts.ramp_limit_mw_per_s, "ramp_limit_held": ts.ramp.held(),
        "ramp_violations": ts.ramp.violations, "worst_ramp_mw_per_s": ts.ramp.worst_mw_per_s,
        "first_violation_s": ts.first_violation_s(),
        // Null where the limit held (no battery needed) or no battery holds it.
        "battery_needed_power_mw": ts.battery_needed.as_ref().map(|s| s.power_mw),
        "battery_needed_energy_mwh": ts.battery_needed.as_ref().map(|s| s.energy_mwh),
        // NaN marks branches without a rating; the others are finite (checked).
        "peak_loading_pct_max": nan_max(ts.peak_loading_pct.iter().copied().filter(|v| !v.is_nan())).max(0.0),
        "peak_loadings": peaks,
    })
}
