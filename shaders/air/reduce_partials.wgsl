// out[job.x] = the combination (job.w: field_reduce's mode) of the first job.y partials
// (one workgroup). CPU twin: thermogrid::airflow::cfd::gpu::field_reduce.

// import: shared/cfd.wgsl
// import: shared/reduce.wgsl

@group(0) @binding(0) var<uniform> prm: CfdParams;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> acc: array<f32, 256>;

@compute @workgroup_size(256)
fn reduce_partials(@builtin(local_invocation_index) li: u32) {
    let mode = prm.job.w;
    var s = identity(mode);
    for (var i = li; i < prm.job.y; i = i + 256u) {
        s = combine(mode, s, partial[i]);
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
        out[prm.job.x] = acc[0];
    }
}
