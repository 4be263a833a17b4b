// y = A x for a stencil of noff coefficients per cell (padded vectors, compact
// coefficients). CPU twin: thermogrid::thermal::stencil::Stencil::apply.

// import: shared/level.wgsl

@group(0) @binding(0) var<uniform> prm: LevelParams;
@group(0) @binding(1) var<storage, read> coef: array<f32>;
@group(0) @binding(2) var<storage, read> delta: array<i32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn apply(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x + gid.y * prm.groups_x * 256u;
    if (c >= prm.cells) {
        return;
    }
    let p = padded(prm, c);
    var s = 0.0;
    for (var o = 0u; o < prm.noff; o = o + 1u) {
        s = s + coef[c * prm.noff + o] * x[u32(i32(p) + delta[o])];
    }
    y[p] = s;
}
