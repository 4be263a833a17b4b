//! Files: HDF5 fields files in, HDF5 results out (written atomically).

pub mod fields;
pub mod h5util;
pub mod render;
pub mod results;
pub mod xdmf;
