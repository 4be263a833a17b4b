// scalars[slot] = sum of the first n partials (one workgroup).
// CPU twin: thermogrid::thermal::gpu::reduce_sum.

// import: shared/vec.wgsl

@group(0) @binding(0) var<uniform> prm: VecParams;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> scalars: array<f32>;

var<workgroup> acc: array<f32, 256>;

@compute @workgroup_size(256)
fn reduce_sum(@builtin(local_invocation_index) li: u32) {
    var s = 0.0;
    for (var i = li; i < prm.n; i = i + 256u) {
        s = s + partial[i];
    }
    acc[li] = s;
    workgroupBarrier();
    for (var h = 128u; h > 0u; h = h / 2u) {
        if (li < h) {
            acc[li] = acc[li] + acc[li + h];
        }
        workgroupBarrier();
    }
    if (li == 0u) {
        scalars[prm.slot] = acc[0];
    }
}
