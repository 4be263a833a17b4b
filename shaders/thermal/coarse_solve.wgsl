// Coarsest level: x = A^-1 b with the inverse formed on the host (f64 Cholesky, stored in
// f32), one invocation per row. Vectors are padded; the inverse is over compact cells.
// CPU twin: thermogrid::thermal::cpu::dense::DenseCholesky::solve.


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
@group(0) @binding(1) var<storage, read> inv: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(64)
fn coarse_solve(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    if (r >= prm.cells) {
        return;
    }
    var s = 0.0;
    for (var c = 0u; c < prm.cells; c = c + 1u) {
        s = s + inv[r * prm.cells + c] * b[padded(prm, c)];
    }
    x[padded(prm, r)] = s;
}
