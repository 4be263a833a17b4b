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
// SAFETY: the line groups of one directional sweep are disjoint sets of entries (see
// `group`), so no two threads write the same entry, and nothing reads `next`
// during the sweep.
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

/// Lines solved together by one task: up to this many neighbours along x, so that
/// every row of the group is one contiguous run of memory (lines along y and z).
const GROUP: usize = 16;

/// A group of `count` lines along direction `b` whose entries are `first + t + m·stride`
/// (t < count, m < the line's length).
fn group(d: [usize; 3], b: usize, g: usize) -> (usize, usize, usize) {
    match b {
        0 => (g * d[0], 1, 1),
        _ => {
            let per_row = d[0].div_ceil(GROUP);
            let (blk, outer) = (g % per_row, g / per_row);
            let i0 = blk * GROUP;
            let count = GROUP.min(d[0] - i0);
            let first = if b == 1 { i0 + outer * d[0] * d[1] } else { i0 + outer * d[0] };
            (first, count, if b == 1 { d[0] } else { d[0] * d[1] })
        }
    }
}

/// `cycles` alternating-direction cycles on the system `coef` over an array of
/// dimensions `dims` (x fastest; directions of extent 1 are skipped), in place: `x`
/// holds the start on entry and the answer on return; `scratch` (any length; resized)
/// holds the previous directional sweep. Both are the caller's, so a march reuses them
/// every step.
pub fn lines_into(coef: &[[f64; 8]], dims: [usize; 3], x: &mut Vec<f64>, scratch: &mut Vec<f64>, cycles: usize) {
    let n = dims[0] * dims[1] * dims[2];
    assert_eq!(coef.len(), n, "one row per entry");
    assert_eq!(x.len(), n, "one start value per entry");
    scratch.resize(n, 0.0);
    let (cur, next) = (x, scratch);
    for _ in 0..cycles.max(1) {
        for b in 0..3 {
            if dims[b] < 2 {
                continue;
            }
            line_sweep(coef, dims, b, cur, next);
            std::mem::swap(cur, next);
        }
    }
}

/// One directional sweep: every grid line along direction `b` solved exactly (Thomas
/// algorithm) with the neighbours off the line from `cur`, into `next`.
pub fn line_sweep(coef: &[[f64; 8]], dims: [usize; 3], b: usize, cur: &[f64], next: &mut [f64]) {
    let n = dims[0] * dims[1] * dims[2];
    assert!(cur.len() == n && next.len() == n, "one value per entry");
    let stride = [1, dims[0], dims[0] * dims[1]];
    let len = dims[b];
    let groups = match b {
        0 => n / len,
        1 => dims[0].div_ceil(GROUP) * dims[2],
        _ => dims[0].div_ceil(GROUP) * dims[1],
    };
    let out = Out(next.as_mut_ptr());
    let cur_ref = cur;
    (0..groups).into_par_iter().for_each_init(
        || (vec![0.0f64; len * GROUP], vec![0.0f64; len * GROUP]),
        |(cp, dp), g| {
            let out = out;
            let (first, count, s) = group(dims, b, g);
            // Forward elimination of  −a_− x_{m−1} + a_P x_m − a_+ x_{m+1} = r_m,
            // the group's lines side by side.
            for m in 0..len {
                for t in 0..count {
                    let i = first + t + m * s;
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
                    let k = m * count + t;
                    let (cprev, dprev) = if m > 0 { (cp[k - count], dp[k - count]) } else { (0.0, 0.0) };
                    let inv = 1.0 / (cf[0] - lower * cprev);
                    cp[k] = upper * inv;
                    dp[k] = (r + lower * dprev) * inv;
                }
            }
            // Back substitution.
            for m in (0..len).rev() {
                for t in 0..count {
                    let k = m * count + t;
                    let x = if m + 1 < len { dp[k] + cp[k] * dp[k + count] } else { dp[k] };
                    // dp now holds the solution of the entries after m.
                    dp[k] = x;
                    // SAFETY: entry first + t + m·s belongs to this group only.
                    unsafe { *out.0.add(first + t + m * s) = x };
                }
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(coef: &[[f64; 8]], dims: [usize; 3], x0: &[f64], cycles: usize) -> Vec<f64> {
        let (mut x, mut scratch) = (x0.to_vec(), Vec::new());
        lines_into(coef, dims, &mut x, &mut scratch, cycles);
        x
    }

    /// A diagonally dominant 3-D system with random coefficients: the line cycles
    /// converge to the direct answer (checked by the residual), and a pure 1-D chain
    /// along any axis is solved exactly by one cycle.
    #[test]
    fn converges_and_solves_chains_exactly() {
        // 37 along x: lines along y and z go in groups of 16, 16 and 5.
        let dims = [37, 5, 4];
        let n = 37 * 5 * 4;
        let mut seed = 12345u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let stride = [1, 37, 185];
        let mut coef = vec![[0.0f64; 8]; n];
        for (i, cf) in coef.iter_mut().enumerate() {
            let p = [i % 37, (i / 37) % 5, i / 185];
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
