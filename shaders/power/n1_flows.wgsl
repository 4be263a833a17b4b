// N-1 post-contingency flows, one invocation per (outage, branch):
//   flows[k, l] = f_l + LODF[l, k] f_k, and 0 for the outaged branch itself.
// CPU twin: thermogrid::power::gpu::n1_flows.

// import: shared/n1.wgsl

@group(0) @binding(0) var<uniform> prm: N1Params;
@group(0) @binding(1) var<storage, read> lodf: array<f32>;       // n_out × nl
@group(0) @binding(2) var<storage, read> flow: array<f32>;       // nl
@group(0) @binding(3) var<storage, read> out_branch: array<u32>; // n_out
@group(0) @binding(4) var<storage, read_write> flows: array<f32>; // n_out × nl, MW

@compute @workgroup_size(256)
fn n1_flows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let i = gid.x + gid.y * nw.x * 256u;
    if (i >= prm.nl * prm.n_out) {
        return;
    }
    let k = i / prm.nl;
    let l = i % prm.nl;
    let kb = out_branch[k];
    flows[i] = select(flow[l] + lodf[i] * flow[kb], 0.0, l == kb);
}
