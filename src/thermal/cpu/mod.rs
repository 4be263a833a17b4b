//! CPU reference solvers (f64): multigrid-preconditioned CG and a sparse direct solve.

pub mod dense;
pub mod direct;
pub mod mg;
pub mod pcg;
pub mod smooth;
pub mod transfer;

pub use direct::direct_solve;
pub use mg::Multigrid;
pub use pcg::{mg_pcg, mg_pcg_with, PcgOutcome};
