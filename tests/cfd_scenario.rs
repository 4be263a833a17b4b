//! Scenarios on the momentum model of hall air (the default for facility files): a
//! room with no event stays where its steady start is; with every cooling unit stopped
//! the rack heat is stored in the air and the racks' equipment, joule for joule; the
//! thermal masses slow the rise in the order of their size; a chiller trip with the
//! fans running warms the room more slowly than units that stop.

use thermogrid::facility::load_str;
use thermogrid::raster::material;
use thermogrid::run::Backend;
use thermogrid::scenario::{run_scenario, ScenarioResult};
use thermogrid::thermal::SolveOptions;

/// A 6.4 m × 5.6 m × 2.8 m room at 0.2 m (32 × 28 × 14 cells): two rows of three racks
/// (10–18 kW) on one tiled cold aisle at 90 % of their air, two CRAHs with a ceiling
/// return, then `extra` (the scenario).
fn room(extra: &str) -> thermogrid::facility::Facility {
    let mut s = String::from(
        "name = \"scenario room\"\n[floor]\nwidth_m = 6.4\ndepth_m = 5.6\ncell_m = 0.2\nheight_m = 2.8\nlayers = 14\n",
    );
    let mut air = 0.0;
    for (row, y, facing, kws) in [("A", 0.8, "north", [12.0, 16.0, 12.0]), ("B", 3.2, "south", [14.0, 18.0, 10.0])] {
        for (i, kw) in kws.iter().enumerate() {
            air += kw * 1e3 / (1192.0 * 12.0);
            s += &format!(
                "[[rack]]\nid = \"{row}-{}\"\nx_m = {:.1}\ny_m = {y}\nwidth_m = 0.8\ndepth_m = 1.2\nheight_m = 2.0\nfacing = \"{facing}\"\npower_kw = {kw}\n",
                i + 1,
                2.0 + 0.8 * i as f64
            );
        }
    }
    s += &format!(
        "[[supply]]\nid = \"tiles\"\nx_m = 2.0\ny_m = 2.0\nwidth_m = 2.4\ndepth_m = 1.2\nheight_m = 0.2\nsupply_c = 18.0\nairflow_m3_s = {:.4}\n",
        0.9 * air
    );
    for (id, x) in [("CRAH-1", 0.0), ("CRAH-2", 5.6)] {
        s += &format!(
            "[[cooling]]\nid = \"{id}\"\nkind = \"crah\"\nx_m = {x}\ny_m = 2.0\nwidth_m = 0.8\ndepth_m = 1.6\nheight_m = 2.0\ncapacity_kw = 80.0\nsupply_c = 18.0\ndelta_t_k = 12.0\nreturn = \"ceiling\"\n"
        );
    }
    load_str("scenario_room.toml", &format!("{s}\n{extra}")).unwrap()
}

fn run(extra: &str) -> ScenarioResult {
    let f = room(extra);
    assert!(f.airflow.is_some(), "the momentum model is the default");
    run_scenario(&f, Backend::Cpu, &SolveOptions::default(), None).unwrap()
}

/// Warmest intake at each recorded time, °C.
fn warmest(s: &ScenarioResult) -> Vec<f64> {
    let nr = s.rack_ids.len();
    (0..s.time_s.len()).map(|k| s.intake_c[k * nr..(k + 1) * nr].iter().copied().fold(f64::MIN, f64::max)).collect()
}

const STOP_BOTH: &str = "[[event]]\nat_s = 0.0\nkind = \"cooling_failure\"\nunits = [\"CRAH-1\", \"CRAH-2\"]\n";

#[test]
fn a_room_without_events_stays_at_its_steady_start() {
    let s = run("[transient]\ndt_s = 2.0\nduration_s = 120.0\n");
    let nr = s.rack_ids.len();
    let steps = s.time_s.len();
    // Each rack's intake averaged over the 120 s against its steady start, and the
    // largest excursion at any one time.
    let mean_drift = (0..nr)
        .map(|r| ((0..steps).map(|k| s.intake_c[k * nr + r]).sum::<f64>() / steps as f64 - s.intake_c[r]).abs())
        .fold(0.0, f64::max);
    let excursion = (0..steps * nr).map(|i| (s.intake_c[i] - s.intake_c[i % nr]).abs()).fold(0.0, f64::max);
    eprintln!("without events over 120 s: mean intake drift {mean_drift:.3} K, largest excursion {excursion:.3} K");
    // The steady start is the mean of a statistically steady march, to 0.1 K on the
    // rack intakes; in time the room's plumes wander about it, and the physical-time
    // march (energy and momentum on one step) averages them a little differently from
    // the pseudo-time march (energy on ten times the momentum's step): 0.24 K measured.
    assert!(mean_drift < 0.3, "mean drift {mean_drift} K");
    assert!(excursion < 1.0, "excursion {excursion} K");
    assert_eq!(s.end.report.backend, "cpu");
    assert!(s.end.report.method.contains("cfd"), "{}", s.end.report.method);
}

