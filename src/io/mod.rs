//! Files: HDF5 fields files in, HDF5 results out (written atomically). io may read any
//! layer's data types; no other layer writes files.

pub mod fields;
pub mod h5util;
pub mod netcdf;
pub mod power;
pub mod render;
pub mod results;
pub mod xdmf;
