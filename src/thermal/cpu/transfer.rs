//! Grid transfers between multigrid levels: operator-dependent interpolation `P`
//! (`prolong_add`), its transpose (`restrict_fw`), and the Galerkin product
//! `A_c = Pᵀ A P` (`galerkin_rap`).
//!
//! Coarsening keeps every other cell of a coarsened dimension: fine index `2c` *is*
//! coarse cell `c`, and an odd fine index `2c+1` lies between coarse cells `c` and
//! `c+1`. Along dimension `d` an odd fine cell F takes
//!
//! ```text
//!   T_F = w_lo T_c + (1 - w_lo) T_{c+1},   w_lo = s_lo / (s_lo + s_hi)
//! ```
//!
//! where `s_lo` (`s_hi`) is the sum of F's couplings `-a_FG` to neighbours on its low
//! (high) side in `d`: the heat-flux balance across F, as in BoxMG's operator-dependent
//! interpolation. Across a conductivity jump F follows the side it is well connected
//! to; in uniform material the weights are ½. A last odd cell with no coarse cell above
//! it takes its lower neighbour's value. Weights of several dimensions multiply, so a
//! constant field is interpolated exactly. With `R = Pᵀ` and `A_c = Pᵀ A P`, the coarse
//! operator couples each coarse cell to its 3×3 (3×3×3) neighbourhood.

use crate::thermal::stencil::{for_rows, Layout, Stencil, SyncPtr};

/// Interpolation from a coarse level to the fine level above it.
#[derive(Clone, Debug)]
pub struct Interp {
    pub fine: Layout,
    pub coarse: Layout,
    /// Whether each dimension is coarsened (x, y, z).
    pub coarsen: [bool; 3],
    /// Per fine cell (compact order) and dimension: the weight of the lower coarse parent.
    pub w_lo: Vec<[f32; 3]>,
}

impl Interp {
    /// Build the interpolation for fine operator `a`, coarsening dimensions with more
    /// than two cells.
    pub fn new(a: &Stencil) -> Self {
        let fine = a.layout;
        let mut coarsen = [false; 3];
        let mut nc = fine.n;
        for d in 0..3 {
            if fine.n[d] > 2 {
                coarsen[d] = true;
                nc[d] = fine.n[d].div_ceil(2);
            }
        }
        let coarse = Layout::new(nc[0], nc[1], nc[2]);
        let mut w_lo = vec![[1.0f32; 3]; fine.cells()];
        let noff = a.noff();
        for k in 0..fine.n[2] {
            for j in 0..fine.n[1] {
                for i in 0..fine.n[0] {
                    let c = fine.cidx(i, j, k);
                    let pos = [i, j, k];
                    let coef = &a.coef[c * noff..(c + 1) * noff];
                    for d in 0..3 {
                        if !coarsen[d] || pos[d] % 2 == 0 {
                            continue;
                        }
                        if pos[d] + 1 == fine.n[d] {
                            w_lo[c][d] = 1.0;
                            continue;
                        }
                        let (mut lo, mut hi) = (0.0, 0.0);
                        for (o, off) in a.offsets.iter().enumerate() {
                            match off[d] {
                                -1 => lo -= coef[o],
                                1 => hi -= coef[o],
                                _ => {}
                            }
                        }
                        let (lo, hi) = (lo.max(0.0), hi.max(0.0));
                        let w = if lo + hi > 0.0 && (lo / (lo + hi)).is_finite() {
                            lo / (lo + hi)
                        } else {
                            0.5
                        };
                        w_lo[c][d] = w as f32;
                    }
                }
            }
        }
        Interp { fine, coarse, coarsen, w_lo }
    }

    /// Coarse parents of fine cell `pos` along dimension `d`: up to two
    /// `(coarse index, weight)` pairs.
    #[inline]
    fn parents_1d(&self, pos: [usize; 3], c: usize, d: usize) -> ([(usize, f64); 2], usize) {
        let f = pos[d];
        if !self.coarsen[d] {
            return ([(f, 1.0), (0, 0.0)], 1);
        }
        if f % 2 == 0 {
            return ([(f / 2, 1.0), (0, 0.0)], 1);
        }
        let w = self.w_lo[c][d] as f64;
        if f + 1 == self.fine.n[d] {
            ([(f / 2, 1.0), (0, 0.0)], 1)
        } else {
            ([(f / 2, w), (f / 2 + 1, 1.0 - w)], 2)
        }
    }

    /// All coarse parents of a fine cell with their weights (≤ 8).
    #[inline]
    pub fn parents(&self, pos: [usize; 3], out: &mut [([usize; 3], f64); 8]) -> usize {
        let c = self.fine.cidx(pos[0], pos[1], pos[2]);
        let (px, nx) = self.parents_1d(pos, c, 0);
        let (py, ny) = self.parents_1d(pos, c, 1);
        let (pz, nz) = self.parents_1d(pos, c, 2);
        let mut m = 0;
        for &(kz, wz) in &pz[..nz] {
            for &(jy, wy) in &py[..ny] {
                for &(ix, wx) in &px[..nx] {
                    out[m] = ([ix, jy, kz], wx * wy * wz);
                    m += 1;
                }
            }
        }
        m
    }

