//! The thermal solver on the GPU: the multigrid-preconditioned CG of `cpu/` in f32,
//! with kernels in `shaders/thermal/` (one per file, each named like its CPU twin).
//!
//! Setup runs on the host: the operator, the operator-dependent interpolation and the
//! Galerkin coarse operators are built exactly as on the CPU (f64) and uploaded in f32;
//! the coarsest operator's inverse (f64 Cholesky) is uploaded for a one-kernel coarse
//! solve. A CG iteration — stencil apply, dot products, scalar updates, a whole V-cycle —
//! is recorded into one command encoder; the CG scalars stay on the GPU
//! (`cg_scalars.wgsl`), and the residual norm is read back every `CHECK_EVERY` iterations.
//!
//! f32 cannot reach relative residuals much below 1e-6, so a single f32 solve stops when
//! the residual stagnates. Every GPU solve runs inside mixed-precision iterative
//! refinement: the residual in f64 on the host, the correction in f32 on the GPU, until
//! the f64 relative residual meets the tolerance. "Converged" means exactly that (the
//! rule of [`crate::outcome`]); a solve that stalls above it reports not converged.

use super::cpu::Multigrid;
use super::operator::assemble;
use super::stencil::{dot, Layout, Stencil};
use super::{SolveError, SolveOptions, SolveReport, SteadySolution, ThermalProblem};
pub use crate::gpu::record::CHECK_EVERY;
use crate::gpu::record::{iterate, record, Step};
use crate::gpu::{kernel, GpuContext, GpuError};
use std::time::Instant;

/// Relative residual an f32 solve is trusted to reach on its own.
pub const F32_FLOOR: f64 = 1e-6;

/// Keep in sync with `struct LevelParams` in shaders/thermal/*.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LevelParams {
    pub nx: u32,
    pub ny: u32,
    pub nz: u32,
    pub cells: u32,
    pub pnx: u32,
    pub pny: u32,
    pub pz: u32,
    pub noff: u32,
    pub diag: u32,
    pub colour: u32,
    pub face: u32,
    pub groups_x: u32,
}

/// Keep in sync with `struct TransferParams` in shaders/thermal/{restrict_fw,prolong_add}.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct TransferParams {
    pub fnx: u32,
    pub fny: u32,
    pub fnz: u32,
    pub fcells: u32,
    pub fpnx: u32,
    pub fpny: u32,
    pub fpz: u32,
    pub nd: u32,
    pub cnx: u32,
    pub cny: u32,
    pub cnz: u32,
    pub ccells: u32,
    pub cpnx: u32,
    pub cpny: u32,
    pub cpz: u32,
    pub coarsen: u32,
    pub groups_x: u32,
    pub pad0: u32,
    pub pad1: u32,
    pub pad2: u32,
}

/// Keep in sync with `struct VecParams` in shaders/thermal/{dot,reduce_sum,cg_*,xpby}.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct VecParams {
    pub n: u32,
    pub groups_x: u32,
    pub slot: u32,
    pub mode: u32,
}

/// CPU twin of `reduce_sum.wgsl`.
pub fn reduce_sum(partials: &[f64]) -> f64 {
    partials.iter().sum()
}

/// CPU twin of `cg_scalars.wgsl` (slots: 0 rz, 1 pAp, 2 alpha, 3 rz_new, 4 beta, 5 rr).
pub fn cg_scalars(s: &mut [f64; 6], mode: u32) {
    if mode == 0 {
        s[2] = if s[1] > 0.0 { s[0] / s[1] } else { 0.0 };
    } else {
        s[4] = if s[0] > 0.0 { s[3] / s[0] } else { 0.0 };
        s[0] = s[3];
    }
}

fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

/// Parameters of a level's stencil for one colour.
pub fn level_params(ctx: &GpuContext, a: &Stencil, colour: u32) -> LevelParams {
    let l = a.layout;
    let (gx, _) = ctx.groups(l.cells(), 256);
    LevelParams {
        nx: l.n[0] as u32,
        ny: l.n[1] as u32,
        nz: l.n[2] as u32,
        cells: l.cells() as u32,
        pnx: l.pn[0] as u32,
        pny: l.pn[1] as u32,
        pz: l.pad[2] as u32,
        noff: a.noff() as u32,
        diag: a.diag as u32,
        colour,
        face: u32::from(a.is_face_stencil()),
        groups_x: gx,
    }
}

