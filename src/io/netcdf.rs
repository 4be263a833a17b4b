//! netCDF-4 conventions on the HDF5 files this crate writes, so that xarray (h5netcdf or
//! netCDF4 engine), ncdump and ParaView's netCDF reader see named dimensions and
//! coordinates in the file as it is.
//!
//! netCDF-4 is HDF5 with two rules, both kept here:
//! - a *dimension* is a dataset marked as an HDF5 dimension scale (the HDF5 High-Level
//!   `H5DS` API, which netCDF-C itself calls); the dataset's name is the dimension's name,
//!   its values are the coordinate (`x` in m, `time` in s, `rack` the rack ids …);
//! - a *variable* is any other dataset, with one scale attached per axis.
//!
//! A dimension is visible in the group that defines it and in its subgroups; every group
//! with variables here defines the dimensions it uses, so that
//! `xr.open_dataset(path, group=…)` of any one group has its coordinates.
//! CF attributes: `units` (UDUNITS spelling where one exists), `long_name`,
//! `standard_name` where the CF table has one, `axis` on the grid coordinates.

use super::h5util::{attr_str, H5Result};
use crate::grid::Grid;
use hdf5::types::VarLenUnicode;
use hdf5::{Dataset, Group};
use hdf5_metno_sys::h5i::hid_t;
use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_uint};

// libhdf5_hl (Debian: hdf5/serial/libhdf5_hl.so, in the search path hdf5-sys gives).
#[link(name = "hdf5_hl")]
extern "C" {
    fn H5DSset_scale(dsid: hid_t, dimname: *const c_char) -> c_int;
    fn H5DSattach_scale(did: hid_t, dsid: hid_t, idx: c_uint) -> c_int;
}

/// The `Conventions` attribute of every file.
pub const CONVENTIONS: &str = "CF-1.10";

fn h5err(what: &str) -> hdf5::Error {
    hdf5::Error::from(what.to_string())
}

/// Mark `ds` as the dimension scale (netCDF dimension and coordinate variable) `ds` is
/// named after.
pub fn make_scale(ds: &Dataset) -> H5Result<()> {
    let name = ds.name();
    let short = name.rsplit('/').next().unwrap_or(&name).to_string();
    let c = CString::new(short.clone()).map_err(|_| h5err("dimension name with a NUL byte"))?;
    // libhdf5 is not thread-safe: every call goes through hdf5-metno's lock.
    let rc = hdf5::sync::sync(|| unsafe { H5DSset_scale(ds.id(), c.as_ptr()) });
    if rc < 0 {
        return Err(h5err(&format!("H5DSset_scale({short}) failed")));
    }
    Ok(())
}

/// Attach `scales` to the axes of `ds`, in order (one per axis).
pub fn attach(ds: &Dataset, scales: &[&Dataset]) -> H5Result<()> {
    let shape = ds.shape();
    if shape.len() != scales.len() {
        return Err(h5err(&format!("{}: {} axes, {} dimensions given", ds.name(), shape.len(), scales.len())));
    }
    for (axis, (s, &n)) in scales.iter().zip(&shape).enumerate() {
        if s.shape() != [n] {
            return Err(h5err(&format!(
                "{}: axis {axis} has {n} entries, dimension {} has {:?}",
                ds.name(),
                s.name(),
                s.shape()
            )));
        }
        let rc = hdf5::sync::sync(|| unsafe { H5DSattach_scale(ds.id(), s.id(), axis as c_uint) });
        if rc < 0 {
            return Err(h5err(&format!("H5DSattach_scale({}, {}) failed", ds.name(), s.name())));
        }
    }
    Ok(())
}

/// CF attributes of a coordinate or variable.
fn cf(ds: &Dataset, units: Option<&str>, long_name: &str, standard_name: Option<&str>) -> H5Result<()> {
    if let Some(u) = units {
        attr_str(ds, "units", u)?;
    }
    attr_str(ds, "long_name", long_name)?;
    if let Some(s) = standard_name {
        attr_str(ds, "standard_name", s)?;
    }
    Ok(())
}

/// A numeric coordinate: a 1-D dataset named `name`, made the dimension `name`.
pub fn coord(
    g: &Group,
    name: &str,
    values: &[f64],
    units: &str,
    long_name: &str,
    standard_name: Option<&str>,
) -> H5Result<Dataset> {
    let ds = g.new_dataset_builder().with_data(values).create(name)?;
    cf(&ds, Some(units), long_name, standard_name)?;
    make_scale(&ds)?;
    Ok(ds)
}

