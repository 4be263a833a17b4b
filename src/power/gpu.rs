//! GPU kernels of the power side (f32) and their CPU twins (f64):
//! `n1_screen`/`n1_flows` (shaders/power/n1_*.wgsl) for N-1 screening, `ptdf_gemm`
//! (shaders/power/ptdf_gemm.wgsl) for time-series flows.
//!
//! N-1 on the GPU: the LODF columns come from the CPU (f64, rounded to f32 for upload);
//! the kernel screens every outage and returns, per outage, the highest loading and an
//! upper bound that includes f32 rounding, `4 ε₃₂ (|f_l| + |LODF f_k|) / RATE_A`.
//! Every outage whose bound reaches the threshold is re-checked in f64 on the host, and
//! violations are only ever reported from f64 values: rounding can neither hide a
//! violation (the bound covers it) nor invent one (f64 decides).

use super::contingency::{
    failed_outage, inverse_ratings, lodf_rows, max_violations, n1_cpu_subset, OutageResult, Violation, ViolationBudget,
    N1,
};
use super::dcpf::DcPowerFlow;
use super::dcpf::MAX_RESULT_MW;
use super::network::Network;
use crate::gpu::{GpuContext, GpuError};

/// Keep in sync with `struct N1Params` in shaders/power/n1_screen.wgsl and n1_flows.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct N1Params {
    pub nl: u32,
    pub n_out: u32,
    pub groups_x: u32,
    pub pad0: u32,
}

/// Keep in sync with `struct GemmDims` in shaders/power/ptdf_gemm.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GemmDims {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub pad0: u32,
}

/// CPU twin of `n1_flows.wgsl`: `flows[k, l] = f_l + LODF[l, k] f_k` (0 at the outage).
pub fn n1_flows(rows: &[Vec<f64>], flow: &[f64], outs: &[usize]) -> Vec<f64> {
    let nl = flow.len();
    let mut out = vec![0.0; rows.len() * nl];
    for (c, &k) in outs.iter().enumerate() {
        for l in 0..nl {
            out[c * nl + l] = if l == k { 0.0 } else { flow[l] + rows[c][l] * flow[k] };
        }
    }
    out
}

/// CPU twin of `ptdf_gemm.wgsl`: `C = A B`, row-major, f64.
pub fn ptdf_gemm(a: &[f64], b: &[f64], m: usize, n: usize, k: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for p in 0..k {
            let av = a[i * k + p];
            if av != 0.0 {
                for (cj, bj) in c[i * n..(i + 1) * n].iter_mut().zip(&b[p * n..(p + 1) * n]) {
                    *cj += av * bj;
                }
            }
        }
    }
    c
}

/// `C = A B` on the GPU in f32 (row-major).
pub fn ptdf_gemm_gpu(
    ctx: &GpuContext,
    a: &[f32],
    b: &[f32],
    m: usize,
    n: usize,
    k: usize,
) -> Result<Vec<f32>, GpuError> {
    if [m, n, k].iter().any(|&d| d > u32::MAX as usize) {
        return Err(GpuError::TooLarge {
            what: "GEMM dimensions".into(),
            bytes: (m as u64).saturating_mul(n as u64).saturating_mul(4),
            limit: u32::MAX as u64,
        });
    }
    let pipe = crate::gpu::kernel(ctx, "ptdf_gemm")?;
    let dims = GemmDims { m: m as u32, n: n as u32, k: k as u32, pad0: 0 };
    let ub = ctx.uniform("gemm dims", &dims);
    let ab = ctx.storage("PTDF (A)", a)?;
    let bb = ctx.storage("injections (B)", b)?;
    let cb = ctx.storage_zeroed::<f32>("flows (C)", m * n)?;
    let bind = ctx.bind(&pipe, &[&ub, &ab, &bb, &cb]);
    let (gx, gy) = (n.div_ceil(64) as u32, m.div_ceil(64) as u32);
    let max = ctx.limits.max_compute_workgroups_per_dimension;
    if gx > max || gy > max {
        return Err(GpuError::TooLarge {
            what: "GEMM dispatch".into(),
            bytes: (m * n * 4) as u64,
            limit: max as u64 * 64 * 4,
        });
    }
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipe);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(gx, gy, 1);
    }
    ctx.queue.submit([enc.finish()]);
    ctx.read::<f32>(&cb, m * n)
}