/// Threads of one colour's smoothing sweep (`smooth_mc.wgsl`): that colour's cells only
/// (red-black: half of each row, rounded up; parity colours: every other cell along each
/// axis from the colour's parity).
pub fn colour_threads(a: &Stencil, colour: u32) -> usize {
    let n = a.layout.n;
    if a.is_face_stencil() {
        n[0].div_ceil(2) * n[1] * n[2]
    } else {
        (0..3).map(|d| (n[d] + 1 - (colour >> d & 1) as usize) / 2).product()
    }
}

/// [`level_params`] for one colour's smoothing sweep, dispatched over
/// [`colour_threads`] threads (the dispatch's groups: `ctx.groups(threads, 256)`).
pub fn smooth_params(ctx: &GpuContext, a: &Stencil, colour: u32) -> LevelParams {
    LevelParams { groups_x: ctx.groups(colour_threads(a, colour), 256).0, ..level_params(ctx, a, colour) }
}

/// Parameters of the transfer between a fine layout and its coarse one.
pub fn transfer_params(ctx: &GpuContext, it: &super::cpu::transfer::Interp) -> TransferParams {
    let (f, c) = (it.fine, it.coarse);
    let gx = ctx.groups(f.cells().max(c.cells()), 256).0;
    TransferParams {
        fnx: f.n[0] as u32,
        fny: f.n[1] as u32,
        fnz: f.n[2] as u32,
        fcells: f.cells() as u32,
        fpnx: f.pn[0] as u32,
        fpny: f.pn[1] as u32,
        fpz: f.pad[2] as u32,
        nd: it.nd as u32,
        cnx: c.n[0] as u32,
        cny: c.n[1] as u32,
        cnz: c.n[2] as u32,
        ccells: c.cells() as u32,
        cpnx: c.pn[0] as u32,
        cpny: c.pn[1] as u32,
        cpz: c.pad[2] as u32,
        coarsen: it.coarsen.iter().enumerate().map(|(d, &b)| u32::from(b) << d).sum(),
        groups_x: gx,
        ..Default::default()
    }
}

/// The uploaded hierarchy and CG state of one operator.
pub struct GpuMg {
    /// r (the CG residual, = level 0's b: the V-cycle's input), z (= level 0's x: its
    /// output), x.
    pub(crate) r: wgpu::Buffer,
    pub(crate) z: wgpu::Buffer,
    /// The CG solution.
    pub(crate) x: wgpu::Buffer,
    scalars: wgpu::Buffer,
    /// The finest operator's coefficients and offsets (f32, as uploaded).
    pub(crate) fine_coef: wgpu::Buffer,
    pub(crate) fine_delta: wgpu::Buffer,
    /// The finest level's stencil parameters (colour 0).
    pub(crate) fine_params: LevelParams,
    /// z = M r (one V-cycle).
    pub(crate) vcycle: Vec<Step>,
    /// z = M r; rz = r·z; rr = r·r; p = z.
    start: Vec<Step>,
    /// One CG iteration.
    iteration: Vec<Step>,
    /// One forward smoothing sweep on the finest level (benchmarks).
    fine_sweep: Vec<Step>,
    pub fine: Layout,
    pub depth: usize,
    /// Bytes on the GPU.
    pub bytes: u64,
}

