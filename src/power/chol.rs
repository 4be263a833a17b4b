//! Sparse LLᵀ and LDLᵀ (faer, simplicial or supernodal as faer chooses) of a symmetric
//! matrix given as its upper triangle in elimination order, and the iterative
//! refinement that makes an LDLᵀ without pivoting trustworthy on an indefinite matrix.
//! Used by the DC power flow on the whole reduced susceptance matrix (the reference
//! path) and on the meshed core left after peeling ([`super::peel`]).

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, LdltRef, LltRef, SymbolicCholesky, SymmetricOrdering,
};
use faer::sparse::SparseColMat;
use faer::MatMut;
use faer::Side;

/// Sparse LLᵀ or LDLᵀ of a symmetric matrix (one triangle kept for residuals where
/// the caller asks: [`with_residuals`](Self::with_residuals)).
pub struct CholFactor {
    sym: SymbolicCholesky<usize>,
    values: Vec<f64>,
    /// The matrix, kept for the residuals of refined solves (`None`: solves are not
    /// refined here).
    matrix: Option<SparseColMat<usize, f64>>,
    ldlt: bool,
}

/// Relative residual ‖b − A x‖∞ / ‖b‖∞ above which an LDLᵀ solve is refined.
const LDLT_REFINE_ABOVE: f64 = 1e-13;

/// The symbolic Cholesky structure of `m` (upper triangle), whose rows and columns
/// are already in elimination order (the callers number them so).
fn symbolic_cholesky(m: &SparseColMat<usize, f64>) -> Result<SymbolicCholesky<usize>, String> {
    factorize_symbolic_cholesky(m.symbolic(), Side::Upper, SymmetricOrdering::Identity, Default::default())
        .map_err(|e| format!("{e:?}"))
}

impl CholFactor {
    /// Factorize `m` (upper triangle, rows and columns in elimination order): LDLᵀ
    /// when `ldlt`, else Cholesky (which fails unless `m` is positive definite).
    pub fn new(m: &SparseColMat<usize, f64>, ldlt: bool) -> Result<Self, String> {
        let sym = symbolic_cholesky(m)?;
        let mut values = vec![0.0; sym.len_val()];
        let par = faer::get_global_parallelism();
        if ldlt {
            let mut mem = MemBuffer::try_new(sym.factorize_numeric_ldlt_scratch::<f64>(par, Default::default()))
                .map_err(|e| format!("{e:?}"))?;
            sym.factorize_numeric_ldlt(
                &mut values,
                m.as_ref(),
                Side::Upper,
                Default::default(),
                par,
                MemStack::new(&mut mem),
                Default::default(),
            )
            .map_err(|e| format!("{e:?}"))?;
        } else {
            let mut mem = MemBuffer::try_new(sym.factorize_numeric_llt_scratch::<f64>(par, Default::default()))
                .map_err(|e| format!("{e:?}"))?;
            sym.factorize_numeric_llt(
                &mut values,
                m.as_ref(),
                Side::Upper,
                Default::default(),
                par,
                MemStack::new(&mut mem),
                Default::default(),
            )
            .map_err(|e| format!("{e:?}"))?;
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err("non-finite pivot".into());
        }
        Ok(CholFactor { sym, values, matrix: None, ldlt })
    }

    /// Keep `m` (the matrix factorized) so that [`solve_in_place`](Self::solve_in_place)
    /// refines by its residual.
    pub fn with_residuals(mut self, m: SparseColMat<usize, f64>) -> Self {
        self.matrix = Some(m);
        self
    }

    pub fn solve_raw(&self, rhs: &mut [f64], ncols: usize) {
        let n = rhs.len() / ncols.max(1);
        let par = faer::get_global_parallelism();
        let mut mem = MemBuffer::new(self.sym.solve_in_place_scratch::<f64>(ncols, par));
        let rhs = MatMut::from_column_major_slice_mut(rhs, n, ncols);
        if self.ldlt {
            LdltRef::new(&self.sym, &self.values).solve_in_place_with_conj(
                faer::Conj::No,
                rhs,
                par,
                MemStack::new(&mut mem),
            );
        } else {
            LltRef::new(&self.sym, &self.values).solve_in_place_with_conj(
                faer::Conj::No,
                rhs,
                par,
                MemStack::new(&mut mem),
            );
        }
    }

    /// `A x` for the symmetric matrix stored as one triangle.
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        y.iter_mut().for_each(|v| *v = 0.0);
        let a = self.matrix.as_ref().expect("kept for refinement").as_ref();
        let (rows, vals) = (a.symbolic().row_idx(), a.val());
        for j in 0..a.ncols() {
            for k in a.col_range(j) {
                let (i, v) = (rows[k], vals[k]);
                y[i] += v * x[j];
                if i != j {
                    y[j] += v * x[i];
                }
            }
        }
    }

    /// Solve; with the matrix kept (LDLᵀ without pivoting on an indefinite matrix may
    /// lose digits, and the residual tells), with up to two steps of iterative
    /// refinement per column.
    pub fn solve_in_place(&self, rhs: &mut [f64], ncols: usize) {
        if self.matrix.is_none() {
            return self.solve_raw(rhs, ncols);
        }
        refine(rhs, ncols, |x, y| self.apply(x, y), |r| self.solve_raw(r, 1), |r, k| self.solve_raw(r, k));
    }
}

/// Solve `A X = B` for `ncols` right-hand sides in `rhs` (column-major, overwritten by
/// X): `solve_all` once, then per column up to two steps of iterative refinement while
/// the residual ‖b − A x‖∞ exceeds [`LDLT_REFINE_ABOVE`] ‖b‖∞ (`apply`: y = A x;
/// `solve_one`: one column in place).
pub fn refine(
    rhs: &mut [f64],
    ncols: usize,
    apply: impl Fn(&[f64], &mut [f64]),
    solve_one: impl Fn(&mut [f64]),
    solve_all: impl Fn(&mut [f64], usize),
) {
    let n = rhs.len() / ncols.max(1);
    let b = rhs.to_vec();
    solve_all(rhs, ncols);
    let mut ax = vec![0.0; n];
    for c in 0..ncols {
        let (bc, xc) = (&b[c * n..(c + 1) * n], c * n..(c + 1) * n);
        let bnorm = bc.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for _ in 0..2 {
            apply(&rhs[xc.clone()], &mut ax);
            let mut r: Vec<f64> = bc.iter().zip(&ax).map(|(b, a)| b - a).collect();
            let rnorm = r.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            if !(rnorm > LDLT_REFINE_ABOVE * bnorm) {
                break;
            }
            solve_one(&mut r);
            rhs[xc.clone()].iter_mut().zip(&r).for_each(|(x, d)| *x += d);
        }
    }
}
