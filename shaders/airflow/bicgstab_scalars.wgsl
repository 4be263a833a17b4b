// The BiCGStab scalars, kept on the GPU so an iteration needs no readback. Slots:
// 0 rho, 1 rho_new (r0·r), 2 alpha, 3 omega, 4 beta, 5 r0·v, 6 t·s, 7 t·t, 8 r·r.
// mode 0: beta = (rho_new / rho)(alpha / omega), rho = rho_new;
// mode 1: alpha = rho / (r0·v);  mode 2: omega = (t·s) / (t·t).
// A zero or non-finite quotient gives 0.
// CPU twin: thermogrid::airflow::gpu::bicgstab_scalars.

// import: shared/vec.wgsl

@group(0) @binding(0) var<uniform> prm: VecParams;
@group(0) @binding(1) var<storage, read_write> scalars: array<f32>;

fn quotient(a: f32, b: f32) -> f32 {
    let q = a / b;
    // b == 0, overflow or NaN: 0 (the iteration then stalls instead of poisoning x).
    return select(0.0, q, b != 0.0 && abs(q) < 3.0e38);
}

@compute @workgroup_size(1)
fn bicgstab_scalars() {
    if (prm.mode == 0u) {
        scalars[4] = quotient(scalars[1], scalars[0]) * quotient(scalars[2], scalars[3]);
        scalars[0] = scalars[1];
    } else if (prm.mode == 1u) {
        scalars[2] = quotient(scalars[0], scalars[5]);
    } else {
        scalars[3] = quotient(scalars[6], scalars[7]);
    }
}