impl GpuMg {
    /// Upload the operator `a` and its hierarchy `mg` (built on the host).
    pub fn new(ctx: &GpuContext, a: &Stencil, mg: &Multigrid) -> Result<Self, GpuError> {
        let mut ops: Vec<&Stencil> = vec![a];
        let mut interps = Vec::new();
        for (s, it) in mg.coarse_levels() {
            ops.push(s);
            interps.push(it);
        }
        let mut bytes = 0u64;
        let (mut coefs, mut deltas, mut xs, mut bs, mut rs) = (vec![], vec![], vec![], vec![], vec![]);
        for s in &ops {
            let l = s.layout;
            let what = format!("the {}×{}×{} operator", l.n[0], l.n[1], l.n[2]);
            coefs.push(ctx.storage(&what, &f32s(&s.coef))?);
            let d: Vec<i32> = s.delta.iter().map(|&v| v as i32).collect();
            deltas.push(ctx.storage("stencil offsets", &d)?);
            xs.push(ctx.storage_zeroed::<f32>("x", l.padded_len())?);
            bs.push(ctx.storage_zeroed::<f32>("b", l.padded_len())?);
            rs.push(ctx.storage_zeroed::<f32>("r", l.padded_len())?);
            bytes += (s.coef.len() * 4 + 3 * l.padded_len() * 4) as u64;
        }
        let fine = ops[0].layout;
        let n = fine.padded_len();
        let x = ctx.storage_zeroed::<f32>("CG x", n)?;
        let p = ctx.storage_zeroed::<f32>("CG p", n)?;
        let scalars = ctx.storage_zeroed::<f32>("CG scalars", 8)?;
        let partial = ctx.storage_zeroed::<f32>("dot partials", 256)?;
        bytes += (2 * n * 4) as u64;
        let k = |name| kernel(ctx, name);
        let (apply, residual, smooth, restrict, prolong) =
            (k("apply")?, k("residual")?, k("smooth_mc")?, k("restrict_fw")?, k("prolong_add")?);
        let (dotp, reduce, scal, update, xpby, coarse) =
            (k("dot")?, k("reduce_sum")?, k("cg_scalars")?, k("cg_update")?, k("xpby")?, k("coarse_solve")?);
        let cells = |l: &Layout| ctx.groups(l.cells(), 256);
        let colours = |s: &Stencil| -> Vec<u32> {
            super::cpu::smooth::colours(s)
                .iter()
                .map(|c| if c[1] == 255 { c[0] as u32 } else { c[0] as u32 | (c[1] as u32) << 1 | (c[2] as u32) << 2 })
                .collect()
        };
        let smooth_steps = |li: usize, forward: bool| -> Vec<Step> {
            let s = ops[li];
            let mut cs = colours(s);
            if !forward {
                cs.reverse();
            }
            let mut out = Vec::new();
            for _ in 0..mg.nu {
                for &c in &cs {
                    let u = ctx.uniform("smooth params", &smooth_params(ctx, s, c));
                    out.push(Step::Run {
                        pipe: smooth.clone(),
                        bind: ctx.bind(&smooth, &[&u, &coefs[li], &deltas[li], &bs[li], &xs[li]]),
                        groups: ctx.groups(colour_threads(s, c), 256),
                    });
                }
            }
            out
        };
        let last = ops.len() - 1;
        let fine_sweep: Vec<Step> = {
            let s = ops[0];
            colours(s)
                .iter()
                .map(|&c| {
                    let u = ctx.uniform("smooth params", &smooth_params(ctx, s, c));
                    Step::Run {
                        pipe: smooth.clone(),
                        bind: ctx.bind(&smooth, &[&u, &coefs[0], &deltas[0], &bs[0], &xs[0]]),
                        groups: ctx.groups(colour_threads(s, c), 256),
                    }
                })
                .collect()
        };
        let mut vcycle = Vec::new();
        let mut ups: Vec<Vec<Step>> = Vec::new();
        for li in 0..last {
            vcycle.push(Step::Clear(xs[li].clone()));
            vcycle.extend(smooth_steps(li, true));
            let u = ctx.uniform("level params", &level_params(ctx, ops[li], 0));
            vcycle.push(Step::Run {
                pipe: residual.clone(),
                bind: ctx.bind(&residual, &[&u, &coefs[li], &deltas[li], &bs[li], &xs[li], &rs[li]]),
                groups: cells(&ops[li].layout),
            });
            let it = interps[li];
            let tp = ctx.uniform("transfer params", &transfer_params(ctx, it));
            let w = ctx.storage("interpolation weights", &it.w_lo)?;
            bytes += (it.w_lo.len() * 4) as u64;
            vcycle.push(Step::Run {
                pipe: restrict.clone(),
                bind: ctx.bind(&restrict, &[&tp, &w, &rs[li], &bs[li + 1]]),
                groups: cells(&it.coarse),
            });
            let mut up = vec![Step::Run {
                pipe: prolong.clone(),
                bind: ctx.bind(&prolong, &[&tp, &w, &xs[li + 1], &xs[li]]),
                groups: cells(&it.fine),
            }];
            up.extend(smooth_steps(li, false));
            ups.push(up);
        }
        let inv = mg.coarsest().inverse();
        let invb = ctx.storage("coarsest inverse", &f32s(&inv))?;
        bytes += (inv.len() * 4) as u64;
        let cu = ctx.uniform("coarse params", &level_params(ctx, ops[last], 0));
        vcycle.push(Step::Run {
            pipe: coarse.clone(),
            bind: ctx.bind(&coarse, &[&cu, &invb, &bs[last], &xs[last]]),
            groups: (ops[last].layout.cells().div_ceil(64) as u32, 1),
        });
        for up in ups.into_iter().rev() {
            vcycle.extend(up);
        }
        // CG on the finest level: r = b₀, z = x₀, A p into r₀ (scratch, as on the CPU).
        let (r, z, ap) = (bs[0].clone(), xs[0].clone(), rs[0].clone());
        let vg = ctx.groups(n, 256);
        let vp =
            |slot: u32, mode: u32| ctx.uniform("vec params", &VecParams { n: n as u32, groups_x: vg.0, slot, mode });
        let dot_into = |a: &wgpu::Buffer, b: &wgpu::Buffer, slot: u32| -> [Step; 2] {
            let u = vp(slot, 0);
            let u2 = ctx.uniform("reduce params", &VecParams { n: 256, groups_x: 1, slot, mode: 0 });
            [
                Step::Run { pipe: dotp.clone(), bind: ctx.bind(&dotp, &[&u, a, b, &partial]), groups: (256, 1) },
                Step::Run { pipe: reduce.clone(), bind: ctx.bind(&reduce, &[&u2, &partial, &scalars]), groups: (1, 1) },
            ]
        };
        let scal_step = |mode: u32| Step::Run {
            pipe: scal.clone(),
            bind: ctx.bind(&scal, &[&vp(0, mode), &scalars]),
            groups: (1, 1),
        };
        let mut start = vcycle.clone();
        start.extend(dot_into(&r, &z, 0));
        start.extend(dot_into(&r, &r, 5));
        start.push(Step::Copy(z.clone(), p.clone()));
        let u0 = ctx.uniform("level params", &level_params(ctx, ops[0], 0));
        let mut iteration = vec![Step::Run {
            pipe: apply.clone(),
            bind: ctx.bind(&apply, &[&u0, &coefs[0], &deltas[0], &p, &ap]),
            groups: cells(&fine),
        }];
        iteration.extend(dot_into(&p, &ap, 1));
        iteration.push(scal_step(0));
        iteration.push(Step::Run {
            pipe: update.clone(),
            bind: ctx.bind(&update, &[&vp(0, 0), &scalars, &p, &ap, &x, &r]),
            groups: vg,
        });
        iteration.extend(dot_into(&r, &r, 5));
        iteration.extend(vcycle.clone());
        iteration.extend(dot_into(&r, &z, 3));
        iteration.push(scal_step(1));
        iteration.push(Step::Run {
            pipe: xpby.clone(),
            bind: ctx.bind(&xpby, &[&vp(0, 0), &scalars, &z, &p]),
            groups: vg,
        });
        Ok(GpuMg {
            r,
            z,
            x,
            scalars,
            fine_coef: coefs[0].clone(),
            fine_delta: deltas[0].clone(),
            fine_params: level_params(ctx, ops[0], 0),
            vcycle,
            start,
            iteration,
            fine_sweep,
            fine,
            depth: ops.len(),
            bytes,
        })
    }

