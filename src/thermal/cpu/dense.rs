//! Dense Cholesky factorization for the coarsest multigrid level.

use crate::thermal::stencil::Stencil;

/// `A = L Lᵀ` of a small operator, stored densely (row-major lower triangle); for a
/// nonsymmetric operator (advection) `P A = L U` with partial pivoting instead.
#[derive(Clone, Debug)]
pub struct DenseCholesky {
    n: usize,
    l: Vec<f64>,
    /// Row permutation of the LU factorization (`None`: Cholesky).
    perm: Option<Vec<usize>>,
}

impl DenseCholesky {
    /// Factor the operator of a stencil. Returns `None` when a pivot is not positive
    /// (the operator is not positive definite).
    pub fn new(a: &Stencil) -> Option<Self> {
        let lay = a.layout;
        let n = lay.cells();
        let mut m = vec![0.0; n * n];
        let noff = a.noff();
        for k in 0..lay.n[2] {
            for j in 0..lay.n[1] {
                for i in 0..lay.n[0] {
                    let r = lay.cidx(i, j, k);
                    for (o, off) in a.offsets.iter().enumerate() {
                        let g =
                            [i as isize + off[0] as isize, j as isize + off[1] as isize, k as isize + off[2] as isize];
                        if (0..3).any(|d| g[d] < 0 || g[d] >= lay.n[d] as isize) {
                            continue;
                        }
                        let c = lay.cidx(g[0] as usize, g[1] as usize, g[2] as usize);
                        m[r * n + c] += a.coef[r * noff + o];
                    }
                }
            }
        }
        let scale = m.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let asym = (0..n)
            .flat_map(|r| (0..r).map(move |c| (r, c)))
            .fold(0.0f64, |a, (r, c)| a.max((m[r * n + c] - m[c * n + r]).abs()));
        if asym > 1e-10 * scale {
            return Self::lu(n, m);
        }
        // Symmetrize against round-off in the Galerkin products.
        for r in 0..n {
            for c in 0..r {
                let v = 0.5 * (m[r * n + c] + m[c * n + r]);
                m[r * n + c] = v;
                m[c * n + r] = v;
            }
        }
        for j in 0..n {
            let mut d = m[j * n + j];
            for p in 0..j {
                d -= m[j * n + p] * m[j * n + p];
            }
            if !(d > 0.0) {
                return None;
            }
            let d = d.sqrt();
            m[j * n + j] = d;
            for i in j + 1..n {
                let mut s = m[i * n + j];
                for p in 0..j {
                    s -= m[i * n + p] * m[j * n + p];
                }
                m[i * n + j] = s / d;
            }
        }
        Some(DenseCholesky { n, l: m, perm: None })
    }

    /// LU with partial pivoting of a dense row-major matrix.
    fn lu(n: usize, mut m: Vec<f64>) -> Option<Self> {
        let mut perm: Vec<usize> = (0..n).collect();
        for k in 0..n {
            let p = (k..n).max_by(|&a, &b| m[a * n + k].abs().total_cmp(&m[b * n + k].abs()))?;
            if !(m[p * n + k].abs() > 0.0) {
                return None;
            }
            if p != k {
                for c in 0..n {
                    m.swap(p * n + c, k * n + c);
                }
                perm.swap(p, k);
            }
            let d = m[k * n + k];
            for r in k + 1..n {
                let f = m[r * n + k] / d;
                m[r * n + k] = f;
                if f != 0.0 {
                    for c in k + 1..n {
                        m[r * n + c] -= f * m[k * n + c];
                    }
                }
            }
        }
        Some(DenseCholesky { n, l: m, perm: Some(perm) })
    }

    /// Size of the matrix.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The inverse, row-major, by solving for the columns of the identity.
    pub fn inverse(&self) -> Vec<f64> {
        let n = self.n;
        let mut inv = vec![0.0; n * n];
        let mut col = vec![0.0; n];
        for j in 0..n {
            col.iter_mut().for_each(|v| *v = 0.0);
            col[j] = 1.0;
            self.solve(&mut col);
            for i in 0..n {
                inv[i * n + j] = col[i];
            }
        }
        inv
    }

    /// Solve `A x = b` in place (compact vectors).
    pub fn solve(&self, x: &mut [f64]) {
        let n = self.n;
        let l = &self.l;
        if let Some(perm) = &self.perm {
            let b: Vec<f64> = perm.iter().map(|&p| x[p]).collect();
            x.copy_from_slice(&b);
            for i in 0..n {
                let mut s = x[i];
                for p in 0..i {
                    s -= l[i * n + p] * x[p];
                }
                x[i] = s;
            }
            for i in (0..n).rev() {
                let mut s = x[i];
                for p in i + 1..n {
                    s -= l[i * n + p] * x[p];
                }
                x[i] = s / l[i * n + i];
            }
            return;
        }
        for i in 0..n {
            let mut s = x[i];
            for p in 0..i {
                s -= l[i * n + p] * x[p];
            }
            x[i] = s / l[i * n + i];
        }
        for i in (0..n).rev() {
            let mut s = x[i];
            for p in i + 1..n {
                s -= l[p * n + i] * x[p];
            }
            x[i] = s / l[i * n + i];
        }
    }
}
