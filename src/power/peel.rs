//! LDLᵀ of a network matrix by peeling: power networks are mostly radial or chained
//! at their edges, so most buses can be eliminated before any sparse-matrix machinery
//! is needed. A bus with one neighbour left is eliminated with no fill, one with two
//! with at most one fill edge (the series reduction of circuit theory), one with three
//! with at most three (the star–mesh transform); eliminating one may make its
//! neighbours such buses. This module does that elimination numerically on the
//! weighted graph, fewest neighbours first (minimum degree, which is what AMD would
//! pick there too), in about linear time on networks of bounded degree (a row is
//! scanned to remove or find a neighbour), keeping the pivots and multipliers as the
//! first columns of L; then it hands the meshed core that is left — its Schur
//! complement, 10–20 % of the buses of the MATPOWER cases from 2 k to 82 k buses — to
//! AMD and faer's sparse Cholesky ([`super::chol`]).
//!
//! The reference path of the DC power flow factorizes the whole matrix with faer in
//! the order of [`super::ordering`] (degree ≤ 2 peeled, AMD on the rest); a test
//! compares the two. There is no pivoting: a pivot that is zero or tiny against its
//! row (possible only with negative susceptances), or a core that faer cannot
//! factorize, is reported, and the caller takes the reference path.

use super::chol::{refine, CholFactor};
use faer::sparse::{SparseColMat, SymbolicSparseColMat};

/// Buses with at most this many neighbours left are eliminated on the graph, fewest
/// first (minimum degree, exact at these degrees); the rest form the core that AMD
/// orders. A degree-d elimination adds at most d(d−1)/2 fill edges.
const PEEL_MAX_DEGREE: usize = 3;

/// Room left in each row of the graph for fill, entries (a bus whose elimination
/// would overflow a neighbour's row waits for the core).
const ROW_SLACK: usize = 2;

/// A pivot smaller than this times the largest magnitude in its original row (diagonal
/// and off-diagonals) is refused: elimination without pivoting would lose the digits.
const PIVOT_REL_MIN: f64 = 1e-10;

/// The factorization `A = L D Lᵀ` of a symmetric matrix: peeled columns first, then the
/// core's factorization in its AMD order.
pub struct PeelFactor {
    n: usize,
    /// The bus eliminated at each peeled step, in order.
    piv: Vec<u32>,
    /// Its pivot (the D entry).
    d: Vec<f64>,
    /// Its column of L: its neighbours when eliminated (at most [`PEEL_MAX_DEGREE`])
    /// and their multipliers `a_ji / d`, step k's at `lptr[k]..lptr[k + 1]`.
    lptr: Vec<u32>,
    lidx: Vec<u32>,
    lval: Vec<f64>,
    /// The core's buses in the core factorization's order.
    core: Vec<u32>,
    core_factor: Option<CholFactor>,
    /// The original matrix (diagonal and each off-diagonal pair once), kept for the
    /// residuals of an indefinite matrix's solves; `None` when positive definite.
    original: Option<(Vec<f64>, Vec<(u32, u32, f64)>)>,
}

/// Weighted adjacency in compressed rows with a live length per row and
/// [`ROW_SLACK`] spare entries per row for fill.
struct Graph {
    ptr: Vec<usize>,
    cap: Vec<u32>,
    len: Vec<u32>,
    nbr: Vec<u32>,
    val: Vec<f64>,
}

