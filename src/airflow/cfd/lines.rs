//! Alternating-direction line relaxation of a stored 7-point system (the line-by-line
//! TDMA of Patankar's SIMPLE codes): a cycle solves every grid line along x exactly
//! (Thomas algorithm), the neighbours off the line taken from the previous iterate, then
//! every line along y, then along z. Along its line a correction crosses the whole
//! domain in one solve, where a point (Jacobi) sweep moves it one cell: the implicit
//! upwind predictors take Courant numbers of tens with a couple of cycles.
//!
//! Row layout as in [`super::jacobi`]: `[a_P, b_P, a_−x, a_+x, a_−y, a_+y, a_−z, a_+z]`
//! for `a_P x_P = b_P + Σ a_nb x_nb`; a zero coefficient is never read through. Each
//! line reads only the previous directional sweep's values and writes its own entries,
//! so the result does not depend on the thread count (and each direction maps onto one
//! GPU dispatch of a thread per line).

use rayon::prelude::*;

/// A pointer shared by the threads of one directional sweep, each writing the entries
/// of its own lines only.
#[derive(Clone, Copy)]
struct Out(*mut f64);
// SAFETY: the lines of one directional sweep are disjoint sets of entries (see
// `line_start`), so no two threads write the same entry, and nothing reads `next`
// during the sweep.
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

/// First entry and stride of line `l` along direction `b` of an array of dims `d`.
fn line_start(d: [usize; 3], b: usize, l: usize) -> (usize, usize) {
    match b {
        0 => (l * d[0], 1),
        1 => ((l % d[0]) + (l / d[0]) * d[0] * d[1], d[0]),
        _ => (l, d[0] * d[1]),
    }
}

/// `cycles` alternating-direction cycles from `x0` on the system `coef` over an array
/// of dimensions `dims` (x fastest); directions of extent 1 are skipped.
pub fn lines(coef: &[[f64; 8]], dims: [usize; 3], x0: &[f64], cycles: usize) -> Vec<f64> {
    let n = dims[0] * dims[1] * dims[2];
    assert_eq!(coef.len(), n, "one row per entry");
    assert_eq!(x0.len(), n, "one start value per entry");
    let stride = [1, dims[0], dims[0] * dims[1]];
    let mut cur = x0.to_vec();
    let mut next = x0.to_vec();
    for _ in 0..cycles.max(1) {
        for b in 0..3 {
            let len = dims[b];
            if len < 2 {
                continue;
            }
            let out = Out(next.as_mut_ptr());
            let cur_ref = &cur;
            (0..n / len).into_par_iter().for_each_init(
                || (vec![0.0f64; len], vec![0.0f64; len]),
                |(cp, dp), l| {
                    let out = out;
                    let (start, s) = line_start(dims, b, l);
                    // Forward elimination of  −a_− x_{m−1} + a_P x_m − a_+ x_{m+1} = r_m.
                    for m in 0..len {
                        let i = start + m * s;
                        let cf = &coef[i];
                        let mut r = cf[1];
                        for o in 0..3 {
                            if o == b {
                                continue;
                            }
                            if cf[2 + 2 * o] != 0.0 {
                                r += cf[2 + 2 * o] * cur_ref[i - stride[o]];
                            }
                            if cf[3 + 2 * o] != 0.0 {
                                r += cf[3 + 2 * o] * cur_ref[i + stride[o]];
                            }
                        }
                        let lower = if m > 0 { cf[2 + 2 * b] } else { 0.0 };
                        let upper = if m + 1 < len { cf[3 + 2 * b] } else { 0.0 };
                        let (cprev, dprev) = if m > 0 { (cp[m - 1], dp[m - 1]) } else { (0.0, 0.0) };
                        let den = cf[0] - lower * cprev;
                        cp[m] = upper / den;
                        dp[m] = (r + lower * dprev) / den;
                    }
                    // Back substitution.
                    let mut x = 0.0;
                    for m in (0..len).rev() {
                        x = dp[m] + cp[m] * x;
                        // SAFETY: entry start + m·s belongs to line l only (see `Out`).
                        unsafe { *out.0.add(start + m * s) = x };
                    }
                },
            );
            std::mem::swap(&mut cur, &mut next);
        }
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A diagonally dominant 3-D system with random coefficients: the line cycles
    /// converge to the direct answer (checked by the residual), and a pure 1-D chain
    /// along any axis is solved exactly by one cycle.
    #[test]
    fn converges_and_solves_chains_exactly() {
        let dims = [7, 5, 4];
        let n = 140;
        let mut seed = 12345u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let stride = [1, 7, 35];
        let mut coef = vec![[0.0f64; 8]; n];
        for (i, cf) in coef.iter_mut().enumerate() {
            let p = [i % 7, (i / 7) % 5, i / 35];
            let mut sum = 0.0;
            for b in 0..3 {
                if p[b] > 0 {
                    cf[2 + 2 * b] = rnd();
                }
                if p[b] + 1 < dims[b] {
                    cf[3 + 2 * b] = rnd();
                }
                sum += cf[2 + 2 * b] + cf[3 + 2 * b];
            }
            cf[0] = sum + 0.1 + rnd();
            cf[1] = rnd() - 0.5;
        }
        let x = lines(&coef, dims, &vec![0.0; n], 60);
        for (i, cf) in coef.iter().enumerate() {
            let mut r = cf[1] - cf[0] * x[i];
            for b in 0..3 {
                if cf[2 + 2 * b] != 0.0 {
                    r += cf[2 + 2 * b] * x[i - stride[b]];
                }
                if cf[3 + 2 * b] != 0.0 {
                    r += cf[3 + 2 * b] * x[i + stride[b]];
                }
            }
            assert!(r.abs() < 1e-10, "residual {r} at {i}");
        }
        for b in 0..3 {
            // Only the couplings along b: one cycle is exact.
            let chain: Vec<[f64; 8]> = coef
                .iter()
                .map(|cf| {
                    let mut c = *cf;
                    for o in (0..3).filter(|&o| o != b) {
                        c[2 + 2 * o] = 0.0;
                        c[3 + 2 * o] = 0.0;
                    }
                    c
                })
                .collect();
            let x = lines(&chain, dims, &vec![0.0; n], 1);
            for (i, cf) in chain.iter().enumerate() {
                let mut r = cf[1] - cf[0] * x[i];
                if cf[2 + 2 * b] != 0.0 {
                    r += cf[2 + 2 * b] * x[i - stride[b]];
                }
                if cf[3 + 2 * b] != 0.0 {
                    r += cf[3 + 2 * b] * x[i + stride[b]];
                }
                assert!(r.abs() < 1e-12, "axis {b}: residual {r} at {i}");
            }
        }
    }
}
