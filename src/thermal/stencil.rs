//! Structured stencil operators on a padded grid.
//!
//! Vectors used by the solvers carry one ghost cell on each side of every dimension that
//! has more than one cell (x and y always; z only in 3-D). Ghost entries are zero and
//! stay zero, so a stencil never needs a bounds check and dot products may run over the
//! whole padded array. Coefficients are stored per interior cell (no ghosts), `noff`
//! values per cell, in the order of `offsets`.

use rayon::prelude::*;

/// Shape of a padded grid: interior sizes `n = [nx, ny, nz]` and padded sizes `pn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub n: [usize; 3],
    pub pad: [usize; 3],
    pub pn: [usize; 3],
}

impl Layout {
    pub fn new(nx: usize, ny: usize, nz: usize) -> Self {
        let pz = usize::from(nz > 1);
        let pad = [1, 1, pz];
        let n = [nx, ny, nz];
        Layout { n, pad, pn: [nx + 2, ny + 2, nz + 2 * pz] }
    }
    pub fn is_3d(&self) -> bool {
        self.n[2] > 1
    }
    /// Interior cells.
    pub fn cells(&self) -> usize {
        self.n[0] * self.n[1] * self.n[2]
    }
    /// Length of a padded vector.
    pub fn padded_len(&self) -> usize {
        self.pn[0] * self.pn[1] * self.pn[2]
    }
    /// Padded index of interior cell `(i, j, k)`.
    #[inline]
    pub fn pidx(&self, i: usize, j: usize, k: usize) -> usize {
        ((k + self.pad[2]) * self.pn[1] + (j + 1)) * self.pn[0] + (i + 1)
    }
    /// Compact (interior) index of cell `(i, j, k)`.
    #[inline]
    pub fn cidx(&self, i: usize, j: usize, k: usize) -> usize {
        (k * self.n[1] + j) * self.n[0] + i
    }
    /// Linear padded offset of a neighbour at `(di, dj, dk)`.
    pub fn delta(&self, o: [i8; 3]) -> isize {
        (o[2] as isize * self.pn[1] as isize + o[1] as isize) * self.pn[0] as isize + o[0] as isize
    }
    /// Number of interior rows (`ny * nz`); row `r` is `(j, k) = (r % ny, r / ny)`.
    pub fn rows(&self) -> usize {
        self.n[1] * self.n[2]
    }
    /// A zeroed padded vector.
    pub fn zeros(&self) -> Vec<f64> {
        vec![0.0; self.padded_len()]
    }
    /// Copy a compact field into a new padded vector (ghosts zero).
    pub fn to_padded(&self, compact: &[f64]) -> Vec<f64> {
        let mut p = self.zeros();
        self.copy_to_padded(compact, &mut p);
        p
    }
    /// Copy a compact field into the interior of `padded` (its ghosts untouched).
    pub fn copy_to_padded(&self, compact: &[f64], padded: &mut [f64]) {
        let nx = self.n[0];
        for r in 0..self.rows() {
            let (j, k) = (r % self.n[1], r / self.n[1]);
            let (c0, p0) = (self.cidx(0, j, k), self.pidx(0, j, k));
            padded[p0..p0 + nx].copy_from_slice(&compact[c0..c0 + nx]);
        }
    }
    /// Copy the interior of `padded` into `compact`.
    pub fn copy_to_compact(&self, padded: &[f64], compact: &mut [f64]) {
        let nx = self.n[0];
        for r in 0..self.rows() {
            let (j, k) = (r % self.n[1], r / self.n[1]);
            let (c0, p0) = (self.cidx(0, j, k), self.pidx(0, j, k));
            compact[c0..c0 + nx].copy_from_slice(&padded[p0..p0 + nx]);
        }
    }
    /// Copy the interior of a padded vector into a compact one.
    pub fn to_compact(&self, padded: &[f64]) -> Vec<f64> {
        let mut c = vec![0.0; self.cells()];
        self.copy_to_compact(padded, &mut c);
        c
    }
}

/// A raw pointer that may be shared between threads that write disjoint entries.
#[derive(Clone, Copy)]
pub(crate) struct SyncPtr(pub *mut f64);
// SAFETY: used only where each thread writes a disjoint set of indices (one grid row or
// one colour of a multicolour sweep) and reads only entries no thread writes in that pass.
unsafe impl Send for SyncPtr {}
unsafe impl Sync for SyncPtr {}

/// Run `f(j, k)` for every interior row, in parallel when the grid is large enough.
pub(crate) fn for_rows(l: &Layout, f: impl Fn(usize, usize) + Sync + Send) {
    let ny = l.n[1];
    let rows = l.rows();
    if l.cells() < 32 * 1024 {
        (0..rows).for_each(|r| f(r % ny, r / ny));
    } else {
        (0..rows).into_par_iter().with_min_len(8).for_each(|r| f(r % ny, r / ny));
    }
}

