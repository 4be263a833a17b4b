// The BiCGStab vector updates, w = f(w, u, v), with alpha, omega, beta from the scalars
// (slots of bicgstab_scalars.wgsl):
//   mode 0: p = r + beta (p − omega v)      (w = p, u = r, v = v)
//   mode 1: s = r − alpha v                 (w = s, u = r, v = v)
//   mode 2: x = x + alpha ph + omega sh     (w = x, u = ph, v = sh)
//   mode 3: r = s − omega t                 (w = r, u = s, v = t)
// CPU twin: thermogrid::airflow::gpu::bicgstab_update.

// import: shared/vec.wgsl

@group(0) @binding(0) var<uniform> prm: VecParams;
@group(0) @binding(1) var<storage, read> scalars: array<f32>;
@group(0) @binding(2) var<storage, read> u: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> w: array<f32>;

@compute @workgroup_size(256)
fn bicgstab_update(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * prm.groups_x * 256u;
    if (i >= prm.n) {
        return;
    }
    let alpha = scalars[2];
    let omega = scalars[3];
    let beta = scalars[4];
    if (prm.mode == 0u) {
        w[i] = u[i] + beta * (w[i] - omega * v[i]);
    } else if (prm.mode == 1u) {
        w[i] = u[i] - alpha * v[i];
    } else if (prm.mode == 2u) {
        w[i] = w[i] + alpha * u[i] + omega * v[i];
    } else {
        w[i] = u[i] - omega * v[i];
    }
}
