//! The airflow model applied to a facility (see the README): rack and cooling-unit
//! flows, tiles, and the advected heat. One job per module: [`sources`] (where the air
//! comes from and goes), the potential flow (`airflow::potential`), [`operator`] (the
//! energy operator), [`active_set`] (the linked solve and which units run at capacity),
//! [`heat`] (heat accounting).

mod active_set;
mod cfd;
pub use cfd::{gpu_profile, GpuProfile};
mod heat;
mod operator;
mod sources;
pub mod transient;

use super::{mass_residual, solve_potential_in, FlowProblem, Fluxes};
use crate::error::{Error, InputError};
use crate::facility::{AirModel, AirflowSettings, Facility};
use crate::gpu::GpuContext;
use crate::raster::Raster;

/// Relative residual of the potential solve. The upwind faces carry heat from cell to
/// cell exactly (each face's flux leaves one cell and enters the next at the same
/// temperature), so the heat balance does not depend on it; mass is conserved per cell
/// to about this tolerance times the total flow.
const POTENTIAL_TOL: f64 = 1e-8;

/// The same on the GPU. Its refinement restarts the f32 Krylov solve every round, so
/// the slow modes that set the flow through narrow gaps (under and over rack rows)
/// converge later than on the CPU for the same residual: at 1e-8 the 3-D GB200 hall's
/// temperatures were 5e-4 K off the CPU's, at 1e-10 1.5e-5 K.
const POTENTIAL_TOL_GPU: f64 = 1e-10;

/// Half-width of the band around a unit's or door's capacity threshold within which
/// the active set keeps its state, K.
const STATE_BAND_K: f64 = 1e-6;

/// Passes of the active-set loop on which units run at capacity.
const MAX_ACTIVE_SET_PASSES: usize = 20;

/// Conductivity given to the bodies of racks and air-side cooling units, W/(m·K): their
/// heat and air pass by the intake → exhaust (return → supply) link, so conduction
/// through them is kept small (sheet steel and equipment, not the room's mixed air).
const BODY_K_W_MK: f64 = 1.0;

/// Prefix of the errors of the GPU path (callers may fall back to the CPU).
pub const GPU_FAILED: &str = "the GPU airflow solve failed";

/// The solved air and temperature.
pub struct AirflowSolution {
    /// Which air model ran, in words.
    pub model: &'static str,
    /// The momentum model's march (steps, convergence, mass residual, bytes).
    pub cfd: Option<crate::airflow::cfd::CfdReport>,
    /// °C, compact.
    pub t: Vec<f64>,
    pub fluxes: Fluxes,
    /// Largest per-cell mass imbalance relative to the total flow.
    pub mass_residual: f64,
    /// |heat in − heat out| / heat in.
    pub energy_rel_error: f64,
    /// The whole balance: rack air heat in; units, tiles, doors and walls out.
    pub energy: crate::thermal::energy::EnergyBalance,
    /// Heat removed by each cooling unit (facility order), W.
    pub removed_w: Vec<f64>,
    pub outer_iterations: usize,
    /// "cpu" or "gpu".
    pub backend: &'static str,
    pub solver_iterations: usize,
    pub relative_residual: f64,
}

/// What a rear door does to its rack's air: nothing (the air is already at or below its
/// supply temperature), cools it to supply_c, or removes its full capacity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Door {
    Idle,
    Cooling,
    AtCapacity,
}

