//! Compare cooling layouts of the same 1 MW pod (meshes/hall_small.toml, same IT load):
//! in-row coolers as designed; perimeter CRAHs only; in-row plus cold-aisle containment
//! (low-conductivity doors across the cold-aisle ends); and 90 % liquid-cooled racks with
//! a CDU — each with the diffusion-only model and with the airflow model. Prints a table
//! (max intake, RCI_HI, cooling power, PUE) and writes a heat map per run to out/layouts/.
//!
//! cargo run --release --example cooling_layouts

use std::path::Path;
use thermogrid::facility::{self, CoolingKind, CoolingUnit, Facility, Obstacle, ObstacleKind, Rect};
use thermogrid::run::{solve_input, Backend, Input};
use thermogrid::thermal::SolveOptions;

fn unit(id: &str, kind: CoolingKind, rect: Rect, capacity_kw: f64) -> CoolingUnit {
    CoolingUnit {
        id: id.into(),
        kind,
        rect: Some(rect),
        height_m: 2.0,
        capacity_kw,
        supply_c: 20.0,
        delta_t_k: 12.0,
        rack: None,
        facing: None,
        ceiling_return: false,
        electric_kw: capacity_kw * facility::AIR_UNIT_KW_E_PER_KW,
        electric_kw_given: false,
        feed_bus: Some("MECH".into()),
        pos: None,
    }
}

fn layouts(base: &Facility) -> Vec<(&'static str, Facility)> {
    let mut out = vec![("in-row coolers", base.clone())];
    // Perimeter CRAHs only: the in-row units go; six 200 kW CRAHs on the south and north walls.
    let mut perim = base.clone();
    perim.cooling.retain(|u| u.kind != CoolingKind::InRow);
    for (n, x) in [2.0, 8.8, 15.6].iter().enumerate() {
        perim.cooling.push(unit(&format!("CRAH-S{n}"), CoolingKind::Crah, Rect::new(*x, 0.0, 2.4, 0.9), 200.0));
        perim.cooling.push(unit(&format!("CRAH-N{n}"), CoolingKind::Crah, Rect::new(*x, 13.1, 2.4, 0.9), 200.0));
    }
    out.push(("perimeter CRAHs", perim));
    // Containment: 0.1 m doors (k = 0.5 W/(m·K)) across both ends of each cold aisle,
    // leaving a 0.1 m gap at each side (real doors leak; a sealed aisle has no airflow
    // solution unless its supply matches its racks exactly).
    let mut cont = base.clone();
    for (n, y) in [3.7, 8.5].iter().enumerate() {
        for (m, x) in [6.9, 13.0].iter().enumerate() {
            cont.obstacles.push(Obstacle {
                id: format!("door-{n}{m}"),
                kind: ObstacleKind::Wall,
                rect: Rect::new(*x, *y, 0.1, 1.0),
                height_m: cont.floor.height_m,
                z_m: 0.0,
                k_w_mk: 0.5,
                pos: None,
            });
        }
    }
    out.push(("in-row + containment", cont));
    // 90 % liquid cooling: the racks' heat mostly goes to a 1.2 MW CDU.
    let mut liq = base.clone();
    liq.racks.iter_mut().for_each(|r| r.liquid_fraction = 0.9);
    let mut cdu = unit("CDU-1", CoolingKind::Cdu, Rect::new(17.0, 0.5, 1.2, 1.2), 1200.0);
    cdu.electric_kw = 1200.0 * facility::CDU_KW_E_PER_KW;
    liq.cooling.push(cdu);
    out.push(("90 % liquid-cooled", liq));
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "meshes/hall_small.toml".into());
    let base = facility::load(&path)?;
    let outdir = Path::new("out/layouts");
    std::fs::create_dir_all(outdir)?;
    println!("{path}: {:.2} MW IT in every layout", base.it_power_w() / 1e6);
    println!(
        "{:<34} {:>14} {:>10} {:>14} {:>7}  picture",
        "layout (model)", "max intake °C", "RCI_HI %", "cooling kW", "PUE"
    );
    let mut runs = Vec::new();
    for (name, f) in layouts(&base) {
        runs.push((format!("{name} (diffusion)"), f.clone()));
        let mut air = f;
        air.airflow = Some(facility::AirflowSettings {
            turbulent_k_w_mk: 100.0,
            rack_delta_t_k: 12.0,
            model: facility::AirModel::Potential,
            turbulence: facility::TurbulenceModel::Lvel,
        });
        runs.push((format!("{name} (airflow)"), air));
    }
    for (name, f) in runs {
        let name = name.as_str();
        let s = solve_input(
            Input::Facility(Box::new(f)),
            &path,
            Backend::Cpu,
            &SolveOptions::default(),
            std::time::Instant::now(),
        )?;
        let max_intake = s.racks.iter().map(|r| r.intake_c).fold(f64::NEG_INFINITY, f64::max);
        let rci = thermogrid::report::rci(&s).0.unwrap_or(f64::NAN);
        let (cool, pue) = s
            .coupling
            .as_ref()
            .map(|c| (c.cooling_mw * 1e3, c.pue.unwrap_or(f64::NAN)))
            .unwrap_or((f64::NAN, f64::NAN));
        let slug: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        let h5 = outdir.join(format!("{slug}.h5"));
        thermogrid::io::results::write_results(&h5, &s)?;
        let png = outdir.join(format!("{slug}.png"));
        thermogrid::io::render::render_results(&h5, &png)?;
        println!("{name:<34} {max_intake:>14.2} {rci:>10.1} {cool:>14.1} {pue:>7.3}  {}", png.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs() {
        std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
        super::main().unwrap();
    }
}
