// Forward Euler update x += w r, with w = dt / (rho c_p) per cell (0 in ghosts) and
// r = b - A x from `residual`. CPU twin: thermogrid::thermal::transient::euler_step.

// import: shared/vec.wgsl

@group(0) @binding(0) var<uniform> prm: VecParams;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> r: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(256)
fn euler_step(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * prm.groups_x * 256u;
    if (i >= prm.n) {
        return;
    }
    x[i] = x[i] + w[i] * r[i];
}
