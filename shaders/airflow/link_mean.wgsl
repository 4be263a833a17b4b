// The mean of x over each link's source cells (a rack's intake, a unit's return):
// means[slot + l] = Σ x[from_idx[from_off[l] .. from_off[l + 1]]] / count. One thread per link.
// CPU twin: thermogrid::airflow::links::Links::link_mean.

// import: shared/vec.wgsl

@group(0) @binding(0) var<uniform> prm: VecParams;
@group(0) @binding(1) var<storage, read> from_off: array<u32>;
@group(0) @binding(2) var<storage, read> from_idx: array<u32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> means: array<f32>;

@compute @workgroup_size(64)
fn link_mean(@builtin(global_invocation_id) gid: vec3<u32>) {
    let l = gid.x + gid.y * prm.groups_x * 64u;
    if (l >= prm.n) {
        return;
    }
    let a = from_off[l];
    let b = from_off[l + 1u];
    var s = 0.0;
    for (var e = a; e < b; e = e + 1u) {
        s = s + x[from_idx[e]];
    }
    means[prm.slot + l] = s / f32(max(b - a, 1u));
}
