// N-1 screening: for outage k (one workgroup), post-contingency flows
//   post_l = f_l + LODF[l, k] f_k   (0 for l = k)
// reduced to the highest loading |post_l| / RATE_A_l (%), its branch, and an upper
// bound on the loading including f32 rounding:
//   bound_l = 4 eps32 (|f_l| + |LODF[l, k] f_k|) / RATE_A_l * 100.
// The host re-checks in f64 every outage whose bound reaches the threshold.
// CPU twin: thermogrid::power::contingency::n1_screen.

// import: shared/n1.wgsl

@group(0) @binding(0) var<uniform> prm: N1Params;
@group(0) @binding(1) var<storage, read> lodf: array<f32>;       // n_out × nl: row k = LODF[:, outage k]
@group(0) @binding(2) var<storage, read> flow: array<f32>;       // nl base flows, MW
@group(0) @binding(3) var<storage, read> inv_rate: array<f32>;   // nl, 1 / RATE_A (0: no rating)
@group(0) @binding(4) var<storage, read> out_branch: array<u32>; // n_out branch rows
@group(0) @binding(5) var<storage, read_write> result: array<f32>; // n_out × 4: max %, worst (u32 bits), bound %, 0

const WG: u32 = 256u;
const EPS32: f32 = 5.9604645e-8;

var<workgroup> best: array<f32, 256>;
var<workgroup> best_i: array<u32, 256>;
var<workgroup> upper: array<f32, 256>;

@compute @workgroup_size(256)
fn n1_screen(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let k = wid.x + wid.y * prm.groups_x;
    let live = k < prm.n_out;
    var m = -1.0;
    var mi = 0xffffffffu;
    var up = -1.0;
    if (live) {
        let kb = out_branch[k];
        let fk = flow[kb];
        let row = k * prm.nl;
        for (var l = li; l < prm.nl; l = l + WG) {
            let ir = inv_rate[l];
            if (l == kb || ir == 0.0) {
                continue;
            }
            let d = lodf[row + l] * fk;
            let post = flow[l] + d;
            let ld = abs(post) * ir * 100.0;
            let bound = 4.0 * EPS32 * (abs(flow[l]) + abs(d)) * ir * 100.0;
            if (ld > m) {
                m = ld;
                mi = l;
            }
            up = max(up, ld + bound);
        }
    }
    best[li] = m;
    best_i[li] = mi;
    upper[li] = up;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (li < s) {
            let o = li + s;
            if (best[o] > best[li] || (best[o] == best[li] && best_i[o] < best_i[li])) {
                best[li] = best[o];
                best_i[li] = best_i[o];
            }
            upper[li] = max(upper[li], upper[o]);
        }
        workgroupBarrier();
    }
    if (live && li == 0u) {
        result[k * 4u] = best[0];
        result[k * 4u + 1u] = bitcast<f32>(best_i[0]);
        result[k * 4u + 2u] = upper[0];
        result[k * 4u + 3u] = 0.0;
    }
}
