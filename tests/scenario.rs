//! Facility scenarios in time: a steady design stays steady; a cooling failure heats
//! the racks it served and the time to each threshold is reported; snapshots are
//! extendable, one frame per chunk; render writes one picture per snapshot.

use std::path::Path;
use thermogrid::facility::load_str;
use thermogrid::run::Backend;
use thermogrid::scenario::{run_scenario, write_scenario};
use thermogrid::thermal::SolveOptions;

fn hall(extra: &str) -> thermogrid::facility::Facility {
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("meshes/hall_small.toml")).unwrap();
    // The diffusion model's scenario (tests/cfd_scenario.rs: the momentum model's).
    load_str("hall_small_scenario.toml", &format!("{base}\n[airflow]\nmodel = \"diffusion\"\n{extra}")).unwrap()
}

#[test]
fn steady_start_without_events_stays_steady() {
    let f = hall("[transient]\ndt_s = 5.0\nduration_s = 60.0\nthresholds_c = [40.0]\n");
    let s = run_scenario(&f, Backend::Cpu, &SolveOptions { tol: 1e-12, ..Default::default() }, None).unwrap();
    let nr = s.rack_ids.len();
    let first = &s.intake_c[..nr];
    let last = &s.intake_c[s.intake_c.len() - nr..];
    let d = first.iter().zip(last).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(d < 1e-6, "drift {d} K");
    assert!(s.time_to_threshold_s[0].iter().all(|t| t.is_none()), "40 °C is never reached");
    assert_eq!(s.time_s.len(), 13);
}

#[test]
fn cooling_failure_heats_its_racks_and_reports_crossing_times() {
    let f = hall(
        "[transient]\ndt_s = 2.0\nduration_s = 240.0\nsnapshot_every_s = 60.0\n\n[[event]]\nat_s = 20.0\nkind = \"cooling_failure\"\nunits = [\"IRC-A1\", \"IRC-A2\", \"IRC-A3\", \"IRC-A4\", \"IRC-B1\", \"IRC-B2\", \"IRC-B3\", \"IRC-B4\"]\n",
    );
    let s = run_scenario(&f, Backend::Cpu, &SolveOptions::default(), None).unwrap();
    let nr = s.rack_ids.len();
    let row = |k: usize, id: &str| s.intake_c[k * nr + s.rack_ids.iter().position(|r| r == id).unwrap()];
    let last = s.time_s.len() - 1;
    // Racks of rows A and B lost their coolers; row D kept its own.
    assert!(row(last, "A1-02") > row(0, "A1-02") + 3.0);
    assert!(row(last, "A1-02") - row(0, "A1-02") > row(last, "D1-02") - row(0, "D1-02"));
    // Nothing crosses 32 °C before the failure; some rack does after it.
    let i32 = s.thresholds_c.iter().position(|&t| t == 32.0).unwrap();
    let times: Vec<f64> = s.time_to_threshold_s[i32].iter().flatten().copied().collect();
    assert!(!times.is_empty() && times.iter().all(|&t| t >= 20.0), "{times:?}");
    // Output: snapshots at 0, 60, …, 240 s, one frame per chunk, extendable.
    let dir = std::env::temp_dir().join(format!("tg-scn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("s.h5");
    write_scenario(&out, &s).unwrap();
    let h = hdf5::File::open(&out).unwrap();
    let d = h.dataset("thermal/snapshots/T").unwrap();
    assert_eq!(d.shape(), vec![5, 140, 200]);
    assert_eq!(d.chunk(), Some(vec![1, 140, 200]));
    assert!(d.is_resizable());
    assert_eq!(h.dataset("racks/history/intake_c").unwrap().shape(), vec![s.time_s.len(), nr]);
    let pngs = thermogrid::io::render::render_results(&out, &dir.join("m.png")).unwrap();
    assert_eq!(pngs.len(), 6, "the final state and one per snapshot");
    std::fs::remove_dir_all(&dir).ok();
}

/// The steady start follows the one rule: an iteration limit it cannot meet is "not
/// converged" (exit 1 in the CLI), never a march from an unconverged field.
#[test]
fn unconverged_steady_start_is_not_converged() {
    let f = hall("[transient]\ndt_s = 5.0\nduration_s = 20.0\n");
    let e = run_scenario(&f, Backend::Cpu, &SolveOptions { tol: 1e-12, max_iter: 1, ..Default::default() }, None)
        .err()
        .expect("one iteration cannot reach 1e-12");
    assert!(matches!(e, thermogrid::error::Error::NotConverged { .. }), "{e}");
    assert_eq!(e.exit_code(), 1);
}