    /// One V-cycle `z = M b` on the GPU (b is written into the CG residual buffer);
    /// returns z (padded, f32). For tests and benchmarks.
    pub fn vcycle_once(&self, ctx: &GpuContext, b: &[f32]) -> Result<Vec<f32>, GpuError> {
        ctx.queue.write_buffer(&self.r, 0, bytemuck::cast_slice(b));
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        record(&self.vcycle, &mut enc);
        ctx.queue.submit([enc.finish()]);
        ctx.read::<f32>(&self.z, self.fine.padded_len())
    }

    /// Time `reps` V-cycles (one submit), s per cycle.
    pub fn time_vcycles(&self, ctx: &GpuContext, reps: usize) -> Result<f64, GpuError> {
        self.time_steps(ctx, &self.vcycle, reps)
    }

    /// Time `reps` forward smoothing sweeps on the finest level, s per sweep.
    pub fn time_fine_sweeps(&self, ctx: &GpuContext, reps: usize) -> Result<f64, GpuError> {
        self.time_steps(ctx, &self.fine_sweep, reps)
    }

    /// Read the solution buffer (timing of a readback).
    pub fn read_x(&self, ctx: &GpuContext) -> Result<Vec<f32>, GpuError> {
        ctx.read::<f32>(&self.x, self.fine.padded_len())
    }