/// N-1 screening with the GPU doing the all-pairs work (see the module comment).
pub fn n1_gpu(
    ctx: &GpuContext,
    pf: &DcPowerFlow,
    net: &Network,
    base: &[f64],
    threshold_pct: f64,
    full: bool,
) -> Result<N1, GpuError> {
    let nl = pf.b.len();
    if nl.saturating_mul(nl) > u32::MAX as usize {
        return Err(GpuError::TooLarge {
            what: "the N-1 outage × branch index space".into(),
            bytes: (nl as u64).saturating_mul(nl as u64).saturating_mul(4),
            limit: u32::MAX as u64,
        });
    }
    let tree = super::contingency::bridge_tree(pf);
    let outs: Vec<usize> = (0..nl).filter(|&k| pf.in_service[k] && !tree.is_bridge[k]).collect();
    // Islanding outages stay on the host (f64).
    let host = n1_cpu_subset(pf, net, base, threshold_pct, full, |is_bridge| is_bridge);
    let rows = lodf_rows(pf, &outs);
    let inv_rate = inverse_ratings(net);
    let n_out = outs.len();
    let budget = ViolationBudget::new(max_violations().saturating_sub(host.violations.len()));
    let mut results: Vec<(OutageResult, Vec<Violation>, Option<Vec<f64>>)> = Vec::with_capacity(n_out);
    if n_out > 0 {
        let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().map(|&v| v as f32)).collect();
        let flow32: Vec<f32> = base.iter().map(|&v| v as f32).collect();
        let ir32: Vec<f32> = inv_rate.iter().map(|&v| v as f32).collect();
        let ob: Vec<u32> = outs.iter().map(|&k| k as u32).collect();
        let (gx, gy) = ctx.groups(n_out, 1);
        let prm = N1Params { nl: nl as u32, n_out: n_out as u32, groups_x: gx, pad0: 0 };
        let ub = ctx.uniform("n1 params", &prm);
        let lb = ctx.storage("LODF rows", &flat)?;
        let fb = ctx.storage("base flows", &flow32)?;
        let rb = ctx.storage("inverse ratings", &ir32)?;
        let obb = ctx.storage("outage branches", &ob)?;
        let res = ctx.storage_zeroed::<f32>("n1 results", n_out * 4)?;
        let screen = crate::gpu::kernel(ctx, "n1_screen")?;
        let bind = ctx.bind(&screen, &[&ub, &lb, &fb, &rb, &obb, &res]);
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        let flows_buf = if full {
            let fl = ctx.storage_zeroed::<f32>("n1 flows", n_out * nl)?;
            let fp = crate::gpu::kernel(ctx, "n1_flows")?;
            let fbind = ctx.bind(&fp, &[&ub, &lb, &fb, &obb, &fl]);
            let (fx, fy) = ctx.groups(n_out * nl, 256);
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&fp);
            pass.set_bind_group(0, &fbind, &[]);
            pass.dispatch_workgroups(fx, fy, 1);
            drop(pass);
            Some(fl)
        } else {
            None
        };
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&screen);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        ctx.queue.submit([enc.finish()]);
        let r = ctx.read::<f32>(&res, n_out * 4)?;
        let gpu_flows = match &flows_buf {
            Some(b) => Some(ctx.read::<f32>(b, n_out * nl)?),
            None => None,
        };
        for (c, &k) in outs.iter().enumerate() {
            let (m32, worst, upper) = (r[c * 4] as f64, r[c * 4 + 1].to_bits(), r[c * 4 + 2] as f64);
            let mut row =
                gpu_flows.as_ref().map(|f| f[c * nl..(c + 1) * nl].iter().map(|&v| v as f64).collect::<Vec<f64>>());
            let mut viol = Vec::new();
            // Re-check in f64 where the bound reaches the threshold, and wherever f32 gave
            // no finite answer (a NaN bound never passes as "below the threshold").
            let result = if !(upper < threshold_pct && m32.is_finite()) {
                // Re-check in f64: exact flows from the f64 LODF column.
                let post: Vec<f64> =
                    (0..nl).map(|l| if l == k { 0.0 } else { base[l] + rows[c][l] * base[k] }).collect();
                if let Some(l) = post.iter().position(|p| !(p.abs() <= MAX_RESULT_MW)) {
                    let why = format!("the flow on branch row {} would be {:e} MW", l + 1, post[l]);
                    failed_outage(k, false, 0.0, why, row.as_deref_mut())
                } else {
                    let (m, w) = super::contingency::n1_screen(&post, &inv_rate, k);
                    for l in 0..nl {
                        let ld = post[l].abs() * inv_rate[l] * 100.0;
                        if l != k
                            && inv_rate[l] > 0.0
                            && super::contingency::over_threshold(ld, threshold_pct)
                            && budget.take()
                        {
                            viol.push(Violation { outage: k, branch: l, loading_pct: ld, flow_mw: post[l] });
                        }
                    }
                    if let Some(rw) = row.as_mut() {
                        rw.copy_from_slice(&post);
                    }
                    OutageResult {
                        branch: k,
                        islanding: false,
                        max_loading_pct: m,
                        worst_branch: w,
                        lost_load_mw: 0.0,
                        failed: None,
                    }
                }
            } else {
                let w = (worst != u32::MAX).then_some(worst as usize);
                OutageResult {
                    branch: k,
                    islanding: false,
                    max_loading_pct: if w.is_some() { m32 } else { 0.0 },
                    worst_branch: w,
                    lost_load_mw: 0.0,
                    failed: None,
                }
            };
            results.push((result, viol, row));
        }
    }
    // Merge with the host's islanding outages, in branch order.
    let mut host_rows = host.flows_mw.map(|f| f.chunks(nl).map(|c| c.to_vec()).collect::<Vec<_>>());
    for (i, o) in host.outages.into_iter().enumerate() {
        let v: Vec<Violation> = host.violations.iter().filter(|v| v.outage == o.branch).cloned().collect();
        let row = host_rows.as_mut().map(|r| std::mem::take(&mut r[i]));
        results.push((o, v, row));
    }
    results.sort_by_key(|r| r.0.branch);
    let mut flows = full.then(|| Vec::with_capacity(results.len() * nl));
    let mut violations = Vec::new();
    let mut outages = Vec::with_capacity(results.len());
    for (o, v, row) in results {
        if let (Some(f), Some(row)) = (flows.as_mut(), row) {
            f.extend(row);
        }
        violations.extend(v);
        outages.push(o);
    }
    Ok(N1 { outages, violations, flows_mw: flows, violations_dropped: host.violations_dropped + budget.dropped() })
}
