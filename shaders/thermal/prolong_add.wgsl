// x_fine += P x_coarse: along a coarsened dimension, an even fine index 2c takes coarse
// c; an odd one 2c+1 takes w_lo * c + (1 - w_lo) * (c+1), or c alone when it is the last
// cell. Weights of the dimensions multiply. One invocation per fine cell.
// CPU twin: thermogrid::thermal::cpu::transfer::Interp::prolong_add.

// import: shared/transfer.wgsl

@group(0) @binding(0) var<uniform> prm: TransferParams;
@group(0) @binding(1) var<storage, read> w_lo: array<f32>;
@group(0) @binding(2) var<storage, read> xc: array<f32>;
@group(0) @binding(3) var<storage, read_write> xf: array<f32>;

@compute @workgroup_size(256)
fn prolong_add(@builtin(global_invocation_id) gid: vec3<u32>) {
    let fc = gid.x + gid.y * prm.groups_x * 256u;
    if (fc >= prm.fcells) {
        return;
    }
    let fi = array<u32, 3>(fc % prm.fnx, (fc / prm.fnx) % prm.fny, fc / (prm.fnx * prm.fny));
    let fn_ = array<u32, 3>(prm.fnx, prm.fny, prm.fnz);
    var lo = array<u32, 3>(0u, 0u, 0u);
    var hi = array<u32, 3>(0u, 0u, 0u);
    var wl = array<f32, 3>(1.0, 1.0, 1.0);
    for (var d = 0u; d < 3u; d = d + 1u) {
        let f = fi[d];
        if (((prm.coarsen >> d) & 1u) == 0u) {
            lo[d] = f;
            hi[d] = f;
        } else if ((f & 1u) == 0u || f + 1u == fn_[d]) {
            lo[d] = f / 2u;
            hi[d] = f / 2u;
        } else {
            lo[d] = f / 2u;
            hi[d] = f / 2u + 1u;
            wl[d] = w_lo[fc * prm.nd + d];
        }
    }
    var s = 0.0;
    for (var z = 0u; z < 2u; z = z + 1u) {
        let wz = select(1.0 - wl[2], wl[2], z == 0u);
        if (wz == 0.0) {
            continue;
        }
        let kz = select(hi[2], lo[2], z == 0u);
        for (var y = 0u; y < 2u; y = y + 1u) {
            let wy = select(1.0 - wl[1], wl[1], y == 0u);
            if (wy == 0.0) {
                continue;
            }
            let jy = select(hi[1], lo[1], y == 0u);
            for (var x = 0u; x < 2u; x = x + 1u) {
                let wx = select(1.0 - wl[0], wl[0], x == 0u);
                if (wx == 0.0) {
                    continue;
                }
                let ix = select(hi[0], lo[0], x == 0u);
                s = s + wz * wy * wx * xc[((kz + prm.cpz) * prm.cpny + (jy + 1u)) * prm.cpnx + (ix + 1u)];
            }
        }
    }
    let fp = ((fi[2] + prm.fpz) * prm.fpny + (fi[1] + 1u)) * prm.fpnx + (fi[0] + 1u);
    xf[fp] = xf[fp] + s;
}
