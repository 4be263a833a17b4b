// The rows of the implicit energy step (one thread per cell): upwind advection in flux
// form implicit (inflow faces at their group's temperature, outflow at the cell's), the
// bounded correction from the previous iterate, harmonic-mean effective diffusivity
// between open cells, domain walls held at a temperature through half a cell, heat and
// cell sources, and an implicit exchange with the building's envelope. Δt = scal[1].
// CPU twin: thermogrid::airflow::cfd::energy::energy_rows.

// import: shared/cfd.wgsl

@group(0) @binding(0) var<uniform> prm: CfdParams;
@group(0) @binding(1) var<storage, read> scal: array<f32>;
@group(0) @binding(2) var<storage, read> open: array<u32>;
@group(0) @binding(3) var<storage, read> codes: array<u32>;
@group(0) @binding(4) var<storage, read> u: array<f32>;
@group(0) @binding(5) var<storage, read> nu: array<f32>;
// The iterate (the bounded correction's and the first guess), and the temperatures at
// the step's start (the same buffer in a pseudo-time march).
@group(0) @binding(6) var<storage, read> old: array<f32>;
@group(0) @binding(7) var<storage, read> tstart: array<f32>;
@group(0) @binding(8) var<storage, read> corr: array<f32>;
// The prescribed faces sorted by their index in the face buffers: (index, group).
@group(0) @binding(9) var<storage, read> ports: array<vec2<u32>>;
@group(0) @binding(10) var<storage, read> group_t: array<f32>;
// Per cell (when flags.y says so): heat W/m³ and source m³/s (f32 bits), the source's
// group, unused.
@group(0) @binding(11) var<storage, read> extra: array<vec4<u32>>;
// Per cell (when flags.y has bit 4): the envelope's area (m²) and temperature (°C); the
// exchange rate is scal[2] · area (1/s), implicit.
@group(0) @binding(12) var<storage, read> exch: array<vec2<f32>>;
@group(0) @binding(13) var<storage, read_write> coef: array<f32>;

const NONE: u32 = 0xffffffffu;

fn alpha_of(c: u32) -> f32 {
    return prm.fluid.y + max(nu[c] - prm.fluid.x, 0.0) / prm.fluid.z;
}

// The temperature group of the port on face index `key` (NONE: none).
fn port_group(key: u32) -> u32 {
    var lo = 0u;
    var hi = prm.flags.z;
    while (lo < hi) {
        let mid = (lo + hi) / 2u;
        let k = ports[mid].x;
        if (k == key) {
            return ports[mid].y;
        }
        if (k < key) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return NONE;
}

@compute @workgroup_size(256)
fn energy_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = entry(prm, gid, 256u);
    if (c >= prm.job.y) {
        return;
    }
    let row = c * 8u;
    for (var k = 0u; k < 8u; k = k + 1u) {
        coef[row + k] = 0.0;
    }
    if (open[c] == 0u) {
        coef[row] = 1.0;
        coef[row + 1u] = old[c];
        return;
    }
    let inv_h = prm.phys.x;
    let inv_h2 = inv_h * inv_h;
    let dt = scal[1];
    let p = pos_of(prm.n.xyz, c);
    let cs = cstride(prm);
    let a0 = alpha_of(c);
    var diag = 1.0 / dt;
    var q = 0.0;
    var src = 0.0;
    var grp = NONE;
    if ((prm.flags.y & 3u) != 0u) {
        let e = extra[c];
        q = bitcast<f32>(e.x);
        src = bitcast<f32>(e.y) / prm.misc.x;
        grp = e.z;
    }
    var rhs = tstart[c] / dt + q / prm.fluid.w - corr[c];
    for (var b = 0u; b < prm.n.w; b = b + 1u) {
        for (var side = 0u; side < 2u; side = side + 1u) {
            let f = cell_face(prm, b, p, side);
            var w = -u[f];
            if (side == 1u) {
                w = u[f];
            }
            if ((codes[f] & FREE_BIT) != 0u) {
                var nb = c - cs[b];
                if (side == 1u) {
                    nb = c + cs[b];
                }
                let a1 = alpha_of(nb);
                var diff = 0.0;
                if (a0 + a1 > 0.0) {
                    diff = 2.0 * a0 * a1 / (a0 + a1) * inv_h2;
                }
                diag = diag + diff + max(w, 0.0) * inv_h;
                coef[row + 2u + 2u * b + side] = diff + max(-w, 0.0) * inv_h;
            } else {
                if (w > 0.0) {
                    diag = diag + w * inv_h;
                } else if (w < 0.0) {
                    let g = port_group(f);
                    var tin = old[c];
                    if (g != NONE) {
                        tin = group_t[g];
                    }
                    rhs = rhs - w * inv_h * tin;
                }
                var at_domain = p[b] == 0u;
                if (side == 1u) {
                    at_domain = p[b] + 1u == prm.n[b];
                }
                if (at_domain && (prm.flags.x & (1u << (2u * b + side))) != 0u) {
                    let tw = prm.wall_t[(2u * b + side) / 4u][(2u * b + side) % 4u];
                    diag = diag + 2.0 * a0 * inv_h2;
                    rhs = rhs + 2.0 * a0 * inv_h2 * tw;
                }
            }
        }
    }
    if ((prm.flags.y & 4u) != 0u) {
        let e = exch[c];
        let k = scal[2] * e.x;
        diag = diag + k;
        rhs = rhs + k * e.y;
    }
    if (src < 0.0) {
        diag = diag - src;
    } else if (src > 0.0) {
        var tin = old[c];
        if (grp != NONE) {
            tin = group_t[grp];
        }
        rhs = rhs + src * tin;
    }
    coef[row] = diag;
    coef[row + 1u] = rhs;
}
