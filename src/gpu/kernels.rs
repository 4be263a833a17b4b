//! The one kernel registry: every WGSL kernel of the crate, one per file in `shaders/`,
//! named like the file and like its CPU twin, compiled on first use and cached per
//! context.

use super::{GpuContext, GpuError};
use std::sync::Arc;

/// (name, source) of every kernel; the entry point is named like the kernel.
pub const KERNELS: [(&str, &str); 30] = [
    ("apply", include_str!("../../shaders/thermal/apply.wgsl")),
    ("residual", include_str!("../../shaders/thermal/residual.wgsl")),
    ("smooth_mc", include_str!("../../shaders/thermal/smooth_mc.wgsl")),
    ("restrict_fw", include_str!("../../shaders/thermal/restrict_fw.wgsl")),
    ("prolong_add", include_str!("../../shaders/thermal/prolong_add.wgsl")),
    ("dot", include_str!("../../shaders/thermal/dot.wgsl")),
    ("reduce_sum", include_str!("../../shaders/thermal/reduce_sum.wgsl")),
    ("cg_scalars", include_str!("../../shaders/thermal/cg_scalars.wgsl")),
    ("cg_update", include_str!("../../shaders/thermal/cg_update.wgsl")),
    ("xpby", include_str!("../../shaders/thermal/xpby.wgsl")),
    ("coarse_solve", include_str!("../../shaders/thermal/coarse_solve.wgsl")),
    ("euler_step", include_str!("../../shaders/thermal/euler_step.wgsl")),
    ("bicgstab_scalars", include_str!("../../shaders/airflow/bicgstab_scalars.wgsl")),
    ("bicgstab_update", include_str!("../../shaders/airflow/bicgstab_update.wgsl")),
    ("link_mean", include_str!("../../shaders/airflow/link_mean.wgsl")),
    ("link_scatter", include_str!("../../shaders/airflow/link_scatter.wgsl")),
    ("momentum_rows", include_str!("../../shaders/air/momentum_rows.wgsl")),
    ("line_sweep", include_str!("../../shaders/air/line_sweep.wgsl")),
    ("field_reduce", include_str!("../../shaders/air/field_reduce.wgsl")),
    ("reduce_partials", include_str!("../../shaders/air/reduce_partials.wgsl")),
    ("divergence", include_str!("../../shaders/air/divergence.wgsl")),
    ("project_update", include_str!("../../shaders/air/project_update.wgsl")),
    ("effective_viscosity", include_str!("../../shaders/air/effective_viscosity.wgsl")),
    ("bounded_correction", include_str!("../../shaders/air/bounded_correction.wgsl")),
    ("energy_rows", include_str!("../../shaders/air/energy_rows.wgsl")),
    ("axpby", include_str!("../../shaders/air/axpby.wgsl")),
    ("building_exchange", include_str!("../../shaders/air/building_exchange.wgsl")),
    ("n1_screen", include_str!("../../shaders/power/n1_screen.wgsl")),
    ("n1_flows", include_str!("../../shaders/power/n1_flows.wgsl")),
    ("ptdf_gemm", include_str!("../../shaders/power/ptdf_gemm.wgsl")),
];

/// The compute pipeline of kernel `name` (entry point `name`).
pub fn kernel(ctx: &GpuContext, name: &str) -> Result<Arc<wgpu::ComputePipeline>, GpuError> {
    let src = KERNELS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .ok_or_else(|| GpuError::Validation(format!("no kernel {name}")))?;
    ctx.pipeline(name, src, name)
}
