//! The airflow model's linear solves on the GPU, in f32, each inside the mixed-precision
//! refinement of `thermal::gpu` (f64 residual on the host):
//!
//! - the potential: symmetric, so the thermal MG-PCG ([`GpuMg::pcg`]) as it is;
//! - the advected heat with its rack and unit links: BiCGStab ([`GpuBicgstab`]) with the
//!   thermal V-cycle as right preconditioner, the stencil `apply` kernel plus
//!   `link_mean` / `link_scatter` as the operator, and the BiCGStab scalars kept on the
//!   GPU (`bicgstab_scalars`), so an iteration needs no readback.
//!
//! Kernels live in `shaders/airflow/`, one per file, each with its CPU twin here or in
//! [`super::links`].

use super::links::Links;
use crate::gpu::kernel;
use crate::gpu::record::{iterate, record, Step};
use crate::gpu::{GpuContext, GpuError};
use crate::thermal::gpu::{GpuMg, VecParams};

/// Scalar slots (see `bicgstab_scalars.wgsl`).
pub const RHO: usize = 0;
pub const RHO_NEW: usize = 1;
pub const ALPHA: usize = 2;
pub const OMEGA: usize = 3;
pub const BETA: usize = 4;
pub const R0V: usize = 5;
pub const TS: usize = 6;
pub const TT: usize = 7;
pub const RR: usize = 8;

fn quotient(a: f64, b: f64) -> f64 {
    let q = a / b;
    if b != 0.0 && q.abs() < 3.0e38 {
        q
    } else {
        0.0
    }
}

/// CPU twin of `bicgstab_scalars.wgsl`.
pub fn bicgstab_scalars(s: &mut [f64; 16], mode: u32) {
    match mode {
        0 => {
            s[BETA] = quotient(s[RHO_NEW], s[RHO]) * quotient(s[ALPHA], s[OMEGA]);
            s[RHO] = s[RHO_NEW];
        }
        1 => s[ALPHA] = quotient(s[RHO], s[R0V]),
        _ => s[OMEGA] = quotient(s[TS], s[TT]),
    }
}

/// CPU twin of `bicgstab_update.wgsl`: `w = f(w, u, v)` by mode.
pub fn bicgstab_update(s: &[f64; 16], mode: u32, u: &[f64], v: &[f64], w: &mut [f64]) {
    let (alpha, omega, beta) = (s[ALPHA], s[OMEGA], s[BETA]);
    for ((w, u), v) in w.iter_mut().zip(u).zip(v) {
        *w = match mode {
            0 => u + beta * (*w - omega * v),
            1 => u - alpha * v,
            2 => *w + alpha * u + omega * v,
            _ => u - omega * v,
        };
    }
}

/// f32 BiCGStab on the GPU for `(A + L) x = b`: `A` the finest operator of a [`GpuMg`]
/// (whose V-cycle preconditions), `L` the links.
pub struct GpuBicgstab {
    n: usize,
    r: wgpu::Buffer,
    r0: wgpu::Buffer,
    x: wgpu::Buffer,
    clear: Vec<wgpu::Buffer>,
    scalars: wgpu::Buffer,
    iteration: Vec<Step>,
    /// y = (A + L) x for the buffers given at construction (tests).
    pub(crate) apply_steps: Vec<Step>,
    pub(crate) apply_io: (wgpu::Buffer, wgpu::Buffer),
    /// Bytes on the GPU besides the multigrid.
    pub bytes: u64,
}

