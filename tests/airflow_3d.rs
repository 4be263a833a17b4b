//! The airflow model in 3-D: a raised-floor hall (tiles in the cold aisle fed by two
//! CRAHs, racks 2.1 m tall under a 3 m ceiling). Checks: mass and energy conservation;
//! intakes fed from the floor are coolest at the bottom, and hot exhaust recirculating
//! over the rack tops warms their upper intakes, more so when the tiles deliver less
//! air than the racks draw; the room stratifies (warmer layers higher up); a ceiling
//! return lowers the warmest intake; rear-door heat exchangers take their rack's heat
//! out of its air, up to their capacity.

use thermogrid::facility::load_str;
use thermogrid::raster::material;
use thermogrid::run::{solve_input, Backend, Input, Study};
use thermogrid::thermal::SolveOptions;

/// 7.2 m × 6.0 m × 3.0 m at 0.15 m (48 × 40 × 20 cells); rows A (y 1.2–2.4, facing
/// north) and B (y 3.6–4.8, facing south) of six 15 kW racks around a cold aisle of
/// tiles (y 2.4–3.6); racks draw 12 × 1.05 m³/s = 12.6 m³/s.
const HALL: &str = r#"name = "hall_3d_test: 12 × 15 kW racks on a raised floor"
[floor]
width_m = 7.2
depth_m = 6.0
cell_m = 0.15
height_m = 3.0
layers = 20
[floor.walls]
west = "adiabatic"
east = "adiabatic"
south = "adiabatic"
north = "adiabatic"
floor = "adiabatic"
ceiling = "adiabatic"
[[rack_row]]
id = "A"
x_m = 1.8
y_m = 1.2
count = 6
height_m = 2.1
facing = "north"
power_kw = 15.0
[[rack_row]]
id = "B"
x_m = 1.8
y_m = 3.6
count = 6
height_m = 2.1
facing = "south"
power_kw = 15.0
[[supply]]
id = "tiles"
x_m = 1.8
y_m = 2.4
width_m = 3.6
depth_m = 1.2
height_m = 0.15
supply_c = 18.0
airflow_m3_s = TILEFLOW
[[cooling]]
id = "CRAH-W"
kind = "crah"
x_m = 0.0
y_m = 2.1
width_m = 0.9
depth_m = 1.8
height_m = 2.4
capacity_kw = 150.0
supply_c = 18.0
delta_t_k = 12.0
RET
[[cooling]]
id = "CRAH-E"
kind = "crah"
x_m = 6.3
y_m = 2.1
width_m = 0.9
depth_m = 1.8
height_m = 2.4
capacity_kw = 150.0
supply_c = 18.0
delta_t_k = 12.0
RET
[airflow]
model = "potential"
"#;

fn hall(tile_m3s: f64, ret: &str, extra: &str) -> Study {
    let text = HALL.replace("TILEFLOW", &tile_m3s.to_string()).replace("RET", &format!("return = \"{ret}\""));
    let f = load_str("hall_3d.toml", &format!("{text}\n{extra}")).unwrap();
    solve_input(
        Input::Facility(Box::new(f)),
        "hall_3d.toml",
        Backend::Cpu,
        &SolveOptions::default(),
        std::time::Instant::now(),
    )
    .unwrap()
}

const NX: usize = 48;
const NY: usize = 40;
const NZ: usize = 20;

fn at(s: &Study, i: usize, j: usize, k: usize) -> f64 {
    s.t[(k * NY + j) * NX + i]
}

/// Mean temperature of row A's intake face (the air cells just north of it, x 1.8–5.4)
/// in layer k.
fn intake_a(s: &Study, k: usize) -> f64 {
    (12..36).map(|i| at(s, i, 16, k)).sum::<f64>() / 24.0
}

/// Mean temperature of the open air in layer k.
fn layer_mean(s: &Study, k: usize) -> f64 {
    let m = s.material.as_ref().unwrap();
    let cells: Vec<usize> =
        (0..NX * NY).map(|c| k * NX * NY + c).filter(|&c| m[c] == material::AIR || m[c] == material::SUPPLY).collect();
    cells.iter().map(|&c| s.t[c]).sum::<f64>() / cells.len() as f64
}

fn max_intake(s: &Study) -> f64 {
    s.racks.iter().map(|r| r.intake_c).fold(f64::NEG_INFINITY, f64::max)
}

