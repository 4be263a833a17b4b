// The divergence of the face velocities minus the cell sources, per cell, 1/s:
// Σ (u_out − u_in)/dx − s/V (zero on closed cells). job.w = 0: into out[c]; job.w = 1:
// the projection's right-hand side −div/Δt into the padded out (Δt = scal[0]).
// CPU twin: thermogrid::airflow::cfd::pressure::Projection::divergence_into.

// import: shared/cfd.wgsl

@group(0) @binding(0) var<uniform> prm: CfdParams;
@group(0) @binding(1) var<storage, read> scal: array<f32>;
@group(0) @binding(2) var<storage, read> open: array<u32>;
@group(0) @binding(3) var<storage, read> u: array<f32>;
// m³/s per cell (read only when flags.y has bit 2).
@group(0) @binding(4) var<storage, read> src: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn divergence(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = entry(prm, gid, 256u);
    if (c >= prm.job.y) {
        return;
    }
    var d = 0.0;
    if (open[c] != 0u) {
        let p = pos_of(prm.n.xyz, c);
        var s = 0.0;
        for (var a = 0u; a < prm.n.w; a = a + 1u) {
            let f = cell_face(prm, a, p, 0u);
            s = s + u[f + fstride(prm, a)[a]] - u[f];
        }
        d = s * prm.phys.x;
        if ((prm.flags.y & 2u) != 0u) {
            d = d - src[c] / prm.misc.x;
        }
    }
    if (prm.job.w == 1u) {
        out[padded_cell(prm, c)] = -d / scal[0];
    } else {
        out[c] = d;
    }
}