/// A linear operator given by a stencil of `offsets.len()` coefficients per cell.
#[derive(Clone, Debug)]
pub struct Stencil {
    pub layout: Layout,
    /// Neighbour offsets `(di, dj, dk)`; entry `diag` is `(0, 0, 0)`.
    pub offsets: Vec<[i8; 3]>,
    /// Padded linear offsets matching `offsets`.
    pub delta: Vec<isize>,
    /// Index of the centre coefficient in `offsets`.
    pub diag: usize,
    /// Coefficients, `offsets.len()` per interior cell, compact cell order.
    pub coef: Vec<f64>,
}

impl Stencil {
    /// A zero operator with the given offsets.
    pub fn zeros(layout: Layout, offsets: Vec<[i8; 3]>) -> Self {
        let delta = offsets.iter().map(|&o| layout.delta(o)).collect();
        let diag = offsets.iter().position(|&o| o == [0, 0, 0]).expect("stencil has a centre");
        let coef = vec![0.0; layout.cells() * offsets.len()];
        Stencil { layout, offsets, delta, diag, coef }
    }

    /// The full 3×3 (2-D) or 3×3×3 (3-D) neighbourhood, centre included.
    pub fn box_offsets(is_3d: bool) -> Vec<[i8; 3]> {
        let zr: &[i8] = if is_3d { &[-1, 0, 1] } else { &[0] };
        let mut v = Vec::new();
        for &dk in zr {
            for dj in -1..=1i8 {
                for di in -1..=1i8 {
                    v.push([di, dj, dk]);
                }
            }
        }
        v
    }

    /// Index of an offset in the box neighbourhood returned by [`Stencil::box_offsets`].
    #[inline]
    pub fn box_index(is_3d: bool, o: [i8; 3]) -> usize {
        let base = ((o[1] + 1) * 3 + (o[0] + 1)) as usize;
        if is_3d {
            (o[2] + 1) as usize * 9 + base
        } else {
            base
        }
    }

    pub fn noff(&self) -> usize {
        self.offsets.len()
    }

    /// True when no two cells of the same parity class (i+j+k even/odd) are coupled, so
    /// a red-black ordering is a true Gauss–Seidel ordering.
    pub fn is_face_stencil(&self) -> bool {
        self.offsets.iter().all(|o| o.iter().filter(|&&d| d != 0).count() <= 1)
    }

    /// `y = A x` (padded vectors).
    pub fn apply(&self, x: &[f64], y: &mut [f64]) {
        self.residual_impl(None, x, y);
    }

    /// `r = b - A x` (padded vectors).
    pub fn residual(&self, b: &[f64], x: &[f64], r: &mut [f64]) {
        self.residual_impl(Some(b), x, r);
    }

    fn residual_impl(&self, b: Option<&[f64]>, x: &[f64], out: &mut [f64]) {
        match self.noff() {
            5 => self.residual_n::<5>(b, x, out),
            7 => self.residual_n::<7>(b, x, out),
            9 => self.residual_n::<9>(b, x, out),
            27 => self.residual_n::<27>(b, x, out),
            n => panic!("unsupported stencil size {n}"),
        }
    }

    /// The delta table as a fixed-size array (lets the compiler unroll stencil loops).
    #[inline]
    pub(crate) fn delta_n<const N: usize>(&self) -> [isize; N] {
        let mut d = [0isize; N];
        d.copy_from_slice(&self.delta);
        d
    }

    fn residual_n<const N: usize>(&self, b: Option<&[f64]>, x: &[f64], out: &mut [f64]) {
        let l = &self.layout;
        assert_eq!(x.len(), l.padded_len());
        assert_eq!(out.len(), l.padded_len());
        assert_eq!(self.coef.len(), l.cells() * N);
        let nx = l.n[0];
        let delta = self.delta_n::<N>();
        let out_p = SyncPtr(out.as_mut_ptr());
        for_rows(l, |j, k| {
            let out_p = out_p;
            let p0 = l.pidx(0, j, k);
            let c0 = l.cidx(0, j, k);
            let coefs: &[[f64; N]] = as_blocks(&self.coef[c0 * N..(c0 + nx) * N]);
            for (i, a) in coefs.iter().enumerate() {
                let p = p0 + i;
                let mut s = 0.0;
                for o in 0..N {
                    // SAFETY: p + delta[o] stays inside the padded array: p is interior
                    // and every offset reaches at most one ghost layer.
                    s += a[o] * unsafe { *x.get_unchecked((p as isize + delta[o]) as usize) };
                }
                let v = match b {
                    Some(b) => b[p] - s,
                    None => s,
                };
                // SAFETY: each row writes only its own interior entries of `out`.
                unsafe { *out_p.0.add(p) = v };
            }
        });
    }

