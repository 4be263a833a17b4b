// Shared by the vector kernels: length, dispatch width, scalar slot and mode.

// Keep in sync with thermogrid::thermal::gpu::VecParams.
struct VecParams {
    n: u32,
    groups_x: u32,
    slot: u32,
    mode: u32,
}
