// Tiled matrix product C = A B in f32 (row-major): the time-series flows
//   flows (n_branch × T) = PTDF (n_branch × n_bus) × injections (n_bus × T).
// A 16 × 16 workgroup computes a 64 × 64 tile of C, 4 × 4 outputs per invocation,
// stepping through K in slices of 16 held in workgroup memory.
// CPU twin: thermogrid::power::gpu::ptdf_gemm.

// Keep in sync with thermogrid::power::gpu::GemmDims.
struct GemmDims {
    m: u32,
    n: u32,
    k: u32,
    pad0: u32,
}

@group(0) @binding(0) var<uniform> d: GemmDims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const TS: u32 = 64u;
const TK: u32 = 16u;

var<workgroup> at: array<f32, 1024>; // TS × TK
var<workgroup> bt: array<f32, 1024>; // TK × TS

@compute @workgroup_size(16, 16)
fn ptdf_gemm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wg.y * TS;
    let col0 = wg.x * TS;
    let t = lid.y * 16u + lid.x;
    var acc: array<f32, 16>;
    for (var i = 0u; i < 16u; i = i + 1u) {
        acc[i] = 0.0;
    }
    for (var k0 = 0u; k0 < d.k; k0 = k0 + TK) {
        for (var i = 0u; i < 4u; i = i + 1u) {
            let e = t + i * 256u;
            let r = e / TK;
            let q = e % TK;
            let gr = row0 + r;
            let gq = k0 + q;
            var v = 0.0;
            if (gr < d.m && gq < d.k) {
                v = a[gr * d.k + gq];
            }
            at[r * TK + q] = v;
            let r2 = e / TS;
            let q2 = e % TS;
            let gr2 = k0 + r2;
            let gq2 = col0 + q2;
            var w = 0.0;
            if (gr2 < d.k && gq2 < d.n) {
                w = b[gr2 * d.n + gq2];
            }
            bt[r2 * TS + q2] = w;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk = kk + 1u) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i = i + 1u) {
                av[i] = at[(lid.y * 4u + i) * TK + kk];
                bv[i] = bt[kk * TS + lid.x * 4u + i];
            }
            for (var i = 0u; i < 4u; i = i + 1u) {
                for (var j = 0u; j < 4u; j = j + 1u) {
                    acc[i * 4u + j] = acc[i * 4u + j] + av[i] * bv[j];
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i = i + 1u) {
        let r = row0 + lid.y * 4u + i;
        for (var j = 0u; j < 4u; j = j + 1u) {
            let q = col0 + lid.x * 4u + j;
            if (r < d.m && q < d.n) {
                c[r * d.n + q] = acc[i * 4u + j];
            }
        }
    }
}
