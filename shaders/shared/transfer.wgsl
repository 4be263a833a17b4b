// Shared by restrict_fw and prolong_add: the fine and coarse grids of a transfer.

// Keep in sync with thermogrid::thermal::gpu::TransferParams.
struct TransferParams {
    fnx: u32,
    fny: u32,
    fnz: u32,
    fcells: u32,
    fpnx: u32,
    fpny: u32,
    fpz: u32,
    nd: u32,
    cnx: u32,
    cny: u32,
    cnz: u32,
    ccells: u32,
    cpnx: u32,
    cpny: u32,
    cpz: u32,
    coarsen: u32,
    groups_x: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}
