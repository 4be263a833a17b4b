// The rows of one velocity component's implicit predictor (one thread per face of the
// job's axis): [a_P, b_P, a_-x, a_+x, a_-y, a_+y, a_-z, a_+z], upwind advection
// implicit plus the bounded correction, central diffusion with no-slip walls half a
// cell away, pressure gradient and buoyancy from the previous iterate.
// CPU twin: thermogrid::airflow::cfd::momentum::momentum_rows.

// import: shared/cfd.wgsl

@group(0) @binding(0) var<uniform> prm: CfdParams;
// [momentum Δt, energy Δt] (s), written every step.
@group(0) @binding(1) var<storage, read> scal: array<f32>;
@group(0) @binding(2) var<storage, read> codes: array<u32>;
@group(0) @binding(3) var<storage, read> u: array<f32>;
@group(0) @binding(4) var<storage, read> nu: array<f32>;
@group(0) @binding(5) var<storage, read> t: array<f32>;
@group(0) @binding(6) var<storage, read> p: array<f32>;
@group(0) @binding(7) var<storage, read_write> coef: array<f32>;

// The neighbour of face `at` (of the job's axis) in direction (b, side), by its code.
fn val(a: u32, b: u32, side: u32, at: u32) -> f32 {
    let c = code_at(codes[prm.off[a] + at], b, side);
    if (c == WALL) {
        return 0.0;
    }
    if (c == DOMAIN_WALL) {
        return prm.wall_v[2u * b + side][a];
    }
    let st = fstride(prm, a)[b];
    if (side == 1u) {
        return u[prm.off[a] + at + st];
    }
    return u[prm.off[a] + at - st];
}

@compute @workgroup_size(256)
fn momentum_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
    let f = entry(prm, gid, 256u);
    if (f >= prm.job.y) {
        return;
    }
    let a = prm.job.x;
    let oa = prm.off[a];
    let packed = codes[oa + f];
    let row = f * 8u;
    for (var k = 0u; k < 8u; k = k + 1u) {
        coef[row + k] = 0.0;
    }
    if ((packed & FREE_BIT) == 0u) {
        coef[row] = 1.0;
        coef[row + 1u] = u[oa + f];
        return;
    }
    let dt = scal[0];
    let inv_h = prm.phys.x;
    let inv_h2 = inv_h * inv_h;
    let fd = fdims(prm, a);
    let st = fstride(prm, a);
    let pos = pos_of(fd, f);
    let cs = cstride(prm);
    let hi = index_of(prm.n.xyz, pos);
    let lo = hi - cs[a];
    let up = u[oa + f];
    var diag = 1.0 / dt;
    var rhs = up / dt;
    for (var b = 0u; b < prm.n.w; b = b + 1u) {
        for (var side = 0u; side < 2u; side = side + 1u) {
            let c = code_at(packed, b, side);
            var sf = -1.0;
            if (side == 1u) {
                sf = 1.0;
            }
            // Outward advecting velocity through the control-volume face.
            var w = 0.0;
            if (b == a) {
                var fo = f - st[a];
                if (side == 1u) {
                    fo = f + st[a];
                }
                w = sf * 0.5 * (up + u[oa + fo]);
            } else {
                var fp = pos;
                if (side == 1u) {
                    fp[b] = fp[b] + 1u;
                }
                let fb = fdims(prm, b);
                let fh = index_of(fb, fp);
                let fl = fh - fstride(prm, b)[a];
                w = sf * 0.5 * (u[prm.off[b] + fl] + u[prm.off[b] + fh]);
            }
            var nu_f = 0.5 * (nu[lo] + nu[hi]);
            if (b == a) {
                nu_f = nu[lo];
                if (side == 1u) {
                    nu_f = nu[hi];
                }
            }
            var dist = 1.0;
            if (c == WALL || c == DOMAIN_WALL) {
                dist = 2.0;
            }
            let diff = nu_f * inv_h2 * dist;
            diag = diag + diff + max(w, 0.0) * inv_h;
            let c_nb = diff + max(-w, 0.0) * inv_h;
            let nb_val = val(a, b, side, f);
            if (c == FREE) {
                coef[row + 2u + 2u * b + side] = c_nb;
            } else {
                rhs = rhs + c_nb * nb_val;
            }
            if (w > 0.0) {
                let far = val(a, b, 1u - side, f);
                rhs = rhs - w * inv_h * correction(far, up, nb_val);
            } else if (w < 0.0 && c == FREE) {
                var nb = f - st[b];
                if (side == 1u) {
                    nb = f + st[b];
                }
                let far = val(a, b, side, nb);
                rhs = rhs - w * inv_h * correction(far, nb_val, up);
            }
        }
    }
    rhs = rhs - (p[hi] - p[lo]) * inv_h;
    let ga = prm.phys.w;
    if (ga != 0.0) {
        rhs = rhs - ga * prm.phys.y * (0.5 * (t[lo] + t[hi]) - prm.phys.z);
    }
    coef[row] = diag;
    coef[row + 1u] = rhs;
}
