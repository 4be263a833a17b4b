//! Hall air by momentum: an incompressible, Boussinesq, turbulent flow solver on the
//! project's structured grid (see the README, "Hall air model").
//!
//! ```text
//! momentum:  ∂u/∂t + ∇·(u u) = −∇P + ∇·(ν_eff ∇u) − g β (T − T_ref)
//! mass:      ∇·u = s/V                      (fans, tiles, units: boundary faces)
//! energy:    ∂T/∂t + ∇·(u T) = ∇·(α_eff ∇T) + q/(ρc_p)
//! ```
//!
//! Staggered (MAC) velocities ([`mac`]); each pseudo-time step is a momentum predictor
//! ([`momentum`]), a pressure projection through the multigrid whose hierarchy is built
//! once per geometry ([`pressure`]), and an energy step ([`energy`]); the eddy viscosity
//! comes from [`turbulence`]. Advection is bounded ([`tvd`]). [`steady`] marches to the
//! steady state. The implicit predictors are relaxed by alternating-direction line
//! solves ([`lines`], the fast path) or Jacobi sweeps ([`jacobi`], the reference).
//! Every kernel reads only the previous iterate (a line, only the previous directional
//! sweep off its line), so the answer does not depend on the thread count and each
//! kernel maps onto one GPU dispatch.

pub mod energy;
pub mod gpu;
pub mod jacobi;
pub mod lines;
pub mod mac;
pub mod momentum;
pub mod pressure;
pub mod steady;
pub mod turbulence;
pub mod tvd;

pub use mac::Mac;
pub use steady::{solve_steady, CfdError, CfdReport, Settings};
pub use turbulence::Turbulence;

use crate::grid::{Grid, Walls};

/// How each step's implicit predictors (momentum, energy) are solved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Relaxation {
    /// This many point-Jacobi sweeps ([`jacobi`]).
    Jacobi(usize),
    /// This many alternating-direction line cycles ([`lines`]): a correction crosses
    /// the domain along each line in one cycle, so large Courant numbers pay.
    Lines(usize),
}

impl Relaxation {
    /// Relax `coef` (rows over an array of dims `dims`, x fastest) in place: `x` holds
    /// the start and receives the answer; `scratch` is the other iterate (resized as
    /// needed).
    pub fn solve_into(self, coef: &[[f64; 8]], dims: [usize; 3], x: &mut Vec<f64>, scratch: &mut Vec<f64>) {
        match self {
            Relaxation::Jacobi(n) => jacobi::jacobi_into(coef, [1, dims[0], dims[0] * dims[1]], x, scratch, n),
            Relaxation::Lines(n) => lines::lines_into(coef, dims, x, scratch, n),
        }
    }
}

/// The work arrays of a step, allocated by the first step and reused by every later
/// one, so a march allocates (and the kernel zero-fills) no field-sized array per step
/// (small per-task line buffers and the coarsest multigrid level still allocate). The
/// momentum predictor, the projection and the energy step run one after the other and
/// share them.
#[derive(Default)]
pub struct Work {
    /// Rows of the system being relaxed (one velocity component's faces, or the cells);
    /// the projection's padded right-hand side, solution and three conjugate-gradient
    /// vectors, carved out of the same storage.
    pub coef: Vec<[f64; 8]>,
    /// The predictor's new velocity of each axis (swapped into the state at its end);
    /// the projection's divergence and φ; the energy step's previous temperatures,
    /// bounded correction and new iterate.
    pub bufs: [Vec<f64>; 3],
    /// The relaxation's other iterate.
    pub scratch: Vec<f64>,
}

impl Work {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.coef.capacity() * 64
            + (self.bufs.iter().map(|b| b.capacity()).sum::<usize>() + self.scratch.capacity()) * 8
    }
}

/// Properties of the fluid (SI units).
#[derive(Clone, Debug)]
pub struct Fluid {
    /// Laminar kinematic viscosity, m²/s.
    pub nu_m2_s: f64,
    /// Laminar thermal diffusivity, m²/s.
    pub alpha_m2_s: f64,
    /// Turbulent Prandtl number.
    pub prandtl_t: f64,
    /// Thermal expansion coefficient, 1/K.
    pub beta_1_k: f64,
    /// Reference temperature of the Boussinesq buoyancy, °C.
    pub t_ref_c: f64,
    /// Gravity vector, m/s² (a facility's points down z: `[0, 0, −9.81]`).
    pub gravity_m_s2: [f64; 3],
}

