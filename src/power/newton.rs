//! Newton–Raphson on the polar power-balance equations, as MATPOWER's `newtonpf`:
//! unknowns `Va` at PV and PQ buses and `Vm` at PQ buses; mismatch
//! `F = [Re(mis(pv,pq)); Im(mis(pq))]`, `mis = V·conj(Ybus V) − Sbus`; stop when
//! `max |F| < tol` (checked before the first step too). The sparse Jacobian
//!
//! ```text
//! dS/dVa = j·diag(V)·conj(diag(I) − Ybus·diag(V))
//! dS/dVm = diag(V)·conj(Ybus·diag(V/|V|)) + conj(diag(I))·diag(V/|V|)
//! J = [Re dS/dVa[pvpq,pvpq]  Re dS/dVm[pvpq,pq]; Im dS/dVa[pq,pvpq]  Im dS/dVm[pq,pq]]
//! ```
//!
//! is assembled into a pattern fixed for a set of bus types. Its pattern is the bus
//! graph's (2×2 blocks at PQ buses), so it is ordered on the bus graph (leaves first,
//! then AMD; [`super::ordering`]) and factorized by an LU without pivoting on that
//! symmetric pattern ([`super::sparse_lu`]), whose symbolic part is computed once per
//! solve. Should a pivot be tiny, that step falls back to faer's pivoting sparse LU.

use super::ordering::elimination_order;
use super::sparse_lu::SymLu;
use super::ybus::Ybus;
use faer::c64;
use faer::linalg::solvers::Solve;
use faer::sparse::linalg::solvers::{Lu, SymbolicLu};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMat};
use faer::MatMut;

/// Bus kinds of the Newton iteration (MATPOWER's ref / pv / pq).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ref,
    Pv,
    Pq,
}

const NONE: usize = usize::MAX;

/// How a Newton solve ended.
#[derive(Clone, Debug)]
pub struct NewtonOutcome {
    pub converged: bool,
    pub iterations: usize,
    /// Largest |mismatch| component, pu, with its internal bus and whether it is the
    /// reactive (Q) equation; NaN when the iteration broke down.
    pub worst_pu: f64,
    pub worst_bus: usize,
    pub worst_is_q: bool,
}

/// The Jacobian's sparsity pattern for one set of bus kinds, with the slots each Ybus
/// entry fills.
struct Pattern {
    dim: usize,
    va_pos: Vec<usize>,
    vm_pos: Vec<usize>,
    symbolic: SymbolicSparseColMat<usize>,
    /// Per Ybus entry: slots of (P,Va), (P,Vm), (Q,Va), (Q,Vm); NONE where absent.
    slots: Vec<[usize; 4]>,
}

impl Pattern {
    fn new(y: &Ybus, kind: &[Kind]) -> Self {
        let n = y.n;
        let (mut va_pos, mut vm_pos) = (vec![NONE; n], vec![NONE; n]);
        let mut npvpq = 0;
        for i in 0..n {
            if kind[i] != Kind::Ref {
                va_pos[i] = npvpq;
                npvpq += 1;
            }
        }
        let mut dim = npvpq;
        for i in 0..n {
            if kind[i] == Kind::Pq {
                vm_pos[i] = dim;
                dim += 1;
            }
        }
        // (column, row, entry, which) for every Jacobian entry.
        let mut ent: Vec<(usize, usize, usize, u8)> = Vec::with_capacity(4 * y.col.len());
        for i in 0..n {
            let (pr, qr) = (va_pos[i], vm_pos[i]);
            for k in y.row_ptr[i]..y.row_ptr[i + 1] {
                let j = y.col[k];
                let (vac, vmc) = (va_pos[j], vm_pos[j]);
                for (w, r, c) in [(0u8, pr, vac), (1, pr, vmc), (2, qr, vac), (3, qr, vmc)] {
                    if r != NONE && c != NONE {
                        ent.push((c, r, k, w));
                    }
                }
            }
        }
        ent.sort_unstable_by_key(|e| (e.0, e.1));
        let mut col_ptr = vec![0usize; dim + 1];
        for e in &ent {
            col_ptr[e.0 + 1] += 1;
        }
        for c in 0..dim {
            col_ptr[c + 1] += col_ptr[c];
        }
        let row_idx: Vec<usize> = ent.iter().map(|e| e.1).collect();
        let mut slots = vec![[NONE; 4]; y.col.len()];
        for (p, e) in ent.iter().enumerate() {
            slots[e.2][e.3 as usize] = p;
        }
        let symbolic = SymbolicSparseColMat::new_checked(dim, dim, col_ptr, None, row_idx);
        Pattern { dim, va_pos, vm_pos, symbolic, slots }
    }

    /// The unknowns in elimination order: buses ordered on the bus graph, each bus's
    /// angle then its magnitude.
    fn order(&self, y: &Ybus) -> Vec<usize> {
        let mut edges = Vec::with_capacity(y.col.len() / 2);
        for i in 0..y.n {
            for k in y.row_ptr[i]..y.row_ptr[i + 1] {
                if y.col[k] > i {
                    edges.push((i, y.col[k]));
                }
            }
        }
        let mut order = Vec::with_capacity(self.dim);
        for i in elimination_order(y.n, &edges) {
            for p in [self.va_pos[i], self.vm_pos[i]] {
                if p != NONE {
                    order.push(p);
                }
            }
        }
        order
    }

