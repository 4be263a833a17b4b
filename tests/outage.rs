//! Facility contingencies (`thermogrid contingency --facility`): the electrical march
//! against hand-worked cases, and the room air after losing a cooling unit in an N and
//! an N+1 design.
//!
//! The electrical room: a utility (13.8 kV) through TX-MAIN to the 480 V switchgear,
//! an ATS that moves the switchgear to a standby generator (start 10 s, transfer 5 s);
//! two UPS (2N, 300 s of battery) to PDU-A and PDU-B; every rack fed from both PDUs;
//! two mechanical buses (not on UPS) feeding a CRAH and a chiller each (CH-1 serves
//! CRAH-1, CH-2 serves CRAH-2, restart 300 s); one single-corded rack on PDU-A.

use thermogrid::facility::load_str;
use thermogrid::outage::{screen, thermal, OutageResult, UnitDown};

/// A 6.4 m × 5.6 m × 2.8 m room at 0.2 m: one row of racks facing north, cooling
/// units as `cooling` (TOML), and the network above with UPS ratings `ups_kva`.
fn room(cooling: &str, ups_kva: f64, racks: &[(f64, f64)]) -> String {
    let mut s = String::from(
        "name = \"outage room\"\n[floor]\nwidth_m = 6.4\ndepth_m = 5.6\ncell_m = 0.2\nheight_m = 2.8\nlayers = 14\n",
    );
    for (i, &(x, kw)) in racks.iter().enumerate() {
        let feed = if i == 0 {
            "feed_bus = \"PDU-A\"\n".to_string()
        } else {
            "feed_bus = \"PDU-A\"\nfeed_b_bus = \"PDU-B\"\n".to_string()
        };
        s += &format!(
            "[[rack]]\nid = \"R{}\"\nx_m = {x:.1}\ny_m = 2.0\nwidth_m = 0.6\ndepth_m = 1.2\nheight_m = 2.0\nfacing = \"north\"\npower_kw = {kw}\n{feed}",
            i + 1
        );
    }
    s += cooling;
    s += &format!(
        r#"
[[chiller]]
id = "CH-1"
electric_kw = 20.0
feed_bus = "MECH-A"
[[chiller]]
id = "CH-2"
electric_kw = 20.0
feed_bus = "MECH-B"

[network]
base_mva = 10.0
[[network.bus]]
id = "UTIL"
kind = "utility"
kv = 13.8
[[network.bus]]
id = "GEN"
kind = "generator"
kv = 0.48
reference = true
[[network.bus]]
id = "SWGR"
kind = "switchgear"
kv = 0.48
[[network.bus]]
id = "UPSA-OUT"
kind = "ups"
kv = 0.48
[[network.bus]]
id = "UPSB-OUT"
kind = "ups"
kv = 0.48
[[network.bus]]
id = "PDU-A"
kind = "pdu"
kv = 0.48
[[network.bus]]
id = "PDU-B"
kind = "pdu"
kv = 0.48
[[network.bus]]
id = "MECH-A"
kind = "other"
kv = 0.48
[[network.bus]]
id = "MECH-B"
kind = "other"
kv = 0.48
[[network.branch]]
id = "TX-MAIN"
from = "UTIL"
to = "SWGR"
x_pu = 0.5
rating_kva = 1000.0
[[network.branch]]
id = "GEN-BRK"
from = "GEN"
to = "SWGR"
x_pu = 0.01
in_service = false
[[network.branch]]
id = "UPS-A-BR"
from = "SWGR"
to = "UPSA-OUT"
x_pu = 0.05
rating_kva = {ups_kva}
[[network.branch]]
id = "UPS-B-BR"
from = "SWGR"
to = "UPSB-OUT"
x_pu = 0.05
rating_kva = {ups_kva}
[[network.branch]]
id = "PDU-A-FEED"
from = "UPSA-OUT"
to = "PDU-A"
x_pu = 0.02
[[network.branch]]
id = "PDU-B-FEED"
from = "UPSB-OUT"
to = "PDU-B"
x_pu = 0.02
[[network.branch]]
id = "MECH-A-FEED"
from = "SWGR"
to = "MECH-A"
x_pu = 0.02
[[network.branch]]
id = "MECH-B-FEED"
from = "SWGR"
to = "MECH-B"
x_pu = 0.02
[[network.generator]]
id = "GEN-1"
bus = "GEN"
standby = true
start_delay_s = 10.0
[[network.ups]]
id = "UPS-A"
branch = "UPS-A-BR"
ride_through_s = 300.0
[[network.ups]]
id = "UPS-B"
branch = "UPS-B-BR"
ride_through_s = 300.0
[[network.transfer]]
id = "ATS-1"
normal = "TX-MAIN"
alternate = "GEN-BRK"
transfer_s = 5.0
"#
    );
    s
}

