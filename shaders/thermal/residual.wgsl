// r = b - A x (padded vectors). CPU twin: thermogrid::thermal::stencil::Stencil::residual.

// Keep in sync with thermogrid::thermal::gpu::LevelParams.
struct LevelParams {
    nx: u32,
    ny: u32,
    nz: u32,
    cells: u32,
    pnx: u32,
    pny: u32,
    pz: u32,
    noff: u32,
    diag: u32,
    colour: u32,
    face: u32,
    groups_x: u32,
}

// Compact cell c -> padded index (one ghost layer in x, y, and z when 3-D).
fn padded(prm: LevelParams, c: u32) -> u32 {
    let i = c % prm.nx;
    let j = (c / prm.nx) % prm.ny;
    let k = c / (prm.nx * prm.ny);
    return ((k + prm.pz) * prm.pny + (j + 1u)) * prm.pnx + (i + 1u);
}

@group(0) @binding(0) var<uniform> prm: LevelParams;
@group(0) @binding(1) var<storage, read> coef: array<f32>;
@group(0) @binding(2) var<storage, read> delta: array<i32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> r: array<f32>;

@compute @workgroup_size(256)
fn residual(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x + gid.y * prm.groups_x * 256u;
    if (c >= prm.cells) {
        return;
    }
    let p = padded(prm, c);
    var s = 0.0;
    for (var o = 0u; o < prm.noff; o = o + 1u) {
        s = s + coef[c * prm.noff + o] * x[u32(i32(p) + delta[o])];
    }
    r[p] = b[p] - s;
}
