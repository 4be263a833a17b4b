// The bounded scheme's advection minus the upwind one, per cell, K/s:
// Σ_faces (u_out/dx)(T_f − T_upwind) over the free faces, where the far-upwind cell is
// open air too (first order next to walls).
// CPU twin: thermogrid::airflow::cfd::energy::bounded_correction_into.

// import: shared/cfd.wgsl

@group(0) @binding(0) var<uniform> prm: CfdParams;
@group(0) @binding(1) var<storage, read> open: array<u32>;
@group(0) @binding(2) var<storage, read> codes: array<u32>;
@group(0) @binding(3) var<storage, read> u: array<f32>;
@group(0) @binding(4) var<storage, read> t: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn bounded_correction(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = entry(prm, gid, 256u);
    if (c >= prm.job.y) {
        return;
    }
    if (open[c] == 0u) {
        out[c] = 0.0;
        return;
    }
    let p = pos_of(prm.n.xyz, c);
    let cs = cstride(prm);
    var sum = 0.0;
    for (var b = 0u; b < prm.n.w; b = b + 1u) {
        let nb_ = prm.n[b];
        for (var side = 0u; side < 2u; side = side + 1u) {
            let f = cell_face(prm, b, p, side);
            if ((codes[f] & FREE_BIT) == 0u) {
                continue;
            }
            var w = -u[f];
            var nb = c - cs[b];
            if (side == 1u) {
                w = u[f];
                nb = c + cs[b];
            }
            if (w > 0.0) {
                // Far upwind: one more cell against the flow from c.
                var ok = false;
                var far = 0u;
                if (side == 1u && p[b] > 0u) {
                    far = c - cs[b];
                    ok = true;
                } else if (side == 0u && p[b] + 1u < nb_) {
                    far = c + cs[b];
                    ok = true;
                }
                if (ok && open[far] != 0u) {
                    sum = sum + w * prm.phys.x * correction(t[far], t[c], t[nb]);
                }
            } else if (w < 0.0) {
                // Far upwind: one more cell beyond the neighbour.
                var ok = false;
                var far = 0u;
                if (side == 1u && p[b] + 2u < nb_) {
                    far = nb + cs[b];
                    ok = true;
                } else if (side == 0u && p[b] >= 2u) {
                    far = nb - cs[b];
                    ok = true;
                }
                if (ok && open[far] != 0u) {
                    sum = sum + w * prm.phys.x * correction(t[far], t[nb], t[c]);
                }
            }
        }
    }
    out[c] = sum;
}