/// Two CRAHs of `kw` at the room's ends, each on its mechanical bus and chiller.
fn crahs(kw: f64) -> String {
    [("CRAH-1", 0.0, "MECH-A", "CH-1"), ("CRAH-2", 5.6, "MECH-B", "CH-2")]
        .iter()
        .map(|(id, x, bus, ch)| {
            format!(
                "[[cooling]]\nid = \"{id}\"\nkind = \"crah\"\nx_m = {x}\ny_m = 3.6\nwidth_m = 0.8\ndepth_m = 1.6\nheight_m = 2.0\ncapacity_kw = {kw}\nsupply_c = 18.0\ndelta_t_k = 12.0\nfeed_bus = \"{bus}\"\nchiller = \"{ch}\"\n"
            )
        })
        .collect()
}

const RACKS: [(f64, f64); 6] = [(1.2, 10.0), (1.8, 14.0), (2.4, 14.0), (3.6, 14.0), (4.2, 14.0), (4.8, 10.0)];

fn outage<'a>(all: &'a [OutageResult], element: &str) -> &'a OutageResult {
    all.iter().find(|o| o.element == element).unwrap_or_else(|| panic!("no outage of {element}"))
}

fn down<'a>(o: &'a OutageResult, id: &str) -> Vec<&'a UnitDown> {
    o.cooling_units_down.iter().filter(|d| d.id == id).collect()
}

#[test]
fn utility_loss_rides_through_on_ups_and_transfers_to_the_generator() {
    let f = load_str("outage_room.toml", &room(&crahs(60.0), 100.0, &RACKS)).unwrap();
    let c = screen(&f).unwrap();
    let o = outage(&c.outages, "UTIL-utility");
    assert_eq!(o.kind, "utility");
    // By hand: at 0 the switchgear dies, both UPS go to battery (300 s of it); the
    // generator starts and is on line at 10 s; the ATS sees it and closes at 15 s; the
    // UPS are back on their input at 15 s, long before their batteries run out.
    assert_eq!(o.lost_it_mw, 0.0, "no rack loses power: {:?}", o.racks_unpowered);
    assert_eq!(o.generators_on_line, vec![("GEN-1".to_string(), 10.0)]);
    assert_eq!(o.transfers, vec![("ATS-1".to_string(), 15.0)]);
    assert_eq!(o.ups_on_battery.len(), 2);
    assert!(o.ups_on_battery.iter().all(|(_, from, empty)| *from == 0.0 && empty.is_none()), "{:?}", o.ups_on_battery);
    // The mechanical buses are not on UPS: the CRAHs stop until power is back at 15 s
    // and they restart (30 s), then blow warm air until their chillers restart (300 s).
    for id in ["CRAH-1", "CRAH-2"] {
        let d = down(o, id);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!((d[0].from_s, d[0].until_s, d[0].fans_on), (0.0, Some(45.0), false));
        assert_eq!((d[1].from_s, d[1].until_s, d[1].fans_on), (45.0, Some(315.0), true));
    }
    // Only the utility's own bus stays dead.
    assert_eq!(o.buses_dead_at_end, vec!["UTIL".to_string()]);
}

#[test]
fn without_a_generator_the_ups_batteries_run_out() {
    let text = room(&crahs(60.0), 100.0, &RACKS).replace("standby = true", "standby = true\nin_service = false");
    let f = load_str("outage_room.toml", &text).unwrap();
    let c = screen(&f).unwrap();
    let o = outage(&c.outages, "UTIL-utility");
    // Every rack rides 300 s on the batteries, then goes dark for good.
    let it: f64 = RACKS.iter().map(|r| r.1).sum::<f64>() / 1e3;
    assert!(
        (o.lost_it_mw - it).abs() < 1e-12 && (o.lost_it_at_end_mw - it).abs() < 1e-12,
        "{} {}",
        o.lost_it_mw,
        o.lost_it_at_end_mw
    );
    assert!(o.rack_dark.iter().all(|(_, from, until)| *from == 300.0 && until.is_none()), "{:?}", o.rack_dark);
    assert!(o.ups_on_battery.iter().all(|(_, from, empty)| *from == 0.0 && *empty == Some(300.0)));
    assert!(o.transfers.is_empty());
    // UPS-A's battery as energy: 43 kW normally on its side (R1's 10 kW and half of the
    // other 66 kW), so 43/12 kWh lasts 300 s.
    let energy = text.replacen("ride_through_s = 300.0", &format!("energy_kwh = {}", 43.0 / 12.0), 1);
    let c2 = screen(&load_str("outage_room.toml", &energy).unwrap()).unwrap();
    let u = outage(&c2.outages, "UTIL-utility").ups_on_battery.iter().find(|x| x.0 == "UPS-A").unwrap().2.unwrap();
    assert!((u - 300.0).abs() < 1e-9, "{u}");
    // Ranked: losing all IT comes first (the utility, its transformer, the ATS).
    assert!((c.outages[0].lost_it_mw - it).abs() < 1e-12, "{}", c.outages[0].element);
}

