// Shared by the hall-air reductions (field_reduce, reduce_partials): how two partial
// values combine under a reduction mode, and the mode's identity.

fn combine(mode: u32, x: f32, y: f32) -> f32 {
    if (mode == 2u) {
        return min(x, y);
    }
    if (mode >= 4u) {
        return x + y;
    }
    return max(x, y);
}

fn identity(mode: u32) -> f32 {
    if (mode == 2u) {
        return 3.0e38;
    }
    if (mode == 3u) {
        return -3.0e38;
    }
    return 0.0;
}
