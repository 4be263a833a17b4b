// The effective viscosity of each cell (m²/s) from its speed (the mean of its faces
// per axis) and its wall distance: laminar, LVEL (Spalding's law of the wall, Newton
// on y⁺(u⁺) u⁺ = Re) or Chen & Xu (flags.w = 0, 1, 2).
// CPU twin: thermogrid::airflow::cfd::turbulence::effective_viscosity (with
// steady::cell_speed).

// import: shared/cfd.wgsl

@group(0) @binding(0) var<uniform> prm: CfdParams;
@group(0) @binding(1) var<storage, read> open: array<u32>;
@group(0) @binding(2) var<storage, read> u: array<f32>;
@group(0) @binding(3) var<storage, read> dist: array<f32>;
@group(0) @binding(4) var<storage, read_write> nu_eff: array<f32>;

const KAPPA: f32 = 0.41;
const E_LOG: f32 = 8.6;
const CHEN_XU: f32 = 0.03874;

fn yplus(up: f32) -> f32 {
    let k = KAPPA * up;
    return up + (exp(k) - 1.0 - k - k * k / 2.0 - k * k * k / 6.0) / E_LOG;
}

fn dyplus(up: f32) -> f32 {
    let k = KAPPA * up;
    return 1.0 + KAPPA * (exp(k) - 1.0 - k - k * k / 2.0) / E_LOG;
}

fn lvel_ratio(re: f32) -> f32 {
    if (!(re > 0.0)) {
        return 1.0;
    }
    var up = min(sqrt(re), max(log(max(E_LOG * sqrt(re), 1.0)) / KAPPA, 1e-3));
    for (var i = 0; i < 50; i = i + 1) {
        let f = up * yplus(up) - re;
        let df = yplus(up) + up * dyplus(up);
        let next = max(up - f / df, 0.5 * up);
        let done = abs(next - up) <= 1e-6 * up;
        up = next;
        if (done) {
            break;
        }
    }
    let k = KAPPA * up;
    return 1.0 + KAPPA * (exp(k) - 1.0 - k - k * k / 2.0) / E_LOG;
}

@compute @workgroup_size(256)
fn effective_viscosity(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = entry(prm, gid, 256u);
    if (c >= prm.job.y) {
        return;
    }
    let nu = prm.fluid.x;
    let model = prm.flags.w;
    if (model == 0u) {
        nu_eff[c] = nu;
        return;
    }
    var speed = 0.0;
    if (open[c] != 0u) {
        let p = pos_of(prm.n.xyz, c);
        var sum = 0.0;
        for (var a = 0u; a < prm.n.w; a = a + 1u) {
            let f = cell_face(prm, a, p, 0u);
            let m = 0.5 * (u[f] + u[f + fstride(prm, a)[a]]);
            sum = sum + m * m;
        }
        speed = sqrt(sum);
    }
    if (model == 1u) {
        nu_eff[c] = nu * lvel_ratio(speed * dist[c] / nu);
    } else {
        nu_eff[c] = nu + CHEN_XU * speed * dist[c];
    }
}
