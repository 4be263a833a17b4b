//! Campus files: halls joined to a campus network (ids, connections, errors), the
//! campus's contingencies with islands carried or collapsing against hand-worked
//! numbers, the per-hall batched room transients, and the bundled campus mesh.
//!
//! The test campus: a 13.8 kV utility bus GRID feeding MV-1 and MV-2 by two feeders
//! (FDR-1, FDR-2; no tie); a gas turbine GT (on MV-1 through GT-BRK, scheduled
//! 20 kW) and a battery (BESS on MV-2). Two halls from one file: H1 on MV-1, H2 on
//! MV-2. A hall: utility bus UTIL (13.8 kV) → TX → SWGR (480 V) → PDU-A, PDU-B and
//! MECH; three dual-corded racks of 10 kW, one CRAH (4 kW of fans) on MECH, a house
//! load of 0 (so a hall draws 34 kW).

use std::path::{Path, PathBuf};
use thermogrid::facility::campus;

const HALL: &str = r#"
name = "campus test hall"
[floor]
width_m = 6.4
depth_m = 5.6
cell_m = 0.2
height_m = 2.8
layers = 14
[[rack]]
id = "R1"
x_m = 1.8
y_m = 2.0
facing = "north"
power_kw = 10.0
feed_bus = "PDU-A"
feed_b_bus = "PDU-B"
[[rack]]
id = "R2"
x_m = 3.0
y_m = 2.0
facing = "north"
power_kw = 10.0
feed_bus = "PDU-A"
feed_b_bus = "PDU-B"
[[rack]]
id = "R3"
x_m = 4.2
y_m = 2.0
facing = "north"
power_kw = 10.0
feed_bus = "PDU-A"
feed_b_bus = "PDU-B"
[[cooling]]
id = "CRAH-1"
kind = "crah"
x_m = 0.0
y_m = 3.6
width_m = 0.8
depth_m = 1.6
height_m = 2.0
capacity_kw = 60.0
supply_c = 18.0
delta_t_k = 12.0
electric_kw = 4.0
feed_bus = "MECH"

[network]
base_mva = 10.0
[[network.bus]]
id = "UTIL"
kind = "utility"
kv = 13.8
[[network.bus]]
id = "SWGR"
kind = "switchgear"
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
id = "MECH"
kind = "other"
kv = 0.48
[[network.generator]]
id = "UTIL-INFEED"
bus = "UTIL"
[[network.branch]]
id = "TX"
from = "UTIL"
to = "SWGR"
x_pu = 0.5
rating_kva = 1000.0
[[network.branch]]
id = "PDU-A-FEED"
from = "SWGR"
to = "PDU-A"
x_pu = 0.02
[[network.branch]]
id = "PDU-B-FEED"
from = "SWGR"
to = "PDU-B"
x_pu = 0.02
[[network.branch]]
id = "MECH-FEED"
from = "SWGR"
to = "MECH"
x_pu = 0.02
"#;

/// The campus file text: the turbine's maximum and rating of its breaker, the battery.
fn campus_text(gt_max_mw: f64, gt_brk_mva: f64, bess_mw: f64, bess_mwh: f64) -> String {
    format!(
        r#"
[campus]
name = "test campus"

[[hall]]
id = "H1"
file = "hall.toml"
connect = {{ "UTIL" = "MV-1" }}
[[hall]]
id = "H2"
file = "hall.toml"
connect = {{ "UTIL" = "MV-2" }}

[network]
base_mva = 10.0
[[network.bus]]
id = "GRID"
kind = "utility"
kv = 13.8
[[network.bus]]
id = "MV-1"
kind = "switchgear"
kv = 13.8
[[network.bus]]
id = "MV-2"
kind = "switchgear"
kv = 13.8
[[network.bus]]
id = "GT"
kind = "generator"
kv = 13.8
[[network.bus]]
id = "BESS"
kind = "battery"
kv = 13.8
[[network.generator]]
id = "GT-1"
bus = "GT"
p_mw = 0.02
p_max_mw = {gt_max_mw}
[[network.battery]]
id = "BESS-1"
bus = "BESS"
power_mw = {bess_mw}
energy_mwh = {bess_mwh}
soc = 1.0
[[network.branch]]
id = "FDR-1"
from = "GRID"
to = "MV-1"
x_pu = 0.01
[[network.branch]]
id = "FDR-2"
from = "GRID"
to = "MV-2"
x_pu = 0.01
[[network.branch]]
id = "GT-BRK"
from = "GT"
to = "MV-1"
x_pu = 0.01
rating_mva = {gt_brk_mva}
[[network.branch]]
id = "BESS-BRK"
from = "BESS"
to = "MV-2"
x_pu = 0.01
"#
    )
}

fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("campus_{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("hall.toml"), HALL).unwrap();
    d
}

fn write(d: &Path, text: &str) -> String {
    let p = d.join("campus.toml");
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().to_string()
}

fn outage<'a>(c: &'a thermogrid::outage::Contingencies, element: &str) -> &'a thermogrid::outage::OutageResult {
    c.outages.iter().find(|o| o.element == element).unwrap_or_else(|| panic!("no outage of {element}"))
}

#[test]
fn halls_join_the_campus_network_with_prefixed_ids() {
    let d = dir("join");
    let c = campus::load(&write(&d, &campus_text(0.05, 1.0, 0.01, 0.01))).unwrap();
    assert_eq!(c.halls.len(), 2);
    let n = c.plant.network.as_ref().unwrap();
    let buses: Vec<&str> = n.bus.iter().map(|b| b.get_ref().id.as_str()).collect();
    // The campus's 5 buses, then each hall's 4 (its utility bus replaced by MV-k).
    assert_eq!(buses.len(), 5 + 2 * 4, "{buses:?}");
    assert!(buses.contains(&"H1/SWGR") && buses.contains(&"H2/PDU-B") && !buses.iter().any(|b| b.ends_with("UTIL")));
    let tx1 = n.branch.iter().map(|b| b.get_ref()).find(|b| b.id == "H1/TX").unwrap();
    assert_eq!((tx1.from.as_str(), tx1.to.as_str()), ("MV-1", "H1/SWGR"));
    // The halls' own grid infeeds are gone: the campus is their grid.
    let gens: Vec<&str> = n.generator.iter().map(|g| g.get_ref().id.as_str()).collect();
    assert_eq!(gens, vec!["GT-1"]);
    let racks: Vec<&str> = c.plant.racks.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(racks, vec!["H1/R1", "H1/R2", "H1/R3", "H2/R1", "H2/R2", "H2/R3"]);
    assert_eq!(c.plant.racks[4].feed_b_bus.as_deref(), Some("H2/PDU-B"));
    assert_eq!(c.plant.cooling[1].feed_bus.as_deref(), Some("H2/MECH"));
    assert_eq!(c.split("H2/R3"), Some((1, "R3")));
    // The joined network's DC flow: each feeder carries its hall's 34 kW less what the
    // turbine gives on MV-1 (20 kW).
    let (net, _) = thermogrid::power::read_network(&c.path).unwrap();
    let pf = thermogrid::power::DcPowerFlow::new(&net).unwrap();
    let r = pf.solve_checked(&net).unwrap();
    let flow = |id: &str| r.pf_mw[net.branch_names.iter().position(|b| b == id).unwrap()];
    assert!((flow("FDR-1") - 0.014).abs() < 1e-12, "{}", flow("FDR-1"));
    assert!((flow("FDR-2") - 0.034).abs() < 1e-12, "{}", flow("FDR-2"));
}

