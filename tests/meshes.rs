//! Every facility in meshes/: validates, solves, closes its energy balance to 1e-9,
//! and writes a results file in the documented schema.

use std::path::Path;
use thermogrid::run::Backend;
use thermogrid::thermal::SolveOptions;

fn meshes() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("meshes");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.display().to_string())
        // A campus is several halls' files, not one facility (tests/campus.rs).
        .filter(|p| !thermogrid::facility::campus::is_campus(p))
        .collect();
    v.sort();
    assert!(v.len() >= 3, "expected at least three meshes, found {v:?}");
    v
}

/// Halls over this many cells run on the potential model here: the momentum model (the
/// default) takes 6 min on hall_xai_h100's 5 M cells on two cores (README, "Larger
/// halls"); every other mesh runs as written.
const MOMENTUM_CELLS_IN_TESTS: usize = 2_000_000;

fn solve_mesh(m: &str) -> thermogrid::run::Study {
    let text = std::fs::read_to_string(m).unwrap();
    let f = thermogrid::facility::load_str(m, &text).unwrap_or_else(|e| panic!("{m}: {e}"));
    let momentum = f.airflow.as_ref().is_some_and(|a| a.model == thermogrid::facility::AirModel::Cfd);
    let input = if f.cells() > MOMENTUM_CELLS_IN_TESTS && momentum && !text.contains("\n[airflow]") {
        thermogrid::facility::load_str(m, &format!("{text}\n[airflow]\nmodel = \"potential\"\n")).unwrap()
    } else {
        f
    };
    thermogrid::run::solve_input(
        thermogrid::run::Input::Facility(Box::new(input)),
        m,
        Backend::Auto,
        &SolveOptions::default(),
        std::time::Instant::now(),
    )
    .unwrap_or_else(|e| panic!("{m}: {e}"))
}

#[test]
fn every_mesh_solves_with_closed_energy_balance() {
    for m in meshes() {
        let s = solve_mesh(&m);
        eprintln!(
            "{m}: {} cells, {} iterations, {:.2} s, balance {:.2e}, max {:.2} °C",
            s.problem.grid.cells(),
            s.report.iterations,
            s.wall_s,
            s.energy.rel_error,
            thermogrid::report::max_temperature_c(&s)
        );
        assert!(s.report.converged && s.report.relative_residual <= 1e-10, "{m}");
        assert!(s.energy.rel_error <= 1e-9, "{m}: energy balance error {}", s.energy.rel_error);
        assert!(s.energy.injected_w > 0.0);
        assert!(!s.racks.is_empty());
        for r in &s.racks {
            assert!(r.mean_c.is_finite() && r.max_c >= r.mean_c && r.intake_c.is_finite(), "{m}: rack {r:?}");
        }
        // Coupling: IT + cooling + other = facility input, and a PUE above 1.
        let c = s.coupling.as_ref().expect("every mesh has a network");
        assert!(c.energy_balance_rel_error <= 1e-9, "{m}: coupling balance {}", c.energy_balance_rel_error);
        let pue = c.pue.unwrap();
        assert!(pue > 1.0 && pue < 2.0, "{m}: PUE {pue}");
        assert!((c.it_mw * 1e3 - s.racks.iter().map(|r| r.power_kw).sum::<f64>()).abs() < 1e-6);
        // Heat goes from racks to the cooling: every rack is warmer than the coldest supply.
        let coldest = s.problem.t_s.iter().copied().filter(|t| t.is_finite()).fold(f64::INFINITY, f64::min);
        assert!(s.racks.iter().all(|r| r.mean_c > coldest), "{m}");
    }
}

#[test]
fn results_file_schema_and_units() {
    let m = Path::new(env!("CARGO_MANIFEST_DIR")).join("meshes/hall_small.toml");
    let dir = std::env::temp_dir().join(format!("tg-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("hall_small.h5");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args(["solve", m.to_str().unwrap(), "--json", "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["backend", "iterations", "relative_residual", "max_temperature_c", "energy_balance_rel_error", "racks"]
    {
        assert!(!j[key].is_null(), "--json lacks {key}");
    }
    assert_eq!(j["backend"], "cpu");
    let r0 = &j["racks"][0];
    for key in ["id", "mean_c", "max_c", "intake_c"] {
        assert!(!r0[key].is_null(), "racks[] lacks {key}");
    }

    let f = hdf5::File::open(&out).unwrap();
    let g = f.group("grid").unwrap();
    let nx = g.attr("nx").unwrap().read_scalar::<u64>().unwrap() as usize;
    let ny = g.attr("ny").unwrap().read_scalar::<u64>().unwrap() as usize;
    assert_eq!((nx, ny), (200, 140));
    assert_eq!(g.attr("dx").unwrap().read_scalar::<f64>().unwrap(), 0.1);
    for ds in [
        "thermal/T",
        "thermal/k",
        "thermal/q",
        "thermal/h",
        "thermal/material",
        "racks/intake_c",
        "racks/max_c",
        "cooling/removed_kw",
    ] {
        let d = f.dataset(ds).unwrap_or_else(|_| panic!("missing {ds}"));
        let units = thermogrid::io::h5util::read_attr_str(&d, "units").unwrap_or_else(|| panic!("{ds} has no units"));
        if ds == "thermal/T" {
            assert_eq!(units, "degC");
            assert_eq!(d.shape(), vec![ny, nx]);
            assert!(d.chunk().is_some(), "T is not chunked");
        }
    }
    let json_max = j["max_temperature_c"].as_f64().unwrap();
    let t = f.dataset("thermal/T").unwrap().read_raw::<f64>().unwrap();
    assert_eq!(t.iter().copied().fold(f64::NEG_INFINITY, f64::max), json_max);
    // ParaView sidecar next to the HDF5 file, pointing at its datasets: the 2-D hall is
    // one layer of cells in the XY plane, with the air velocity as a vector.
    let xmf = std::fs::read_to_string(out.with_extension("xmf")).expect("XDMF sidecar");
    assert!(
        xmf.contains("hall_small.h5:/thermal/T")
            && xmf.contains("Dimensions=\"1 140 200\"")
            && xmf.contains("TopologyType=\"3DCoRectMesh\" Dimensions=\"2 141 201\"")
            && xmf.contains("AttributeType=\"Vector\""),
        "{xmf}"
    );
    // netCDF-4: T's axes are the dimension scales y and x of /thermal.
    let th = f.group("thermal").unwrap();
    for (name, n) in [("x", nx), ("y", ny)] {
        let c = th.dataset(name).unwrap();
        assert_eq!(c.shape(), vec![n]);
        assert!(thermogrid::io::netcdf::is_scale(&c), "{name} is a dimension scale");
        assert_eq!(thermogrid::io::h5util::read_attr_str(&c, "units").unwrap(), "m");
    }
    assert!(thermogrid::io::netcdf::has_dims(&th.dataset("T").unwrap()));
    assert!(j["rci_hi_pct"].as_f64().is_some() && !j["racks"][0]["ashrae_class"].is_null());
    let sv = f.group("solver").unwrap();
    // The momentum model is the default for facility files; the summary and the file
    // say so.
    assert_eq!(j["air_model"], "cfd");
    assert!(j["method"].as_str().unwrap().starts_with("cfd: momentum"), "{}", j["method"]);
    assert_eq!(thermogrid::io::h5util::read_attr_str(&sv, "method").unwrap(), j["method"].as_str().unwrap());
    assert_eq!(thermogrid::io::h5util::read_attr_str(&f, "input_sha256").unwrap().len(), 64);
    std::fs::remove_dir_all(&dir).ok();
}
