// The CG scalars, kept on the GPU so an iteration needs no readback. Slots:
// 0 rz, 1 pAp, 2 alpha, 3 rz_new, 4 beta, 5 rr. mode 0: alpha = rz / pAp;
// mode 1: beta = rz_new / rz, rz = rz_new. A zero or non-finite denominator gives 0.
// CPU twin: thermogrid::thermal::gpu::cg_scalars.

// import: shared/vec.wgsl

@group(0) @binding(0) var<uniform> prm: VecParams;
@group(0) @binding(1) var<storage, read_write> scalars: array<f32>;

@compute @workgroup_size(1)
fn cg_scalars() {
    if (prm.mode == 0u) {
        let d = scalars[1];
        scalars[2] = select(0.0, scalars[0] / d, d > 0.0);
    } else {
        let d = scalars[0];
        scalars[4] = select(0.0, scalars[3] / d, d > 0.0);
        scalars[0] = scalars[3];
    }
}