/// With both CRAHs stopped (no air through the tiles, the room sealed, the building's
/// heat capacity off), every joule the racks put into their air stays in the room:
/// in the air and in the racks' equipment.
#[test]
fn with_the_cooling_stopped_the_rack_heat_is_stored() {
    let duration = 120.0;
    let s = run(&format!(
        "[transient]\ndt_s = 2.0\nduration_s = {duration}\nsnapshot_every_s = {duration}\nbuilding_heat_capacity_kj_m2k = 0.0\nbuilding_h_w_m2k = 0.0\n{STOP_BOTH}"
    ));
    let (err, air_j, rack_j) = stored(&s, duration);
    assert!(air_j > 0.0 && rack_j > 0.0);
    // Each step's energy solve is iterated with its links until two iterates agree to
    // 1e-4 K (6e-8 measured; the snapshots are f32).
    assert!(err.abs() < 1e-5, "stored heat is {err:.2e} off what the racks put in");
    // The end state says where the heat is going: nowhere but into storage.
    assert!(s.end.energy.removed_by_cooling_w.abs() < 1e-9 * s.end.energy.injected_w);
    assert!(s.end.cooling.is_empty(), "both units stopped");
}

/// The heat stored in the air and the racks' equipment between the first and the last
/// snapshot against what the racks put in over `duration` s: (relative difference, air
/// J, racks J).
fn stored(s: &ScenarioResult, duration: f64) -> (f64, f64, f64) {
    let f = room("");
    let r = thermogrid::raster::rasterize(&f).unwrap();
    let g = r.problem.grid;
    let n = g.cells();
    assert_eq!(s.snapshot_time_s, vec![0.0, duration]);
    let (t0, t1) = (&s.snapshots[..n], &s.snapshots[n..2 * n]);
    let rho_cp = f.materials.air_rho_cp_j_m3k;
    let v = g.cell_volume_m3();
    let mut air_j = 0.0;
    for c in 0..n {
        if r.material[c] == material::AIR || r.material[c] == material::SUPPLY {
            air_j += rho_cp * v * (t1[c] as f64 - t0[c] as f64);
        }
    }
    // Rack cells hold their equipment's temperature (300 kJ/K each, the default).
    let rack_j: f64 = r
        .racks
        .iter()
        .map(|rc| {
            let c = rc.cells.cells(&g).next().unwrap();
            300e3 * (t1[c] as f64 - t0[c] as f64)
        })
        .sum();
    let put_in: f64 = f.racks.iter().map(|r| r.air_heat_w()).sum::<f64>() * duration;
    let err = (air_j + rack_j - put_in) / put_in;
    eprintln!(
        "stored: air {:.1} MJ, racks {:.1} MJ; put in {:.1} MJ; relative difference {err:.2e}",
        air_j / 1e6,
        rack_j / 1e6,
        put_in / 1e6
    );
    (err, air_j, rack_j)
}

fn stored_error(s: &ScenarioResult, duration: f64) -> f64 {
    stored(s, duration).0
}

#[test]
fn thermal_masses_slow_the_rise_in_order_of_their_size() {
    let end = |rack_kj_k: f64| {
        let s = run(&format!(
            "[transient]\ndt_s = 2.0\nduration_s = 120.0\nrack_heat_capacity_kj_k = {rack_kj_k}\n{STOP_BOTH}"
        ));
        *warmest(&s).last().unwrap()
    };
    let (none, some, much) = (end(0.0), end(300.0), end(3000.0));
    eprintln!("warmest intake 120 s after the cooling stops: {none:.2} °C (no rack mass), {some:.2} °C (300 kJ/K), {much:.2} °C (3000 kJ/K)");
    assert!(none > some + 0.5 && some > much + 0.5, "{none} {some} {much}");
}

/// A chiller trip with the fans on UPS: the CRAHs keep moving air through coils that
/// warm as they absorb the heat, so the intakes rise more slowly than when the units
/// stop; and with no heat capacity in the coils the fans only stir the room.
#[test]
fn fans_on_a_failed_unit_slow_the_rise() {
    let off = run(&format!("[transient]\ndt_s = 2.0\nduration_s = 90.0\n{STOP_BOTH}"));
    let on = run(&format!(
        "[transient]\ndt_s = 2.0\nduration_s = 90.0\n{}",
        STOP_BOTH.replace("units =", "fans = \"on\"\nunits =")
    ));
    let (w_off, w_on) = (warmest(&off), warmest(&on));
    let k = w_off.len() - 1;
    eprintln!(
        "warmest intake after 90 s: fans off {:.2} °C, fans on {:.2} °C (start {:.2} °C)",
        w_off[k], w_on[k], w_on[0]
    );
    assert!(w_on[k] < w_off[k] - 0.5, "fans on {} vs off {}", w_on[k], w_off[k]);
    assert!(w_on[k] > w_on[0] + 0.5, "the coils warm, the room with them");
    // Running units keep their place in the results, removing what their coils absorb.
    assert_eq!(on.end.cooling.len(), 2);
    assert!(on.end.cooling.iter().all(|c| c.removed_kw > 0.0));
}