impl Fluid {
    /// Air near room temperature (ν = 1.5e-5 m²/s, Pr = 0.71, Pr_t = 0.85, β = 1/T_ref)
    /// with gravity along −z for 3-D grids and none for 2-D floorplans.
    pub fn air(t_ref_c: f64, grid: &Grid) -> Self {
        let nu = 1.5e-5;
        Fluid {
            nu_m2_s: nu,
            alpha_m2_s: nu / 0.71,
            prandtl_t: 0.85,
            beta_1_k: 1.0 / (t_ref_c + 273.15),
            t_ref_c,
            gravity_m_s2: if grid.is_3d() { [0.0, 0.0, -9.81] } else { [0.0; 3] },
        }
    }
}

/// The geometry and boundary conditions of a flow problem.
#[derive(Clone, Debug)]
pub struct Domain {
    pub grid: Grid,
    /// Cells air can move through.
    pub open: Vec<bool>,
    /// Thermal condition of the domain walls.
    pub walls: Walls,
    /// Tangential velocity of each domain wall (xlo, xhi, ylo, yhi, zlo, zhi), m/s
    /// (a lid-driven cavity's lid; zero for a hall).
    pub wall_velocity: [[f64; 3]; 6],
    /// The faces through which air crosses the room's boundary (fans, tiles, returns,
    /// unit faces), by (axis, face index), with their prescribed normal velocity; every
    /// other face that is not free is a wall at rest. Sparse: a hall has few of them
    /// against millions of faces.
    pub ports: Ports,
    /// Air entering (+) or leaving (−) a cell without a face (2-D floorplans), m³/s,
    /// and the temperature group of the air it brings (`u32::MAX`: none); both empty
    /// where no cell has one (a 3-D hall, whose flows all cross faces).
    pub cell_source_m3s: Vec<f64>,
    pub cell_group: Vec<u32>,
    /// Heat released in the air, W/m³; empty where none is (a facility's racks heat the
    /// air they blow out, through their exhaust temperature).
    pub q_w_m3: Vec<f64>,
    /// Volumetric heat capacity, J/(m³·K).
    pub rho_cp_j_m3k: f64,
    /// Groups of cells whose mean temperature decides when a statistically steady march
    /// has settled (a facility's rack intakes); empty: the whole field decides.
    pub monitor_cells: Vec<Vec<usize>>,
}

impl Domain {
    /// A closed box of open cells with no flow through its walls.
    pub fn closed_box(grid: Grid, walls: Walls) -> Self {
        let n = grid.cells();
        Domain {
            grid,
            open: vec![true; n],
            walls,
            wall_velocity: [[0.0; 3]; 6],
            ports: Ports::new(),
            cell_source_m3s: Vec::new(),
            cell_group: Vec::new(),
            q_w_m3: Vec::new(),
            rho_cp_j_m3k: 1.2 * 1005.0,
            monitor_cells: Vec::new(),
        }
    }

    /// The prescribed normal velocity of face `f` of axis `a`, m/s (zero: a wall).
    #[inline]
    pub fn face_velocity(&self, a: usize, f: usize) -> f64 {
        self.ports.get(&(a, f)).map_or(0.0, |p| p.velocity_m_s)
    }

    /// Velocity per face of each axis with the prescribed ones set and zero elsewhere.
    pub fn prescribed_velocities(&self) -> [Vec<f64>; 3] {
        let mac = Mac::new(self.grid);
        let mut u = [0, 1, 2].map(|a| vec![0.0; mac.faces(a)]);
        // A port off the grid is left to `steady::check`, which names it.
        for (&(a, f), p) in &self.ports {
            if let Some(v) = u.get_mut(a).and_then(|u| u.get_mut(f)) {
                *v = p.velocity_m_s;
            }
        }
        u
    }
}

/// A boundary face's prescribed flow.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Port {
    /// Normal velocity, m/s along the face's axis.
    pub velocity_m_s: f64,
    /// Temperature group of the air it lets in (`u32::MAX`: none, or it lets air out).
    pub group: u32,
}

/// The prescribed faces of a domain, by (axis, face index).
pub type Ports = std::collections::BTreeMap<(usize, usize), Port>;

/// The flow and temperature fields.
#[derive(Clone, Debug)]
pub struct State {
    /// Face velocities per axis, m/s.
    pub u: [Vec<f64>; 3],
    /// Kinematic pressure per cell, m²/s² (relative; one reference per air region).
    pub p: Vec<f64>,
    /// °C per cell.
    pub t: Vec<f64>,
    /// Effective kinematic viscosity per cell, m²/s.
    pub nu_eff: Vec<f64>,
}

impl State {
    /// At rest at temperature `t0_c`, with the domain's prescribed face velocities.
    pub fn at_rest(d: &Domain, t0_c: f64) -> Self {
        State {
            u: d.prescribed_velocities(),
            p: vec![0.0; d.grid.cells()],
            t: vec![t0_c; d.grid.cells()],
            nu_eff: vec![0.0; d.grid.cells()],
        }
    }
}
