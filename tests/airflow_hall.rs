//! The airflow model on a hot-aisle/cold-aisle hall (meshes/hall_small.toml with
//! `[airflow]`): the cold aisle becomes the coolest air, intakes fall into the ASHRAE
//! band, containment lowers the warmest intake, and mass and energy are conserved.

use std::path::Path;
use thermogrid::facility::load_str;
use thermogrid::raster::material;
use thermogrid::run::{solve_input, Backend, Input};
use thermogrid::thermal::SolveOptions;

const DOORS: &str = "
[[obstacle]]
id = \"door-AB-W\"
kind = \"wall\"
x_m = 6.9
y_m = 3.7
width_m = 0.1
depth_m = 1.0
k_w_mk = 0.5
[[obstacle]]
id = \"door-AB-E\"
kind = \"wall\"
x_m = 13.0
y_m = 3.7
width_m = 0.1
depth_m = 1.0
k_w_mk = 0.5
[[obstacle]]
id = \"door-CD-W\"
kind = \"wall\"
x_m = 6.9
y_m = 8.5
width_m = 0.1
depth_m = 1.0
k_w_mk = 0.5
[[obstacle]]
id = \"door-CD-E\"
kind = \"wall\"
x_m = 13.0
y_m = 8.5
width_m = 0.1
depth_m = 1.0
k_w_mk = 0.5
";

fn solve(extra: &str) -> thermogrid::run::Study {
    solve_with(extra, |s| s)
}

/// hall_small with `edit` applied to its text and `extra` appended.
fn solve_with(extra: &str, edit: impl Fn(String) -> String) -> thermogrid::run::Study {
    let base =
        edit(std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("meshes/hall_small.toml")).unwrap());
    let f = load_str("hall_small_airflow.toml", &format!("{base}\n{extra}")).unwrap();
    solve_input(
        Input::Facility(Box::new(f)),
        "hall_small_airflow.toml",
        Backend::Cpu,
        &SolveOptions::default(),
        std::time::Instant::now(),
    )
    .unwrap()
}

fn max_intake(s: &thermogrid::run::Study) -> f64 {
    s.racks.iter().map(|r| r.intake_c).fold(f64::NEG_INFINITY, f64::max)
}

