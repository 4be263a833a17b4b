//! Fields files (HDF5): a thermal problem given cell by cell, the schema of
//! `tests/data/thermal/README.md`.
//!
//! Datasets (f64, shape `(ny, nx)` or `(nz, ny, nx)`, C order): `k` W/(m·K) > 0, `q`
//! W/m³, `h` W/(m³·K) ≥ 0; optional `T_expected` °C. Attributes: `dx` m, `T_amb` °C
//! (the temperature h pulls towards), and per wall `xlo xhi ylo yhi [zlo zhi]`:
//! `bc_<wall>` = "dirichlet" | "adiabatic" and `T_wall_<wall>` °C.

use super::h5util::read_attr_str;
use crate::error::InputError;
use crate::grid::{Grid, Wall, Walls, WALL_NAMES};
use crate::thermal::ThermalProblem;

/// A fields file read into a problem.
pub struct FieldsFile {
    pub problem: ThermalProblem,
    /// °C.
    pub t_amb: f64,
    /// The file's own answer, if it has one (°C, compact order).
    pub t_expected: Option<Vec<f64>>,
    pub atol_f64_k: Option<f64>,
    pub atol_f32_k: Option<f64>,
    pub description: Option<String>,
    /// Transient problems: volumetric heat capacity, J/(m³·K), and the initial field, °C.
    pub rho_cp: Option<Vec<f64>>,
    pub t_initial: Option<Vec<f64>>,
    /// Other answers (`T_expected_crank_nicolson`, `T_expected_explicit`), by name.
    pub answers: Vec<(String, Vec<f64>)>,
    /// Numeric attributes (dt_implicit_s, nsteps_implicit, …), by name.
    pub numbers: Vec<(String, f64)>,
}

impl FieldsFile {
    /// A numeric attribute of the file.
    pub fn number(&self, name: &str) -> Option<f64> {
        self.numbers.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
    /// A named answer field.
    pub fn answer(&self, name: &str) -> Option<&[f64]> {
        self.answers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }
}

/// True when the file starts with the HDF5 signature.
pub fn is_hdf5(path: &str) -> bool {
    use std::io::Read;
    let mut sig = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut sig))
        .map(|_| sig == *b"\x89HDF\r\n\x1a\n")
        .unwrap_or(false)
}

/// Largest magnitude of a field value or temperature read: far beyond any physical
/// conductivity, source or temperature, small enough that the operator built from it
/// (values over dx², products with volumes) stays finite.
pub const MAX_FIELD_VALUE: f64 = 1e30;

