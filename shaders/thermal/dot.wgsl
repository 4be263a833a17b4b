// Partial sums of a · b: each of the launched workgroups (256 invocations) strides over
// the vectors and writes one partial; reduce_sum adds the partials.
// CPU twin: thermogrid::thermal::stencil::dot.

// import: shared/vec.wgsl

@group(0) @binding(0) var<uniform> prm: VecParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

var<workgroup> acc: array<f32, 256>;

@compute @workgroup_size(256)
fn dot(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(num_workgroups) nw: vec3<u32>) {
    var s = 0.0;
    let stride = nw.x * 256u;
    for (var i = wid.x * 256u + li; i < prm.n; i = i + stride) {
        s = s + a[i] * b[i];
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
        partial[wid.x] = acc[0];
    }
}