    /// Fill the Jacobian's values at `v` with `i = Ybus v`.
    fn fill(&self, y: &Ybus, v: &[c64], vm: &[f64], cur: &[c64], val: &mut [f64]) {
        let jmul = |z: c64| c64::new(-z.im, z.re);
        for i in 0..y.n {
            if self.va_pos[i] == NONE {
                continue;
            }
            let vi = v[i];
            for k in y.row_ptr[i]..y.row_ptr[i + 1] {
                let j = y.col[k];
                let yk = y.val[k];
                let (dva, dvm) = if i == j {
                    let vn = vi / vm[i];
                    (jmul(vi * (cur[i] - yk * vi).conj()), vi * (yk * vn).conj() + cur[i].conj() * vn)
                } else {
                    (-jmul(vi * (yk * v[j]).conj()), vi * (yk * (v[j] / vm[j])).conj())
                };
                let s = &self.slots[k];
                for (w, x) in [dva.re, dvm.re, dva.im, dvm.im].into_iter().enumerate() {
                    if s[w] != NONE {
                        val[s[w]] = x;
                    }
                }
            }
        }
    }

    /// The mismatch vector and its largest component (value, bus, is-Q).
    fn mismatch(&self, v: &[c64], cur: &[c64], sbus: &[c64], f: &mut [f64]) -> (f64, usize, bool) {
        let mut worst = (0.0f64, 0, false);
        for i in 0..v.len() {
            let mis = v[i] * cur[i].conj() - sbus[i];
            for (pos, x, q) in [(self.va_pos[i], mis.re, false), (self.vm_pos[i], mis.im, true)] {
                if pos != NONE {
                    f[pos] = x;
                    if !(x.abs() <= worst.0) {
                        worst = (if x.is_nan() { f64::NAN } else { x.abs() }, i, q);
                        if x.is_nan() {
                            return worst;
                        }
                    }
                }
            }
        }
        worst
    }
}

/// Solve the power-balance equations from the start point `vm`, `va` (updated in
/// place) for the injections `sbus` (pu), at most `max_iter` Newton steps.
pub fn newton(
    y: &Ybus,
    kind: &[Kind],
    sbus: &[c64],
    vm: &mut [f64],
    va: &mut [f64],
    tol: f64,
    max_iter: usize,
) -> Result<NewtonOutcome, String> {
    let n = y.n;
    let pat = Pattern::new(y, kind);
    let mut v: Vec<c64> = (0..n).map(|i| c64::new(vm[i] * va[i].cos(), vm[i] * va[i].sin())).collect();
    let mut cur = vec![c64::new(0.0, 0.0); n];
    let mut f = vec![0.0; pat.dim];
    let mut val = vec![0.0; pat.symbolic.row_idx().len()];
    y.mul(&v, &mut cur);
    let mut worst = pat.mismatch(&v, &cur, sbus, &mut f);
    let done = |w: (f64, usize, bool), it: usize, ok: bool| NewtonOutcome {
        converged: ok,
        iterations: it,
        worst_pu: w.0,
        worst_bus: w.1,
        worst_is_q: w.2,
    };
    if worst.0 < tol {
        return Ok(done(worst, 0, true));
    }
    if pat.dim == 0 {
        return Ok(done(worst, 0, false));
    }
    let order = pat.order(y);
    let mut fast = SymLu::new(pat.dim, pat.symbolic.col_ptr(), pat.symbolic.row_idx(), &order)
        .ok_or_else(|| "the Jacobian's pattern is not symmetric".to_string())?;
    let mut pivoting: Option<SymbolicLu<usize>> = None;
    for it in 1..=max_iter {
        pat.fill(y, &v, vm, &cur, &mut val);
        if val.iter().any(|x| !x.is_finite()) {
            return Ok(done((f64::NAN, worst.1, worst.2), it - 1, false));
        }
        let mut dx: Vec<f64> = f.iter().map(|x| -x).collect();
        if fast.factor(&val) {
            fast.solve(&mut dx);
        } else {
            // A tiny pivot without pivoting: this step by faer's pivoting LU.
            if pivoting.is_none() {
                pivoting = Some(
                    SymbolicLu::try_new(pat.symbolic.as_ref())
                        .map_err(|e| format!("cannot order the Jacobian: {e:?}"))?,
                );
            }
            let sym = pivoting.clone().expect("set above");
            let jac = SparseColMatRef::new(pat.symbolic.as_ref(), &val);
            let Ok(lu) = Lu::try_new_with_symbolic(sym, jac) else {
                return Ok(done((f64::NAN, worst.1, worst.2), it - 1, false));
            };
            lu.solve_in_place(MatMut::from_column_major_slice_mut(&mut dx, pat.dim, 1));
        }
        for i in 0..n {
            if pat.va_pos[i] != NONE {
                va[i] += dx[pat.va_pos[i]];
            }
            if pat.vm_pos[i] != NONE {
                vm[i] += dx[pat.vm_pos[i]];
            }
            v[i] = c64::new(vm[i] * va[i].cos(), vm[i] * va[i].sin());
        }
        y.mul(&v, &mut cur);
        worst = pat.mismatch(&v, &cur, sbus, &mut f);
        if worst.0 < tol {
            return Ok(done(worst, it, true));
        }
        if worst.0.is_nan() {
            return Ok(done(worst, it, false));
        }
    }
    Ok(done(worst, max_iter, false))
}
