//! Rank cooling layouts of the same pod (meshes/pod_raised_floor.toml: 16 racks, 360 kW,
//! one tiled cold aisle, 3-D) with the momentum model of hall air: tiles at 110 %, 90 %
//! (as built) and 75 % of the racks' air; short tiles with cold-aisle containment (a
//! roof at rack height and leaky end doors); and 20 % more IT load on the as-built
//! floor. The as-built pod also runs with the potential-flow and diffusion models for
//! contrast. Prints a table (warmest, mean and row-end vs mid-row intake, RCI_HI) and
//! writes a heat map per run to out/layouts/. Its test checks that the ranking is the
//! physical one.
//!
//! cargo run --release --example cooling_layouts
use std::path::Path;
use thermogrid::facility::{self, AirModel, Facility, Obstacle, ObstacleKind, Rect};
use thermogrid::run::{solve_input, Backend, Input};
use thermogrid::thermal::SolveOptions;

fn layouts(base: &Facility) -> Vec<(&'static str, Facility)> {
    let with_tiles = |share: f64| {
        let mut f = base.clone();
        // The racks' air at the mesh's own ΔT across the servers.
        let dt_k = f.airflow.as_ref().map(|a| a.rack_delta_t_k).unwrap_or(12.0);
        let air: f64 = f.racks.iter().map(|r| r.air_heat_w()).sum::<f64>() / (f.materials.air_rho_cp_j_m3k * dt_k);
        let n = f.supply.len() as f64;
        f.supply.iter_mut().for_each(|t| t.airflow_m3_s = Some(share * air / n));
        f
    };
    let mut out = vec![("tiles 110 %", with_tiles(1.1)), ("tiles 90 % (as built)", with_tiles(0.9))];
    out.push(("tiles 75 %", with_tiles(0.75)));
    // Cold-aisle containment over the tiled aisle: a 0.2 m roof at rack height and a
    // door at each end that stops 0.4 m short of the roof (doors leak: a sealed aisle
    // fed by short tiles has no air to give its racks).
    let mut cont = with_tiles(0.75);
    let aisle = cont.supply[0].rect;
    let top = cont.racks.iter().map(|r| r.height_m).fold(0.0, f64::max);
    let dx = cont.floor.cell_m;
    let panel = |id: &str, rect: Rect, z_m: f64, height_m: f64| Obstacle {
        id: id.into(),
        kind: ObstacleKind::Other,
        rect,
        height_m,
        z_m,
        k_w_mk: 0.5,
        pos: None,
    };
    cont.obstacles.push(panel("roof", aisle, top, dx));
    let (w, d) = (aisle.x1 - aisle.x0, aisle.y1 - aisle.y0);
    cont.obstacles.push(panel("door-w", Rect::new(aisle.x0 - dx, aisle.y0, dx, d), 0.0, top - 0.4));
    cont.obstacles.push(panel("door-e", Rect::new(aisle.x0 + w, aisle.y0, dx, d), 0.0, top - 0.4));
    out.push(("tiles 75 % + containment", cont));
    // 20 % more IT on the as-built floor (same tiles).
    let mut more = with_tiles(0.9);
    more.racks.iter_mut().for_each(|r| r.power_kw *= 1.2);
    out.push(("IT +20 %, tiles as built", more));
    out
}

/// One run's numbers.
pub struct Row {
    pub name: String,
    /// °C.
    pub max_intake_c: f64,
    pub mean_intake_c: f64,
    /// Mean intake of the racks at the ends of their rows, and of the others, °C.
    pub row_end_c: f64,
    pub mid_row_c: f64,
    pub rci_hi: f64,
}

fn model_name(m: AirModel) -> &'static str {
    match m {
        AirModel::Cfd => "momentum",
        AirModel::Potential => "potential",
    }
}

