//! Recorded GPU work: a sequence of kernel launches, clears and copies recorded into one
//! command encoder, and the batch-iteration loop that runs a recorded iteration with a
//! convergence readback every [`CHECK_EVERY`] iterations (used by every iterative GPU
//! solver: MG-PCG, BiCGStab).

use super::{GpuContext, GpuError};
use std::sync::Arc;

/// Iterations between convergence readbacks.
pub const CHECK_EVERY: usize = 4;

/// One recorded step of a command sequence.
#[derive(Clone)]
pub enum Step {
    Run {
        pipe: Arc<wgpu::ComputePipeline>,
        bind: wgpu::BindGroup,
        groups: (u32, u32),
    },
    Clear(wgpu::Buffer),
    Copy(wgpu::Buffer, wgpu::Buffer),
    /// Copy `bytes` bytes at byte offset `at` of the first buffer to the same place in
    /// the second.
    CopyRange {
        from: wgpu::Buffer,
        to: wgpu::Buffer,
        at: u64,
        bytes: u64,
    },
}

pub fn record(steps: &[Step], enc: &mut wgpu::CommandEncoder) {
    for s in steps {
        match s {
            Step::Clear(b) => enc.clear_buffer(b, 0, None),
            Step::Copy(from, to) => enc.copy_buffer_to_buffer(from, 0, to, 0, from.size()),
            Step::CopyRange { from, to, at, bytes } => enc.copy_buffer_to_buffer(from, *at, to, *at, *bytes),
            Step::Run { pipe, bind, groups } => {
                let mut pass = enc.begin_compute_pass(&Default::default());
                pass.set_pipeline(pipe);
                pass.set_bind_group(0, bind, &[]);
                pass.dispatch_workgroups(groups.0, groups.1, 1);
            }
        }
    }
}

/// Run the recorded `iteration` in batches of [`CHECK_EVERY`], reading the squared
/// residual norm from `scalars[slot]` (of `n_scalars`) after each batch, until the
/// relative residual reaches `tol`, stops falling (f32 round-off: two batches without a
/// 30 % gain), or `max_iter`. Returns the iterations and the last relative residual.
#[allow(clippy::too_many_arguments)]
pub fn iterate(
    ctx: &GpuContext,
    iteration: &[Step],
    scalars: &wgpu::Buffer,
    n_scalars: usize,
    slot: usize,
    bnorm: f64,
    tol: f64,
    max_iter: usize,
) -> Result<(usize, f64), GpuError> {
    iterate_by(ctx, iteration, (scalars, n_scalars, slot), bnorm, tol, max_iter, CHECK_EVERY)
}

/// [`iterate`] with a readback every `every` iterations (a solve that usually needs one
/// or two, as each step's pressure of the hall-air march, checks after each pair).
pub fn iterate_by(
    ctx: &GpuContext,
    iteration: &[Step],
    (scalars, n_scalars, slot): (&wgpu::Buffer, usize, usize),
    bnorm: f64,
    tol: f64,
    max_iter: usize,
    every: usize,
) -> Result<(usize, f64), GpuError> {
    let (mut it, mut best, mut stalls) = (0usize, f64::INFINITY, 0);
    let mut rel = 1.0;
    while it < max_iter {
        let batch = every.max(1).min(max_iter - it);
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        for _ in 0..batch {
            record(iteration, &mut enc);
        }
        ctx.queue.submit([enc.finish()]);
        it += batch;
        let s = ctx.read::<f32>(scalars, n_scalars)?;
        rel = (s[slot].max(0.0) as f64).sqrt() / bnorm;
        if !rel.is_finite() {
            return Err(GpuError::Validation(format!("the f32 solve diverged (residual {rel}) after {it} iterations")));
        }
        if rel <= tol {
            break;
        }
        if rel > 0.7 * best {
            stalls += 1;
            if stalls >= 2 {
                break;
            }
        } else {
            stalls = 0;
        }
        best = best.min(rel);
    }
    Ok((it, rel))
}
