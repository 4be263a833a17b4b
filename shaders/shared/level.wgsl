// Shared by the thermal stencil kernels: a level's grid and stencil, and the
// compact -> padded index map.

// Keep in sync with thermogrid::thermal::gpu::LevelParams.
struct LevelParams {
    nx: u32,
    ny: u32,
    nz: u32,
    cells: u32,
    pnx: u32,
    pny: u32,
    pz: u32,
    noff: u32,
    diag: u32,
    colour: u32,
    face: u32,
    groups_x: u32,
}

// Compact cell c -> padded index (one ghost layer in x, y, and z when 3-D).
fn padded(prm: LevelParams, c: u32) -> u32 {
    let i = c % prm.nx;
    let j = (c / prm.nx) % prm.ny;
    let k = c / (prm.nx * prm.ny);
    return ((k + prm.pz) * prm.pny + (j + 1u)) * prm.pnx + (i + 1u);
}