impl Graph {
    /// From off-diagonal entries `(i, j, a_ij)` (each pair once, i ≠ j); duplicates are
    /// summed.
    fn new(n: usize, edges: &[(u32, u32, f64)]) -> Graph {
        let mut ptr = vec![0usize; n + 1];
        for &(a, b, _) in edges {
            ptr[a as usize + 1] += 1;
            ptr[b as usize + 1] += 1;
        }
        let cap: Vec<u32> = (0..n).map(|i| (ptr[i + 1] + ROW_SLACK) as u32).collect();
        for i in 0..n {
            ptr[i + 1] += ptr[i] + ROW_SLACK;
        }
        let mut len = vec![0u32; n];
        let mut nbr = vec![0u32; ptr[n]];
        let mut val = vec![0.0f64; ptr[n]];
        for &(a, b, v) in edges {
            let (a, b) = (a as usize, b as usize);
            let (pa, pb) = (ptr[a] + len[a] as usize, ptr[b] + len[b] as usize);
            nbr[pa] = b as u32;
            val[pa] = v;
            len[a] += 1;
            nbr[pb] = a as u32;
            val[pb] = v;
            len[b] += 1;
        }
        // Parallel branches: one entry per neighbour, values summed (a marker per
        // neighbour instead of sorting each row).
        let mut at = vec![usize::MAX; n];
        for i in 0..n {
            let (s, mut m) = (ptr[i], 0usize);
            for k in s..s + len[i] as usize {
                let j = nbr[k] as usize;
                if at[j] != usize::MAX && at[j] >= s && at[j] < s + m && nbr[at[j]] as usize == j {
                    val[at[j]] += val[k];
                } else {
                    nbr[s + m] = nbr[k];
                    val[s + m] = val[k];
                    at[j] = s + m;
                    m += 1;
                }
            }
            len[i] = m as u32;
        }
        Graph { ptr, cap, len, nbr, val }
    }

    fn row(&self, i: usize) -> std::ops::Range<usize> {
        self.ptr[i]..self.ptr[i] + self.len[i] as usize
    }

    /// Remove neighbour `j` from row `i`.
    fn remove(&mut self, i: usize, j: u32) {
        let r = self.row(i);
        if let Some(k) = self.nbr[r.clone()].iter().position(|&x| x == j) {
            let last = r.end - 1;
            self.nbr[r.start + k] = self.nbr[last];
            self.val[r.start + k] = self.val[last];
            self.len[i] -= 1;
        }
    }

    /// Whether row `i` has neighbour `j`.
    fn has(&self, i: usize, j: u32) -> bool {
        self.nbr[self.row(i)].contains(&j)
    }

    /// Add `v` to entry (i, j) and (j, i), creating it where absent (the caller has
    /// checked there is room).
    fn add(&mut self, i: usize, j: usize, v: f64) {
        for (p, q) in [(i, j), (j, i)] {
            let r = self.row(p);
            match self.nbr[r.clone()].iter().position(|&x| x as usize == q) {
                Some(k) => self.val[r.start + k] += v,
                None => {
                    self.nbr[r.end] = q as u32;
                    self.val[r.end] = v;
                    self.len[p] += 1;
                }
            }
        }
    }
}

