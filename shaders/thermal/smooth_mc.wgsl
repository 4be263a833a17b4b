// One colour of multicolour Gauss-Seidel: x_P += (b_P - (A x)_P) / a_PP for the cells
// of colour prm.colour: red-black by the parity of i+j+k for face stencils (prm.face = 1),
// else by the parities of i, j, k (bits 0, 1, 2 of the colour). One thread per cell of
// the colour (thermogrid::thermal::gpu::colour_threads of them).
// CPU twin: thermogrid::thermal::cpu::smooth::smooth_mc.

// import: shared/level.wgsl

@group(0) @binding(0) var<uniform> prm: LevelParams;
@group(0) @binding(1) var<storage, read> coef: array<f32>;
@group(0) @binding(2) var<storage, read> delta: array<i32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(256)
fn smooth_mc(@builtin(global_invocation_id) gid: vec3<u32>) {
    // Colour-compacted: thread t is the t-th cell of the colour, so no thread idles on a
    // cell of another colour.
    let t = gid.x + gid.y * prm.groups_x * 256u;
    var i = 0u;
    var j = 0u;
    var k = 0u;
    if (prm.face == 1u) {
        // Red-black: every other cell of each row, starting at the row's parity.
        let half = (prm.nx + 1u) / 2u;
        let row = t / half;
        if (row >= prm.ny * prm.nz) {
            return;
        }
        j = row % prm.ny;
        k = row / prm.ny;
        i = 2u * (t % half) + ((prm.colour + j + k) & 1u);
        if (i >= prm.nx) {
            return;
        }
    } else {
        // Parity colours: every other cell along each axis, from the colour's parity.
        let ci = prm.colour & 1u;
        let cj = (prm.colour >> 1u) & 1u;
        let ck = (prm.colour >> 2u) & 1u;
        let hx = (prm.nx + 1u - ci) / 2u;
        let hy = (prm.ny + 1u - cj) / 2u;
        let hz = (prm.nz + 1u - ck) / 2u;
        if (hx == 0u || hy == 0u || t >= hx * hy * hz) {
            return;
        }
        i = 2u * (t % hx) + ci;
        j = 2u * ((t / hx) % hy) + cj;
        k = 2u * (t / (hx * hy)) + ck;
    }
    let c = (k * prm.ny + j) * prm.nx + i;
    let p = padded(prm, c);
    var s = 0.0;
    for (var o = 0u; o < prm.noff; o = o + 1u) {
        s = s + coef[c * prm.noff + o] * x[u32(i32(p) + delta[o])];
    }
    x[p] = x[p] + (b[p] - s) / coef[c * prm.noff + prm.diag];
}
