//! BiCGStab, right-preconditioned by the multigrid V-cycle, for the non-symmetric
//! advection–diffusion operator.

use crate::thermal::cpu::{Multigrid, PcgOutcome};
use crate::thermal::stencil::{axpy, dot, Stencil};

/// BiCGStab for `A x = b` (padded vectors), right-preconditioned by one V-cycle.
pub fn mg_bicgstab(a: &Stencil, mg: &mut Multigrid, b: &[f64], x: &mut [f64], tol: f64, max_iter: usize) -> PcgOutcome {
    bicgstab(|x, y| a.apply(x, y), |r, z| mg.vcycle(a, r, z), b, x, tol, max_iter)
}

/// BiCGStab for `A x = b` with `apply(x, y)`: `y = A x` and the right preconditioner
/// `precond(r, z)`: `z ≈ A⁻¹ r`.
pub fn bicgstab(
    mut apply: impl FnMut(&[f64], &mut [f64]),
    mut precond: impl FnMut(&[f64], &mut [f64]),
    b: &[f64],
    x: &mut [f64],
    tol: f64,
    max_iter: usize,
) -> PcgOutcome {
    let zeros = || vec![0.0; b.len()];
    let bn = dot(b, b).sqrt();
    if bn == 0.0 {
        x.iter_mut().for_each(|v| *v = 0.0);
        return PcgOutcome { iterations: 0, relative_residual: 0.0, converged: true, history: vec![] };
    }
    let residual = |apply: &mut dyn FnMut(&[f64], &mut [f64]), x: &[f64], r: &mut Vec<f64>| {
        apply(x, r);
        r.iter_mut().zip(b).for_each(|(ri, bi)| *ri = bi - *ri);
    };
    let mut r = zeros();
    residual(&mut apply, x, &mut r);
    let r0 = r.clone();
    let (mut p, mut v, mut ph, mut s, mut sh, mut t) = (zeros(), zeros(), zeros(), zeros(), zeros(), zeros());
    let (mut rho, mut alpha, mut omega) = (1.0, 1.0, 1.0);
    let mut history = Vec::new();
    let mut it = 0;
    let mut rel = dot(&r, &r).sqrt() / bn;
    while rel > tol && it < max_iter {
        let rho_new = dot(&r0, &r);
        if rho_new == 0.0 || !rho_new.is_finite() {
            break;
        }
        let beta = (rho_new / rho) * (alpha / omega);
        rho = rho_new;
        for ((pi, ri), vi) in p.iter_mut().zip(&r).zip(&v) {
            *pi = ri + beta * (*pi - omega * vi);
        }
        precond(&p, &mut ph);
        apply(&ph, &mut v);
        let r0v = dot(&r0, &v);
        if r0v == 0.0 || !r0v.is_finite() {
            // Breakdown: stop with the iterate so far (the true residual decides).
            break;
        }
        alpha = rho / r0v;
        s.copy_from_slice(&r);
        axpy(-alpha, &v, &mut s);
        precond(&s, &mut sh);
        apply(&sh, &mut t);
        let tt = dot(&t, &t);
        omega = if tt > 0.0 { dot(&t, &s) / tt } else { 0.0 };
        axpy(alpha, &ph, x);
        axpy(omega, &sh, x);
        r.copy_from_slice(&s);
        axpy(-omega, &t, &mut r);
        it += 1;
        rel = dot(&r, &r).sqrt() / bn;
        history.push(rel);
        if omega == 0.0 {
            break;
        }
    }
    residual(&mut apply, x, &mut r);
    let true_rel = dot(&r, &r).sqrt() / bn;
    PcgOutcome {
        iterations: it,
        relative_residual: true_rel,
        converged: crate::outcome::converged(true_rel, tol),
        history,
    }
}
