//! Conjugate gradients preconditioned by one multigrid V-cycle per iteration.

use super::mg::Multigrid;
use crate::thermal::stencil::{cg_update, dot, xpby, Stencil};

/// Outcome of an iterative solve.
#[derive(Clone, Debug, PartialEq)]
pub struct PcgOutcome {
    pub iterations: usize,
    /// `‖b − A x‖₂ / ‖b‖₂`, recomputed from `x` at the end.
    pub relative_residual: f64,
    pub converged: bool,
    /// Relative residual after each iteration (recursively updated residual).
    pub history: Vec<f64>,
}

/// Solve `A x = b` (padded vectors) to `‖b − A x‖₂ ≤ tol ‖b‖₂`, starting from `x`.
pub fn mg_pcg(a: &Stencil, mg: &mut Multigrid, b: &[f64], x: &mut [f64], tol: f64, max_iter: usize) -> PcgOutcome {
    let lay = a.layout;
    let (mut r, mut z, mut p) = (lay.zeros(), lay.zeros(), lay.zeros());
    mg_pcg_with(a, mg, b, x, tol, max_iter, [&mut r, &mut z, &mut p])
}

/// [`mg_pcg`] with the caller's work vectors (residual, preconditioned residual, search
/// direction; padded length, any contents: they are zeroed here), so a solver called
/// every step allocates nothing.
pub fn mg_pcg_with(
    a: &Stencil,
    mg: &mut Multigrid,
    b: &[f64],
    x: &mut [f64],
    tol: f64,
    max_iter: usize,
    work: [&mut [f64]; 3],
) -> PcgOutcome {
    let bnorm = dot(b, b).sqrt();
    if bnorm == 0.0 {
        x.iter_mut().for_each(|v| *v = 0.0);
        return PcgOutcome { iterations: 0, relative_residual: 0.0, converged: true, history: vec![] };
    }
    let [r, z, p] = work;
    let len = a.layout.padded_len();
    let (r, z, p) = (&mut r[..len], &mut z[..len], &mut p[..len]);
    for v in [&mut *r, &mut *z, &mut *p] {
        v.fill(0.0);
    }
    let mut history = Vec::new();
    let mut it = 0;
    let mut last_restart_rel = f64::INFINITY;
    // The outer loop restarts from the true residual if the recursive one drifted.
    loop {
        a.residual(b, x, r);
        let rel = dot(r, r).sqrt() / bnorm;
        // Stop when converged, out of iterations, or when a restart no longer reduces
        // the true residual (round-off floor).
        if rel <= tol || it >= max_iter || !rel.is_finite() || rel > 0.5 * last_restart_rel {
            return PcgOutcome {
                iterations: it,
                relative_residual: rel,
                converged: crate::outcome::converged(rel, tol),
                history,
            };
        }
        last_restart_rel = rel;
        mg.vcycle(a, r, z);
        p.copy_from_slice(z);
        let mut ap = mg.take_scratch();
        let mut rz = dot(r, z);
        loop {
            if it >= max_iter {
                mg.restore_scratch(ap);
                break;
            }
            a.apply(p, &mut ap);
            let pap = dot(p, &ap);
            if !(pap > 0.0) || !rz.is_finite() {
                mg.restore_scratch(ap);
                break;
            }
            let alpha = rz / pap;
            let rr = cg_update(alpha, p, &ap, x, r);
            it += 1;
            let rel = rr.sqrt() / bnorm;
            history.push(rel);
            if rel <= tol {
                mg.restore_scratch(ap);
                break;
            }
            mg.restore_scratch(ap);
            mg.vcycle(a, r, z);
            ap = mg.take_scratch();
            let rz_new = dot(r, z);
            let beta = rz_new / rz;
            rz = rz_new;
            xpby(z, beta, p);
        }
    }
}
