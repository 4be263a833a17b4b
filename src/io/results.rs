//! The results file of a steady study: HDF5 that is also netCDF-4 (see
//! [`super::netcdf`]): every variable has named dimensions with coordinates in its own
//! group, CF `units` and `long_name`. Schema:
//!
//! ```text
//! /                    attrs: Conventions, title, source, history, facility_name,
//!                      input_path, input_sha256, thermogrid_version, air_model,
//!                      max_temperature_c, max_intake_c, rci_hi_pct, rci_lo_pct, pue,
//!                      warnings, warning_count
//!                      warnings(warning)   the guard rails' warnings
//! /grid                attrs: dx (m), nx, ny, nz, origin (m, [x, y, z]), slab_m (m), layout
//! /thermal/x, y, (z)   m        cell centres (coordinates)
//! /thermal/T           °C       (y, x) or (z, y, x), C order like fields files
//! /thermal/k           W/(m·K)
//! /thermal/q           W/m³
//! /thermal/h           W/(m³·K)
//! /thermal/T_supply    °C       (NaN where h = 0)
//! /thermal/material    id       legend in its `legend` attribute (facility inputs)
//!                      attrs of /thermal: bc_<wall>, T_wall_<wall> (°C), T_amb (fields)
//! /airflow/x, y, (z)   m        the same coordinates
//! /airflow/u_x, u_y, u_z  m/s  cell-centred air velocity (airflow models only);
//!                      attrs: mass_residual (relative to the total flow)
//! /racks/rack          rack ids (the coordinate of every /racks variable)
//! /racks/{id, x_m, y_m, power_kw, air_heat_kw, mean_c, max_c, intake_c, intake_top_c,
//!         intake_in_ashrae_recommended, ashrae_class}
//! /cooling/unit        unit ids
//! /cooling/{id, kind, capacity_kw, removed_kw, load_pct}
//! /solver              attrs: backend, method, iterations, relative_residual, tol,
//!                      converged, levels, setup_s, solve_s, wall_time_s
//! /energy              attrs: injected_w, removed_by_cooling_w, removed_by_walls_w, rel_error
//! /coupling            attrs (electrical coupling) and cooling_electric_kw(unit)
//! ```

use super::h5util::{attr_f64, attr_str, attr_u64, dataset, string_dataset, write_atomic};
use super::netcdf::{attach_all, global_attrs, grid_coords, index_coord, string_coord};
use crate::grid::WALL_NAMES;
use crate::raster::material;
use crate::study::Study;
use std::path::Path;

/// Write the results file and its XDMF sidecar (`.xmf`, for ParaView).
pub fn write_results(out: &Path, s: &Study) -> Result<(), String> {
    write_results_with(out, s, &[], |_| Ok(()))
}

/// The same, with `extra` adding datasets to the file before it is renamed into place
/// (`snapshot_time_s`: the times of the `/thermal/snapshots/T` frames it writes, for the
/// sidecar's temporal collection). Both files are written atomically, the sidecar
/// first: when the results file then fails, the sidecar this run wrote is removed, so a
/// failed run leaves neither.
pub fn write_results_with(
    out: &Path,
    s: &Study,
    snapshot_time_s: &[f64],
    extra: impl FnOnce(&hdf5::File) -> super::h5util::H5Result<()>,
) -> Result<(), String> {
    let sidecar = super::xdmf::Sidecar {
        grid: &s.problem.grid,
        name: &s.name,
        material: s.material.is_some(),
        velocity: s.velocity_m_s.is_some(),
        snapshot_time_s,
    };
    super::xdmf::write_sidecar(out, &sidecar)?;
    write_h5(out, s, extra).inspect_err(|_| {
        let _ = std::fs::remove_file(super::xdmf::sidecar_path(out));
    })
}