#[test]
fn losing_one_ups_of_a_2n_pair_loses_no_dual_corded_rack() {
    let f = load_str("outage_room.toml", &room(&crahs(60.0), 100.0, &RACKS)).unwrap();
    let c = screen(&f).unwrap();
    let o = outage(&c.outages, "UPS-A");
    assert_eq!(o.kind, "ups");
    // Only R1, corded to PDU-A alone, goes dark; its 10 kW is the IT lost.
    assert_eq!(o.racks_unpowered, vec!["R1".to_string()]);
    assert!((o.lost_it_mw - 0.010).abs() < 1e-12);
    // UPS-B carries the other 66 kW: 66 % of its 100 kVA, no overload.
    assert!(o.overloaded.is_empty(), "{:?}", o.overloaded);
    let b = outage(&c.outages, "UPS-B");
    assert_eq!(b.lost_it_mw, 0.0, "every rack has an A side");
    // Undersized: 60 kVA modules. After UPS-B is lost UPS-A carries all 76 kW: 126.7 %.
    let f = load_str("outage_room.toml", &room(&crahs(60.0), 60.0, &RACKS)).unwrap();
    let c = screen(&f).unwrap();
    let o = outage(&c.outages, "UPS-B");
    assert_eq!(o.overloaded.len(), 1, "{:?}", o.overloaded);
    assert_eq!(o.overloaded[0].branch, "UPS-A-BR");
    assert!((o.overloaded[0].loading_pct - 100.0 * 76.0 / 60.0).abs() < 1e-6, "{}", o.overloaded[0].loading_pct);
}

#[test]
fn a_chiller_loss_stops_exactly_the_units_it_serves() {
    let f = load_str("outage_room.toml", &room(&crahs(60.0), 100.0, &RACKS)).unwrap();
    let c = screen(&f).unwrap();
    let o = outage(&c.outages, "CH-1");
    assert_eq!(o.kind, "chiller");
    assert_eq!(o.cooling_units_down, vec![UnitDown { id: "CRAH-1".into(), from_s: 0.0, until_s: None, fans_on: true }]);
    assert_eq!(o.lost_it_mw, 0.0);
    // The mechanical feed of CRAH-2 and CH-2: CRAH-2 stops (no power), CRAH-1 keeps going.
    let m = outage(&c.outages, "MECH-B-FEED");
    assert_eq!(
        m.cooling_units_down,
        vec![UnitDown { id: "CRAH-2".into(), from_s: 0.0, until_s: None, fans_on: false }]
    );
    // A standby generator lost while the utility is there changes nothing.
    let g = outage(&c.outages, "GEN-1");
    assert!(g.cooling_units_down.is_empty() && g.lost_it_mw == 0.0 && g.overloaded.is_empty());
    // The transformer: like the utility (the ATS sees its normal input dead).
    let t = outage(&c.outages, "TX-MAIN");
    assert_eq!(t.transfers, vec![("ATS-1".to_string(), 15.0)]);
    assert_eq!(t.lost_it_mw, 0.0);
    // A failed ATS opens the normal path and never transfers: the UPS run out at 300 s.
    let a = outage(&c.outages, "ATS-1");
    assert_eq!(a.kind, "transfer_switch");
    assert!((a.lost_it_at_end_mw - 0.076).abs() < 1e-12, "{}", a.lost_it_at_end_mw);
}

