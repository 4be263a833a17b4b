// x += alpha p; r -= alpha ap, with alpha = scalars[2].
// CPU twin: thermogrid::thermal::stencil::cg_update.

// import: shared/vec.wgsl

@group(0) @binding(0) var<uniform> prm: VecParams;
@group(0) @binding(1) var<storage, read> scalars: array<f32>;
@group(0) @binding(2) var<storage, read> p: array<f32>;
@group(0) @binding(3) var<storage, read> ap: array<f32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> r: array<f32>;

@compute @workgroup_size(256)
fn cg_update(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * prm.groups_x * 256u;
    if (i >= prm.n) {
        return;
    }
    let alpha = scalars[2];
    x[i] = x[i] + alpha * p[i];
    r[i] = r[i] - alpha * ap[i];
}
