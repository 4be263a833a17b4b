//! Jacobi sweeps over a stored 7-point system: `x_P ← (b_P + Σ a_nb x_nb) / a_P`, every
//! entry from the previous sweep (so the result does not depend on the thread count).
//! Row layout: `[a_P, b_P, a_−x, a_+x, a_−y, a_+y, a_−z, a_+z]`; a zero coefficient is
//! never read through (rows at walls have them).

use rayon::prelude::*;

/// `sweeps` Jacobi sweeps on the system `coef` whose neighbours lie `stride` entries
/// away along x, y and z: `x` holds the start on entry and the answer on return;
/// `scratch` (any length; resized) holds the other sweep.
pub fn jacobi_into(coef: &[[f64; 8]], stride: [usize; 3], x: &mut Vec<f64>, scratch: &mut Vec<f64>, sweeps: usize) {
    scratch.resize(x.len(), 0.0);
    let (cur, next) = (x, scratch);
    for _ in 0..sweeps.max(1) {
        let cur_ref: &[f64] = cur;
        next.par_iter_mut().enumerate().for_each(|(i, out)| {
            let cf = &coef[i];
            let mut s = cf[1];
            for b in 0..3 {
                if cf[2 + 2 * b] != 0.0 {
                    s += cf[2 + 2 * b] * cur_ref[i - stride[b]];
                }
                if cf[3 + 2 * b] != 0.0 {
                    s += cf[3 + 2 * b] * cur_ref[i + stride[b]];
                }
            }
            *out = s / cf[0];
        });
        std::mem::swap(cur, next);
    }
}