/// A string coordinate (ids): a 1-D UTF-8 dataset named `name`, made the dimension
/// `name`. Ids that are not valid HDF5 strings (a NUL byte) are written empty.
pub fn string_coord(g: &Group, name: &str, values: &[String], long_name: &str) -> H5Result<Dataset> {
    let v: Vec<VarLenUnicode> = values.iter().map(|s| s.parse().unwrap_or_default()).collect();
    let ds = g.new_dataset_builder().with_data(&v[..]).create(name)?;
    cf(&ds, None, long_name, None)?;
    make_scale(&ds)?;
    Ok(ds)
}

/// An index coordinate 0, 1, … n−1 (a dimension whose entries have no other name).
pub fn index_coord(g: &Group, name: &str, n: usize, long_name: &str) -> H5Result<Dataset> {
    let v: Vec<i64> = (0..n as i64).collect();
    let ds = g.new_dataset_builder().with_data(&v[..]).create(name)?;
    cf(&ds, Some("1"), long_name, None)?;
    make_scale(&ds)?;
    Ok(ds)
}

/// Cell-centre coordinates of `g`'s grid in `group`: `x`, `y` (and `z` on 3-D grids), m,
/// in the files' axis order: `[y, x]` or `[z, y, x]`.
pub fn grid_coords(group: &Group, g: &Grid) -> H5Result<Vec<Dataset>> {
    let centres = |n: usize| (0..n).map(|i| (i as f64 + 0.5) * g.dx).collect::<Vec<f64>>();
    let x = coord(
        group,
        "x",
        &centres(g.nx),
        "m",
        "x of the cell centre (along the hall's width)",
        Some("projection_x_coordinate"),
    )?;
    attr_str(&x, "axis", "X")?;
    let y = coord(
        group,
        "y",
        &centres(g.ny),
        "m",
        "y of the cell centre (along the hall's depth)",
        Some("projection_y_coordinate"),
    )?;
    attr_str(&y, "axis", "Y")?;
    if g.is_3d() {
        let z = coord(group, "z", &centres(g.nz), "m", "height of the cell centre above the floor", Some("height"))?;
        attr_str(&z, "axis", "Z")?;
        attr_str(&z, "positive", "up")?;
        Ok(vec![z, y, x])
    } else {
        Ok(vec![y, x])
    }
}

/// Attach `dims` to every variable of `group` that has none yet: the grid fields of a
/// group, or the columns of a table. Dimensions themselves are left alone; a variable
/// of another shape is an error, so no variable is left with unnamed (`phony_dim`) axes.
pub fn attach_all(group: &Group, dims: &[&Dataset]) -> H5Result<()> {
    let shape: Vec<usize> = dims.iter().map(|d| d.size()).collect();
    let dim_names: Vec<String> = dims.iter().map(|d| d.name()).collect();
    for name in group.member_names()? {
        let Ok(ds) = group.dataset(&name) else { continue };
        if dim_names.contains(&ds.name()) || is_scale(&ds) || has_dims(&ds) {
            continue;
        }
        if ds.shape() == shape {
            attach(&ds, dims)?;
        } else {
            return Err(h5err(&format!(
                "{} has shape {:?}, not that of dimensions {dim_names:?}",
                ds.name(),
                ds.shape()
            )));
        }
    }
    Ok(())
}

/// Whether `ds` is a dimension scale.
pub fn is_scale(ds: &Dataset) -> bool {
    ds.attr("CLASS").is_ok()
}

/// Whether `ds` has a scale attached to every axis (or no axes).
pub fn has_dims(ds: &Dataset) -> bool {
    ds.ndim() == 0 || ds.attr("DIMENSION_LIST").is_ok()
}

/// File-level CF attributes: `Conventions`, `title`, `source`, `history`.
pub fn global_attrs(f: &hdf5::File, title: &str) -> H5Result<()> {
    attr_str(f, "Conventions", CONVENTIONS)?;
    attr_str(f, "title", title)?;
    attr_str(f, "source", &format!("thermogrid {}", env!("CARGO_PKG_VERSION")))?;
    let args: Vec<String> = std::env::args().collect();
    attr_str(f, "history", &args.join(" "))
}
