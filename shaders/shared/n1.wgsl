// Shared by n1_screen and n1_flows.

// Keep in sync with thermogrid::power::gpu::N1Params.
struct N1Params {
    nl: u32,        // branches (length of a LODF row)
    n_out: u32,     // outages
    groups_x: u32,  // workgroups along x in the dispatch grid
    pad0: u32,
}
