//! Sparse direct solve of the thermal operator (faer's sparse Cholesky), for small grids.
//! Tests use it to cross-check the multigrid solver.

use crate::thermal::stencil::Stencil;
use faer::linalg::solvers::Solve;
use faer::sparse::linalg::solvers::{Llt, SymbolicLlt};
use faer::sparse::{SparseColMat, Triplet};
use faer::{Mat, Side};

/// Why the direct solve failed.
#[derive(Debug, thiserror::Error)]
pub enum DirectError {
    #[error("sparse matrix assembly failed: {0}")]
    Assembly(String),
    #[error("sparse Cholesky failed (operator not positive definite?): {0}")]
    Factor(String),
}

/// Solve `A x = b` exactly (to round-off); `b` and the result are compact vectors.
pub fn direct_solve(a: &Stencil, b: &[f64]) -> Result<Vec<f64>, DirectError> {
    let lay = a.layout;
    let n = lay.cells();
    let noff = a.noff();
    let mut trip = Vec::with_capacity(n * noff);
    for k in 0..lay.n[2] {
        for j in 0..lay.n[1] {
            for i in 0..lay.n[0] {
                let r = lay.cidx(i, j, k);
                for (o, off) in a.offsets.iter().enumerate() {
                    let v = a.coef[r * noff + o];
                    let g = [i as isize + off[0] as isize, j as isize + off[1] as isize, k as isize + off[2] as isize];
                    if v == 0.0 || (0..3).any(|d| g[d] < 0 || g[d] >= lay.n[d] as isize) {
                        continue;
                    }
                    let c = lay.cidx(g[0] as usize, g[1] as usize, g[2] as usize);
                    if c <= r {
                        trip.push(Triplet::new(r, c, v));
                    }
                }
            }
        }
    }
    let m = SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &trip)
        .map_err(|e| DirectError::Assembly(format!("{e:?}")))?;
    let sym = SymbolicLlt::try_new(m.symbolic(), Side::Lower).map_err(|e| DirectError::Factor(format!("{e:?}")))?;
    let llt =
        Llt::try_new_with_symbolic(sym, m.as_ref(), Side::Lower).map_err(|e| DirectError::Factor(format!("{e:?}")))?;
    let mut rhs = Mat::<f64>::from_fn(n, 1, |i, _| b[i]);
    llt.solve_in_place(rhs.as_mut());
    Ok((0..n).map(|i| rhs[(i, 0)]).collect())
}
