// One colour of multicolour Gauss-Seidel: x_P += (b_P - (A x)_P) / a_PP for the cells
// of colour prm.colour: red-black by the parity of i+j+k for face stencils (prm.face = 1),
// else by the parities of i, j, k (bits 0, 1, 2 of the colour).
// CPU twin: thermogrid::thermal::cpu::smooth::smooth_mc.

// import: shared/level.wgsl

@group(0) @binding(0) var<uniform> prm: LevelParams;
@group(0) @binding(1) var<storage, read> coef: array<f32>;
@group(0) @binding(2) var<storage, read> delta: array<i32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(256)
fn smooth_mc(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x + gid.y * prm.groups_x * 256u;
    if (c >= prm.cells) {
        return;
    }
    let i = c % prm.nx;
    let j = (c / prm.nx) % prm.ny;
    let k = c / (prm.nx * prm.ny);
    var mine = false;
    if (prm.face == 1u) {
        mine = ((i + j + k) & 1u) == prm.colour;
    } else {
        mine = ((i & 1u) | ((j & 1u) << 1u) | ((k & 1u) << 2u)) == prm.colour;
    }
    if (!mine) {
        return;
    }
    let p = padded(prm, c);
    var s = 0.0;
    for (var o = 0u; o < prm.noff; o = o + 1u) {
        s = s + coef[c * prm.noff + o] * x[u32(i32(p) + delta[o])];
    }
    x[p] = x[p] + (b[p] - s) / coef[c * prm.noff + prm.diag];
}
