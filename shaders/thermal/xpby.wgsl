// p = z + beta p, with beta = scalars[4]. CPU twin: thermogrid::thermal::stencil::xpby.

// import: shared/vec.wgsl

@group(0) @binding(0) var<uniform> prm: VecParams;
@group(0) @binding(1) var<storage, read> scalars: array<f32>;
@group(0) @binding(2) var<storage, read> z: array<f32>;
@group(0) @binding(3) var<storage, read_write> p: array<f32>;

@compute @workgroup_size(256)
fn xpby(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * prm.groups_x * 256u;
    if (i >= prm.n) {
        return;
    }
    p[i] = z[i] + scalars[4] * p[i];
}
