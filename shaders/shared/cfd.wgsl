// Shared by the hall-air (momentum) kernels: the grid, the staggered face arrays, the
// job of one dispatch and the physical constants.

// Keep in sync with thermogrid::airflow::cfd::gpu::CfdParams.
struct CfdParams {
    // Cells per axis (x, y, z) and the dimensions that carry velocity.
    n: vec4<u32>,
    // Padded layout of the pressure vectors (pnx, pny, pz) of the multigrid.
    pad: vec4<u32>,
    // Offset of each axis' faces in the face buffers; all faces in w.
    off: vec4<u32>,
    // x: axis (or line direction), y: entries, z: workgroups along x, w: mode (the
    // system's axis for line sweeps, 3 for cells).
    job: vec4<u32>,
    // x: fixed-temperature walls (bit 2b + side), y: 1 with cell heat, 2 with cell
    // sources, 4 with an envelope exchange; z: ports; w: turbulence model (0 laminar,
    // 1 LVEL, 2 Chen-Xu).
    flags: vec4<u32>,
    // 1/dx (1/m), β (1/K), T_ref (°C), g along the job's axis (m/s²).
    phys: vec4<f32>,
    // ν (m²/s), α (m²/s), Pr_t, ρc_p (J/(m³·K)).
    fluid: vec4<f32>,
    // Cell volume (m³), then a kernel's own coefficients.
    misc: vec4<f32>,
    // Temperature of each domain wall (xlo, xhi, ylo, yhi, zlo, zhi), °C.
    wall_t: array<vec4<f32>, 2>,
    // Tangential velocity of each domain wall, m/s.
    wall_v: array<vec4<f32>, 6>,
}

// Bits of a face's code: six 2-bit neighbour codes, and whether the face is free.
const FREE: u32 = 0u;
const KNOWN: u32 = 1u;
const WALL: u32 = 2u;
const DOMAIN_WALL: u32 = 3u;
const FREE_BIT: u32 = 4096u;

fn code_at(packed: u32, b: u32, side: u32) -> u32 {
    return (packed >> (2u * (2u * b + side))) & 3u;
}

// Shape of the face array of axis a (a = 3: the cells).
fn fdims(prm: CfdParams, a: u32) -> vec3<u32> {
    var d = prm.n.xyz;
    if (a < 3u) {
        d[a] = d[a] + 1u;
    }
    return d;
}

fn fstride(prm: CfdParams, a: u32) -> vec3<u32> {
    let d = fdims(prm, a);
    return vec3<u32>(1u, d.x, d.x * d.y);
}

fn cstride(prm: CfdParams) -> vec3<u32> {
    return vec3<u32>(1u, prm.n.x, prm.n.x * prm.n.y);
}

fn pos_of(d: vec3<u32>, f: u32) -> vec3<u32> {
    return vec3<u32>(f % d.x, (f / d.x) % d.y, f / (d.x * d.y));
}

fn index_of(d: vec3<u32>, p: vec3<u32>) -> u32 {
    return (p.z * d.y + p.y) * d.x + p.x;
}

// The face of axis a on side `side` (0 low, 1 high) of the cell at p, as an index in the
// face buffers.
fn cell_face(prm: CfdParams, a: u32, p: vec3<u32>, side: u32) -> u32 {
    var q = p;
    q[a] = q[a] + side;
    return prm.off[a] + index_of(fdims(prm, a), q);
}

// Cell c's index in the padded pressure vectors.
fn padded_cell(prm: CfdParams, c: u32) -> u32 {
    let p = pos_of(prm.n.xyz, c);
    return ((p.z + prm.pad.z) * prm.pad.y + (p.y + 1u)) * prm.pad.x + (p.x + 1u);
}

// The bounded (van Leer) face value minus the upwind one, harmonic form.
fn correction(far: f32, up: f32, down: f32) -> f32 {
    let d1 = up - far;
    let d2 = down - up;
    let prod = d1 * d2;
    if (prod > 0.0) {
        return prod / (d1 + d2);
    }
    return 0.0;
}

fn entry(prm: CfdParams, gid: vec3<u32>, size: u32) -> u32 {
    return gid.x + gid.y * prm.job.z * size;
}