pub fn read_fields(path: &str) -> Result<FieldsFile, InputError> {
    let err = |item: &str, msg: String, fix: &str| InputError::new(path, item, msg, fix);
    let f = super::h5util::open(path).map_err(|e| {
        err("fields file", format!("cannot open as HDF5: {e}"), "give a fields file in the schema of the README")
    })?;
    let avail = crate::facility::available_memory_bytes() as u128;
    // One dataset, read as f64 once its shape (k's for every other), size (against the
    // memory a solve of that grid needs), type and storage are checked; every value must
    // be finite and of physical size.
    let read = |name: &str,
                required: bool,
                want: Option<&[usize]>|
     -> Result<Option<(Vec<usize>, Vec<f64>)>, InputError> {
        let item = format!("dataset {name}");
        let ds = match f.dataset(name) {
            Ok(ds) => ds,
            Err(_) if f.link_exists(name) => {
                return Err(err(&item, "is not a dataset".into(), "store it as a float64 array"));
            }
            Err(_) if !required => return Ok(None),
            Err(_) => return Err(err(&item, "is missing".into(), "add the dataset (k, q and h are required)")),
        };
        let shape = ds.shape();
        match want {
            Some(w) if shape != w => {
                return Err(err(
                    &item,
                    format!("has shape {shape:?} but k has {w:?}"),
                    "give every field the shape of k",
                ));
            }
            Some(_) => {}
            None if !(shape.len() == 2 || shape.len() == 3) || shape.iter().any(|&s| s == 0) => {
                return Err(err(
                    &item,
                    format!("has shape {shape:?}"),
                    "store fields as (ny, nx) for 2-D or (nz, ny, nx) for 3-D, no empty axis",
                ));
            }
            None => {}
        }
        let n: u128 = shape.iter().map(|&s| s as u128).product();
        let need = n.saturating_mul(crate::facility::BYTES_PER_CELL as u128);
        if need > avail {
            let gib = |b: u128| b as f64 / (1u64 << 30) as f64;
            return Err(err(
                &item,
                format!(
                    "declares {shape:?} = {n} cells; solving them needs about {:.1} GiB ({} B per cell), more than the {:.1} GiB available",
                    gib(need),
                    crate::facility::BYTES_PER_CELL,
                    gib(avail)
                ),
                "store a coarser grid",
            ));
        }
        use hdf5::types::TypeDescriptor as T;
        match ds.dtype().and_then(|t| t.to_descriptor()) {
            Ok(T::Float(_) | T::Integer(_) | T::Unsigned(_)) => {}
            Ok(t) => {
                return Err(err(&item, format!("holds {t}, not numbers"), "store it as a float64 array"));
            }
            Err(e) => return Err(err(&item, format!("has an unreadable type: {e}"), "store it as a float64 array")),
        }
        if n > 0 && ds.storage_size() == 0 {
            return Err(err(&item, format!("declares {n} values but holds no data"), "write the field's values"));
        }
        let v = ds
            .read_raw::<f64>()
            .map_err(|e| err(&item, format!("cannot read as f64: {e}"), "store it as a float64 array"))?;
        if v.len() as u128 != n {
            return Err(err(&item, format!("holds {} values for shape {shape:?}", v.len()), "rewrite the dataset"));
        }
        if let Some(i) = v.iter().position(|x| !(x.is_finite() && x.abs() <= MAX_FIELD_VALUE)) {
            // C order: the last axis is the fastest.
            let mut idx = vec![0; shape.len()];
            let mut r = i;
            for (d, &s) in idx.iter_mut().zip(&shape).rev() {
                *d = r % s;
                r /= s;
            }
            return Err(err(
                &item,
                format!("value {:?} (flat index {i}) is {}", idx, v[i]),
                &format!("every value must be a finite number of physical size (|v| ≤ {MAX_FIELD_VALUE:e})"),
            ));
        }
        Ok(Some((shape, v)))
    };
    let (shape, k) = read("k", true, None)?.expect("required");
    let mut fields = vec![k];
    for name in ["q", "h"] {
        let (_, v) = read(name, true, Some(&shape))?.expect("required");
        fields.push(v);
    }
    let same =
        |name: &str| -> Result<Option<Vec<f64>>, InputError> { Ok(read(name, false, Some(&shape))?.map(|(_, v)| v)) };
    let t_expected = same("T_expected")?;
    let rho_cp = same("rho_cp")?;
    let t_initial = same("T_initial")?;
    let mut answers = Vec::new();
    for name in ["T_expected_crank_nicolson", "T_expected_explicit"] {
        if let Some(v) = same(name)? {
            answers.push((name.to_string(), v));
        }
    }
    // A number attribute: one value (not an empty or NULL dataspace) of a float or
    // integer type (not a boolean or an enum, which would read as 0 or 1).
    let num = |name: &str| -> Option<f64> {
        use hdf5::types::TypeDescriptor as T;
        let a = f.attr(name).ok()?;
        if a.size() != 1 || a.space().map_or(true, |s| s.is_null()) {
            return None;
        }
        match a.dtype().ok()?.to_descriptor().ok()? {
            T::Float(_) => a.read_scalar::<f64>().ok(),
            T::Integer(_) | T::Unsigned(_) => a.read_scalar::<i64>().ok().map(|v| v as f64),
            _ => None,
        }
    };
    let numbers: Vec<(String, f64)> = ["dt_implicit_s", "nsteps_implicit", "dt_explicit_s", "nsteps_explicit"]
        .iter()
        .filter_map(|n| num(n).map(|v| (n.to_string(), v)))
        .collect();
    let dx = num("dx").ok_or_else(|| {
        err("attribute dx", "is missing or not a number".into(), "add the cell size dx in m as a float attribute")
    })?;
    if !(dx.is_finite() && (1e-9..=1e9).contains(&dx)) {
        return Err(err("attribute dx", format!("is {dx}"), "dx must be a finite cell size > 0 m (1e-9–1e9 m)"));
    }
    let t_amb = num("T_amb").ok_or_else(|| {
        err("attribute T_amb", "is missing or not a number".into(), "add T_amb in °C (the temperature h pulls towards)")
    })?;
    if !(t_amb.is_finite() && t_amb.abs() <= MAX_FIELD_VALUE) {
        return Err(err("attribute T_amb", format!("is {t_amb}"), "give T_amb as a finite temperature in °C"));
    }
    let is_3d = shape.len() == 3;
    let nw = if is_3d { 6 } else { 4 };
    let mut walls = [Wall::Adiabatic; 6];
    for (w, name) in walls.iter_mut().zip(WALL_NAMES).take(nw) {
        let bc = read_attr_str(&f, &format!("bc_{name}")).ok_or_else(|| {
            err(
                &format!("attribute bc_{name}"),
                "is missing or not a string".into(),
                "add bc_<wall> = \"dirichlet\" or \"adiabatic\" for every wall",
            )
        })?;
        *w = match bc.as_str() {
            "adiabatic" => Wall::Adiabatic,
            "dirichlet" => {
                let t = num(&format!("T_wall_{name}")).ok_or_else(|| {
                    err(
                        &format!("attribute T_wall_{name}"),
                        "is missing or not a number".into(),
                        "give the wall temperature in °C",
                    )
                })?;
                if !(t.is_finite() && t.abs() <= MAX_FIELD_VALUE) {
                    return Err(err(
                        &format!("attribute T_wall_{name}"),
                        format!("is {t} on a dirichlet wall"),
                        "give a finite wall temperature in °C",
                    ));
                }
                Wall::Fixed(t)
            }
            other => {
                return Err(err(
                    &format!("attribute bc_{name}"),
                    format!("is \"{other}\""),
                    "use \"dirichlet\" or \"adiabatic\"",
                ))
            }
        };
    }
    let grid =
        if is_3d { Grid::new_3d(shape[2], shape[1], shape[0], dx) } else { Grid::new_2d(shape[1], shape[0], dx, dx) };
    let n = grid.cells();
    let h = fields.pop().expect("h");
    let q = fields.pop().expect("q");
    let k = fields.pop().expect("k");
    let problem = ThermalProblem { grid, k, q, h, t_s: vec![t_amb; n], walls: Walls::from_array(walls) };
    // A transient problem may have no heat path; a steady one may not.
    let check = if rho_cp.is_some() { problem.validate_fields() } else { problem.validate() };
    check.map_err(|e| err("fields", e.to_string(), "correct the field values"))?;
    Ok(FieldsFile {
        problem,
        t_amb,
        t_expected,
        atol_f64_k: num("atol_f64_K"),
        atol_f32_k: num("atol_f32_K"),
        description: read_attr_str(&f, "description"),
        rho_cp,
        t_initial,
        answers,
        numbers,
    })
}