/// Solve airflow and advected heat for a facility with `[airflow]`, on the CPU (f64)
/// (`gpu` = None) or, given a GPU, with both linear solves in f32 on it
/// (mixed-precision refinement to the same tolerances; see [`super::gpu`]). A GPU
/// failure is an `Error::Internal` that starts with [`GPU_FAILED`].
pub fn solve_on(
    f: &Facility,
    r: &Raster,
    s: &AirflowSettings,
    tol: f64,
    max_iter: usize,
    gpu: Option<&GpuContext>,
) -> Result<AirflowSolution, Error> {
    let trace = super::Trace::new();
    let tr = |what: &str| trace.at(what);
    let rho_cp = f.materials.air_rho_cp_j_m3k;
    let sr = sources::sources(f, r, s)?;
    let err = |m: String| {
        Error::Input(InputError::new(
            &f.path,
            "[airflow]",
            m,
            "give racks and cooling units open air on their intake and exhaust sides, or write [airflow] model = \"diffusion\"",
        ))
    };
    let g = r.problem.grid;
    if s.model == AirModel::Cfd {
        return solve_cfd(f, r, s, sr, tol, max_iter, gpu, &tr);
    }
    let fp = FlowProblem { grid: g, open: sr.open.clone(), source_m3s: sr.src.clone() };
    tr("sources");
    let (_, fluxes) = solve_potential_in(
        &fp,
        (&sr.label, sr.count),
        if gpu.is_some() { POTENTIAL_TOL_GPU } else { POTENTIAL_TOL },
        max_iter,
        gpu,
    )
    .map_err(|e| match e {
        super::FlowError::Gpu(m) => Error::Internal(format!("{GPU_FAILED}: {m}")),
        super::FlowError::NotConverged { iterations, relative_residual, tol } => {
            Error::NotConverged { iterations, relative_residual, tol }
        }
        e => err(e.to_string()),
    })?;
    let mres = mass_residual(&fp, &fluxes);
    tr("potential");
    let p = operator::energy_problem(f, r, s, &sr);
    let (a, b0) = operator::energy_operator(&p, &sr, &fluxes, rho_cp);
    tr("energy operator");
    let lk = active_set::solve_linked(f, r, &sr, &p, &a, &b0, tol, max_iter, gpu, &tr)?;
    let (rel, iters) = (lk.relative_residual, lk.iterations);
    if !crate::outcome::converged(rel, tol) {
        // On the GPU the caller may retry on the CPU.
        return Err(match gpu {
            Some(_) => Error::Internal(format!(
                "{GPU_FAILED}: the airflow's heat balance reached a relative residual of {rel:.2e} only \
                 after {iters} iterations"
            )),
            None => Error::NotConverged { iterations: iters, relative_residual: rel, tol },
        });
    }
    let (removed, energy) = heat::heat_removed(f, r, &sr, &p, &lk.t, &lk.doors);
    Ok(AirflowSolution {
        model: "potential flow + upwind advection",
        cfd: None,
        t: lk.t,
        fluxes,
        mass_residual: mres,
        energy_rel_error: energy.rel_error,
        energy,
        removed_w: removed,
        outer_iterations: lk.passes,
        backend: if gpu.is_some() { "gpu" } else { "cpu" },
        solver_iterations: iters,
        relative_residual: rel,
    })
}

/// Steps of the momentum model's march at most.
pub const MAX_CFD_STEPS: usize = 20_000;

