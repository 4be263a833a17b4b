//! thermogrid: heat and power physics of AI data-center facilities.
//!
//! Layers: [`facility`] (the user's model and its TOML file), [`grid`] and [`raster`]
//! (discretization), [`thermal`] (operator and solvers), [`io`] (HDF5), [`metrics`]
//! (rack temperatures), [`report`] (summaries).

pub mod airflow;
pub mod alloc;
pub mod backend;
pub mod batch;
pub mod coupling;
pub mod error;
pub mod facility;
pub mod gpu;
pub mod grid;
pub mod guard;
pub mod io;
pub mod mapped;
pub mod memory;
pub mod metrics;
pub mod options;
pub mod outage;
pub mod outcome;
pub mod power;
pub mod progress;
pub mod raster;
pub mod report;
pub mod run;
pub mod samples;
pub mod scenario;
pub mod study;
pub mod thermal;
