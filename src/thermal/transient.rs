//! Transient heat: `rho_cp dT/dt = −(A T − b)` with the operator of `operator.rs`.
//!
//! - backward Euler: `(A + C) T¹ = b + C T⁰`, `C = diag(rho_cp / dt)`;
//! - Crank–Nicolson: `(A + 2C) T¹ = 2b − A T⁰ + 2C T⁰`;
//! - forward Euler: `T¹ = T⁰ + (dt / rho_cp)(b − A T⁰)`, refused when `dt` exceeds the
//!   stability limit `min_i 2 rho_cp,i / Σ_j |a_ij|` (Gershgorin), named in the message.
//!
//! The implicit schemes shift the diagonal once and build one multigrid hierarchy for all
//! steps (constant dt); each step solves for the increment `T¹ − T⁰` by MG-PCG, on the
//! CPU in f64 or on the GPU in f32 (the increment's rounding stays relative to the
//! change, not to the temperature).

use super::cpu::{mg_pcg, Multigrid};
use super::operator::assemble;
use super::stencil::{Layout, Stencil};
use super::ThermalProblem;
use crate::gpu::{GpuContext, GpuError};

/// Time-stepping scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    BackwardEuler,
    CrankNicolson,
    ForwardEuler,
}

impl Scheme {
    pub fn name(&self) -> &'static str {
        match self {
            Scheme::BackwardEuler => "backward-euler",
            Scheme::CrankNicolson => "crank-nicolson",
            Scheme::ForwardEuler => "forward-euler",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TransientError {
    #[error("forward Euler is unstable at dt = {dt} s: the limit for this grid is {limit:.6e} s (2 rho_cp / Gershgorin bound of A); use dt ≤ {limit:.6e} s or an implicit scheme")]
    Unstable { dt: f64, limit: f64 },
    #[error("rho_cp must be finite and > 0 in every cell (cell {cell}: {value})")]
    BadRhoCp { cell: usize, value: f64 },
    #[error("dt = {dt:e} s makes rho_cp / dt overflow (cell {cell}); give a time step that is a finite, representable number of seconds")]
    BadStep { dt: f64, cell: usize },
    #[error("{0}")]
    Problem(#[from] super::ProblemError),
    #[error("the step {step} solve did not converge (relative residual {rel:.2e})")]
    NotConverged { step: usize, rel: f64 },
    #[error("the march gave T = {value} at cell {cell}")]
    NonFinite { cell: usize, value: f64 },
    #[error("{0}")]
    Gpu(#[from] GpuError),
    #[error("solver setup failed: {0}")]
    Setup(String),
}

/// Largest stable forward-Euler step, s.
pub fn forward_euler_limit(a: &Stencil, rho_cp: &[f64]) -> f64 {
    let noff = a.noff();
    (0..a.layout.cells())
        .map(|c| {
            let row: f64 = a.coef[c * noff..(c + 1) * noff].iter().map(|v| v.abs()).sum();
            2.0 * rho_cp[c] / row
        })
        .fold(f64::INFINITY, |m, v| if m.is_nan() || v.is_nan() { f64::NAN } else { m.min(v) })
}

/// CPU twin of `euler_step.wgsl`: `x += w r`.
pub fn euler_step(w: &[f64], r: &[f64], x: &mut [f64]) {
    for ((x, w), r) in x.iter_mut().zip(w).zip(r) {
        *x += w * r;
    }
}

/// `a + diag(s)` (compact `s`).
fn shifted(a: &Stencil, s: &[f64]) -> Stencil {
    let mut o = a.clone();
    let noff = a.noff();
    for (c, v) in s.iter().enumerate() {
        o.coef[c * noff + a.diag] += v;
    }
    o
}

/// Where the implicit solves run.
pub enum Engine<'a> {
    Cpu,
    Gpu(&'a GpuContext),
}

/// March `steps` steps of `dt` from `t0` (°C, compact); returns the final field.
#[allow(clippy::too_many_arguments)]
pub fn run_transient(
    p: &ThermalProblem,
    rho_cp: &[f64],
    t0: &[f64],
    scheme: Scheme,
    dt: f64,
    steps: usize,
    tol: f64,
    engine: Engine,
) -> Result<Vec<f64>, TransientError> {
    run_transient_with(p, rho_cp, t0, scheme, dt, steps, tol, STEP_MAX_ITER, engine, &mut |_, _| {}).map(|m| m.t)
}

/// The most steps one march may take (a bound on run time, whatever the input says).
pub const MAX_STEPS: usize = 10_000_000;

/// Iteration limit of each implicit step's solve in [`run_transient`].
pub const STEP_MAX_ITER: usize = 500;

/// The end of a march.
pub struct Marched {
    /// Final temperature, °C, compact.
    pub t: Vec<f64>,
    /// The largest relative residual any step's solve ended at (0 for forward Euler).
    pub worst_step_residual: f64,
}

/// The same, calling `on_step(step, T)` (T compact, °C) after every step. On the GPU,
/// forward Euler records all steps in one submission and reports only the last. Every
/// implicit step must converge (relative residual of its increment solve ≤ `tol`, within
/// `max_iter` iterations), on the CPU and on the GPU alike; the first that does not ends
/// the march with [`TransientError::NotConverged`].
#[allow(clippy::too_many_arguments)]
pub fn run_transient_with(
    p: &ThermalProblem,
    rho_cp: &[f64],
    t0: &[f64],
    scheme: Scheme,
    dt: f64,
    steps: usize,
    tol: f64,
    max_iter: usize,
    engine: Engine,
    on_step: &mut dyn FnMut(usize, &[f64]),
) -> Result<Marched, TransientError> {
    p.validate_fields()?;
    if let Some((cell, &value)) = rho_cp.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v > 0.0)) {
        return Err(TransientError::BadRhoCp { cell, value });
    }
    if let Some(cell) = rho_cp.iter().position(|v| !(v / dt).is_finite() || !(dt.is_finite() && dt > 0.0)) {
        return Err(TransientError::BadStep { dt, cell });
    }
    let (a, b) = assemble(p);
    let lay: Layout = a.layout;
    let mut x = lay.to_padded(t0);
    let mut r = lay.zeros();
    let mut worst = 0.0f64;
    match scheme {
        Scheme::ForwardEuler => {
            let limit = forward_euler_limit(&a, rho_cp);
            if !(dt <= limit) {
                return Err(TransientError::Unstable { dt, limit });
            }
            let w = lay.to_padded(&rho_cp.iter().map(|rc| dt / rc).collect::<Vec<_>>());
            match engine {
                Engine::Cpu => {
                    for step in 0..steps {
                        a.residual(&b, &x, &mut r);
                        euler_step(&w, &r, &mut x);
                        crate::progress::report("time step", step as u64 + 1, steps as u64);
                        on_step(step, &lay.to_compact(&x));
                    }
                }
                Engine::Gpu(ctx) => {
                    x = euler_gpu(ctx, &a, &b, &w, &x, steps)?;
                    if steps > 0 {
                        on_step(steps - 1, &lay.to_compact(&x));
                    }
                }
            }
        }
        Scheme::BackwardEuler | Scheme::CrankNicolson => {
            let k = if scheme == Scheme::BackwardEuler { 1.0 } else { 2.0 };
            let c: Vec<f64> = rho_cp.iter().map(|rc| k * rc / dt).collect();
            let op = shifted(&a, &c);
            let mut mg = Multigrid::new(&op).map_err(|e| TransientError::Setup(e.to_string()))?;
            let gpu = match engine {
                Engine::Gpu(ctx) => Some((ctx, super::gpu::GpuMg::new(ctx, &op, &mg)?)),
                Engine::Cpu => None,
            };
            let mut rhs = lay.zeros();
            for step in 0..steps {
                // Right-hand side of the increment: rhs − op x.
                if scheme == Scheme::BackwardEuler {
                    // (A + C)(x + δ) = b + C x  ⇒  (A + C) δ = b − A x.
                    a.residual(&b, &x, &mut rhs);
                } else {
                    // (A + 2C)(x + δ) = 2b − A x + 2C x  ⇒  (A + 2C) δ = 2(b − A x).
                    a.residual(&b, &x, &mut rhs);
                    rhs.iter_mut().for_each(|v| *v *= 2.0);
                }
                let mut delta = lay.zeros();
                let rel = match &gpu {
                    None => mg_pcg(&op, &mut mg, &rhs, &mut delta, tol, max_iter).relative_residual,
                    Some((ctx, g)) => {
                        super::gpu::refine_f32(
                            |x, r| op.residual(&rhs, x, r),
                            |r32, inner, budget| g.pcg(ctx, r32, inner, budget).map(|(e, its, _)| (e, its)),
                            &rhs,
                            &mut delta,
                            tol,
                            max_iter,
                        )?
                        .relative_residual
                    }
                };
                if !crate::outcome::converged(rel, tol) {
                    return Err(TransientError::NotConverged { step, rel });
                }
                worst = worst.max(rel);
                x.iter_mut().zip(&delta).for_each(|(x, d)| *x += d);
                crate::progress::report("time step", step as u64 + 1, steps as u64);
                on_step(step, &lay.to_compact(&x));
            }
        }
    }
    let t = lay.to_compact(&x);
    if let Some((cell, v)) = crate::outcome::first_non_finite(&t) {
        return Err(TransientError::NonFinite { cell, value: v });
    }
    Ok(Marched { t, worst_step_residual: worst })
}

/// Forward Euler on the GPU: `residual` then `euler_step`, all steps in one encoder.
fn euler_gpu(
    ctx: &GpuContext,
    a: &Stencil,
    b: &[f64],
    w: &[f64],
    x: &[f64],
    steps: usize,
) -> Result<Vec<f64>, GpuError> {
    use super::gpu::{level_params, VecParams};
    use crate::gpu::kernel;
    let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let coef = ctx.storage("operator", &f(&a.coef))?;
    let delta = ctx.storage("offsets", &a.delta.iter().map(|&d| d as i32).collect::<Vec<i32>>())?;
    let bb = ctx.storage("b", &f(b))?;
    let xb = ctx.storage("T", &f(x))?;
    let rb = ctx.storage_zeroed::<f32>("r", x.len())?;
    let wb = ctx.storage("dt / rho_cp", &f(w))?;
    let (res, eul) = (kernel(ctx, "residual")?, kernel(ctx, "euler_step")?);
    let lp = ctx.uniform("level", &level_params(ctx, a, 0));
    let g = ctx.groups(x.len(), 256);
    let vp = ctx.uniform("vec", &VecParams { n: x.len() as u32, groups_x: g.0, slot: 0, mode: 0 });
    let b1 = ctx.bind(&res, &[&lp, &coef, &delta, &bb, &xb, &rb]);
    let b2 = ctx.bind(&eul, &[&vp, &wb, &rb, &xb]);
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    let gc = ctx.groups(a.layout.cells(), 256);
    for _ in 0..steps {
        for (pipe, bind, groups) in [(&res, &b1, gc), (&eul, &b2, g)] {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipe);
            pass.set_bind_group(0, bind, &[]);
            pass.dispatch_workgroups(groups.0, groups.1, 1);
        }
    }
    ctx.queue.submit([enc.finish()]);
    Ok(ctx.read::<f32>(&xb, x.len())?.iter().map(|&v| v as f64).collect())
}
