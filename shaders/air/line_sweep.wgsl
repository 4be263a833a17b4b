// One directional sweep of the alternating-direction line relaxation (one thread per
// grid line along the job's direction b): the Thomas algorithm along the line with the
// neighbours off it from the previous sweep `cur`. The system's entries are the faces
// of axis job.w (offset off[job.w] in cur and next) or the cells (job.w = 3).
// CPU twin: thermogrid::airflow::cfd::lines::line_sweep.

// import: shared/cfd.wgsl

@group(0) @binding(0) var<uniform> prm: CfdParams;
@group(0) @binding(1) var<storage, read> coef: array<f32>;
@group(0) @binding(2) var<storage, read> cur: array<f32>;
@group(0) @binding(3) var<storage, read_write> next: array<f32>;
// The eliminated upper coefficients, one per entry.
@group(0) @binding(4) var<storage, read_write> cp: array<f32>;

@compute @workgroup_size(64)
fn line_sweep(@builtin(global_invocation_id) gid: vec3<u32>) {
    let l = entry(prm, gid, 64u);
    if (l >= prm.job.y) {
        return;
    }
    let b = prm.job.x;
    let sys = prm.job.w;
    var o = 0u;
    if (sys < 3u) {
        o = prm.off[sys];
    }
    let d = fdims(prm, sys);
    let stride = vec3<u32>(1u, d.x, d.x * d.y);
    let len = d[b];
    var first = 0u;
    if (b == 0u) {
        first = l * d.x;
    } else if (b == 1u) {
        first = (l % d.x) + (l / d.x) * d.x * d.y;
    } else {
        first = l;
    }
    let s = stride[b];
    var cprev = 0.0;
    var dprev = 0.0;
    for (var m = 0u; m < len; m = m + 1u) {
        let i = first + m * s;
        let row = i * 8u;
        var r = coef[row + 1u];
        for (var q = 0u; q < 3u; q = q + 1u) {
            if (q == b) {
                continue;
            }
            let lo = coef[row + 2u + 2u * q];
            if (lo != 0.0) {
                r = r + lo * cur[o + i - stride[q]];
            }
            let hi = coef[row + 3u + 2u * q];
            if (hi != 0.0) {
                r = r + hi * cur[o + i + stride[q]];
            }
        }
        var lower = 0.0;
        if (m > 0u) {
            lower = coef[row + 2u + 2u * b];
        }
        var upper = 0.0;
        if (m + 1u < len) {
            upper = coef[row + 3u + 2u * b];
        }
        let inv = 1.0 / (coef[row] - lower * cprev);
        cprev = upper * inv;
        dprev = (r + lower * dprev) * inv;
        cp[i] = cprev;
        next[o + i] = dprev;
    }
    var xn = next[o + first + (len - 1u) * s];
    for (var m = len - 1u; m > 0u; m = m - 1u) {
        let i = first + (m - 1u) * s;
        xn = next[o + i] + cp[i] * xn;
        next[o + i] = xn;
    }
}
