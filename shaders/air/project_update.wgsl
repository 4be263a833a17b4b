// The projection's update from the pressure increment φ (padded, the multigrid's
// solution): u −= Δt ∇φ on the free faces of axis job.w (one thread per face), or
// p += φ (job.w = 3, one thread per cell). Δt = scal[0].
// CPU twin: thermogrid::airflow::cfd::pressure::Projection::project_update.

// import: shared/cfd.wgsl

@group(0) @binding(0) var<uniform> prm: CfdParams;
@group(0) @binding(1) var<storage, read> scal: array<f32>;
@group(0) @binding(2) var<storage, read> codes: array<u32>;
@group(0) @binding(3) var<storage, read> phi: array<f32>;
@group(0) @binding(4) var<storage, read_write> u: array<f32>;
@group(0) @binding(5) var<storage, read_write> p: array<f32>;

@compute @workgroup_size(256)
fn project_update(@builtin(global_invocation_id) gid: vec3<u32>) {
    let e = entry(prm, gid, 256u);
    if (e >= prm.job.y) {
        return;
    }
    let a = prm.job.w;
    if (a == 3u) {
        p[e] = p[e] + phi[padded_cell(prm, e)];
        return;
    }
    let f = prm.off[a] + e;
    if ((codes[f] & FREE_BIT) == 0u) {
        return;
    }
    // A free face has open cells on both sides, inside the grid.
    let hi = index_of(prm.n.xyz, pos_of(fdims(prm, a), e));
    let lo = hi - cstride(prm)[a];
    u[f] = u[f] - scal[0] * (phi[padded_cell(prm, hi)] - phi[padded_cell(prm, lo)]) * prm.phys.x;
}
