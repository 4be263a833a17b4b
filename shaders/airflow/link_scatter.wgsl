// y[cell] −= Σ w · means[link] over the links that blow into each cell (a rack's
// exhaust, a unit's supply). One thread per cell that receives air, so cells shared by
// two links are summed without races. Entries to_off[c] .. to_off[c + 1] of cell c.
// CPU twin: thermogrid::airflow::links::Links::link_scatter.

// import: shared/vec.wgsl

@group(0) @binding(0) var<uniform> prm: VecParams;
@group(0) @binding(1) var<storage, read> to_off: array<u32>;
@group(0) @binding(2) var<storage, read> to_cell: array<u32>;
@group(0) @binding(3) var<storage, read> to_link: array<u32>;
@group(0) @binding(4) var<storage, read> to_w: array<f32>;
@group(0) @binding(5) var<storage, read> means: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn link_scatter(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x + gid.y * prm.groups_x * 64u;
    if (c >= prm.n) {
        return;
    }
    var s = 0.0;
    for (var e = to_off[c]; e < to_off[c + 1u]; e = e + 1u) {
        s = s + to_w[e] * means[to_link[e]];
    }
    let p = to_cell[c];
    y[p] = y[p] - s;
}
