// b_coarse = P^T r_fine with operator-dependent weights w_lo (nd per fine cell): along a
// coarsened dimension the fine children of coarse index c are 2c (weight 1), 2c-1
// (weight 1 - w_lo) and 2c+1 (weight w_lo). One invocation per coarse cell.
// CPU twin: thermogrid::thermal::cpu::transfer::Interp::restrict_fw.

// import: shared/transfer.wgsl

@group(0) @binding(0) var<uniform> prm: TransferParams;
@group(0) @binding(1) var<storage, read> w_lo: array<f32>;
@group(0) @binding(2) var<storage, read> rf: array<f32>;
@group(0) @binding(3) var<storage, read_write> bc: array<f32>;

@compute @workgroup_size(256)
fn restrict_fw(@builtin(global_invocation_id) gid: vec3<u32>) {
    let cc = gid.x + gid.y * prm.groups_x * 256u;
    if (cc >= prm.ccells) {
        return;
    }
    let ci = cc % prm.cnx;
    let cj = (cc / prm.cnx) % prm.cny;
    let ck = cc / (prm.cnx * prm.cny);
    let cidx = array<u32, 3>(ci, cj, ck);
    let fn_ = array<u32, 3>(prm.fnx, prm.fny, prm.fnz);
    var s = 0.0;
    // Each dimension: children offsets -1, 0, +1 around 2c (or the same index if not coarsened).
    for (var dz = 0u; dz < 3u; dz = dz + 1u) {
        for (var dy = 0u; dy < 3u; dy = dy + 1u) {
            for (var dx = 0u; dx < 3u; dx = dx + 1u) {
                let dd = array<u32, 3>(dx, dy, dz);
                var f = array<u32, 3>(0u, 0u, 0u);
                var kind = array<u32, 3>(0u, 0u, 0u);
                var ok = true;
                for (var d = 0u; d < 3u; d = d + 1u) {
                    if (((prm.coarsen >> d) & 1u) == 0u) {
                        if (dd[d] != 1u) {
                            ok = false;
                        }
                        f[d] = cidx[d];
                    } else {
                        let base = 2u * cidx[d];
                        if (dd[d] == 0u) {
                            if (base == 0u) {
                                ok = false;
                            } else {
                                f[d] = base - 1u;
                                kind[d] = 1u;
                            }
                        } else if (dd[d] == 1u) {
                            f[d] = base;
                        } else {
                            f[d] = base + 1u;
                            kind[d] = 2u;
                        }
                        if (f[d] >= fn_[d]) {
                            ok = false;
                        }
                    }
                }
                if (ok) {
                    let fc = (f[2] * prm.fny + f[1]) * prm.fnx + f[0];
                    var w = 1.0;
                    for (var d = 0u; d < prm.nd; d = d + 1u) {
                        let wl = w_lo[fc * prm.nd + d];
                        if (kind[d] == 1u) {
                            w = w * (1.0 - wl);
                        } else if (kind[d] == 2u) {
                            w = w * wl;
                        }
                    }
                    let fp = ((f[2] + prm.fpz) * prm.fpny + (f[1] + 1u)) * prm.fpnx + (f[0] + 1u);
                    s = s + w * rf[fp];
                }
            }
        }
    }
    bc[((ck + prm.cpz) * prm.cpny + (cj + 1u)) * prm.cpnx + (ci + 1u)] = s;
}
