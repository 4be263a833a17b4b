//! Multicolour Gauss–Seidel smoothing (`smooth_mc`).
//!
//! Cells are split into colours such that no two cells of one colour are coupled by the
//! stencil: two colours (red-black, by the parity of i+j+k) for face stencils, and
//! 2^d colours (by the parity of each index) for the box stencils of Galerkin coarse
//! operators. Within a colour every update is independent, so the sweep equals a
//! true Gauss–Seidel sweep in colour order and parallelizes over rows. A forward
//! colour order before the coarse correction and the reverse order after it make the
//! V-cycle a symmetric preconditioner.

use crate::thermal::stencil::{as_blocks, for_rows, Stencil, SyncPtr};

/// The colours of an operator, as `(i parity, j parity, k parity)` classes, or for
/// red-black, `(colour, 255, 255)`.
pub fn colours(a: &Stencil) -> Vec<[u8; 3]> {
    if a.is_face_stencil() {
        vec![[0, 255, 255], [1, 255, 255]]
    } else {
        let kz: &[u8] = if a.layout.is_3d() { &[0, 1] } else { &[0] };
        let mut v = Vec::new();
        for &ck in kz {
            for cj in 0..2 {
                for ci in 0..2 {
                    v.push([ci, cj, ck]);
                }
            }
        }
        v
    }
}

/// First `i` of colour `c` in row `(j, k)`, or `None` if the row has no cell of it.
#[inline]
fn first_i(c: [u8; 3], j: usize, k: usize) -> Option<usize> {
    if c[1] == 255 {
        Some((c[0] as usize + j + k) & 1)
    } else if (j & 1) as u8 == c[1] && (k & 1) as u8 == c[2] {
        Some(c[0] as usize)
    } else {
        None
    }
}

/// One Gauss–Seidel pass over the cells of colour `c`: `x_P += (b_P - (A x)_P) / a_PP`.
pub fn smooth_mc(a: &Stencil, c: [u8; 3], b: &[f64], x: &mut [f64]) {
    match a.noff() {
        5 => smooth_mc_n::<5>(a, c, b, x),
        7 => smooth_mc_n::<7>(a, c, b, x),
        9 => smooth_mc_n::<9>(a, c, b, x),
        27 => smooth_mc_n::<27>(a, c, b, x),
        n => panic!("unsupported stencil size {n}"),
    }
}

fn smooth_mc_n<const N: usize>(a: &Stencil, c: [u8; 3], b: &[f64], x: &mut [f64]) {
    let l = &a.layout;
    assert_eq!(x.len(), l.padded_len());
    assert_eq!(b.len(), l.padded_len());
    assert_eq!(a.coef.len(), l.cells() * N);
    let nx = l.n[0];
    let delta = a.delta_n::<N>();
    let diag = a.diag;
    let xp = SyncPtr(x.as_mut_ptr());
    for_rows(l, |j, k| {
        let xp = xp;
        let Some(i0) = first_i(c, j, k) else { return };
        let p0 = l.pidx(0, j, k);
        let c0 = l.cidx(0, j, k);
        let coefs: &[[f64; N]] = as_blocks(&a.coef[c0 * N..(c0 + nx) * N]);
        let mut i = i0;
        while i < nx {
            let p = p0 + i;
            let coef = &coefs[i];
            let mut s = 0.0;
            for o in 0..N {
                // SAFETY: cells of colour `c` are written only by their own row; every
                // neighbour read here has another colour and is not written in this pass;
                // p + delta[o] is inside the padded array.
                s += coef[o] * unsafe { *xp.0.offset(p as isize + delta[o]) };
            }
            unsafe { *xp.0.add(p) += (b[p] - s) / coef[diag] };
            i += 2;
        }
    });
}

/// A full sweep: every colour in order (`forward`) or in reverse order.
pub fn sweep(a: &Stencil, cols: &[[u8; 3]], b: &[f64], x: &mut [f64], forward: bool) {
    if forward {
        cols.iter().for_each(|&c| smooth_mc(a, c, b, x));
    } else {
        cols.iter().rev().for_each(|&c| smooth_mc(a, c, b, x));
    }
}