    /// The coefficient of cell `c` (compact) towards offset index `o`.
    #[inline]
    pub fn get(&self, c: usize, o: usize) -> f64 {
        self.coef[c * self.noff() + o]
    }
}

/// View a slice of `N * m` coefficients as `m` blocks of `N`.
#[inline]
pub(crate) fn as_blocks<const N: usize>(v: &[f64]) -> &[[f64; N]] {
    assert_eq!(v.len() % N, 0);
    // SAFETY: [f64; N] has the layout of N consecutive f64 and the length divides.
    unsafe { std::slice::from_raw_parts(v.as_ptr() as *const [f64; N], v.len() / N) }
}

/// Dot product of two padded vectors (ghosts are zero).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    if a.len() < 64 * 1024 {
        return a.iter().zip(b).map(|(x, y)| x * y).sum();
    }
    a.par_chunks(16 * 1024)
        .zip(b.par_chunks(16 * 1024))
        .map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>())
        .sum()
}

/// `y += alpha * x`.
pub fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    if y.len() < 64 * 1024 {
        y.iter_mut().zip(x).for_each(|(y, x)| *y += alpha * x);
        return;
    }
    y.par_chunks_mut(16 * 1024)
        .zip(x.par_chunks(16 * 1024))
        .for_each(|(y, x)| y.iter_mut().zip(x).for_each(|(y, x)| *y += alpha * x));
}

/// The CG update `x += alpha p; r -= alpha ap`, returning the new `r · r` (one pass).
pub fn cg_update(alpha: f64, p: &[f64], ap: &[f64], x: &mut [f64], r: &mut [f64]) -> f64 {
    const CH: usize = 16 * 1024;
    let step = |(((x, r), p), ap): (((&mut [f64], &mut [f64]), &[f64]), &[f64])| {
        let mut rr = 0.0;
        for i in 0..x.len() {
            x[i] += alpha * p[i];
            r[i] -= alpha * ap[i];
            rr += r[i] * r[i];
        }
        rr
    };
    if x.len() < 4 * CH {
        return step((((x, r), p), ap));
    }
    x.par_chunks_mut(CH).zip(r.par_chunks_mut(CH)).zip(p.par_chunks(CH)).zip(ap.par_chunks(CH)).map(step).sum()
}

/// `p = z + beta * p`.
pub fn xpby(z: &[f64], beta: f64, p: &mut [f64]) {
    if p.len() < 64 * 1024 {
        p.iter_mut().zip(z).for_each(|(p, z)| *p = z + beta * *p);
        return;
    }
    p.par_chunks_mut(16 * 1024)
        .zip(z.par_chunks(16 * 1024))
        .for_each(|(p, z)| p.iter_mut().zip(z).for_each(|(p, z)| *p = z + beta * *p));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_round_trip_keeps_ghosts_zero() {
        for (nx, ny, nz) in [(5, 3, 1), (4, 3, 2)] {
            let l = Layout::new(nx, ny, nz);
            let c: Vec<f64> = (0..l.cells()).map(|v| v as f64 + 1.0).collect();
            let p = l.to_padded(&c);
            assert_eq!(p.iter().filter(|&&v| v != 0.0).count(), l.cells());
            assert_eq!(l.to_compact(&p), c);
            assert_eq!(p[l.pidx(nx - 1, ny - 1, nz - 1)], l.cells() as f64);
        }
    }

    #[test]
    fn box_index_matches_box_offsets() {
        for is_3d in [false, true] {
            for (n, o) in Stencil::box_offsets(is_3d).into_iter().enumerate() {
                assert_eq!(Stencil::box_index(is_3d, o), n);
            }
        }
    }

    #[test]
    fn cg_update_matches_separate_steps() {
        let n = 100_000;
        let p: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let ap: Vec<f64> = (0..n).map(|i| (i as f64).cos()).collect();
        let (mut x, mut r) = (vec![1.0; n], vec![2.0; n]);
        let rr = cg_update(0.5, &p, &ap, &mut x, &mut r);
        let (mut x2, mut r2) = (vec![1.0; n], vec![2.0; n]);
        axpy(0.5, &p, &mut x2);
        axpy(-0.5, &ap, &mut r2);
        assert_eq!(x, x2);
        assert_eq!(r, r2);
        assert!((rr - dot(&r2, &r2)).abs() <= 1e-12 * rr);
    }
}