#[test]
fn bad_redundancy_keys_are_input_errors() {
    let base = room(&crahs(60.0), 100.0, &RACKS);
    for (from, to, needle) in [
        ("feed_b_bus = \"PDU-B\"", "feed_b_bus = \"PDU-X\"", "PDU-X"),
        ("feed_b_bus = \"PDU-B\"", "feed_b_bus = \"PDU-A\"", "both"),
        ("chiller = \"CH-1\"", "chiller = \"CH-9\"", "CH-9"),
        ("branch = \"UPS-A-BR\"", "branch = \"NOPE\"", "NOPE"),
        ("ride_through_s = 300.0\n[[network.ups]]", "ride_through_s = -3.0\n[[network.ups]]", "ride_through_s"),
        ("transfer_s = 5.0", "transfer_s = 5.0\nkind = \"manual\"", "manual"),
        ("alternate = \"GEN-BRK\"", "alternate = \"TX-MAIN\"", "same branch"),
        ("start_delay_s = 10.0", "start_delay_s = nan", "start_delay_s"),
    ] {
        let text = base.replacen(from, to, 1);
        assert_ne!(text, base, "{from}");
        let e = load_str("outage_room.toml", &text).err().unwrap_or_else(|| panic!("{to} was accepted"));
        let m = e.to_string();
        assert!(m.contains(needle) && m.contains("fix:") && m.contains("outage_room.toml:"), "{m}");
    }
}

/// Three in-row coolers between the racks when `n_plus_1`, else two; each `kw`.
fn in_rows(units: &[(&str, f64)], kw: f64) -> String {
    units
        .iter()
        .map(|(id, x)| {
            format!(
                "[[cooling]]\nid = \"{id}\"\nkind = \"in_row\"\nx_m = {x:.1}\ny_m = 2.0\nwidth_m = 0.6\ndepth_m = 1.2\nheight_m = 2.0\ncapacity_kw = {kw}\nsupply_c = 18.0\ndelta_t_k = 12.0\nfeed_bus = \"MECH-A\"\nfeed_b_bus = \"MECH-B\"\n"
            )
        })
        .collect()
}

#[test]
fn an_n_plus_1_row_survives_losing_a_cooler_and_an_n_row_does_not() {
    // 76 kW of racks. N: two 40 kW in-row coolers (80 kW, both needed). N+1: three.
    let racks = [(0.6, 10.0), (1.2, 14.0), (2.4, 14.0), (3.0, 14.0), (4.2, 14.0), (4.8, 10.0)];
    let n = in_rows(&[("IRC-1", 1.8), ("IRC-2", 3.6)], 40.0);
    let n1 = in_rows(&[("IRC-1", 1.8), ("IRC-2", 3.6), ("IRC-3", 5.4)], 40.0);
    let mut worst = Vec::new();
    for (label, cooling) in [("N", n), ("N+1", n1)] {
        let f = load_str("outage_room.toml", &room(&cooling, 100.0, &racks)).unwrap();
        let c = screen(&f).unwrap();
        // The middle cooler; every cooler is dual-fed, so no single feed stops one.
        let o = c.outages.iter().find(|o| o.element == "IRC-2").unwrap();
        assert_eq!(o.kind, "cooling_unit");
        assert!(c
            .outages
            .iter()
            .filter(|x| x.kind == "branch" && x.element.starts_with("MECH"))
            .all(|x| x.cooling_units_down.is_empty()));
        let t0 = std::time::Instant::now();
        let (t, _) = thermal::transient(&f, o, (10.0, 900.0), thermogrid::backend::Backend::Cpu).unwrap();
        let secs = t0.elapsed().as_secs_f64();
        eprintln!(
            "{label}: lose {} → warmest intake {:.1} °C, {} racks ≥ 32 °C, first after {:?} s ({secs:.1} s)",
            o.element, t.max_intake_c, t.racks_over_32c, t.first_time_to_32c_s
        );
        worst.push(t);
    }
    assert!(worst[0].racks_over_32c > 0, "N: losing one of two coolers overheats racks within 15 min");
    assert_eq!(worst[1].racks_over_32c, 0, "N+1: the other two carry the room");
    assert!(worst[1].max_intake_c < worst[0].max_intake_c - 3.0);
}

