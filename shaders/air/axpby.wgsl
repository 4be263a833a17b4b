// y = α y + β x over job.y entries (α = misc.y, β = misc.z; x unread when β = 0): the
// window sums and means
// of the statistically steady march. CPU twin: thermogrid::airflow::cfd::gpu::axpby.

// import: shared/cfd.wgsl

@group(0) @binding(0) var<uniform> prm: CfdParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn axpby(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = entry(prm, gid, 256u);
    if (i >= prm.job.y) {
        return;
    }
    // β = 0 never reads x (whatever it holds).
    if (prm.misc.z == 0.0) {
        y[i] = prm.misc.y * y[i];
    } else {
        y[i] = prm.misc.y * y[i] + prm.misc.z * x[i];
    }
}