/// A rear door that loses its water keeps its rack's air (the rack's fans blow through
/// it): its rack's exhaust warms as the door's coil does, and the door stays in the
/// results, removing only what its coil absorbs.
#[test]
fn a_failed_rear_door_passes_warming_air() {
    let door = "[[cooling]]\nid = \"RD-B2\"\nkind = \"rear_door\"\nrack = \"B-2\"\nheight_m = 2.0\ncapacity_kw = 20.0\nsupply_c = 18.0\ndelta_t_k = 12.0\n";
    let s = run(&format!(
        "{door}[transient]\ndt_s = 2.0\nduration_s = 120.0\n[[event]]\nat_s = 0.0\nkind = \"cooling_failure\"\nunits = [\"RD-B2\"]\n"
    ));
    let d = s.end.cooling.iter().find(|c| c.id == "RD-B2").expect("the door is still there");
    let start = room(door);
    let steady = thermogrid::run::solve_input(
        thermogrid::run::Input::Facility(Box::new(start)),
        "scenario_room.toml",
        Backend::Cpu,
        &SolveOptions::default(),
        std::time::Instant::now(),
    )
    .unwrap();
    let before = steady.cooling.iter().find(|c| c.id == "RD-B2").unwrap().removed_kw;
    eprintln!("rear door RD-B2: {before:.2} kW steady, {:.2} kW 120 s after losing its water", d.removed_kw);
    assert!(before > 10.0, "the door cools its 18 kW rack at steady state: {before} kW");
    // The coil (5 kJ/K per kW: 100 kJ/K) in the rack's 1.5 kW/K of air warms with a time
    // constant of ≈ 67 s: after 120 s it takes ≈ e^(−1.8) ≈ 17 % of its steady duty.
    assert!(d.removed_kw > 0.0 && d.removed_kw < 0.4 * before, "{} kW", d.removed_kw);
}

/// The scenario on the GPU (the hall-air kernels in f32, on lavapipe in CI; links,
/// thermal masses and the steady start's final projection on the host) against the
/// CPU's f64 march: the cooling stops, and every rack's intake follows the CPU's over
/// the minute that follows; the heat the racks put in is stored in the air and the
/// racks as on the CPU.
#[test]
fn the_gpu_scenario_follows_the_cpu_one() {
    if thermogrid::gpu::context_for_tests().is_none() {
        return;
    }
    let duration = 60.0;
    let extra = format!(
        "[transient]\ndt_s = 2.0\nduration_s = {duration}\nsnapshot_every_s = {duration}\nbuilding_heat_capacity_kj_m2k = 0.0\nbuilding_h_w_m2k = 0.0\n{STOP_BOTH}"
    );
    let cpu = run(&extra);
    let gpu = run_scenario(&room(&extra), Backend::Gpu, &SolveOptions::default(), None).unwrap();
    assert_eq!(gpu.end.report.backend, "gpu");
    assert_eq!(gpu.time_s, cpu.time_s);
    let nr = cpu.rack_ids.len();
    let worst = cpu.intake_c.iter().zip(&gpu.intake_c).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let (wc, wg) = (warmest(&cpu), warmest(&gpu));
    eprintln!(
        "intakes over 60 s, GPU − CPU: max {worst:.4} K over {} samples; warmest at the end {:.3} °C (CPU) vs {:.3} °C (GPU), start {:.3} °C",
        cpu.intake_c.len(),
        wc[wc.len() - 1],
        wg[wg.len() - 1],
        wc[0]
    );
    assert!(nr > 0 && worst < 0.05, "GPU intakes {worst} K off the CPU's");
    let (e_cpu, e_gpu) = (stored_error(&cpu, duration), stored_error(&gpu, duration));
    eprintln!("stored heat off what the racks put in: CPU {e_cpu:.2e}, GPU {e_gpu:.2e}");
    // As on the CPU (its own test above): each step's energy solves iterated with the
    // links to 1e-4 K (4e-7 measured on lavapipe, 1e-7 on the CPU over this minute).
    assert!(e_gpu.abs() < 1e-5, "GPU: stored heat {e_gpu:.2e} off what the racks put in");
}