impl GpuBicgstab {
    pub fn new(ctx: &GpuContext, mg: &GpuMg, links: &Links) -> Result<Self, GpuError> {
        let n = mg.fine.padded_len();
        let buf = |what: &str| ctx.storage_zeroed::<f32>(what, n);
        let (r, r0, p, v, ph, s, sh, t, x) = (
            buf("BiCGStab r")?,
            buf("BiCGStab r0")?,
            buf("BiCGStab p")?,
            buf("BiCGStab v")?,
            buf("BiCGStab p̂")?,
            buf("BiCGStab s")?,
            buf("BiCGStab ŝ")?,
            buf("BiCGStab t")?,
            buf("BiCGStab x")?,
        );
        let scalars = ctx.storage_zeroed::<f32>("BiCGStab scalars", 16)?;
        let partial = ctx.storage_zeroed::<f32>("dot partials", 256)?;
        let mut bytes = (9 * n * 4) as u64;
        let (apply, dotp, reduce) = (kernel(ctx, "apply")?, kernel(ctx, "dot")?, kernel(ctx, "reduce_sum")?);
        let (scal, update, mean, scatter) = (
            kernel(ctx, "bicgstab_scalars")?,
            kernel(ctx, "bicgstab_update")?,
            kernel(ctx, "link_mean")?,
            kernel(ctx, "link_scatter")?,
        );
        let vg = ctx.groups(n, 256);
        let vp =
            |slot: u32, mode: u32| ctx.uniform("vec params", &VecParams { n: n as u32, groups_x: vg.0, slot, mode });
        // Links (absent when there are none: empty storage buffers cannot be bound).
        let link_bufs = if links.count() > 0 && links.receivers() > 0 {
            let w32: Vec<f32> = links.to_w.iter().map(|&w| w as f32).collect();
            let b = (
                ctx.storage("link sources", &links.from_off)?,
                ctx.storage("link source cells", &links.from_idx)?,
                ctx.storage("link receivers", &links.to_off)?,
                ctx.storage("link receiving cells", &links.to_cell)?,
                ctx.storage("link entries", &links.to_link)?,
                ctx.storage("link weights", &w32)?,
                ctx.storage_zeroed::<f32>("link means", links.count())?,
            );
            bytes += 4
                * (links.from_off.len() + links.from_idx.len() + links.to_off.len() + links.to_cell.len()) as u64
                + 8 * links.to_link.len() as u64;
            Some(b)
        } else {
            None
        };
        let u0 = ctx.uniform("level params", &mg.fine_params);
        let cells = ctx.groups(mg.fine.cells(), 256);
        let op = |x: &wgpu::Buffer, y: &wgpu::Buffer| -> Vec<Step> {
            let mut out = vec![Step::Run {
                pipe: apply.clone(),
                bind: ctx.bind(&apply, &[&u0, &mg.fine_coef, &mg.fine_delta, x, y]),
                groups: cells,
            }];
            if let Some((fo, fi, to, tc, tl, tw, means)) = &link_bufs {
                let gl = ctx.groups(links.count(), 64);
                let um = ctx
                    .uniform("link params", &VecParams { n: links.count() as u32, groups_x: gl.0, slot: 0, mode: 0 });
                out.push(Step::Run { pipe: mean.clone(), bind: ctx.bind(&mean, &[&um, fo, fi, x, means]), groups: gl });
                let gr = ctx.groups(links.receivers(), 64);
                let ur = ctx.uniform(
                    "link params",
                    &VecParams { n: links.receivers() as u32, groups_x: gr.0, slot: 0, mode: 0 },
                );
                out.push(Step::Run {
                    pipe: scatter.clone(),
                    bind: ctx.bind(&scatter, &[&ur, to, tc, tl, tw, means, y]),
                    groups: gr,
                });
            }
            out
        };
        let precond = |from: &wgpu::Buffer, to: &wgpu::Buffer| -> Vec<Step> {
            let mut out = vec![Step::Copy(from.clone(), mg.r.clone())];
            out.extend(mg.vcycle.iter().cloned());
            out.push(Step::Copy(mg.z.clone(), to.clone()));
            out
        };
        let dot_into = |a: &wgpu::Buffer, b: &wgpu::Buffer, slot: usize| -> [Step; 2] {
            let u2 = ctx.uniform("reduce params", &VecParams { n: 256, groups_x: 1, slot: slot as u32, mode: 0 });
            [
                Step::Run {
                    pipe: dotp.clone(),
                    bind: ctx.bind(&dotp, &[&vp(slot as u32, 0), a, b, &partial]),
                    groups: (256, 1),
                },
                Step::Run { pipe: reduce.clone(), bind: ctx.bind(&reduce, &[&u2, &partial, &scalars]), groups: (1, 1) },
            ]
        };
        let scal_step = |mode: u32| Step::Run {
            pipe: scal.clone(),
            bind: ctx.bind(&scal, &[&vp(0, mode), &scalars]),
            groups: (1, 1),
        };
        let upd = |mode: u32, u: &wgpu::Buffer, v: &wgpu::Buffer, w: &wgpu::Buffer| Step::Run {
            pipe: update.clone(),
            bind: ctx.bind(&update, &[&vp(0, mode), &scalars, u, v, w]),
            groups: vg,
        };
        let mut it = Vec::new();
        it.extend(dot_into(&r0, &r, RHO_NEW));
        it.push(scal_step(0));
        it.push(upd(0, &r, &v, &p));
        it.extend(precond(&p, &ph));
        it.extend(op(&ph, &v));
        it.extend(dot_into(&r0, &v, R0V));
        it.push(scal_step(1));
        it.push(upd(1, &r, &v, &s));
        it.extend(precond(&s, &sh));
        it.extend(op(&sh, &t));
        it.extend(dot_into(&t, &s, TS));
        it.extend(dot_into(&t, &t, TT));
        it.push(scal_step(2));
        it.push(upd(2, &ph, &sh, &x));
        it.push(upd(3, &s, &t, &r));
        it.extend(dot_into(&r, &r, RR));
        let apply_steps = op(&ph, &v);
        Ok(GpuBicgstab {
            n,
            r,
            r0,
            x,
            clear: vec![p, v.clone(), ph.clone()],
            scalars,
            iteration: it,
            apply_steps,
            apply_io: (ph, v),
            bytes,
        })
    }

