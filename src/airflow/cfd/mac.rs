//! The staggered (MAC) layout: cell-centred pressure and temperature, one normal
//! velocity per cell face.
//!
//! Face arrays of axis `a` have the grid's shape with one more entry along `a`; face
//! `(i, j, k)` of axis 0 lies between cells `(i − 1, j, k)` and `(i, j, k)`. The linear
//! order is the one of [`crate::airflow::Fluxes`] (`i` fastest), so velocities times the
//! face area are the fluxes the energy operators take.

use crate::grid::Grid;

/// Index arithmetic of a grid's cells and faces.
#[derive(Clone, Copy, Debug)]
pub struct Mac {
    pub grid: Grid,
    /// Cells per axis.
    pub n: [usize; 3],
    /// Dimensions that carry velocity: 2 (floorplan or vertical slice) or 3.
    pub nd: usize,
    /// Shape of each axis' face array.
    pub fdims: [[usize; 3]; 3],
    /// Strides of each axis' face array along x, y, z.
    pub fstride: [[usize; 3]; 3],
    /// Strides of the cell array along x, y, z.
    pub cstride: [usize; 3],
}

impl Mac {
    pub fn new(grid: Grid) -> Self {
        let n = [grid.nx, grid.ny, grid.nz];
        let nd = if grid.is_3d() { 3 } else { 2 };
        let mut fdims = [n; 3];
        let mut fstride = [[0; 3]; 3];
        for a in 0..3 {
            fdims[a][a] += 1;
            fstride[a] = [1, fdims[a][0], fdims[a][0] * fdims[a][1]];
        }
        Mac { grid, n, nd, fdims, fstride, cstride: [1, n[0], n[0] * n[1]] }
    }

    pub fn cells(&self) -> usize {
        self.n[0] * self.n[1] * self.n[2]
    }

    /// Number of faces of axis `a`.
    pub fn faces(&self, a: usize) -> usize {
        let d = self.fdims[a];
        d[0] * d[1] * d[2]
    }

    #[inline]
    pub fn cell(&self, p: [usize; 3]) -> usize {
        (p[2] * self.n[1] + p[1]) * self.n[0] + p[0]
    }

    #[inline]
    pub fn face(&self, a: usize, p: [usize; 3]) -> usize {
        let d = self.fdims[a];
        (p[2] * d[1] + p[1]) * d[0] + p[0]
    }

    /// Position of face `f` of axis `a`.
    #[inline]
    pub fn face_pos(&self, a: usize, f: usize) -> [usize; 3] {
        let d = self.fdims[a];
        [f % d[0], (f / d[0]) % d[1], f / (d[0] * d[1])]
    }

    /// Position of cell `c`.
    #[inline]
    pub fn cell_pos(&self, c: usize) -> [usize; 3] {
        [c % self.n[0], (c / self.n[0]) % self.n[1], c / (self.n[0] * self.n[1])]
    }

    /// Area of every face, m² (`dx · slab_m` in 2-D, `dx²` in 3-D).
    pub fn face_area_m2(&self) -> f64 {
        self.grid.cell_volume_m3() / self.grid.dx
    }

    /// Free faces (both cells exist and are open) of each axis: the unknowns of the
    /// momentum equations. Axes beyond `nd` have none.
    pub fn free_faces(&self, open: &[bool]) -> [Vec<bool>; 3] {
        let mut out: [Vec<bool>; 3] = Default::default();
        for a in 0..3 {
            out[a] = vec![false; self.faces(a)];
            if a >= self.nd {
                continue;
            }
            for (f, v) in out[a].iter_mut().enumerate() {
                let p = self.face_pos(a, f);
                if p[a] == 0 || p[a] == self.n[a] {
                    continue;
                }
                let mut lo = p;
                lo[a] -= 1;
                *v = open[self.cell(lo)] && open[self.cell(p)];
            }
        }
        out
    }

    /// The open cell beside a boundary face (one side closed or outside the domain) and
    /// the sign of the velocity that enters it (+1: positive velocity enters it). None
    /// when neither or both sides are open.
    pub fn boundary_cell(&self, a: usize, f: usize, open: &[bool]) -> Option<(usize, f64)> {
        let p = self.face_pos(a, f);
        let hi = (p[a] < self.n[a]).then(|| self.cell(p)).filter(|&c| open[c]);
        let lo = (p[a] > 0)
            .then(|| {
                let mut q = p;
                q[a] -= 1;
                self.cell(q)
            })
            .filter(|&c| open[c]);
        match (lo, hi) {
            (Some(c), None) => Some((c, -1.0)),
            (None, Some(c)) => Some((c, 1.0)),
            _ => None,
        }
    }

    /// Volume flux of a face velocity field, m³/s (velocity times face area).
    pub fn fluxes(&self, u: &[Vec<f64>; 3]) -> crate::airflow::Fluxes {
        let area = self.face_area_m2();
        let scale = |v: &Vec<f64>| v.iter().map(|x| x * area).collect::<Vec<f64>>();
        let mut fl = crate::airflow::Fluxes::zeros(&self.grid);
        fl.fx = scale(&u[0]);
        fl.fy = scale(&u[1]);
        if self.nd == 3 {
            fl.fz = scale(&u[2]);
        }
        fl
    }
}