/// The momentum model: march the air to its steady state, then the linked energy system
/// with its velocities, eddy conductivity and bounded-scheme correction (the march on the GPU
/// when `gpu` is given; the linked energy system on the CPU, f64).
#[allow(clippy::too_many_arguments)]
fn solve_cfd(
    f: &Facility,
    r: &Raster,
    s: &AirflowSettings,
    mut sr: sources::Sources,
    tol: f64,
    max_iter: usize,
    gpu: Option<&GpuContext>,
    tr: &dyn Fn(&str),
) -> Result<AirflowSolution, Error> {
    let g = r.problem.grid;
    let rho_cp = f.materials.air_rho_cp_j_m3k;
    // The cell sources (the potential model's, and the energy system's below) are few:
    // held sparse while the march, the peak of the run's memory, goes on. The potential
    // model's region labels are not used here (the march labels its own domain).
    drop(std::mem::take(&mut sr.label));
    let src_dense = std::mem::take(&mut sr.src);
    let src_sparse: Vec<(usize, f64)> =
        src_dense.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(c, v)| (c, *v)).collect();
    let n_src = src_dense.len();
    drop(src_dense);
    let marched = cfd::march(f, r, s, &sr, MAX_CFD_STEPS, gpu);
    sr.src = vec![0.0; n_src];
    src_sparse.into_iter().for_each(|(c, v)| sr.src[c] = v);
    let sr = &sr;
    let (mut st, rep, fluid) = marched?;
    tr(&format!(
        "air march: {} steps, {:.1} s, {:.1} MB, rack intakes averaged to ±{:.2} K",
        rep.steps,
        rep.seconds,
        rep.bytes as f64 / 1e6,
        rep.monitor_spread_k
    ));
    if !rep.converged {
        return Err(Error::NotConverged {
            iterations: rep.steps,
            relative_residual: rep.velocity_change.max(rep.temperature_change),
            tol: crate::airflow::cfd::Settings::default().tol,
        });
    }
    let mac = crate::airflow::cfd::Mac::new(g);
    let free = mac.free_faces(&sr.open);
    // The state's fields are dropped as soon as the energy system has what it needs
    // of them (the pressure at once, the eddy viscosity once in the conductivity, the
    // march's temperatures once in the bounded correction), so the linked solve below
    // does not add its hierarchy to theirs.
    drop(std::mem::take(&mut st.p));
    let mut p = operator::energy_problem(f, r, s, sr);
    for c in 0..g.cells() {
        if sr.open[c] {
            p.k[c] = rho_cp * (fluid.alpha_m2_s + (st.nu_eff[c] - fluid.nu_m2_s).max(0.0) / fluid.prandtl_t);
        }
    }
    drop(std::mem::take(&mut st.nu_eff));
    // Interior faces only: the flows through fan, tile and return faces are the cell
    // sources of `sr`, as the potential model has them.
    let (a, mut b0) = {
        let mut interior = mac.fluxes(&st.u);
        for (fl, fr) in [&mut interior.fx, &mut interior.fy, &mut interior.fz].into_iter().zip(&free) {
            fl.iter_mut().zip(fr).for_each(|(v, fr)| {
                if !fr {
                    *v = 0.0
                }
            });
        }
        operator::energy_operator(&p, sr, &interior, rho_cp)
    };
    // Free faces only, as above.
    let corr = crate::airflow::cfd::energy::bounded_correction(&mac, &sr.open, &free, &st.u, &st.t);
    drop(std::mem::take(&mut st.t));
    let lay = a.layout;
    for (c, v) in corr.iter().enumerate() {
        let q = mac.cell_pos(c);
        b0[lay.pidx(q[0], q[1], q[2])] -= rho_cp * v;
    }
    drop(corr);
    let lk = active_set::solve_linked(f, r, sr, &p, &a, &b0, tol, max_iter, None, tr)?;
    let (rel, iters) = (lk.relative_residual, lk.iterations);
    if !crate::outcome::converged(rel, tol) {
        return Err(Error::NotConverged { iterations: iters, relative_residual: rel, tol });
    }
    let (removed, energy) = heat::heat_removed(f, r, sr, &p, &lk.t, &lk.doors);
    Ok(AirflowSolution {
        model: match s.turbulence {
            crate::facility::TurbulenceModel::Lvel => "cfd: momentum + buoyancy, LVEL turbulence",
            crate::facility::TurbulenceModel::Laminar => "cfd: momentum + buoyancy, laminar",
            crate::facility::TurbulenceModel::ChenXu => "cfd: momentum + buoyancy, Chen-Xu zero-equation turbulence",
        },
        t: lk.t,
        fluxes: mac.fluxes(&st.u),
        mass_residual: rep.mass_residual,
        energy_rel_error: energy.rel_error,
        energy,
        removed_w: removed,
        outer_iterations: lk.passes,
        backend: if gpu.is_some() { "gpu" } else { "cpu" },
        solver_iterations: iters,
        relative_residual: rel,
        cfd: Some(rep),
    })
}