    /// Solve from x = 0 for a padded f32 right-hand side until the relative residual
    /// reaches `tol` or stops falling; returns x (padded) and the iterations.
    pub fn solve(&self, ctx: &GpuContext, b: &[f32], tol: f64, max_iter: usize) -> Result<(Vec<f32>, usize), GpuError> {
        let bnorm = b.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>().sqrt();
        if bnorm == 0.0 {
            return Ok((vec![0.0; self.n], 0));
        }
        ctx.queue.write_buffer(&self.r, 0, bytemuck::cast_slice(b));
        ctx.queue.write_buffer(&self.r0, 0, bytemuck::cast_slice(b));
        let mut s0 = [0f32; 16];
        (s0[RHO], s0[ALPHA], s0[OMEGA]) = (1.0, 1.0, 1.0);
        ctx.queue.write_buffer(&self.scalars, 0, bytemuck::cast_slice(&s0));
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        enc.clear_buffer(&self.x, 0, None);
        self.clear.iter().for_each(|b| enc.clear_buffer(b, 0, None));
        ctx.queue.submit([enc.finish()]);
        // Stagnation also catches a breakdown (the scalars went to 0).
        let (it, _) = iterate(ctx, &self.iteration, &self.scalars, 16, RR, bnorm, tol, max_iter)?;
        Ok((ctx.read::<f32>(&self.x, self.n)?, it))
    }

    /// `y = (A + L) x` on the GPU (padded f32), for tests of the operator twins.
    pub fn apply_once(&self, ctx: &GpuContext, x: &[f32]) -> Result<Vec<f32>, GpuError> {
        ctx.queue.write_buffer(&self.apply_io.0, 0, bytemuck::cast_slice(x));
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        record(&self.apply_steps, &mut enc);
        ctx.queue.submit([enc.finish()]);
        ctx.read::<f32>(&self.apply_io.1, self.n)
    }
}