    fn time_steps(&self, ctx: &GpuContext, steps: &[Step], reps: usize) -> Result<f64, GpuError> {
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        for _ in 0..reps {
            record(steps, &mut enc);
        }
        let t0 = Instant::now();
        ctx.queue.submit([enc.finish()]);
        ctx.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Readback(e.to_string()))?;
        ctx.check()?;
        Ok(t0.elapsed().as_secs_f64() / reps as f64)
    }

    /// f32 MG-PCG for `A x = b` (padded f32 right-hand side), from x = 0, until the
    /// relative residual reaches `tol` or stops falling. Returns x (padded), iterations
    /// and the last relative residual (recursive, f32).
    pub fn pcg(
        &self,
        ctx: &GpuContext,
        b: &[f32],
        tol: f64,
        max_iter: usize,
    ) -> Result<(Vec<f32>, usize, f64), GpuError> {
        let bnorm = b.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>().sqrt();
        if bnorm == 0.0 {
            return Ok((vec![0.0; b.len()], 0, 0.0));
        }
        ctx.queue.write_buffer(&self.r, 0, bytemuck::cast_slice(b));
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        enc.clear_buffer(&self.x, 0, None);
        record(&self.start, &mut enc);
        ctx.queue.submit([enc.finish()]);
        let (it, rel) = iterate(ctx, &self.iteration, &self.scalars, 8, 5, bnorm, tol, max_iter)?;
        Ok((ctx.read::<f32>(&self.x, self.fine.padded_len())?, it, rel))
    }
}

impl GpuMg {
    /// f32 MG-PCG for `A x = b` with `b` already in the CG residual buffer (written by a
    /// kernel: nothing crosses to the host but the convergence checks), from x = 0, into
    /// the solution buffer. Returns the iterations and the last relative residual.
    /// Convergence is read back every `every` iterations.
    pub fn pcg_resident(
        &self,
        ctx: &GpuContext,
        tol: f64,
        max_iter: usize,
        every: usize,
    ) -> Result<(usize, f64), GpuError> {
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        enc.clear_buffer(&self.x, 0, None);
        record(&self.start, &mut enc);
        ctx.queue.submit([enc.finish()]);
        let s = ctx.read::<f32>(&self.scalars, 8)?;
        if !s[5].is_finite() {
            return Err(GpuError::Validation(format!("the right-hand side's norm is not finite ({})", s[5])));
        }
        let bnorm = (s[5].max(0.0) as f64).sqrt();
        if bnorm == 0.0 {
            return Ok((0, 0.0));
        }
        crate::gpu::record::iterate_by(ctx, &self.iteration, (&self.scalars, 8, 5), bnorm, tol, max_iter, every)
    }

    /// Solve `A e = rhs` (padded f64) on the GPU in f32, scaled to unit norm; returns e
    /// (padded f64) and the iterations.
    pub fn solve_scaled(
        &self,
        ctx: &GpuContext,
        rhs: &[f64],
        tol: f64,
        max_iter: usize,
    ) -> Result<(Vec<f64>, usize), GpuError> {
        let n = dot(rhs, rhs).sqrt();
        if n == 0.0 {
            return Ok((vec![0.0; rhs.len()], 0));
        }
        let r32: Vec<f32> = rhs.iter().map(|&v| (v / n) as f32).collect();
        let (e, its, _) = self.pcg(ctx, &r32, tol, max_iter)?;
        Ok((e.iter().map(|&v| v as f64 * n).collect(), its))
    }
}

