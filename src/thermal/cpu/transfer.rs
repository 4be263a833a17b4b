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
use rayon::prelude::*;

/// Interpolation from a coarse level to the fine level above it.
#[derive(Clone, Debug)]
pub struct Interp {
    pub fine: Layout,
    pub coarse: Layout,
    /// Whether each dimension is coarsened (x, y, z).
    pub coarsen: [bool; 3],
    /// Per fine cell (compact order) and dimension: the weight of the lower coarse
    /// parent, `nd` values per cell (x, y, and z in 3-D).
    pub w_lo: Vec<f32>,
    /// Dimensions stored in `w_lo` per cell: 2 (2-D) or 3.
    pub nd: usize,
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
        let nd = if fine.is_3d() { 3 } else { 2 };
        let mut w_lo = vec![1.0f32; fine.cells() * nd];
        let noff = a.noff();
        let nx = fine.n[0];
        let ny = fine.n[1];
        w_lo.par_chunks_mut(nx * nd).enumerate().for_each(|(r, row)| {
            let (j, k) = (r % ny, r / ny);
            for i in 0..nx {
                let c = fine.cidx(i, j, k);
                let pos = [i, j, k];
                let coef = &a.coef[c * noff..(c + 1) * noff];
                for d in 0..nd {
                    if !coarsen[d] || pos[d] % 2 == 0 || pos[d] + 1 == fine.n[d] {
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
                    let w = if lo + hi > 0.0 && (lo / (lo + hi)).is_finite() { lo / (lo + hi) } else { 0.5 };
                    row[i * nd + d] = w as f32;
                }
            }
        });
        Interp { fine, coarse, coarsen, w_lo, nd }
    }

