//! Sparse LU without pivoting for matrices whose *pattern* is symmetric (the Newton
//! Jacobian of a power flow, whose pattern is the bus graph's), in a given fill-reducing
//! order: the up-looking algorithm of Davis's LDL, generalized to unsymmetric values.
//! Step k computes column k of U (`L u = B[0..k, k]`) and row k of L
//! (`l U = B[k, 0..k]`), two sparse triangular solves on one pattern — the reach of
//! B's column k in the elimination tree — then the pivot `U[k,k]`.
//!
//! The symbolic part (order, elimination tree, column counts) depends on the pattern
//! only and is computed once; each Newton step refactorizes numerically. Without
//! pivoting a tiny pivot is possible in principle: it is detected
//! ([`SymLu::factor`] returns `false`) and the caller falls back to a pivoting LU.

const NONE: usize = usize::MAX;

/// Relative pivot size below which the factorization gives up.
const PIVOT_TOL: f64 = 1e-13;

/// The symbolic factorization and the numeric factors of one matrix pattern.
pub struct SymLu {
    n: usize,
    /// `q[k]`: original index of the k-th pivot.
    q: Vec<usize>,
    /// For each permuted column k, the entries of B[:, k] as (permuted row, position in
    /// the original CSC values) and the position of the mirrored entry B[k, row].
    col_ptr: Vec<usize>,
    ent: Vec<(usize, usize, usize)>,
    parent: Vec<usize>,
    /// Column starts of L (strictly lower, by columns) and of Uᵀ (U strictly upper, by
    /// rows): the same counts, since the pattern is symmetric.
    lp: Vec<usize>,
    li: Vec<usize>,
    lx: Vec<f64>,
    ux: Vec<f64>,
    udiag: Vec<f64>,
    // Work.
    y: Vec<f64>,
    z: Vec<f64>,
    flag: Vec<usize>,
    pattern: Vec<usize>,
    lnz: Vec<usize>,
}

impl SymLu {
    /// Symbolic analysis of the CSC pattern (`col_ptr`, `row_idx`, rows sorted within
    /// each column) in elimination order `order` (`order[k]` = original index pivoted
    /// k-th). The pattern must be symmetric; `None` if it is not.
    pub fn new(n: usize, col_ptr: &[usize], row_idx: &[usize], order: &[usize]) -> Option<Self> {
        let q = order.to_vec();
        let mut qinv = vec![NONE; n];
        for (k, &i) in q.iter().enumerate() {
            qinv[i] = k;
        }
        // The position of entry (row, col), by binary search in its column.
        let pos = |r: usize, c: usize| -> Option<usize> {
            let rows = &row_idx[col_ptr[c]..col_ptr[c + 1]];
            rows.binary_search(&r).ok().map(|k| col_ptr[c] + k)
        };
        let mut bcol_ptr = vec![0usize; n + 1];
        let mut ent = Vec::with_capacity(row_idx.len());
        for k in 0..n {
            let c = q[k];
            for p in col_ptr[c]..col_ptr[c + 1] {
                let r = row_idx[p];
                let m = pos(c, r)?;
                ent.push((qinv[r], p, m));
            }
            bcol_ptr[k + 1] = ent.len();
        }
        // Elimination tree and column counts of L (ldl_symbolic).
        let (mut parent, mut flag, mut lnz) = (vec![NONE; n], vec![NONE; n], vec![0usize; n]);
        for k in 0..n {
            flag[k] = k;
            for &(i0, _, _) in &ent[bcol_ptr[k]..bcol_ptr[k + 1]] {
                let mut i = i0;
                if i >= k {
                    continue;
                }
                while flag[i] != k {
                    if parent[i] == NONE {
                        parent[i] = k;
                    }
                    lnz[i] += 1;
                    flag[i] = k;
                    i = parent[i];
                }
            }
        }
        let mut lp = vec![0usize; n + 1];
        for k in 0..n {
            lp[k + 1] = lp[k] + lnz[k];
        }
        let nnz = lp[n];
        Some(SymLu {
            n,
            q,
            col_ptr: bcol_ptr,
            ent,
            parent,
            lp,
            li: vec![0; nnz],
            lx: vec![0.0; nnz],
            ux: vec![0.0; nnz],
            udiag: vec![0.0; n],
            y: vec![0.0; n],
            z: vec![0.0; n],
            flag: vec![NONE; n],
            pattern: vec![0; n],
            lnz: vec![0; n],
        })
    }