#[test]
fn a_bad_campus_is_an_input_error_naming_the_hall() {
    let d = dir("bad");
    let good = campus_text(0.05, 1.0, 0.01, 0.01);
    let cases: Vec<(String, &str)> = vec![
        (good.replace(r#"{ "UTIL" = "MV-2" }"#, "{}"), "is not connected"),
        (good.replace(r#""UTIL" = "MV-2""#, r#""UTIL" = "MV-9""#), "does not exist"),
        (good.replace(r#""UTIL" = "MV-2""#, r#""UTIL" = "MV-2", "SWGR" = "MV-1""#), "not a utility bus"),
        (good.replace("id = \"H2\"", "id = \"H1\""), "duplicate hall id"),
        (good.replace("id = \"H2\"", "id = \"H/2\""), "contains '/'"),
        (
            good.replace(
                "file = \"hall.toml\"\nconnect = { \"UTIL\" = \"MV-2\" }",
                "file = \"none.toml\"\nconnect = { \"UTIL\" = \"MV-2\" }",
            ),
            "cannot read",
        ),
        (
            good.replace(
                "id = \"MV-2\"\nkind = \"switchgear\"\nkv = 13.8",
                "id = \"MV-2\"\nkind = \"switchgear\"\nkv = 0.48",
            ),
            "13.8 kV but campus bus \"MV-2\" is 0.48 kV",
        ),
        (good.replace("[campus]", "[campus]\nfloor = 1"), "unknown field"),
        (good.replace("id = \"FDR-2\"", "id = \"H2/FDR\""), "contains '/'"),
    ];
    for (text, want) in cases {
        let e = campus::load(&write(&d, &text)).err().unwrap_or_else(|| panic!("accepted: {want}"));
        let msg = e.to_string();
        assert!(msg.contains(want), "{want}: {msg}");
        assert!(!e.fix.is_empty(), "{msg}");
    }
    // A hall with two utility buses tied together, both connected to one campus bus:
    // the tie would join that bus to itself.
    let two = HALL.replace(
        "[[network.generator]]\nid = \"UTIL-INFEED\"",
        "[[network.bus]]\nid = \"UTIL-B\"\nkind = \"utility\"\nkv = 13.8\n[[network.branch]]\nid = \"UTIL-TIE\"\nfrom = \"UTIL\"\nto = \"UTIL-B\"\nx_pu = 0.01\n[[network.generator]]\nid = \"UTIL-INFEED\"",
    );
    std::fs::write(d.join("two.toml"), two).unwrap();
    let text = good.replace(
        "file = \"hall.toml\"\nconnect = { \"UTIL\" = \"MV-2\" }",
        "file = \"two.toml\"\nconnect = { \"UTIL\" = \"MV-2\", \"UTIL-B\" = \"MV-2\" }",
    );
    let e = campus::load(&write(&d, &text)).unwrap_err();
    assert!(e.to_string().contains("joins campus bus \"MV-2\" to itself"), "{e}");
    // A campus is not a hall: the facility reader says so.
    let p = write(&d, &good);
    let e = thermogrid::facility::load(&p).unwrap_err();
    assert!(e.to_string().contains("campus file"), "{e}");
}

#[test]
fn an_island_its_sources_cannot_carry_collapses_and_one_they_can_shares_its_load() {
    let d = dir("islands");
    // Losing the grid leaves the campus on the turbine (50 kW) and the battery
    // (10 kW, 10 kWh → 10 kW for an hour): 60 kW for 68 kW of load. It collapses:
    // every rack of both halls is lost.
    let c = campus::load(&write(&d, &campus_text(0.05, 1.0, 0.01, 0.01))).unwrap();
    let s = thermogrid::outage::screen(&c.plant).unwrap();
    let o = outage(&s, "GRID-utility");
    assert_eq!(o.racks_unpowered.len(), 6, "{o:?}");
    assert!((o.lost_it_mw - 0.06).abs() < 1e-12);
    assert_eq!(o.collapsed.len(), 1);
    assert!((o.collapsed[0].load_mw - 0.068).abs() < 1e-12, "{:?}", o.collapsed);
    assert!((o.collapsed[0].capacity_mw - 0.06).abs() < 1e-12, "{:?}", o.collapsed);
    assert_eq!(o.cooling_units_down.len(), 2);
    // Losing FDR-1 leaves H1 on the turbine alone (34 kW of 50): it carries it.
    let o = outage(&s, "FDR-1");
    assert!(o.racks_unpowered.is_empty() && o.collapsed.is_empty(), "{o:?}");
    // A battery of 20 kW for an hour: 70 kW carry 68. The island shares its load by
    // capacity (droop): the turbine gives 68 × 50/70 = 48.571 kW, above its 45 kVA
    // breaker (107.94 %).
    let c = campus::load(&write(&d, &campus_text(0.05, 0.045, 0.02, 0.02))).unwrap();
    let s = thermogrid::outage::screen(&c.plant).unwrap();
    let o = outage(&s, "GRID-utility");
    assert!(o.racks_unpowered.is_empty() && o.collapsed.is_empty(), "{o:?}");
    assert_eq!(o.overloaded.len(), 1, "{:?}", o.overloaded);
    assert_eq!(o.overloaded[0].branch, "GT-BRK");
    let want = 0.068 * 50.0 / 70.0;
    assert!((o.overloaded[0].flow_mw.abs() - want).abs() < 1e-9, "{:?}", o.overloaded);
    assert!((o.overloaded[0].loading_pct - want / 0.045 * 100.0).abs() < 1e-6);
    // A battery short of energy counts for what it holds for an hour: 20 kW with
    // 15 kWh is 15 kW → 65 kW for 68: collapse.
    let c = campus::load(&write(&d, &campus_text(0.05, 1.0, 0.02, 0.015))).unwrap();
    let s = thermogrid::outage::screen(&c.plant).unwrap();
    assert_eq!(outage(&s, "GRID-utility").collapsed.len(), 1);
    // Hall elements are the hall's, by their prefixed ids.
    assert!(outage(&s, "H2/PDU-A-FEED").racks_unpowered.is_empty());
    assert_eq!(outage(&s, "H1/MECH-FEED").cooling_units_down[0].id, "H1/CRAH-1");
}

#[test]
fn each_halls_transients_are_batched_and_equal_the_hall_alone() {
    let d = dir("thermal");
    // The turbine and a 20 kW battery carry the campus without the grid: the outages
    // that touch a hall are its own TX (racks and CRAH dark), MECH-FEED and CRAH-1 (the
    // CRAH stopped for good, racks heating) — the last two the same in the hall — and
    // for H2 FDR-2 too (the battery alone does not hold MV-2: H2 dark, as its TX lost).
    let c = campus::load(&write(&d, &campus_text(0.05, 1.0, 0.02, 0.02))).unwrap();
    let (s, cost, worst) =
        thermogrid::outage::campus::run(&c, 10, (10.0, 60.0), 2, thermogrid::backend::Backend::Cpu).unwrap();
    // 3 + 4 (hall, outage) pairs; 2 distinct consequences in one design; 1 steady start.
    assert_eq!((cost.pairs, cost.runs, cost.steady_starts), (7, 2, 1), "{cost:?}");
    assert_eq!(outage(&s, "FDR-2").racks_unpowered.len(), 3);
    assert!(outage(&s, "FDR-1").racks_unpowered.is_empty());
    let h1 = outage(&s, "H1/MECH-FEED").thermal.clone().expect("simulated");
    let h2 = outage(&s, "H2/CRAH-1").thermal.clone().expect("simulated");
    let ids: Vec<&str> = h2.racks.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(ids, vec!["H2/R1", "H2/R2", "H2/R3"]);
    // The hall alone, with its part of the outage: the same histories to the bit.
    let o = outage(&s, "H2/CRAH-1");
    let l = thermogrid::outage::campus::local(&c, 1, o).unwrap();
    assert_eq!(l.cooling_units_down.len(), 1);
    assert_eq!(l.cooling_units_down[0].id, "CRAH-1");
    let (alone, _) = thermogrid::outage::thermal::transient(
        &c.halls[1].facility,
        &l,
        (10.0, 60.0),
        thermogrid::backend::Backend::Cpu,
    )
    .unwrap();
    assert_eq!(h2.time_s, alone.time_s);
    assert_eq!(h2.intake_c, alone.intake_c);
    assert_eq!(h1.intake_c, alone.intake_c);
    assert_eq!(h2.max_intake_c, alone.max_intake_c);
    // Without cooling the racks warm: the transient is not trivial.
    let nr = 3;
    let last = &alone.intake_c[alone.intake_c.len() - nr..];
    assert!(last.iter().zip(&alone.intake_c[..nr]).all(|(b, a)| b > &(a + 0.5)), "{:?}", alone.intake_c);
    // An outage of the campus that touches no hall has no transient; FDR-2's is H2's.
    assert!(outage(&s, "FDR-1").thermal.is_none());
    assert_eq!(outage(&s, "FDR-2").thermal.as_ref().unwrap().racks.len(), 3);
    // The two most severe simulated outages run again for their files: each hall they
    // touch, most severe first, the same histories as the batch's outcome.
    let ranks: std::collections::BTreeSet<usize> = worst.iter().map(|w| w.0).collect();
    assert_eq!(ranks.len(), 2, "{ranks:?}");
    assert!(worst.windows(2).all(|p| p[0].0 <= p[1].0));
    let simulated: Vec<usize> = (0..s.outages.len()).filter(|&k| s.outages[k].thermal.is_some()).take(2).collect();
    assert_eq!(ranks.into_iter().collect::<Vec<_>>(), simulated);
    for (r, hall, sc) in &worst {
        let th = s.outages[*r].thermal.as_ref().unwrap();
        assert!(th.racks.iter().any(|x| x.0.starts_with(&format!("{hall}/"))), "{hall}");
        if worst.iter().filter(|w| w.0 == *r).count() == 1 {
            assert_eq!((&sc.time_s, &sc.intake_c), (&th.time_s, &th.intake_c), "{}", s.outages[*r].element);
        }
    }
    // The command line writes them beside its results file, with their heat maps.
    let out = d.join("c.h5");
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args(["contingency", &c.path, "--thermal", "10", "--dt", "10", "--duration", "60", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let mut files: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("c.0") && n.ends_with(".h5"))
        .collect();
    files.sort();
    // Its three most severe (the two above among them).
    assert!(files.len() >= worst.len(), "{files:?}");
    for (r, hall, _) in &worst {
        let stem = thermogrid::outage::output::group_name(*r, &format!("{}.{hall}", s.outages[*r].element));
        assert!(files.contains(&format!("c.{stem}.h5")), "{stem} in {files:?}");
        assert!(d.join(format!("c.{stem}.png")).exists(), "{stem}.png");
    }
}

#[test]
fn the_bundled_campus_screens_every_element() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("campus_ai.h5");
    let _ = std::fs::remove_file(&out);
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_thermogrid"))
        .args(["contingency", "meshes/campus_ai.toml", "--thermal", "0", "--json", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let halls = j["halls"].as_array().unwrap();
    assert_eq!(halls.len(), 10);
    // 4 × 800 racks of 32 GPUs (4 DGX H100) + 6 × 72 NVL72 racks of 72 GPUs.
    let racks: u64 = halls.iter().map(|h| h["racks"].as_u64().unwrap()).sum();
    assert_eq!(racks, 4 * 800 + 6 * 72);
    assert_eq!(4 * 800 * 32 + 6 * 72 * 72, 133_504);
    let outages = j["outages"].as_array().unwrap();
    assert_eq!(outages.len() as u64, j["elements"].as_u64().unwrap());
    assert!(outages.len() > 5000);
    // Every campus transformer and ring segment is N-1 secure for IT.
    for o in outages {
        let e = o["element"].as_str().unwrap();
        if ["TX-345", "RING-", "L345", "TX-W", "TX-E", "TX-BESS", "TIE-345"].iter().any(|p| e.starts_with(p)) {
            assert_eq!(o["lost_it_mw"].as_f64().unwrap(), 0.0, "{e}");
        }
    }
    // The grid lost: the turbines and batteries carry the campus (no collapse).
    let grid = outages.iter().find(|o| o["element"] == "GRID-INFEED").unwrap();
    assert_eq!(grid["collapsed"].as_array().unwrap().len(), 0);
    assert_eq!(grid["lost_it_mw"].as_f64().unwrap(), 0.0);
    let f = hdf5::File::open(&out).unwrap();
    assert_eq!(f.group("outages").unwrap().dataset("lost_it_mw").unwrap().shape(), vec![outages.len()]);
}