fn conserved(s: &Study) {
    assert!(s.airflow_mass_residual.unwrap() < 1e-9, "mass {:?}", s.airflow_mass_residual);
    assert!(s.energy.rel_error < 1e-9, "energy {}", s.energy.rel_error);
    let it: f64 = s.racks.iter().map(|r| r.air_heat_kw).sum::<f64>() * 1e3;
    let removed: f64 = s.cooling.iter().map(|c| c.removed_kw).sum::<f64>() * 1e3;
    assert!((it - removed).abs() < 1e-6 * it, "racks {it} W, units {removed} W");
}

#[test]
fn raised_floor_recirculation_over_rack_tops_and_stratification() {
    let over = hall(13.9, "behind", "");
    let under = hall(10.1, "behind", "");
    for s in [&over, &under] {
        conserved(s);
        // Floor-fed intakes: supply air at the bottom, warmer towards the rack top
        // (layers 0..14 are the rack's 2.1 m).
        assert!(intake_a(s, 0) < 18.1, "bottom intake {}", intake_a(s, 0));
        for k in [4, 8, 12] {
            assert!(intake_a(s, k + 1) >= intake_a(s, k) - 1e-6, "intake not rising at layer {k}");
        }
        assert!(intake_a(s, 13) > intake_a(s, 0) + 3.0, "no recirculation over the rack tops");
        // Stratification: the room's air warms with height.
        assert!(layer_mean(s, NZ - 1) > layer_mean(s, 10) && layer_mean(s, 10) > layer_mean(s, 0));
    }
    eprintln!(
        "top-of-rack intake: tiles 110 % {:.2} °C, 80 % {:.2} °C; max intake {:.2} / {:.2} °C",
        intake_a(&over, 13),
        intake_a(&under, 13),
        max_intake(&over),
        max_intake(&under)
    );
    // Starving the floor pulls more hot air over the tops.
    assert!(intake_a(&under, 13) > intake_a(&over, 13) + 2.0);
    assert!(max_intake(&under) > max_intake(&over) + 1.0);
}

#[test]
fn ceiling_return_lowers_the_warmest_intake() {
    let wall = hall(13.9, "behind", "");
    let ceiling = hall(13.9, "ceiling", "");
    conserved(&ceiling);
    eprintln!(
        "max intake: return behind the CRAHs {:.2} °C, ceiling return {:.2} °C",
        max_intake(&wall),
        max_intake(&ceiling)
    );
    assert!(max_intake(&ceiling) < max_intake(&wall) - 0.5);
    assert!(layer_mean(&ceiling, NZ - 1) > layer_mean(&ceiling, 0));
}

/// Rear doors on every rack of row A: with enough capacity each brings its rack's
/// exhaust down to the door's 20 °C supply temperature (removing ρc_p V (T_exhaust − 20));
/// at 5 kW each, every door runs at exactly its capacity.
#[test]
fn rear_doors_cool_their_rack_air_up_to_capacity() {
    let doors = |kw: f64| -> String {
        (1..=6)
            .map(|n| {
                format!(
                    "[[cooling]]\nid = \"RD-{n:02}\"\nkind = \"rear_door\"\nrack = \"A-{n:02}\"\nheight_m = 2.1\n\
                     capacity_kw = {kw}\nsupply_c = 20.0\ndelta_t_k = 12.0\n"
                )
            })
            .collect()
    };
    for (kw, at_capacity) in [(30.0, false), (5.0, true)] {
        let s = hall(13.9, "behind", &doors(kw));
        conserved(&s);
        for c in s.cooling.iter().filter(|c| c.id.starts_with("RD-")) {
            let rack = s.racks.iter().find(|r| r.id == format!("A-{}", &c.id[3..])).unwrap();
            // The rack's air leaves at intake + 12 K; the door brings it to 20 °C if it can.
            let exhaust = rack.intake_c + 12.0;
            let want = if at_capacity { kw } else { rack.air_heat_kw * (exhaust - 20.0) / 12.0 };
            assert!((c.removed_kw - want).abs() < 1e-6 * want, "{}: {} kW, expected {want} kW", c.id, c.removed_kw);
            assert!(c.removed_kw <= kw + 1e-9);
        }
    }
}
