// The building envelope's step (one thread per cell): the heat the air gives the
// envelope next to the cell, h_eff · area · (T − T_wall) (W, into flux), and the
// envelope's new temperature, implicit: T_wall ← (C_b T_wall + h T)/(C_b + h)
// (T_wall ← T without a heat capacity). h_eff = scal[3], C_b/Δt = scal[4], h = scal[5]
// (W/(m²·K)); exch holds per cell (envelope area m², T_wall °C).
// CPU twin: thermogrid::airflow::facility::transient::building_exchange.

// import: shared/cfd.wgsl

@group(0) @binding(0) var<uniform> prm: CfdParams;
@group(0) @binding(1) var<storage, read> scal: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read_write> exch: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> flux: array<f32>;

@compute @workgroup_size(256)
fn building_exchange(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = entry(prm, gid, 256u);
    if (c >= prm.job.y) {
        return;
    }
    let e = exch[c];
    if (e.x <= 0.0) {
        flux[c] = 0.0;
        return;
    }
    let tc = t[c];
    flux[c] = scal[3] * e.x * (tc - e.y);
    let cb = scal[4];
    let h = scal[5];
    var w = tc;
    if (cb > 0.0) {
        w = (cb * e.y + h * tc) / (cb + h);
    }
    exch[c] = vec2<f32>(e.x, w);
}
