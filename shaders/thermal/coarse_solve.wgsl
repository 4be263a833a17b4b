// Coarsest level: x = A^-1 b with the inverse formed on the host (f64 Cholesky, stored in
// f32), one invocation per row. Vectors are padded; the inverse is over compact cells.
// CPU twin: thermogrid::thermal::cpu::dense::DenseCholesky::solve.


// import: shared/level.wgsl

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
