//! Geometric multigrid with Galerkin coarse operators: hierarchy setup and V-cycle.
//!
//! Setup (once per operator): operator-dependent interpolation and `A_c = Pᵀ A P` level
//! by level until the coarsest level is small enough for a dense Cholesky solve.
//! Solve (many times): a symmetric V(ν,ν)-cycle with multicolour Gauss–Seidel, used as
//! the preconditioner of CG.

use super::dense::DenseCholesky;
use super::smooth::{colours, sweep};
use super::transfer::Interp;
use crate::thermal::stencil::{Layout, Stencil};

/// Coarsen until a level has at most this many cells, then solve it directly.
pub const COARSEST_CELLS: usize = 600;

/// One level below the finest: its operator, the interpolation from it to the level
/// above, and its work vectors.
struct Level {
    a: Stencil,
    interp: Interp,
    colours: Vec<[u8; 3]>,
    x: Vec<f64>,
    b: Vec<f64>,
    r: Vec<f64>,
}

/// A multigrid hierarchy for one fine operator.
pub struct Multigrid {
    fine_colours: Vec<[u8; 3]>,
    /// Residual work vector on the finest level.
    r0: Vec<f64>,
    levels: Vec<Level>,
    coarse: DenseCholesky,
    coarse_buf: Vec<f64>,
    /// Smoothing sweeps before and after the coarse correction.
    pub nu: usize,
}

/// Why a hierarchy could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the coarsest multigrid operator ({cells} cells) is not positive definite")]
pub struct SetupError {
    pub cells: usize,
}

impl Multigrid {
    /// Build the hierarchy for the fine operator `a`.
    pub fn new(a: &Stencil) -> Result<Self, SetupError> {
        let mut levels: Vec<Level> = Vec::new();
        loop {
            let top = levels.last().map(|l| &l.a).unwrap_or(a);
            let n = top.layout.n;
            if top.layout.cells() <= COARSEST_CELLS || n.iter().all(|&m| m <= 2) {
                break;
            }
            let interp = Interp::new(top);
            let ac = interp.galerkin_rap(top);
            let lay = ac.layout;
            levels.push(Level { colours: colours(&ac), x: lay.zeros(), b: lay.zeros(), r: lay.zeros(), a: ac, interp });
        }
        let coarsest = levels.last().map(|l| &l.a).unwrap_or(a);
        let coarse = DenseCholesky::new(coarsest).ok_or(SetupError { cells: coarsest.layout.cells() })?;
        Ok(Multigrid {
            fine_colours: colours(a),
            r0: a.layout.zeros(),
            coarse_buf: vec![0.0; coarsest.layout.cells()],
            levels,
            coarse,
            nu: 1,
        })
    }

    /// Lend the finest level's residual buffer (a padded vector) to the caller, who must
    /// give it back with [`Multigrid::restore_scratch`] before the next V-cycle. CG uses
    /// it for `A p`, which it never needs across a V-cycle.
    pub fn take_scratch(&mut self) -> Vec<f64> {
        std::mem::take(&mut self.r0)
    }

    pub fn restore_scratch(&mut self, v: Vec<f64>) {
        self.r0 = v;
    }

    /// The levels below the finest, finest first: each level's operator and the
    /// interpolation from it to the level above.
    pub fn coarse_levels(&self) -> impl Iterator<Item = (&Stencil, &Interp)> {
        self.levels.iter().map(|l| (&l.a, &l.interp))
    }

    /// The dense factorization of the coarsest operator.
    pub fn coarsest(&self) -> &DenseCholesky {
        &self.coarse
    }

    /// Number of levels, the finest included.
    pub fn depth(&self) -> usize {
        self.levels.len() + 1
    }

    /// Bytes held by the hierarchy (coarse operators, interpolation weights, vectors).
    pub fn bytes(&self) -> usize {
        let mut s = (self.r0.len() + self.coarse_buf.len()) * 8;
        for l in &self.levels {
            s += l.a.coef.len() * 8 + l.interp.w_lo.len() * 4 + (l.x.len() + l.b.len() + l.r.len()) * 8;
        }
        s
    }

    /// `x ≈ A⁻¹ b` by one V-cycle from a zero initial guess (padded vectors).
    pub fn vcycle(&mut self, a: &Stencil, b: &[f64], x: &mut [f64]) {
        x.iter_mut().for_each(|v| *v = 0.0);
        if self.levels.is_empty() {
            coarsest_solve(&self.coarse, &mut self.coarse_buf, a.layout, b, x);
            return;
        }
        for _ in 0..self.nu {
            sweep(a, &self.fine_colours, b, x, true);
        }
        a.residual(b, x, &mut self.r0);
        let l0 = &mut self.levels[0];
        l0.interp.restrict_fw(&self.r0, &mut l0.b);
        self.descend(0);
        self.levels[0].interp.prolong_add(&self.levels[0].x, x);
        for _ in 0..self.nu {
            sweep(a, &self.fine_colours, b, x, false);
        }
    }

    /// V-cycle on level `l` (below the finest) for its own `b`, result in its `x`.
    fn descend(&mut self, l: usize) {
        let nu = self.nu;
        let last = l + 1 == self.levels.len();
        let (head, tail) = self.levels.split_at_mut(l + 1);
        let lev = &mut head[l];
        if last {
            coarsest_solve(&self.coarse, &mut self.coarse_buf, lev.a.layout, &lev.b, &mut lev.x);
            return;
        }
        lev.x.iter_mut().for_each(|v| *v = 0.0);
        for _ in 0..nu {
            sweep(&lev.a, &lev.colours, &lev.b, &mut lev.x, true);
        }
        lev.a.residual(&lev.b, &lev.x, &mut lev.r);
        let next = &mut tail[0];
        next.interp.restrict_fw(&lev.r, &mut next.b);
        self.descend(l + 1);
        let (head, tail) = self.levels.split_at_mut(l + 1);
        let lev = &mut head[l];
        tail[0].interp.prolong_add(&tail[0].x, &mut lev.x);
        for _ in 0..nu {
            sweep(&lev.a, &lev.colours, &lev.b, &mut lev.x, false);
        }
    }
}

/// The coarsest level's direct solve of padded `b` into padded `x` (ghosts zero) through
/// the compact buffer `buf`, allocating nothing.
fn coarsest_solve(coarse: &DenseCholesky, buf: &mut [f64], lay: Layout, b: &[f64], x: &mut [f64]) {
    lay.copy_to_compact(b, buf);
    coarse.solve(buf);
    x.fill(0.0);
    lay.copy_to_padded(buf, x);
}
