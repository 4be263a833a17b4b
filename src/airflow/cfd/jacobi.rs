//! Jacobi sweeps over a stored 7-point system: `x_P ← (b_P + Σ a_nb x_nb) / a_P`, every
//! entry from the previous sweep (so the result does not depend on the thread count).
//! Row layout: `[a_P, b_P, a_−x, a_+x, a_−y, a_+y, a_−z, a_+z]`; a zero coefficient is
//! never read through (rows at walls have them).

use rayon::prelude::*;

/// `sweeps` Jacobi sweeps from `x0` on the system `coef` whose neighbours lie `stride`
/// entries away along x, y and z.
pub fn jacobi(coef: &[[f64; 8]], stride: [usize; 3], x0: &[f64], sweeps: usize) -> Vec<f64> {
    let mut cur = x0.to_vec();
    let mut next = x0.to_vec();
    for _ in 0..sweeps.max(1) {
        next.par_iter_mut().enumerate().for_each(|(i, out)| {
            let cf = &coef[i];
            let mut s = cf[1];
            for b in 0..3 {
                if cf[2 + 2 * b] != 0.0 {
                    s += cf[2 + 2 * b] * cur[i - stride[b]];
                }
                if cf[3 + 2 * b] != 0.0 {
                    s += cf[3 + 2 * b] * cur[i + stride[b]];
                }
            }
            *out = s / cf[0];
        });
        std::mem::swap(&mut cur, &mut next);
    }
    cur
}