/// Every layout with the mesh's own model, then the as-built pod with the other models.
pub fn run(path: &str) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let base = facility::load(path)?;
    let outdir = Path::new("out/layouts");
    std::fs::create_dir_all(outdir)?;
    let model = base.airflow.as_ref().map(|a| a.model).unwrap_or(AirModel::Cfd);
    let all = layouts(&base);
    let built = all[1].1.clone();
    let mut runs: Vec<(String, Facility)> =
        all.into_iter().map(|(n, f)| (format!("{n} ({})", model_name(model)), f)).collect();
    let mut pot = built.clone();
    if let Some(a) = pot.airflow.as_mut() {
        a.model = AirModel::Potential;
    }
    runs.push(("tiles 90 % (as built) (potential)".into(), pot));
    let mut diff = built;
    diff.airflow = None;
    runs.push(("tiles 90 % (as built) (diffusion)".into(), diff));
    println!("{path}: {:.0} kW IT as built", base.it_power_w() / 1e3);
    println!(
        "{:<40} {:>9} {:>9} {:>9} {:>9} {:>8}  picture",
        "layout (air model)", "max °C", "mean °C", "ends °C", "mid °C", "RCI_HI"
    );
    let mut rows = Vec::new();
    for (name, f) in runs {
        let ends: Vec<bool> = row_ends(&f);
        let s = solve_input(
            Input::Facility(Box::new(f)),
            path,
            Backend::Cpu,
            &SolveOptions::default(),
            std::time::Instant::now(),
        )?;
        let intakes: Vec<f64> = s.racks.iter().map(|r| r.intake_c).collect();
        let mean = |pick: &dyn Fn(usize) -> bool| {
            let v: Vec<f64> = (0..intakes.len()).filter(|&i| pick(i)).map(|i| intakes[i]).collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        };
        let row = Row {
            max_intake_c: intakes.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            mean_intake_c: mean(&|_| true),
            row_end_c: mean(&|i| ends[i]),
            mid_row_c: mean(&|i| !ends[i]),
            rci_hi: thermogrid::report::rci(&s).0.unwrap_or(f64::NAN),
            name,
        };
        let slug: String = row.name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        let h5 = outdir.join(format!("{slug}.h5"));
        thermogrid::io::results::write_results(&h5, &s)?;
        let png = outdir.join(format!("{slug}.png"));
        thermogrid::io::render::render_results(&h5, &png)?;
        println!(
            "{:<40} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>8.1}  {}",
            row.name,
            row.max_intake_c,
            row.mean_intake_c,
            row.row_end_c,
            row.mid_row_c,
            row.rci_hi,
            png.display()
        );
        rows.push(row);
    }
    Ok(rows)
}

/// Whether each rack ends its row: no rack of the same facing beside it on one side.
fn row_ends(f: &Facility) -> Vec<bool> {
    let tol = 1e-6;
    f.racks
        .iter()
        .map(|r| {
            let beside = |x: f64| {
                f.racks
                    .iter()
                    .any(|o| o.facing == r.facing && (o.rect.y0 - r.rect.y0).abs() < tol && (o.rect.x0 - x).abs() < tol)
            };
            let w = r.rect.x1 - r.rect.x0;
            !(beside(r.rect.x0 - w) && beside(r.rect.x0 + w))
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "meshes/pod_raised_floor.toml".into());
    run(&path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The momentum model ranks the layouts as a hall would: more tile air cools the
    /// warmest intake, containment helps when the tiles are short, more IT load warms
    /// the intakes, and row ends (where hot air wraps around the row) run warmer than
    /// mid-row racks.
    #[test]
    fn ranks_layouts_physically() {
        std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
        let rows = super::run("meshes/pod_raised_floor.toml").unwrap();
        let get = |prefix: &str| rows.iter().find(|r| r.name.starts_with(prefix)).unwrap();
        let (t110, t90, t75) = (get("tiles 110 %"), get("tiles 90 % (as built) (momentum)"), get("tiles 75 % ("));
        let (cont, more) = (get("tiles 75 % + containment"), get("IT +20 %"));
        assert!(t110.max_intake_c < t90.max_intake_c && t90.max_intake_c < t75.max_intake_c, "tiles");
        assert!(t110.mean_intake_c < t90.mean_intake_c && t90.mean_intake_c < t75.mean_intake_c, "tiles (mean)");
        assert!(cont.max_intake_c < t75.max_intake_c, "containment with short tiles");
        assert!(more.max_intake_c > t90.max_intake_c && more.mean_intake_c > t90.mean_intake_c, "IT load");
        for r in [t90, t75, more] {
            assert!(
                r.row_end_c > r.mid_row_c + 0.5,
                "{}: row ends {:.2} vs mid-row {:.2}",
                r.name,
                r.row_end_c,
                r.mid_row_c
            );
        }
    }
}