/// An outage's room transient on the GPU (the hall-air kernels in f32; lavapipe in CI)
/// follows the CPU's: every rack's warmest intake over two minutes after losing a
/// cooler, within 0.05 K.
#[test]
fn an_outage_transient_on_the_gpu_follows_the_cpu() {
    use thermogrid::backend::Backend;
    if thermogrid::gpu::context_for_tests().is_none() {
        return;
    }
    let racks = [(0.6, 10.0), (1.2, 14.0), (2.4, 14.0), (3.0, 14.0), (4.2, 14.0), (4.8, 10.0)];
    let cooling = in_rows(&[("IRC-1", 1.8), ("IRC-2", 3.6)], 40.0);
    let f = load_str("outage_room.toml", &room(&cooling, 100.0, &racks)).unwrap();
    let c = screen(&f).unwrap();
    let o = c.outages.iter().find(|o| o.element == "IRC-2").unwrap();
    let (cpu, _) = thermal::transient(&f, o, (10.0, 120.0), Backend::Cpu).unwrap();
    let (gpu, sc) = thermal::transient(&f, o, (10.0, 120.0), Backend::Gpu).unwrap();
    assert_eq!(sc.end.report.backend, "gpu");
    for (a, b) in cpu.racks.iter().zip(&gpu.racks) {
        eprintln!("{}: warmest intake CPU {:.3} °C, GPU {:.3} °C", a.0, a.3, b.3);
        assert_eq!(a.0, b.0);
        assert!((a.3 - b.3).abs() < 0.05, "{}: CPU {} GPU {}", a.0, a.3, b.3);
    }
}