    /// Factorize the values `val` (in the CSC order the pattern was given in). `false`
    /// when a pivot is tiny or not finite: the factors are then unusable.
    pub fn factor(&mut self, val: &[f64]) -> bool {
        let n = self.n;
        for k in 0..n {
            self.y[k] = 0.0;
            self.z[k] = 0.0;
            self.lnz[k] = 0;
        }
        self.flag.iter_mut().for_each(|f| *f = NONE);
        for k in 0..n {
            let mut top = n;
            self.flag[k] = k;
            let mut d = 0.0;
            let mut scale = 0.0f64;
            for &(i0, p, m) in &self.ent[self.col_ptr[k]..self.col_ptr[k + 1]] {
                scale = scale.max(val[p].abs());
                if i0 == k {
                    d += val[p];
                    continue;
                }
                if i0 > k {
                    continue;
                }
                self.y[i0] += val[p];
                self.z[i0] += val[m];
                let mut len = 0;
                let mut i = i0;
                while self.flag[i] != k {
                    self.pattern[len] = i;
                    len += 1;
                    self.flag[i] = k;
                    i = self.parent[i];
                }
                // Move this path onto the stack's top, keeping topological order.
                while len > 0 {
                    top -= 1;
                    len -= 1;
                    let v = self.pattern[len];
                    self.pattern[top] = v;
                }
            }
            // pattern[top..n] is the reach in topological order (the path buffer at the
            // front never meets it: each node is visited once per step, as in LDL).
            for t in top..n {
                let j = self.pattern[t];
                let u = self.y[j];
                let l = self.z[j] / self.udiag[j];
                self.y[j] = 0.0;
                self.z[j] = 0.0;
                let (s, e) = (self.lp[j], self.lp[j] + self.lnz[j]);
                for p in s..e {
                    let i = self.li[p];
                    self.y[i] -= self.lx[p] * u;
                    self.z[i] -= l * self.ux[p];
                }
                d -= l * u;
                self.li[e] = k;
                self.lx[e] = l;
                self.ux[e] = u;
                self.lnz[j] += 1;
            }
            if !(d.is_finite() && d.abs() > PIVOT_TOL * scale.max(f64::MIN_POSITIVE)) {
                return false;
            }
            self.udiag[k] = d;
        }
        true
    }

    /// Solve `A x = b` in place with the current factors.
    pub fn solve(&self, b: &mut [f64]) {
        let n = self.n;
        let mut x: Vec<f64> = (0..n).map(|k| b[self.q[k]]).collect();
        for j in 0..n {
            let xj = x[j];
            if xj != 0.0 {
                for p in self.lp[j]..self.lp[j + 1] {
                    x[self.li[p]] -= self.lx[p] * xj;
                }
            }
        }
        for j in (0..n).rev() {
            let mut s = x[j];
            for p in self.lp[j]..self.lp[j + 1] {
                s -= self.ux[p] * x[self.li[p]];
            }
            x[j] = s / self.udiag[j];
        }
        for k in 0..n {
            b[self.q[k]] = x[k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SymLu;

    /// A dense-pattern 4×4 unsymmetric matrix in CSC, solved against a known x, in two
    /// orders.
    #[test]
    fn solves_unsymmetric_values_on_a_symmetric_pattern() {
        // Pattern: arrow plus a tridiagonal band.
        let a = [[4.0, -1.0, 0.0, 0.5], [-2.0, 5.0, -1.5, 0.0], [0.0, -0.5, 3.0, 1.0], [0.25, 0.0, -1.0, 6.0]];
        let n = 4;
        let (mut cp, mut ri, mut v) = (vec![0], vec![], vec![]);
        for c in 0..n {
            for r in 0..n {
                if a[r][c] != 0.0 {
                    ri.push(r);
                    v.push(a[r][c]);
                }
            }
            cp.push(ri.len());
        }
        let x = [1.0, -2.0, 0.5, 3.0];
        for order in [[0, 1, 2, 3], [3, 1, 0, 2]] {
            let mut lu = SymLu::new(n, &cp, &ri, &order).expect("symmetric pattern");
            assert!(lu.factor(&v));
            let mut b: Vec<f64> = (0..n).map(|r| (0..n).map(|c| a[r][c] * x[c]).sum()).collect();
            lu.solve(&mut b);
            for k in 0..n {
                assert!((b[k] - x[k]).abs() < 1e-13, "{order:?}: {b:?}");
            }
        }
    }

    #[test]
    fn zero_pivot_is_reported() {
        // [[0, 1], [1, 0]]: nonsingular, no LU without pivoting.
        let (cp, ri, v) = (vec![0, 1, 2], vec![1, 0], vec![1.0, 1.0]);
        let mut lu = SymLu::new(2, &cp, &ri, &[0, 1]).unwrap();
        assert!(!lu.factor(&v));
    }

    #[test]
    fn unsymmetric_pattern_is_refused() {
        let (cp, ri) = (vec![0, 2, 3], vec![0, 1, 1]);
        assert!(SymLu::new(2, &cp, &ri, &[0, 1]).is_none());
    }
}
