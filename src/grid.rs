//! Discretization of the hall: a uniform cell-centred grid.
//!
//! Index convention (used everywhere in thermogrid): cell `(i, j, k)` with `i` along x
//! (fastest), `j` along y, `k` along z (height). Linear index `(k * ny + j) * nx + i`,
//! which is C order for arrays of shape `(nz, ny, nx)`. Cell `i` is centred at
//! `x = (i + 0.5) dx`. `dx = dy = dz`. `nz == 1` is the 2-D floorplan.

/// A uniform cell-centred grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    pub nx: usize,
    pub ny: usize,
    pub nz: usize,
    /// Cell edge length, m (the same along x, y and z).
    pub dx: f64,
    /// Thickness of the 2-D slab, m: the volume of a cell is `dx * dx * slab_m` when
    /// `nz == 1`. For 3-D grids it is `dx` (cells are cubes).
    pub slab_m: f64,
}

impl Grid {
    /// A 2-D grid whose cells stand for a slab `slab_m` thick.
    pub fn new_2d(nx: usize, ny: usize, dx: f64, slab_m: f64) -> Self {
        Grid { nx, ny, nz: 1, dx, slab_m }
    }

    /// A 3-D grid of cubes of edge `dx`.
    pub fn new_3d(nx: usize, ny: usize, nz: usize, dx: f64) -> Self {
        Grid { nx, ny, nz, dx, slab_m: dx }
    }

    pub fn is_3d(&self) -> bool {
        self.nz > 1
    }

    pub fn cells(&self) -> usize {
        self.nx * self.ny * self.nz
    }

    #[inline]
    pub fn idx(&self, i: usize, j: usize, k: usize) -> usize {
        (k * self.ny + j) * self.nx + i
    }

    /// Volume of one cell, m³.
    pub fn cell_volume_m3(&self) -> f64 {
        if self.is_3d() {
            self.dx * self.dx * self.dx
        } else {
            self.dx * self.dx * self.slab_m
        }
    }

    /// Shape as `(nz, ny, nx)` for 3-D or `(ny, nx)` for 2-D (C order, as in the files).
    pub fn shape(&self) -> Vec<usize> {
        if self.is_3d() {
            vec![self.nz, self.ny, self.nx]
        } else {
            vec![self.ny, self.nx]
        }
    }
}

/// Boundary condition on one face of the domain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Wall {
    /// Zero heat flux through the wall.
    Adiabatic,
    /// Temperature held on the wall face, °C (half a cell from the adjacent cell centre).
    Fixed(f64),
}

impl Wall {
    pub fn name(&self) -> &'static str {
        match self {
            Wall::Adiabatic => "adiabatic",
            Wall::Fixed(_) => "dirichlet",
        }
    }
    pub fn temperature_c(&self) -> f64 {
        match self {
            Wall::Adiabatic => f64::NAN,
            Wall::Fixed(t) => *t,
        }
    }
}

/// The six walls, in the order xlo, xhi, ylo, yhi, zlo, zhi. `zlo`/`zhi` (floor and
/// ceiling) matter only for 3-D grids.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Walls {
    pub xlo: Wall,
    pub xhi: Wall,
    pub ylo: Wall,
    pub yhi: Wall,
    pub zlo: Wall,
    pub zhi: Wall,
}

pub const WALL_NAMES: [&str; 6] = ["xlo", "xhi", "ylo", "yhi", "zlo", "zhi"];

impl Walls {
    pub fn all(w: Wall) -> Self {
        Walls { xlo: w, xhi: w, ylo: w, yhi: w, zlo: w, zhi: w }
    }
    pub fn as_array(&self) -> [Wall; 6] {
        [self.xlo, self.xhi, self.ylo, self.yhi, self.zlo, self.zhi]
    }
    pub fn from_array(a: [Wall; 6]) -> Self {
        Walls { xlo: a[0], xhi: a[1], ylo: a[2], yhi: a[3], zlo: a[4], zhi: a[5] }
    }
    /// True when any wall that the grid has is held at a fixed temperature.
    pub fn any_fixed(&self, grid: &Grid) -> bool {
        let n = if grid.is_3d() { 6 } else { 4 };
        self.as_array()[..n].iter().any(|w| matches!(w, Wall::Fixed(_)))
    }
}