    /// Weight with which fine index `f` (compact cell `c`) interpolates from coarse
    /// index `cc` along dimension `d` (zero when `cc` is not a parent).
    #[inline]
    fn weight_1d(&self, f: usize, c: usize, d: usize, cc: usize) -> f64 {
        if !self.coarsen[d] {
            return if f == cc { 1.0 } else { 0.0 };
        }
        if f % 2 == 0 {
            return if f / 2 == cc { 1.0 } else { 0.0 };
        }
        let w = self.w_lo[c][d] as f64;
        if f / 2 == cc {
            w
        } else if f / 2 + 1 == cc && f + 1 < self.fine.n[d] {
            1.0 - w
        } else {
            0.0
        }
    }

    /// Fine indices whose parents may include coarse index `cc` along dimension `d`.
    #[inline]
    fn children_1d(&self, cc: usize, d: usize) -> std::ops::Range<usize> {
        if !self.coarsen[d] {
            return cc..cc + 1;
        }
        let lo = (2 * cc).saturating_sub(1);
        let hi = (2 * cc + 2).min(self.fine.n[d]);
        lo..hi
    }

    /// `x_fine += P x_coarse` (padded vectors).
    pub fn prolong_add(&self, xc: &[f64], xf: &mut [f64]) {
        let fl = self.fine;
        let cl = self.coarse;
        let xp = SyncPtr(xf.as_mut_ptr());
        for_rows(&fl, |j, k| {
            let xp = xp;
            let mut par = [([0usize; 3], 0.0); 8];
            for i in 0..fl.n[0] {
                let m = self.parents([i, j, k], &mut par);
                let mut s = 0.0;
                for &(cp, w) in &par[..m] {
                    s += w * xc[cl.pidx(cp[0], cp[1], cp[2])];
                }
                // SAFETY: each row writes only its own entries.
                unsafe { *xp.0.add(fl.pidx(i, j, k)) += s };
            }
        });
    }

    /// `b_coarse = Pᵀ r_fine` (padded vectors).
    pub fn restrict_fw(&self, rf: &[f64], bc: &mut [f64]) {
        let fl = self.fine;
        let cl = self.coarse;
        let bp = SyncPtr(bc.as_mut_ptr());
        for_rows(&cl, |cj, ck| {
            let bp = bp;
            for ci in 0..cl.n[0] {
                let mut s = 0.0;
                for k in self.children_1d(ck, 2) {
                    for j in self.children_1d(cj, 1) {
                        for i in self.children_1d(ci, 0) {
                            let c = fl.cidx(i, j, k);
                            let w = self.weight_1d(i, c, 0, ci)
                                * self.weight_1d(j, c, 1, cj)
                                * self.weight_1d(k, c, 2, ck);
                            if w != 0.0 {
                                s += w * rf[fl.pidx(i, j, k)];
                            }
                        }
                    }
                }
                // SAFETY: each coarse row writes only its own entries.
                unsafe { *bp.0.add(cl.pidx(ci, cj, ck)) = s };
            }
        });
    }

    /// The Galerkin coarse operator `Pᵀ A P` as a box stencil on the coarse layout.
    pub fn galerkin_rap(&self, a: &Stencil) -> Stencil {
        let fl = self.fine;
        let cl = self.coarse;
        let is_3d = cl.is_3d();
        let mut ac = Stencil::zeros(cl, Stencil::box_offsets(is_3d));
        let ncoff = ac.noff();
        let noff = a.noff();
        let cp = SyncPtr(ac.coef.as_mut_ptr());
        for_rows(&cl, |cj, ck| {
            let cp = cp;
            let mut par = [([0usize; 3], 0.0); 8];
            let mut acc = vec![0.0f64; ncoff];
            for ci in 0..cl.n[0] {
                acc.iter_mut().for_each(|v| *v = 0.0);
                for k in self.children_1d(ck, 2) {
                    for j in self.children_1d(cj, 1) {
                        for i in self.children_1d(ci, 0) {
                            let c = fl.cidx(i, j, k);
                            let wf = self.weight_1d(i, c, 0, ci)
                                * self.weight_1d(j, c, 1, cj)
                                * self.weight_1d(k, c, 2, ck);
                            if wf == 0.0 {
                                continue;
                            }
                            let coef = &a.coef[c * noff..(c + 1) * noff];
                            for (o, off) in a.offsets.iter().enumerate() {
                                let v = coef[o];
                                if v == 0.0 {
                                    continue;
                                }
                                let g = [
                                    i as isize + off[0] as isize,
                                    j as isize + off[1] as isize,
                                    k as isize + off[2] as isize,
                                ];
                                if (0..3).any(|d| g[d] < 0 || g[d] >= fl.n[d] as isize) {
                                    continue;
                                }
                                let g = [g[0] as usize, g[1] as usize, g[2] as usize];
                                let m = self.parents(g, &mut par);
                                for &(dp, wg) in &par[..m] {
                                    let rel = [
                                        (dp[0] as isize - ci as isize) as i8,
                                        (dp[1] as isize - cj as isize) as i8,
                                        (dp[2] as isize - ck as isize) as i8,
                                    ];
                                    acc[Stencil::box_index(is_3d, rel)] += wf * v * wg;
                                }
                            }
                        }
                    }
                }
                let cc = cl.cidx(ci, cj, ck);
                for (o, &v) in acc.iter().enumerate() {
                    // SAFETY: each coarse row writes only its own cells' coefficients.
                    unsafe { *cp.0.add(cc * ncoff + o) = v };
                }
            }
        });
        ac
    }
}