/// Write a problem as a fields file (the schema above). `t_amb` is the single
/// temperature h pulls towards; `t_expected`, when given, is stored as the answer.
pub fn write_fields(
    path: &std::path::Path,
    p: &ThermalProblem,
    t_amb: f64,
    t_expected: Option<&[f64]>,
) -> Result<(), String> {
    use super::h5util::{attr_f64, attr_str, dataset, write_atomic};
    write_atomic(path, |f| {
        let shape = p.grid.shape();
        let root = f.as_group()?;
        dataset(&root, "k", &shape, &p.k, "W/(m*K)", "conductivity")?;
        dataset(&root, "q", &shape, &p.q, "W/m^3", "heat source")?;
        dataset(&root, "h", &shape, &p.h, "W/(m^3*K)", "heat-transfer coefficient towards T_amb")?;
        if let Some(t) = t_expected {
            dataset(&root, "T_expected", &shape, t, "degC", "answer")?;
        }
        attr_f64(f, "dx", p.grid.dx)?;
        attr_f64(f, "T_amb", t_amb)?;
        let nw = if p.grid.is_3d() { 6 } else { 4 };
        for (w, name) in p.walls.as_array().iter().zip(WALL_NAMES).take(nw) {
            attr_str(f, &format!("bc_{name}"), w.name())?;
            attr_f64(f, &format!("T_wall_{name}"), w.temperature_c())?;
        }
        Ok(())
    })
}