    /// Weight with which fine index `f` (compact cell `c`) interpolates from coarse
    /// index `cc` along dimension `d` (zero when `cc` is not a parent).
    #[inline(always)]
    fn weight_1d(&self, f: usize, c: usize, d: usize, cc: usize) -> f64 {
        if !self.coarsen[d] {
            return if f == cc { 1.0 } else { 0.0 };
        }
        if f % 2 == 0 {
            return if f / 2 == cc { 1.0 } else { 0.0 };
        }
        let w = self.w_lo[c * self.nd + d] as f64;
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

    /// Parents of fine index `f` (compact cell `c`) along `d` as
    /// `(lo, w_lo, hi, w_hi)`; a single parent has `w_hi = 0` and `hi = lo`.
    #[inline(always)]
    fn pw(&self, f: usize, c: usize, d: usize) -> (usize, f64, usize, f64) {
        if !self.coarsen[d] {
            return (f, 1.0, f, 0.0);
        }
        let h = f / 2;
        if f & 1 == 0 || f + 1 == self.fine.n[d] {
            (h, 1.0, h, 0.0)
        } else {
            let w = self.w_lo[c * self.nd + d] as f64;
            (h, w, h + 1, 1.0 - w)
        }
    }

    /// Fine children of coarse index `cc` along `d`, each with its kind: 0 the fine cell
    /// at the coarse point (weight 1), 1 the odd cell below it (weight 1 − w_lo), 2 the
    /// odd cell above it (weight w_lo).
    #[inline(always)]
    fn kids(&self, cc: usize, d: usize) -> ([(usize, u8); 3], usize) {
        if !self.coarsen[d] {
            return ([(cc, 0), (0, 0), (0, 0)], 1);
        }
        let f = 2 * cc;
        let mut v = [(f, 0u8), (0, 0), (0, 0)];
        let mut m = 1;
        if f >= 1 {
            v[m] = (f - 1, 1);
            m += 1;
        }
        if f + 1 < self.fine.n[d] {
            v[m] = (f + 1, 2);
            m += 1;
        }
        (v, m)
    }

    /// `x_fine += P x_coarse` (padded vectors).
    pub fn prolong_add(&self, xc: &[f64], xf: &mut [f64]) {
        let fl = self.fine;
        let cl = self.coarse;
        let xp = SyncPtr(xf.as_mut_ptr());
        for_rows(&fl, |j, k| {
            let xp = xp;
            let c0 = fl.cidx(0, j, k);
            let p0 = fl.pidx(0, j, k);
            for i in 0..fl.n[0] {
                let c = c0 + i;
                let (x0, wx0, x1, wx1) = self.pw(i, c, 0);
                let (y0, wy0, y1, wy1) = self.pw(j, c, 1);
                let (z0, wz0, z1, wz1) = self.pw(k, c, 2);
                let row = |y: usize, z: usize| {
                    let b = cl.pidx(0, y, z);
                    wx0 * xc[b + x0] + wx1 * xc[b + x1]
                };
                let mut s = wy0 * row(y0, z0) + wy1 * row(y1, z0);
                if wz1 != 0.0 {
                    s = wz0 * s + wz1 * (wy0 * row(y0, z1) + wy1 * row(y1, z1));
                }
                // SAFETY: each row writes only its own entries.
                unsafe { *xp.0.add(p0 + i) += s };
            }
        });
    }

    /// `b_coarse = Pᵀ r_fine` (padded vectors).
    pub fn restrict_fw(&self, rf: &[f64], bc: &mut [f64]) {
        let fl = self.fine;
        let cl = self.coarse;
        let bp = SyncPtr(bc.as_mut_ptr());
        #[inline(always)]
        fn wt(kind: u8, w_lo: f32) -> f64 {
            match kind {
                0 => 1.0,
                1 => 1.0 - w_lo as f64,
                _ => w_lo as f64,
            }
        }
        for_rows(&cl, |cj, ck| {
            let bp = bp;
            let (ys, ny) = self.kids(cj, 1);
            let (zs, nz) = self.kids(ck, 2);
            for ci in 0..cl.n[0] {
                let (xs, nx) = self.kids(ci, 0);
                let mut s = 0.0;
                for &(k, kz) in &zs[..nz] {
                    for &(j, ky) in &ys[..ny] {
                        let c0 = fl.cidx(0, j, k);
                        let p0 = fl.pidx(0, j, k);
                        for &(i, kx) in &xs[..nx] {
                            let c = (c0 + i) * self.nd;
                            let wz = if kz == 0 { 1.0 } else { wt(kz, self.w_lo[c + 2]) };
                            s += wt(kx, self.w_lo[c]) * wt(ky, self.w_lo[c + 1]) * wz * rf[p0 + i];
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
            let mut acc = vec![0.0f64; ncoff];
            for ci in 0..cl.n[0] {
                acc.iter_mut().for_each(|v| *v = 0.0);
                for k in self.children_1d(ck, 2) {
                    for j in self.children_1d(cj, 1) {
                        for i in self.children_1d(ci, 0) {
                            let c = fl.cidx(i, j, k);
                            let wf =
                                self.weight_1d(i, c, 0, ci) * self.weight_1d(j, c, 1, cj) * self.weight_1d(k, c, 2, ck);
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
                                let gc = fl.cidx(g[0], g[1], g[2]);
                                let px = self.pw(g[0], gc, 0);
                                let py = self.pw(g[1], gc, 1);
                                let pz = self.pw(g[2], gc, 2);
                                let wv = wf * v;
                                for (zc, wz) in [(pz.0, pz.1), (pz.2, pz.3)] {
                                    if wz == 0.0 {
                                        continue;
                                    }
                                    let rz = (zc as isize - ck as isize) as i8;
                                    for (yc, wy) in [(py.0, py.1), (py.2, py.3)] {
                                        if wy == 0.0 {
                                            continue;
                                        }
                                        let ry = (yc as isize - cj as isize) as i8;
                                        let wyz = wv * wy * wz;
                                        for (xc, wx) in [(px.0, px.1), (px.2, px.3)] {
                                            if wx == 0.0 {
                                                continue;
                                            }
                                            let rx = (xc as isize - ci as isize) as i8;
                                            acc[Stencil::box_index(is_3d, [rx, ry, rz])] += wyz * wx;
                                        }
                                    }
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
