//! The bus admittance matrix exactly as MATPOWER's `makeYbus` builds it, per unit on
//! baseMVA, over internal buses (type-4 buses dropped):
//!
//! - per in-service branch `ys = 1/(BR_R + j BR_X)`, `τ = TAP` or 1 when TAP = 0,
//!   `a = τ·e^{j·SHIFT}` (ratio and shift at the from end);
//! - `Ytt = ys + j BR_B/2`, `Yff = Ytt/τ²`, `Yft = −ys/conj(a)`, `Ytf = −ys/a`;
//! - bus shunts `(GS + j BS)/baseMVA` on the diagonal (constant admittance);
//! - `Ybus = Cfᵀ Yf + Ctᵀ Yt + diag(Ysh)`.

use faer::c64;

/// The four admittances of one branch's π model, pu.
#[derive(Clone, Copy, Debug)]
pub struct BranchY {
    /// Internal from and to buses.
    pub f: usize,
    pub t: usize,
    pub yff: c64,
    pub yft: c64,
    pub ytf: c64,
    pub ytt: c64,
}

impl BranchY {
    /// MATPOWER's π model of a branch: series `r + jx`, total charging `b`, tap ratio
    /// `tau` (already 1 for TAP = 0) and phase shift `shift_rad` at the from end.
    pub fn new(f: usize, t: usize, r: f64, x: f64, b: f64, tau: f64, shift_rad: f64) -> Self {
        let ys = c64::new(1.0, 0.0) / c64::new(r, x);
        let a = c64::new(tau * shift_rad.cos(), tau * shift_rad.sin());
        let ytt = ys + c64::new(0.0, b / 2.0);
        BranchY { f, t, yff: ytt / (tau * tau), yft: -ys / a.conj(), ytf: -ys / a, ytt }
    }

    /// Complex power into the branch at its from and to ends, pu: `V_f conj(Yff V_f +
    /// Yft V_t)` and `V_t conj(Ytf V_f + Ytt V_t)`.
    pub fn flows(&self, v: &[c64]) -> (c64, c64) {
        let (vf, vt) = (v[self.f], v[self.t]);
        (vf * (self.yff * vf + self.yft * vt).conj(), vt * (self.ytf * vf + self.ytt * vt).conj())
    }
}

/// `Ybus` in compressed rows: columns sorted within each row, the diagonal present in
/// every row.
#[derive(Clone, Debug)]
pub struct Ybus {
    pub n: usize,
    pub row_ptr: Vec<usize>,
    pub col: Vec<usize>,
    pub val: Vec<c64>,
    /// Position of `(i, i)` in `col`/`val`.
    pub diag: Vec<usize>,
}

impl Ybus {
    /// Assemble from the branches' π models and the bus shunts (pu), summing duplicates
    /// (parallel branches).
    pub fn new(n: usize, branches: &[BranchY], shunt: &[c64]) -> Self {
        let mut count = vec![1usize; n];
        for b in branches {
            count[b.f] += 2;
            count[b.t] += 2;
        }
        let mut start = vec![0usize; n + 1];
        for i in 0..n {
            start[i + 1] = start[i] + count[i];
        }
        let mut fill = start[..n].to_vec();
        let mut ent = vec![(0usize, c64::new(0.0, 0.0)); start[n]];
        let mut put = |i: usize, j: usize, v: c64| {
            ent[fill[i]] = (j, v);
            fill[i] += 1;
        };
        for (i, &s) in shunt.iter().enumerate() {
            put(i, i, s);
        }
        for b in branches {
            put(b.f, b.f, b.yff);
            put(b.f, b.t, b.yft);
            put(b.t, b.f, b.ytf);
            put(b.t, b.t, b.ytt);
        }
        let (mut row_ptr, mut col, mut val, mut diag) = (Vec::with_capacity(n + 1), Vec::new(), Vec::new(), vec![0; n]);
        row_ptr.push(0);
        for i in 0..n {
            let row = &mut ent[start[i]..start[i + 1]];
            row.sort_unstable_by_key(|e| e.0);
            for &(j, v) in row.iter() {
                if col.len() > row_ptr[i] && *col.last().expect("non-empty") == j {
                    *val.last_mut().expect("non-empty") += v;
                } else {
                    if j == i {
                        diag[i] = col.len();
                    }
                    col.push(j);
                    val.push(v);
                }
            }
            row_ptr.push(col.len());
        }
        Ybus { n, row_ptr, col, val, diag }
    }

    /// `I = Ybus V`.
    pub fn mul(&self, v: &[c64], out: &mut [c64]) {
        for i in 0..self.n {
            let mut s = c64::new(0.0, 0.0);
            for k in self.row_ptr[i]..self.row_ptr[i + 1] {
                s += self.val[k] * v[self.col[k]];
            }
            out[i] = s;
        }
    }
}
