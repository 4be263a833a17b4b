// Partial reductions of a field (each of the launched workgroups strides over it and
// writes one partial; reduce_partials combines them). Modes: 0 max |a − b|, 1 max |a|,
// 2 min a over open cells, 3 max a over open cells, 4 Σ (a − b)², 5 Σ (a − b)² over
// open cells, 6 Σ a, 7 the count of entries of a that are not finite (by their bits,
// which no compiler assumes away). Entries: job.y, from offset job.x of a and b (open:
// from 0, cells only).
// CPU twin: thermogrid::airflow::cfd::gpu::field_reduce.

// import: shared/cfd.wgsl
// import: shared/reduce.wgsl

@group(0) @binding(0) var<uniform> prm: CfdParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> open: array<u32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;

var<workgroup> acc: array<f32, 256>;

@compute @workgroup_size(256)
fn field_reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(num_workgroups) nw: vec3<u32>) {
    let mode = prm.job.w;
    var s = identity(mode);
    let stride = nw.x * 256u;
    let o = prm.job.x;
    for (var i = wid.x * 256u + li; i < prm.job.y; i = i + stride) {
        let masked = mode == 2u || mode == 3u || mode == 5u;
        if (masked && open[i] == 0u) {
            continue;
        }
        var v = a[o + i];
        if (mode == 0u) {
            v = abs(a[o + i] - b[o + i]);
        } else if (mode == 1u) {
            v = abs(v);
        } else if (mode == 4u || mode == 5u) {
            let d = a[o + i] - b[o + i];
            v = d * d;
        } else if (mode == 7u) {
            v = select(0.0, 1.0, (bitcast<u32>(a[o + i]) & 0x7f800000u) == 0x7f800000u);
        }
        s = combine(mode, s, v);
    }
    acc[li] = s;
    workgroupBarrier();
    for (var h = 128u; h > 0u; h = h / 2u) {
        if (li < h) {
            acc[li] = combine(mode, acc[li], acc[li + h]);
        }
        workgroupBarrier();
    }
    if (li == 0u) {
        partial[wid.x] = acc[0];
    }
}