#[test]
fn airflow_makes_the_cold_aisle_coolest_and_containment_helps() {
    let diffusion = solve("[airflow]\nmodel = \"diffusion\"\n");
    let air = solve("[airflow]\nmodel = \"potential\"\nturbulent_k_w_mk = 100.0\n");
    let contained = solve(&format!("[airflow]\nmodel = \"potential\"\nturbulent_k_w_mk = 100.0\n{DOORS}"));
    for s in [&air, &contained] {
        assert!(s.airflow_mass_residual.unwrap() < 1e-9, "mass {:?}", s.airflow_mass_residual);
        assert!(s.energy.rel_error < 1e-9, "energy {}", s.energy.rel_error);
    }
    // Cold aisles (the tile cells) against the rest of the air.
    let m = air.material.as_ref().unwrap();
    let mean = |pick: &dyn Fn(u8) -> bool| {
        let v: Vec<f64> = air.t.iter().zip(m).filter(|(_, &k)| pick(k)).map(|(t, _)| *t).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let cold = mean(&|k| k == material::SUPPLY);
    let room = mean(&|k| k == material::AIR);
    eprintln!(
        "cold aisle {cold:.2} °C, other air {room:.2} °C; max intake: diffusion {:.2}, airflow {:.2}, contained {:.2}",
        max_intake(&diffusion),
        max_intake(&air),
        max_intake(&contained)
    );
    assert!(cold < room - 2.0, "cold aisle {cold} vs room {room}");
    assert!(max_intake(&air) <= 27.0, "airflow intakes out of the recommended band");
    assert!(max_intake(&air) < max_intake(&diffusion) - 2.0);
    assert!(max_intake(&contained) < max_intake(&air));
}

/// In-row units sized for 16 K instead of 12 K move 25 % less air than the racks draw,
/// so room air enters the cold aisles; leaky doors across the aisle ends cut what
/// reaches the intakes.
#[test]
fn containment_helps_when_the_in_row_units_move_less_air_than_the_racks() {
    let under = |s: String| s.replace("delta_t_k = 12.0", "delta_t_k = 16.0");
    let air = solve_with("[airflow]\nmodel = \"potential\"\nturbulent_k_w_mk = 100.0\n", under);
    let contained = solve_with(&format!("[airflow]\nmodel = \"potential\"\nturbulent_k_w_mk = 100.0\n{DOORS}"), under);
    for s in [&air, &contained] {
        assert!(s.energy.rel_error < 1e-9, "energy {}", s.energy.rel_error);
        assert!(s.airflow_mass_residual.unwrap() < 1e-9);
    }
    let (open, closed) = (max_intake(&air), max_intake(&contained));
    eprintln!("max intake: open aisles {open:.3} °C, contained {closed:.3} °C");
    assert!(open > 20.2, "the under-supplied aisles should draw some warm air: {open}");
    assert!(closed < open - 0.1, "containment should lower the warmest intake: {open} → {closed}");
}

/// Fully sealed cold aisles (doors across the whole aisle ends): each aisle is its own
/// air region, so its in-row units and tiles deliver exactly what its racks draw (the
/// units' fans follow the containment's pressure). With units sized for 16 K (25 % less
/// air than the racks) the sealed aisles feed every intake with supply air.
#[test]
fn sealed_containment_balances_each_aisle() {
    let under = |s: String| s.replace("delta_t_k = 12.0", "delta_t_k = 16.0");
    let sealed_doors = DOORS
        .replace("y_m = 3.7", "y_m = 3.6")
        .replace("y_m = 8.5", "y_m = 8.4")
        .replace("depth_m = 1.0", "depth_m = 1.2");
    let leaky = solve_with(&format!("[airflow]\nmodel = \"potential\"\nturbulent_k_w_mk = 100.0\n{DOORS}"), under);
    let sealed =
        solve_with(&format!("[airflow]\nmodel = \"potential\"\nturbulent_k_w_mk = 100.0\n{sealed_doors}"), under);
    assert!(sealed.airflow_mass_residual.unwrap() < 1e-9, "mass {:?}", sealed.airflow_mass_residual);
    assert!(sealed.energy.rel_error < 1e-9, "energy {}", sealed.energy.rel_error);
    let (l, s) = (max_intake(&leaky), max_intake(&sealed));
    eprintln!("max intake: leaky doors {l:.3} °C, sealed {s:.3} °C");
    assert!(s < l - 0.05, "sealing should lower the warmest intake further: {l} → {s}");
    // Only conduction through the rack bodies and doors warms the sealed aisles.
    assert!(s < 20.1, "sealed aisles feed supply air: {s}");
    let m = sealed.material.as_ref().unwrap();
    let open: Vec<bool> = m.iter().map(|&x| x == material::AIR || x == material::SUPPLY).collect();
    let (_, regions) = thermogrid::airflow::regions::regions(&sealed.problem.grid, &open);
    assert!(regions >= 3, "the doors should seal both cold aisles off the room: {regions} regions");
}

/// The results file carries the air velocity (m/s) and the XDMF sidecar lists it.
#[test]
fn results_file_has_the_air_velocity() {
    let s = solve("[airflow]\nmodel = \"potential\"\n");
    let dir = std::env::temp_dir().join(format!("tg-air-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("air.h5");
    thermogrid::io::results::write_results(&out, &s).unwrap();
    let f = hdf5::File::open(&out).unwrap();
    let m = s.material.as_ref().unwrap();
    let mut speed = vec![0.0f64; m.len()];
    for name in ["airflow/u_x", "airflow/u_y"] {
        let d = f.dataset(name).unwrap();
        let units: hdf5::types::VarLenUnicode = d.attr("units").unwrap().read_scalar().unwrap();
        assert_eq!(units.as_str(), "m/s");
        let u = d.read_raw::<f64>().unwrap();
        speed.iter_mut().zip(&u).for_each(|(s, v)| *s += v * v);
    }
    let open = |c: usize| m[c] == material::AIR || m[c] == material::SUPPLY;
    // No air moves inside racks and units; in the room it moves at hall speeds.
    assert!((0..m.len()).filter(|&c| !open(c)).all(|c| speed[c] == 0.0));
    let fastest = speed.iter().fold(0.0f64, |a, b| a.max(b.sqrt()));
    assert!(fastest > 0.5 && fastest < 20.0, "fastest air {fastest} m/s");
    let mr = f.group("airflow").unwrap().attr("mass_residual").unwrap().read_scalar::<f64>().unwrap();
    assert!(mr < 1e-9);
    let xmf = std::fs::read_to_string(dir.join("air.xmf")).unwrap();
    assert!(xmf.contains("/airflow/u_x") && xmf.contains("/airflow/u_y") && !xmf.contains("/airflow/u_z"));
    std::fs::remove_dir_all(&dir).ok();
}