impl PeelFactor {
    /// Factorize the symmetric `n × n` matrix with diagonal `diag` and off-diagonal
    /// entries `edges` (`(i, j, a_ij)`, each pair once, duplicates summed).
    /// `definite`: the caller knows the matrix is positive definite (Cholesky on the
    /// core; otherwise LDLᵀ with refined solves). An error (a tiny pivot, a failed core
    /// factorization) means: use another method.
    pub fn new(diag: Vec<f64>, edges: Vec<(u32, u32, f64)>, definite: bool) -> Result<PeelFactor, String> {
        let n = diag.len();
        // Indices are u32, L's peeled entries up to PEEL_MAX_DEGREE per unknown.
        if n >= u32::MAX as usize / (PEEL_MAX_DEGREE + 1) {
            return Err("too many unknowns".into());
        }
        if let Some(&(a, b, _)) = edges.iter().find(|&&(a, b, _)| a == b || a as usize >= n || b as usize >= n) {
            return Err(format!("entry ({a}, {b}) is not an off-diagonal entry of a {n} × {n} matrix"));
        }
        let mut g = Graph::new(n, &edges);
        // The scale of each row, for the pivot test.
        let scale: Vec<f64> =
            (0..n).map(|i| g.val[g.row(i)].iter().fold(diag[i].abs(), |m, v| m.max(v.abs()))).collect();
        let mut d = diag.to_vec();
        let mut gone = vec![false; n];
        // Room for every bus (capacity never touched costs nothing), so nothing is
        // copied as they grow.
        let (mut piv, mut pivots) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut lptr, mut lidx, mut lval) = (
            Vec::with_capacity(n + 1),
            Vec::with_capacity(PEEL_MAX_DEGREE * n),
            Vec::with_capacity(PEEL_MAX_DEGREE * n),
        );
        lptr.push(0u32);
        // Candidates by degree (a bus may sit in several lists: only the one matching
        // its current degree counts).
        let mut by_degree: Vec<Vec<u32>> = vec![Vec::new(); PEEL_MAX_DEGREE + 1];
        for i in 0..n {
            let k = g.len[i] as usize;
            if k <= PEEL_MAX_DEGREE {
                by_degree[k].push(i as u32);
            }
        }
        while let Some((deg, i)) = by_degree.iter_mut().enumerate().find_map(|(k, l)| l.pop().map(|i| (k, i as usize)))
        {
            let k = g.len[i] as usize;
            if gone[i] || k != deg {
                continue;
            }
            // Room for the fill in every neighbour's row.
            let r = g.row(i);
            let mut step = [(u32::MAX, 0.0); PEEL_MAX_DEGREE];
            for (s, q) in step.iter_mut().zip(r.clone()) {
                *s = (g.nbr[q], g.val[q]);
            }
            let fits = (0..k).all(|x| {
                let u = step[x].0 as usize;
                let missing = (0..k).filter(|&y| y != x && !g.has(u, step[y].0)).count();
                g.len[u] as usize - 1 + missing <= g.cap[u] as usize
            });
            if !fits {
                continue;
            }
            let p = d[i];
            if !(p.abs() > PIVOT_REL_MIN * scale[i]) || !p.is_finite() {
                return Err(format!("pivot {p:e} at unknown {i}"));
            }
            gone[i] = true;
            g.len[i] = 0;
            for &(j, a) in &step[..k] {
                g.remove(j as usize, i as u32);
                d[j as usize] -= a * a / p;
            }
            for x in 0..k {
                for y in x + 1..k {
                    let ((a, va), (b, vb)) = (step[x], step[y]);
                    g.add(a as usize, b as usize, -va * vb / p);
                }
            }
            for &(j, _) in &step[..k] {
                let kj = g.len[j as usize] as usize;
                if kj <= PEEL_MAX_DEGREE {
                    by_degree[kj].push(j);
                }
            }
            for &(j, a) in &step[..k] {
                lidx.push(j);
                lval.push(a / p);
            }
            lptr.push(lidx.len() as u32);
            piv.push(i as u32);
            pivots.push(p);
        }
        let original = (!definite).then_some((diag, edges));
        let core: Vec<u32> = (0..n as u32).filter(|&i| !gone[i as usize]).collect();
        if core.is_empty() {
            return Ok(PeelFactor { n, piv, d: pivots, lptr, lidx, lval, core, core_factor: None, original });
        }
        // The core: AMD on its pattern, then its upper triangle in that order.
        let nc = core.len();
        let mut local = vec![u32::MAX; n];
        for (k, &i) in core.iter().enumerate() {
            local[i as usize] = k as u32;
        }
        let mut col_ptr = Vec::with_capacity(nc + 1);
        let mut row_idx = Vec::new();
        col_ptr.push(0usize);
        for &i in &core {
            let li = local[i as usize];
            let start = row_idx.len();
            row_idx.extend(
                g.nbr[g.row(i as usize)].iter().map(|&j| local[j as usize]).filter(|&lj| lj > li).map(|lj| lj as usize),
            );
            row_idx[start..].sort_unstable();
            col_ptr.push(row_idx.len());
        }
        let (perm, perm_inv) = super::ordering::amd_permutation(nc, &col_ptr, &row_idx);
        // Column c of the ordered core (bus core[perm[c]]): its entries in rows ≤ c.
        let mut cptr = Vec::with_capacity(nc + 1);
        let mut ridx = Vec::with_capacity(row_idx.len() + nc);
        let mut cval = Vec::with_capacity(row_idx.len() + nc);
        let mut col: Vec<(usize, f64)> = Vec::new();
        cptr.push(0usize);
        for &k in perm.iter() {
            let i = core[k] as usize;
            let c = perm_inv[k];
            col.clear();
            col.extend(
                g.row(i).map(|q| (perm_inv[local[g.nbr[q] as usize] as usize], g.val[q])).filter(|&(r, _)| r < c),
            );
            col.push((c, d[i]));
            col.sort_unstable_by_key(|e| e.0);
            ridx.extend(col.iter().map(|e| e.0));
            cval.extend(col.iter().map(|e| e.1));
            cptr.push(ridx.len());
        }
        let m = SparseColMat::new(SymbolicSparseColMat::new_checked(nc, nc, cptr, None, ridx), cval);
        let ordered: Vec<u32> = perm.iter().map(|&k| core[k]).collect();
        let core_factor = CholFactor::new(&m, !definite)?;
        Ok(PeelFactor { n, piv, d: pivots, lptr, lidx, lval, core: ordered, core_factor: Some(core_factor), original })
    }

    /// "cholesky" for a positive definite matrix (D > 0, the core by Cholesky), else
    /// "ldlt".
    pub fn kind(&self) -> &'static str {
        if self.original.is_none() {
            "cholesky"
        } else {
            "ldlt"
        }
    }

    /// Unknowns.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Buses eliminated by peeling, of [`n`](Self::n).
    pub fn peeled(&self) -> usize {
        self.piv.len()
    }

    /// Solve `A X = B` in place for `ncols` right-hand sides (column-major); refined
    /// when the matrix may be indefinite.
    pub fn solve_in_place(&self, rhs: &mut [f64], ncols: usize) {
        if self.original.is_none() {
            return self.solve_raw(rhs, ncols);
        }
        refine(rhs, ncols, |x, y| self.apply(x, y), |r| self.solve_raw(r, 1), |r, k| self.solve_raw(r, k));
    }

    fn solve_raw(&self, rhs: &mut [f64], ncols: usize) {
        let n = self.n;
        let nc = self.core.len();
        let mut buf = vec![0.0; nc * ncols];
        for c in 0..ncols {
            let x = &mut rhs[c * n..(c + 1) * n];
            // L y = b over the peeled columns.
            for (k, &i) in self.piv.iter().enumerate() {
                let xi = x[i as usize];
                for q in self.lptr[k] as usize..self.lptr[k + 1] as usize {
                    x[self.lidx[q] as usize] -= self.lval[q] * xi;
                }
            }
            for (b, &i) in buf[c * nc..(c + 1) * nc].iter_mut().zip(&self.core) {
                *b = x[i as usize];
            }
        }
        // The core's own L D Lᵀ.
        if let Some(f) = &self.core_factor {
            f.solve_raw(&mut buf, ncols);
        }
        for c in 0..ncols {
            let x = &mut rhs[c * n..(c + 1) * n];
            for (b, &i) in buf[c * nc..(c + 1) * nc].iter().zip(&self.core) {
                x[i as usize] = *b;
            }
            // D z = y, then Lᵀ x = z, peeled columns in reverse.
            for (k, &i) in self.piv.iter().enumerate().rev() {
                let mut v = x[i as usize] / self.d[k];
                for q in self.lptr[k] as usize..self.lptr[k + 1] as usize {
                    v -= self.lval[q] * x[self.lidx[q] as usize];
                }
                x[i as usize] = v;
            }
        }
    }

    /// y = A x with the original matrix (kept only when indefinite).
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        let (diag, edges) = self.original.as_ref().expect("kept when indefinite");
        for ((y, d), x) in y.iter_mut().zip(diag).zip(x) {
            *y = d * x;
        }
        for &(i, j, v) in edges {
            let (i, j) = (i as usize, j as usize);
            y[i] += v * x[j];
            y[j] += v * x[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PeelFactor;

    /// Dense y = A x for the same input.
    fn dense(diag: &[f64], edges: &[(u32, u32, f64)]) -> Vec<Vec<f64>> {
        let n = diag.len();
        let mut a = vec![vec![0.0; n]; n];
        for i in 0..n {
            a[i][i] = diag[i];
        }
        for &(i, j, v) in edges {
            a[i as usize][j as usize] += v;
            a[j as usize][i as usize] += v;
        }
        a
    }

    fn residual(a: &[Vec<f64>], x: &[f64], b: &[f64]) -> f64 {
        (0..b.len()).map(|i| (b[i] - (0..b.len()).map(|j| a[i][j] * x[j]).sum::<f64>()).abs()).fold(0.0, f64::max)
    }

    /// A grounded graph Laplacian: a mesh (a 6-cycle with a chord) with a tail and a
    /// star hanging off it, parallel branches, every bus tied to ground at bus 0.
    fn network(sign: f64) -> (Vec<f64>, Vec<(u32, u32, f64)>) {
        let branches: [(u32, u32, f64); 13] = [
            (0, 1, 4.0),
            (1, 2, 5.0),
            (2, 3, 2.0),
            (3, 4, 7.0),
            (4, 5, 3.0),
            (5, 0, 6.0),
            (1, 4, 2.5),
            (3, 6, 8.0),
            (6, 7, 9.0),
            (7, 8, 1.5),
            (8, 9, 2.0),
            (8, 10, 3.0),
            (6, 7, 1.0),
        ];
        let n = 11;
        let mut diag = vec![0.0; n];
        diag[0] = 10.0; // the tie to the reference
        let mut edges = Vec::new();
        for (k, &(i, j, b)) in branches.iter().enumerate() {
            // With sign −1, every fourth branch is a series capacitor (negative b).
            let b = if sign < 0.0 && k % 4 == 1 { -0.3 * b } else { b };
            diag[i as usize] += b;
            diag[j as usize] += b;
            edges.push((i, j, -b));
        }
        (diag, edges)
    }

    /// Peeled and core columns together solve the system, definite or not, for
    /// several right-hand sides at once.
    #[test]
    fn solves_what_a_dense_matrix_says() {
        for (sign, definite) in [(1.0, true), (-1.0, false)] {
            let (diag, edges) = network(sign);
            let f = PeelFactor::new(diag.clone(), edges.clone(), definite).unwrap();
            assert!(f.peeled() >= 4, "tail and star peel: {}", f.peeled());
            let n = diag.len();
            let a = dense(&diag, &edges);
            let b: Vec<f64> = (0..3 * n).map(|k| ((k * 37 % 11) as f64 - 5.0) * 0.1).collect();
            let mut x = b.clone();
            f.solve_in_place(&mut x, 3);
            for c in 0..3 {
                let r = residual(&a, &x[c * n..(c + 1) * n], &b[c * n..(c + 1) * n]);
                assert!(r < 1e-12, "sign {sign} column {c}: residual {r}");
            }
            assert_eq!(f.kind(), if definite { "cholesky" } else { "ldlt" });
        }
    }

    /// A tree peels completely: no core, exact solve.
    #[test]
    fn a_tree_needs_no_core() {
        let edges = [(0u32, 1u32, -2.0), (1, 2, -3.0), (1, 3, -4.0), (3, 4, -5.0)];
        let mut diag = vec![1.0, 0.0, 0.0, 0.0, 0.0];
        for &(i, j, v) in &edges {
            diag[i as usize] -= v;
            diag[j as usize] -= v;
        }
        let f = PeelFactor::new(diag.clone(), edges.to_vec(), true).unwrap();
        assert_eq!(f.peeled(), 5);
        let b = vec![1.0, -2.0, 0.5, 3.0, -1.0];
        let mut x = b.clone();
        f.solve_in_place(&mut x, 1);
        assert!(residual(&dense(&diag, &edges), &x, &b) < 1e-13);
    }

    /// Entries that are not off-diagonal entries of the matrix are refused.
    #[test]
    fn a_diagonal_or_outside_entry_is_refused() {
        for e in [(0u32, 0u32, 1.0), (0, 2, 1.0)] {
            let r = PeelFactor::new(vec![2.0, 2.0], vec![e], true);
            assert!(r.err().is_some_and(|m| m.contains("off-diagonal")), "{e:?}");
        }
    }

    /// A zero pivot (a series capacitor cancelling its line) is refused, not divided by.
    #[test]
    fn a_zero_pivot_is_refused() {
        // Reduced B = [[0, 10], [10, 0]]: the buses' susceptances cancel.
        let e = PeelFactor::new(vec![0.0, 0.0], vec![(0, 1, 10.0)], false).err().unwrap();
        assert!(e.contains("pivot"), "{e}");
    }
}