fn write_h5(
    out: &Path,
    s: &Study,
    extra: impl FnOnce(&hdf5::File) -> super::h5util::H5Result<()>,
) -> Result<(), String> {
    write_atomic(out, |f| {
        global_attrs(f, &format!("thermogrid results: {}", s.name))?;
        attr_str(f, "facility_name", &s.name)?;
        attr_str(f, "input_path", &s.input_path)?;
        attr_str(f, "input_sha256", &s.input_sha256)?;
        attr_str(f, "thermogrid_version", env!("CARGO_PKG_VERSION"))?;
        // Guard-rail warnings (crate::guard), one per line; empty when there are none.
        attr_str(f, "warnings", &s.warnings.join("\n"))?;
        attr_u64(f, "warning_count", s.warnings.len() as u64)?;
        let w = index_coord(f, "warning", s.warnings.len(), "guard-rail warning number")?;
        let wv = string_dataset(f, "warnings", &s.warnings, "guard-rail warning (implausible input or answer)")?;
        super::netcdf::attach(&wv, &[&w])?;
        attr_str(f, "air_model", crate::study::air_model(s).unwrap_or("none (fields file)"))?;
        attr_f64(f, "max_temperature_c", crate::study::max_temperature_c(s))?;
        let max_intake = crate::outcome::nan_max(s.racks.iter().map(|r| r.intake_c));
        if max_intake.is_finite() {
            attr_f64(f, "max_intake_c", max_intake)?;
        }
        let (hi, lo) = crate::study::rci(s);
        if let (Some(hi), Some(lo)) = (hi, lo) {
            attr_f64(f, "rci_hi_pct", hi)?;
            attr_f64(f, "rci_lo_pct", lo)?;
        }
        if let Some(pue) = s.coupling.as_ref().and_then(|c| c.pue) {
            attr_f64(f, "pue", pue)?;
        }
        let p = &s.problem;
        let g = &p.grid;
        let grid = f.create_group("grid")?;
        attr_f64(&grid, "dx", g.dx)?;
        attr_u64(&grid, "nx", g.nx as u64)?;
        attr_u64(&grid, "ny", g.ny as u64)?;
        attr_u64(&grid, "nz", g.nz as u64)?;
        attr_f64(&grid, "slab_m", g.slab_m)?;
        grid.new_attr_builder().with_data(&[0.0f64, 0.0, 0.0][..]).create("origin")?;
        attr_str(&grid, "units", "dx, origin, slab_m: m")?;
        attr_str(
            &grid,
            "layout",
            "arrays (ny, nx) or (nz, ny, nx), x fastest; cell i centred at origin + (i + 0.5) dx",
        )?;

        let th = f.create_group("thermal")?;
        let shape = g.shape();
        dataset(&th, "T", &shape, &s.t, "degC", "steady temperature")?;
        dataset(&th, "k", &shape, &p.k, "W/(m*K)", "conductivity")?;
        dataset(&th, "q", &shape, &p.q, "W/m^3", "heat source")?;
        dataset(&th, "h", &shape, &p.h, "W/(m^3*K)", "volumetric heat-transfer coefficient towards T_supply")?;
        let ts: Vec<f64> = p.t_s.iter().zip(&p.h).map(|(&t, &h)| if h > 0.0 { t } else { f64::NAN }).collect();
        dataset(&th, "T_supply", &shape, &ts, "degC", "temperature h pulls towards (NaN where h = 0)")?;
        if let Some(m) = &s.material {
            dataset(&th, "material", &shape, m, "1", material::LEGEND)?;
            let md = th.dataset("material")?;
            attr_str(&md, "legend", material::LEGEND)?;
        }
        let nw = if g.is_3d() { 6 } else { 4 };
        for (w, name) in p.walls.as_array().iter().zip(WALL_NAMES).take(nw) {
            attr_str(&th, &format!("bc_{name}"), w.name())?;
            attr_f64(&th, &format!("T_wall_{name}"), w.temperature_c())?;
        }
        if let Some(t) = s.t_amb {
            attr_f64(&th, "T_amb", t)?;
        }
        let dims = grid_coords(&th, g)?;
        attach_all(&th, &dims.iter().collect::<Vec<_>>())?;

        if let (Some(u), Some(m)) = (&s.velocity_m_s, s.airflow_mass_residual) {
            let a = f.create_group("airflow")?;
            let nd = if g.is_3d() { 3 } else { 2 };
            for (name, comp) in ["u_x", "u_y", "u_z"].iter().zip(u).take(nd) {
                dataset(&a, name, &shape, comp, "m/s", &format!("cell-centred air velocity, {name} component"))?;
            }
            attr_f64(&a, "mass_residual", m)?;
            attr_str(&a, "units", "mass_residual: 1 (largest per-cell imbalance / total flow)")?;
            let dims = grid_coords(&a, g)?;
            attach_all(&a, &dims.iter().collect::<Vec<_>>())?;
        }

        let racks = f.create_group("racks")?;
        let col = |get: fn(&crate::metrics::RackResult) -> f64| s.racks.iter().map(get).collect::<Vec<f64>>();
        let n = [s.racks.len()];
        let rack_ids: Vec<String> = s.racks.iter().map(|r| r.id.clone()).collect();
        let rack = string_coord(&racks, "rack", &rack_ids, "rack id")?;
        string_dataset(&racks, "id", &s.racks.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), "rack id")?;
        dataset(&racks, "x_m", &n, &col(|r| r.x_m), "m", "south-west corner x")?;
        dataset(&racks, "y_m", &n, &col(|r| r.y_m), "m", "south-west corner y")?;
        dataset(&racks, "power_kw", &n, &col(|r| r.power_kw), "kW", "IT power")?;
        dataset(&racks, "air_heat_kw", &n, &col(|r| r.air_heat_kw), "kW", "heat into room air")?;
        dataset(&racks, "mean_c", &n, &col(|r| r.mean_c), "degC", "mean temperature over the rack's cells")?;
        dataset(&racks, "max_c", &n, &col(|r| r.max_c), "degC", "maximum temperature over the rack's cells")?;
        dataset(
            &racks,
            "intake_c",
            &n,
            &col(|r| r.intake_c),
            "degC",
            "mean temperature of the cells in front of the intake",
        )?;
        dataset(
            &racks,
            "intake_top_c",
            &n,
            &col(|r| r.intake_top_c),
            "degC",
            "mean temperature in front of the top of the intake",
        )?;
        let band: Vec<u8> = s.racks.iter().map(|r| u8::from(r.intake_in_band())).collect();
        dataset(
            &racks,
            "intake_in_ashrae_recommended",
            &n,
            &band,
            "1",
            "1 where the intake is within ASHRAE's recommended 18-27 degC",
        )?;
        let classes: Vec<String> =
            s.racks.iter().map(|r| crate::metrics::ashrae_class(r.intake_c).to_string()).collect();
        string_dataset(
            &racks,
            "ashrae_class",
            &classes,
            "narrowest ASHRAE allowable class (A1-A4) holding the intake; none above A4",
        )?;
        attach_all(&racks, &[&rack])?;

        let cool = f.create_group("cooling")?;
        let m = [s.cooling.len()];
        let unit_ids: Vec<String> = s.cooling.iter().map(|c| c.id.clone()).collect();
        let unit = string_coord(&cool, "unit", &unit_ids, "cooling unit id")?;
        let ccol = |get: fn(&crate::metrics::CoolingResult) -> f64| s.cooling.iter().map(get).collect::<Vec<f64>>();
        string_dataset(&cool, "id", &s.cooling.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), "cooling unit id")?;
        string_dataset(
            &cool,
            "kind",
            &s.cooling.iter().map(|c| c.kind.clone()).collect::<Vec<_>>(),
            "crah, in_row, rear_door or cdu (as in the input)",
        )?;
        dataset(&cool, "capacity_kw", &m, &ccol(|c| c.capacity_kw), "kW", "rated capacity")?;
        dataset(&cool, "removed_kw", &m, &ccol(|c| c.removed_kw), "kW", "heat removed from room air")?;
        dataset(&cool, "load_pct", &m, &ccol(|c| c.load_pct), "%", "removed / capacity")?;
        attach_all(&cool, &[&unit])?;

        let r = &s.report;
        let sv = f.create_group("solver")?;
        attr_str(&sv, "backend", r.backend)?;
        attr_str(&sv, "method", r.method)?;
        attr_u64(&sv, "iterations", r.iterations as u64)?;
        attr_f64(&sv, "relative_residual", r.relative_residual)?;
        attr_f64(&sv, "tol", r.tol)?;
        attr_u64(&sv, "converged", r.converged as u64)?;
        attr_u64(&sv, "levels", r.levels as u64)?;
        attr_f64(&sv, "setup_s", r.setup_s)?;
        attr_f64(&sv, "solve_s", r.solve_s)?;
        attr_f64(&sv, "wall_time_s", s.wall_s)?;
        attr_str(&sv, "units", "setup_s, solve_s, wall_time_s: s; relative_residual = ||b - A T||_2 / ||b||_2")?;

        if let Some(c) = &s.coupling {
            let g = f.create_group("coupling")?;
            attr_f64(&g, "it_mw", c.it_mw)?;
            attr_f64(&g, "cooling_mw", c.cooling_mw)?;
            attr_f64(&g, "other_mw", c.other_mw)?;
            attr_f64(&g, "facility_input_mw", c.facility_input_mw)?;
            if let Some(pue) = c.pue {
                attr_f64(&g, "pue", pue)?;
            }
            attr_f64(&g, "energy_balance_rel_error", c.energy_balance_rel_error)?;
            attr_f64(&g, "max_loading_pct", c.max_loading_pct)?;
            attr_str(&g, "units", "*_mw: MW; pue: 1; max_loading_pct: %")?;
            dataset(
                &g,
                "cooling_electric_kw",
                &[c.cooling_kw.len()],
                &c.cooling_kw,
                "kW",
                "electric draw of each cooling unit (facility order)",
            )?;
            let unit = index_coord(&g, "unit", c.cooling_kw.len(), "cooling unit, facility order (CDUs included)")?;
            attach_all(&g, &[&unit])?;
        }
        let e = f.create_group("energy")?;
        attr_f64(&e, "injected_w", s.energy.injected_w)?;
        attr_f64(&e, "removed_by_cooling_w", s.energy.removed_by_cooling_w)?;
        attr_f64(&e, "removed_by_walls_w", s.energy.removed_by_walls_w)?;
        attr_f64(&e, "rel_error", s.energy.rel_error)?;
        attr_f64(&e, "liquid_heat_w", s.liquid_heat_w)?;
        attr_str(&e, "units", "*_w: W; rel_error = |injected - removed| / max(injected, removed)")?;
        extra(f)
    })
}
