//! Thermal model: the steady heat equation on a grid, its operator and its solvers.

pub mod cpu;
pub mod energy;
pub mod gpu;
pub mod operator;
pub mod problem;
pub mod stencil;
pub mod transient;

pub use problem::{ProblemError, ThermalProblem};

use std::time::Instant;

/// Which solver runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Multigrid-preconditioned conjugate gradients (the default; O(cells)).
    MgPcg,
    /// Sparse Cholesky (faer); small grids only.
    Direct,
}

impl Method {
    pub fn name(&self) -> &'static str {
        match self {
            Method::MgPcg => "mg-pcg",
            Method::Direct => "direct-cholesky",
        }
    }
}

/// Settings of a steady solve.
#[derive(Clone, Debug)]
pub struct SolveOptions {
    /// Stop when `‖b − A T‖₂ / ‖b‖₂ ≤ tol`.
    pub tol: f64,
    pub max_iter: usize,
    pub method: Method,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions { tol: 1e-10, max_iter: 200, method: Method::MgPcg }
    }
}

/// What a solve did.
#[derive(Clone, Debug)]
pub struct SolveReport {
    pub backend: &'static str,
    pub method: &'static str,
    pub iterations: usize,
    pub relative_residual: f64,
    pub converged: bool,
    pub tol: f64,
    pub levels: usize,
    /// Hierarchy and operator setup, s.
    pub setup_s: f64,
    /// Iterations, s.
    pub solve_s: f64,
    /// Bytes held by the solver (operator, hierarchy, work vectors).
    pub solver_bytes: usize,
}

/// Temperatures and the report of a steady solve.
#[derive(Clone, Debug)]
pub struct SteadySolution {
    /// Temperature, °C, compact grid order.
    pub t: Vec<f64>,
    pub report: SolveReport,
}

/// Errors of a steady solve.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    #[error(transparent)]
    Problem(#[from] ProblemError),
    #[error("solver setup failed: {0}")]
    Setup(String),
}

/// Solve the steady problem on the CPU in f64.
pub fn solve_steady(p: &ThermalProblem, opts: &SolveOptions) -> Result<SteadySolution, SolveError> {
    p.validate()?;
    let t0 = Instant::now();
    let (a, b) = operator::assemble(p);
    let lay = a.layout;
    match opts.method {
        Method::Direct => {
            let bc = lay.to_compact(&b);
            let t = cpu::direct_solve(&a, &bc).map_err(|e| SolveError::Setup(e.to_string()))?;
            let setup_s = t0.elapsed().as_secs_f64();
            let tp = lay.to_padded(&t);
            let mut r = lay.zeros();
            a.residual(&b, &tp, &mut r);
            let bn = stencil::dot(&b, &b).sqrt();
            let rel = if bn > 0.0 { stencil::dot(&r, &r).sqrt() / bn } else { 0.0 };
            Ok(SteadySolution {
                t,
                report: SolveReport {
                    backend: "cpu",
                    method: opts.method.name(),
                    iterations: 1,
                    relative_residual: rel,
                    converged: crate::outcome::converged(rel, opts.tol),
                    tol: opts.tol,
                    levels: 1,
                    setup_s,
                    solve_s: 0.0,
                    solver_bytes: 0,
                },
            })
        }
        Method::MgPcg => {
            let mut mg = cpu::Multigrid::new(&a).map_err(|e| SolveError::Setup(e.to_string()))?;
            let setup_s = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let mut x = lay.zeros();
            let out = cpu::mg_pcg(&a, &mut mg, &b, &mut x, opts.tol, opts.max_iter);
            let solve_s = t1.elapsed().as_secs_f64();
            // Operator + right-hand side + x + four CG vectors + hierarchy.
            let solver_bytes = a.coef.len() * 8 + 6 * lay.padded_len() * 8 + mg.bytes();
            Ok(SteadySolution {
                t: lay.to_compact(&x),
                report: SolveReport {
                    backend: "cpu",
                    method: opts.method.name(),
                    iterations: out.iterations,
                    relative_residual: out.relative_residual,
                    converged: out.converged,
                    tol: opts.tol,
                    levels: mg.depth(),
                    setup_s,
                    solve_s,
                    solver_bytes,
                },
            })
        }
    }
}