/// Solve the steady problem on the GPU: f32 MG-PCG inside mixed-precision iterative
/// refinement (f64 residual on the host); one f32 solve when it already meets `opts.tol`.
pub fn solve_steady_gpu(
    ctx: &GpuContext,
    p: &ThermalProblem,
    opts: &SolveOptions,
) -> Result<SteadySolution, SolveError> {
    p.validate()?;
    let t0 = Instant::now();
    let (a, b) = assemble(p);
    let lay = a.layout;
    let mg = Multigrid::new(&a).map_err(|e| SolveError::Setup(e.to_string()))?;
    let gmg = GpuMg::new(ctx, &a, &mg).map_err(|e| SolveError::Setup(e.to_string()))?;
    let setup_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut x = lay.zeros();
    let refine = opts.tol < F32_FLOOR;
    let out = refine_f32(
        |x, r| a.residual(&b, x, r),
        |rhs, inner, budget| gmg.pcg(ctx, rhs, inner, budget).map(|(e, its, _)| (e, its)),
        &b,
        &mut x,
        opts.tol,
        opts.max_iter,
    )
    .map_err(|e| SolveError::Setup(e.to_string()))?;
    let (iterations, rel) = (out.iterations, out.relative_residual);
    let converged = crate::outcome::converged(rel, opts.tol);
    let method = if refine { "mg-pcg-f32+refinement" } else { "mg-pcg-f32" };
    let _ = ctx.adapter.name.as_str();
    Ok(SteadySolution {
        t: lay.to_compact(&x),
        report: SolveReport {
            backend: "gpu",
            method,
            iterations,
            relative_residual: rel,
            converged,
            tol: opts.tol,
            levels: gmg.depth,
            setup_s,
            solve_s: t1.elapsed().as_secs_f64(),
            solver_bytes: gmg.bytes as usize,
        },
    })
}

/// The outcome of [`refine_f32`].
pub struct Refined {
    pub iterations: usize,
    /// f64 relative residual of the final x.
    pub relative_residual: f64,
    /// The last f32 solve ended on its own (tolerance or round-off floor), not on the budget.
    pub f32_done: bool,
}

/// Mixed-precision iterative refinement: `residual(x, r)` computes `r = b − A x` in f64
/// (host), `inner(rhs, tol, budget)` solves `A e = rhs` in f32 (GPU) for a unit-norm
/// `rhs`, and `x += e · ‖r‖` until the f64 relative residual meets `tol` or stops
/// falling (or `max_iter` f32 iterations are spent). Each f32 solve aims at `tol`, or at
/// 1e-5 when `tol` is below [`F32_FLOOR`]; further rounds run only while the f64
/// residual is above `tol`.
pub fn refine_f32(
    mut residual: impl FnMut(&[f64], &mut [f64]),
    mut inner: impl FnMut(&[f32], f64, usize) -> Result<(Vec<f32>, usize), GpuError>,
    b: &[f64],
    x: &mut [f64],
    tol: f64,
    max_iter: usize,
) -> Result<Refined, GpuError> {
    let bnorm = dot(b, b).sqrt();
    let mut r = vec![0.0; b.len()];
    residual(x, &mut r);
    let mut rel = if bnorm > 0.0 { dot(&r, &r).sqrt() / bnorm } else { 0.0 };
    let (mut iterations, mut rounds) = (0, 0);
    let mut f32_done = false;
    while rel > tol && iterations < max_iter {
        // Solve A e = r in f32, scaled to unit norm (keeps f32 in range).
        let rn = dot(&r, &r).sqrt();
        let rhs: Vec<f32> = r.iter().map(|&v| (v / rn) as f32).collect();
        let inner_tol = if tol < F32_FLOOR { 1e-5 } else { tol };
        let budget = max_iter - iterations;
        let (e, its) = inner(&rhs, inner_tol, budget)?;
        f32_done = its < budget;
        iterations += its.max(1);
        for (xv, ev) in x.iter_mut().zip(&e) {
            *xv += *ev as f64 * rn;
        }
        residual(x, &mut r);
        let new_rel = if bnorm > 0.0 { dot(&r, &r).sqrt() / bnorm } else { 0.0 };
        if !new_rel.is_finite() {
            return Err(GpuError::Validation(format!(
                "the f32 solve gave a non-finite residual after {iterations} iterations"
            )));
        }
        rounds += 1;
        let stalled = new_rel > 0.5 * rel;
        rel = new_rel;
        if stalled && rounds > 1 {
            break;
        }
    }
    Ok(Refined { iterations, relative_residual: rel, f32_done })
}