#[test]
fn the_command_line_ranks_writes_json_and_netcdf() {
    let dir = std::env::temp_dir().join(format!("tg-outage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("room.toml");
    std::fs::write(&file, room(&crahs(60.0), 100.0, &RACKS)).unwrap();
    let out = dir.join("outages.h5");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args([
            "contingency",
            file.to_str().unwrap(),
            "--facility",
            "--thermal",
            "1",
            "--duration",
            "120",
            "--dt",
            "10",
            "--json",
            "-o",
        ])
        .arg(&out)
        .env("XDG_RUNTIME_DIR", "/tmp")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let outages = j["outages"].as_array().unwrap();
    assert_eq!(j["elements"].as_u64().unwrap() as usize, outages.len());
    for key in
        ["element", "kind", "lost_it_mw", "overloaded", "cooling_units_down", "racks_over_32c", "first_time_to_32c_s"]
    {
        assert!(outages.iter().all(|x| x.get(key).is_some()), "{key}");
    }
    // Ranked: IT lost never increases down the list.
    let lost: Vec<f64> = outages.iter().map(|x| x["lost_it_mw"].as_f64().unwrap()).collect();
    assert!(lost.windows(2).all(|w| w[0] >= w[1]), "{lost:?}");
    assert_eq!(outages.iter().filter(|x| x["thermal_simulated"] == true).count(), 1);
    let f = hdf5::File::open(&out).unwrap();
    let g = f.group("outages").unwrap();
    assert_eq!(g.dataset("lost_it_mw").unwrap().shape(), vec![outages.len()]);
    assert_eq!(g.dataset("time_to_32c_s").unwrap().shape(), vec![1, RACKS.len()]);
    assert!(thermogrid::io::netcdf::has_dims(&g.dataset("time_to_32c_s").unwrap()));
    // The simulated outage's intake history, and its own results file and heat maps.
    let tr = g.group("transients").unwrap();
    let names = tr.member_names().unwrap();
    assert_eq!(names.len(), 1, "{names:?}");
    let h = tr.group(&names[0]).unwrap().dataset("intake_c").unwrap();
    assert_eq!(h.shape(), vec![13, RACKS.len()], "0, 10, … 120 s");
    let files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
    let stem = format!("outages.{}", names[0]);
    assert!(files.contains(&format!("{stem}.h5")), "{files:?}");
    assert!(files.iter().any(|f| f.starts_with(&stem) && f.ends_with(".png")), "{files:?}");
    // A MATPOWER case is not a facility.
    let e = std::process::Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args(["contingency", "tests/data/cases/case9.m", "--facility"])
        .output()
        .unwrap();
    assert_eq!(e.status.code(), Some(2), "{}", String::from_utf8_lossy(&e.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

/// The two-node lumped estimate of a sealed room (air C_a, racks C_r, joined by the
/// racks' air G = ṁc_p, heated by P in the racks): the air temperature at `t` s from
/// air at `ta0` and racks at `tr0`.
///
/// C_a dT_a/dt = G (T_r − T_a),  C_r dT_r/dt = P − G (T_r − T_a). With D = T_r − T_a:
/// dD/dt = P/C_r − G D (1/C_r + 1/C_a), so D relaxes from D0 to P C_a / (G (C_a + C_r))
/// with τ = 1 / (G (1/C_r + 1/C_a)); the stored energy C_a T_a + C_r T_r grows as P t,
/// hence T_a = (C_a ta0 + C_r tr0 + P t − C_r D(t)) / (C_a + C_r).
fn lumped_air_c(t: f64, ta0: f64, tr0: f64, p: f64, g: f64, ca: f64, cr: f64) -> f64 {
    let d0 = tr0 - ta0;
    let dinf = p * ca / (g * (ca + cr));
    let tau = 1.0 / (g * (1.0 / cr + 1.0 / ca));
    let d = dinf + (d0 - dinf) * (-t / tau).exp();
    (ca * ta0 + cr * tr0 + p * t - cr * d) / (ca + cr)
}

#[test]
fn a_sealed_room_reaches_its_limit_when_the_lumped_capacitances_say() {
    // The room of the tests above, its two CRAHs (fans off) lost at 0: no air in or
    // out, adiabatic walls, no building mass (h = 0): every watt of the racks stays in
    // the air and the racks' own thermal mass.
    let mut toml = room(&crahs(60.0), 100.0, &RACKS);
    toml += "\n[airflow]\nrack_delta_t_k = 12.0\n[transient]\ndt_s = 5.0\nduration_s = 600.0\nthresholds_c = [32.0, 40.0, 50.0]\nrack_heat_capacity_kj_k = 300.0\nbuilding_h_w_m2k = 0.0\nbuilding_heat_capacity_kj_m2k = 0.0\nsnapshot_every_s = 600.0\n[[event]]\nat_s = 0.0\nkind = \"cooling_failure\"\nunits = [\"CRAH-1\", \"CRAH-2\"]\nfans = \"off\"\n";
    let f = load_str("sealed_room.toml", &toml).unwrap();
    let sc = thermogrid::scenario::run_scenario(
        &f,
        thermogrid::run::Backend::Cpu,
        &thermogrid::thermal::SolveOptions::default(),
        None,
    )
    .unwrap();
    let raster = thermogrid::raster::rasterize(&f).unwrap();
    let air: Vec<usize> = (0..raster.material.len()).filter(|&c| raster.material[c] == 0).collect();
    let cell_m3 = 0.2f64.powi(3);
    let ta0 = air.iter().map(|&c| sc.snapshots[c] as f64).sum::<f64>() / air.len() as f64;
    let p: f64 = RACKS.iter().map(|r| r.1 * 1e3).sum();
    let ca = f.materials.air_rho_cp_j_m3k * air.len() as f64 * cell_m3;
    let cr = RACKS.len() as f64 * 300e3;
    let g = p / 12.0;
    // The racks' mass starts at their steady exhaust: intake + 12 K (mean over racks).
    let nr = RACKS.len();
    let tr0 = sc.intake_c[..nr].iter().sum::<f64>() / nr as f64 + 12.0;
    // Once the racks' air has mixed the room (its time constant: C_a / G ≈ 16 s), the
    // racks' mean intake follows the lumped air: within 0.3 K from 60 s on (the room
    // stratifies a little; the intakes sit below its mean).
    for k in 0..sc.time_s.len() {
        if sc.time_s[k] >= 60.0 {
            let m = sc.intake_c[k * nr..(k + 1) * nr].iter().sum::<f64>() / nr as f64;
            let want = lumped_air_c(sc.time_s[k], ta0, tr0, p, g, ca, cr);
            assert!((m - want).abs() < 0.3, "t = {} s: mean intake {m:.3} °C, lumped {want:.3} °C", sc.time_s[k]);
        }
    }
    // Each limit: when the lumped air reaches it, against the racks' times. 32 °C comes
    // within the first minute (the racks' stored heat mixing into the air); 40 and
    // 50 °C are the room's bulk heating, P / (C_a + C_r) ≈ 0.040 K/s.
    for (k, &lim) in [32.0, 40.0, 50.0].iter().enumerate() {
        let (mut lo, mut hi) = (0.0, 600.0);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if lumped_air_c(mid, ta0, tr0, p, g, ca, cr) < lim {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let times: Vec<f64> = sc.time_to_threshold_s[k].iter().map(|t| t.expect("every rack reaches it")).collect();
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        eprintln!("{lim} °C: lumped {lo:.0} s; racks {times:.0?} (mean {mean:.0} s)");
        if lim > 32.0 {
            // The racks' mean time within 3 % of the lumped one; each rack within 10 %
            // (the racks' intakes differ by up to ±1.2 K, ±30 s at 0.04 K/s).
            assert!((mean - lo).abs() < 0.03 * lo, "{lim} °C: racks' mean {mean:.1} s, lumped {lo:.1} s");
            for &t in &times {
                assert!((t - lo).abs() < 0.10 * lo, "{lim} °C: a rack at {t:.1} s, lumped {lo:.1} s");
            }
        } else {
            assert!(times.iter().all(|&t| t < 60.0), "{lim} °C: {times:?}");
        }
    }
}

/// The room with liquid-cooled racks (80 % of each rack's heat to the loop: 60.8 kW)
/// and `n` CDUs of 40 kW (200 L of loop water each, 10 K allowed) on MECH-A/MECH-B by
/// turns, not on UPS.
fn liquid_room(n: usize) -> thermogrid::facility::Facility {
    let mut cooling = crahs(60.0);
    for k in 0..n {
        let bus = if k % 2 == 0 { "MECH-A" } else { "MECH-B" };
        cooling += &format!(
            "[[cooling]]\nid = \"CDU-{}\"\nkind = \"cdu\"\ncapacity_kw = 40.0\nfeed_bus = \"{bus}\"\nloop_volume_l = 200.0\nloop_limit_k = 10.0\n",
            k + 1
        );
    }
    let toml = room(&cooling, 100.0, &RACKS).replace("power_kw = ", "liquid_fraction = 0.8\npower_kw = ");
    load_str("liquid_room.toml", &toml).unwrap()
}

#[test]
fn a_liquid_loop_short_of_cdus_warms_to_its_limit_as_its_water_allows() {
    let water_j_k = |cdus: f64| cdus * 200.0 * 4180.0;
    // N: two CDUs for 60.8 kW. Losing one leaves 40 kW: the loop (400 L) warms at
    // 20.8 kW / 1.672 MJ/K and reaches 10 K after 803.85 s, every liquid rack with it.
    let c = screen(&liquid_room(2)).unwrap();
    let l = outage(&c.outages, "CDU-1").liquid.clone().expect("a liquid loop");
    assert!((l.heat_mw - 0.0608).abs() < 1e-12 && (l.capacity_mw - 0.08).abs() < 1e-12, "{l:?}");
    assert!((l.min_capacity_mw - 0.04).abs() < 1e-12 && (l.max_deficit_mw - 0.0208).abs() < 1e-12, "{l:?}");
    let want = 10.0 * water_j_k(2.0) / 20.8e3;
    assert!((l.time_to_limit_s.unwrap() - want).abs() < 1e-9, "{l:?} against {want}");
    assert_eq!(l.racks_over_limit, RACKS.len());
    // Its feeder lost for good: the same.
    let l = outage(&c.outages, "MECH-A-FEED").liquid.clone().unwrap();
    assert!((l.time_to_limit_s.unwrap() - want).abs() < 1e-9, "{l:?}");
    // It ranks above outages that lose nothing (racks over a limit come second).
    let rank = |e: &str| c.outages.iter().position(|o| o.element == e).unwrap();
    assert!(rank("CDU-1") < rank("CRAH-1"), "{} {}", rank("CDU-1"), rank("CRAH-1"));
    // The utility lost: both CDUs stop until the generator's ATS (15 s) plus their
    // restart (30 s); the racks ride on UPS. 60.8 kW for 45 s into 1.672 MJ/K: 1.636 K,
    // then the loop cools back (80 kW for 60.8).
    let l = outage(&c.outages, "UTIL-utility").liquid.clone().unwrap();
    let rise = 60.8e3 * 45.0 / water_j_k(2.0);
    assert!((l.max_rise_k - rise).abs() < 1e-9, "{l:?} against {rise}");
    assert_eq!((l.time_to_limit_s, l.racks_over_limit), (None, 0));
    // N+1: three CDUs, one lost: 80 kW still run, no shortfall.
    let c = screen(&liquid_room(3)).unwrap();
    let l = outage(&c.outages, "CDU-2").liquid.clone().unwrap();
    assert_eq!((l.max_deficit_mw, l.max_rise_k, l.time_to_limit_s), (0.0, 0.0, None), "{l:?}");
    // A CDU key on an air unit is refused.
    let bad = room(
        &crahs(60.0).replacen("chiller = \"CH-1\"\n", "chiller = \"CH-1\"\nloop_volume_l = 10.0\n", 1),
        100.0,
        &RACKS,
    );
    let e = load_str("bad.toml", &bad).unwrap_err();
    assert!(e.to_string().contains("CDU's liquid loop"), "{e}");
}

#[test]
fn a_ramping_set_carries_later_and_ups_losses_load_their_inputs() {
    // GEN-1 of 0.5 MW taking load at 0.01 MW/s: on line 10 s + 50 s after the utility
    // is lost; the ATS follows 5 s later; the CRAHs run again 30 s after that.
    let text = room(&crahs(60.0), 100.0, &RACKS).replace(
        "standby = true\nstart_delay_s = 10.0",
        "standby = true\nstart_delay_s = 10.0\np_max_mw = 0.5\nramp_mw_per_s = 0.01",
    );
    let c = screen(&load_str("outage_room.toml", &text).unwrap()).unwrap();
    let o = outage(&c.outages, "UTIL-utility");
    assert_eq!(o.generators_on_line, vec![("GEN-1".to_string(), 60.0)]);
    assert_eq!(o.transfers, vec![("ATS-1".to_string(), 65.0)]);
    assert_eq!(o.lost_it_mw, 0.0);
    assert_eq!((down(o, "CRAH-1")[0].from_s, down(o, "CRAH-1")[0].until_s), (0.0, Some(95.0)));
    // A ramp without a rating, or on a running set, is refused.
    for bad in [text.replace("p_max_mw = 0.5\n", ""), text.replace("standby = true\n", "")] {
        let e = load_str("outage_room.toml", &bad).unwrap_err();
        assert!(e.to_string().contains("ramp_mw_per_s"), "{e}");
    }
    // UPS at 95 %: UPS-A carries 43 kW (R1 and half the rest), UPS-B 33 kW; their inputs
    // draw 76 / 0.95 = 80 kW, so TX-MAIN carries 80 + 2 × 15 (CRAH fans and coils at
    // 0.25 kW/kW) + 2 × 20 (chillers) = 150 kW.
    let text = room(&crahs(60.0), 100.0, &RACKS)
        .replace("ride_through_s = 300.0\n", "ride_through_s = 300.0\nefficiency = 0.95\n");
    let f = load_str("outage_room.toml", &text).unwrap();
    let (net, _) = thermogrid::power::facility_net::facility_network(&f).unwrap();
    let r = thermogrid::power::DcPowerFlow::new(&net).unwrap().solve_checked(&net).unwrap();
    let flow = |id: &str| r.pf_mw[net.branch_names.iter().position(|b| b == id).unwrap()];
    assert!((flow("TX-MAIN") - 0.150).abs() < 1e-12, "{}", flow("TX-MAIN"));
    assert!((flow("UPS-A-BR") - 0.043).abs() < 1e-12 && (flow("UPS-B-BR") - 0.033).abs() < 1e-12);
    let e = load_str("outage_room.toml", &text.replacen("efficiency = 0.95", "efficiency = 1.5", 1)).unwrap_err();
    assert!(e.to_string().contains("efficiency"), "{e}");
}

#[test]
fn a_standby_set_too_small_for_its_island_collapses_it_and_ups_losses_reach_the_end_state() {
    // GEN-1 of 0.1 MW behind the ATS for 76 kW of racks / 0.95, 30 kW of CRAHs and
    // 40 kW of chillers (150 kW): when the ATS closes at 15 s the island is 50 kW short
    // and collapses; the UPS carry the racks on battery to 300 s, then every rack is dark.
    let base = room(&crahs(60.0), 100.0, &RACKS)
        .replace("ride_through_s = 300.0\n", "ride_through_s = 300.0\nefficiency = 0.95\n");
    let small =
        base.replace("standby = true\nstart_delay_s = 10.0", "standby = true\nstart_delay_s = 10.0\np_max_mw = 0.1");
    let c = screen(&load_str("outage_room.toml", &small).unwrap()).unwrap();
    let o = outage(&c.outages, "UTIL-utility");
    assert_eq!(o.collapsed.len(), 1, "{o:?}");
    assert!(
        (o.collapsed[0].load_mw - 0.150).abs() < 1e-12 && (o.collapsed[0].capacity_mw - 0.1).abs() < 1e-12,
        "{:?}",
        o.collapsed
    );
    assert_eq!(o.racks_unpowered.len(), RACKS.len());
    assert!(o.rack_dark.iter().all(|(_, from, until)| *from == 300.0 && until.is_none()), "{:?}", o.rack_dark);
    // A set that carries it: the end state draws the UPS losses too — GEN-BRK, rated
    // 149 kW, carries 150 kW (100.67 %).
    let rated = base.replace("x_pu = 0.01\nin_service = false", "x_pu = 0.01\nrating_mw = 0.149\nin_service = false");
    let c = screen(&load_str("outage_room.toml", &rated).unwrap()).unwrap();
    let o = outage(&c.outages, "UTIL-utility");
    assert!(o.collapsed.is_empty() && o.racks_unpowered.is_empty(), "{o:?}");
    assert_eq!(o.overloaded.len(), 1, "{:?}", o.overloaded);
    assert_eq!(o.overloaded[0].branch, "GEN-BRK");
    assert!((o.overloaded[0].flow_mw.abs() - 0.150).abs() < 1e-12, "{:?}", o.overloaded);
}
