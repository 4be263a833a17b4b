//! Compare cooling layouts of a facility: the design as written, warmer supply air,
//! and the loss of each cooling unit in turn (N-1), ranked by the warmest rack intake.
//!
//! cargo run --release --example cooling_layouts [-- meshes/hall_small.toml]

use thermogrid::facility::{self, Facility};
use thermogrid::metrics::rack_results;
use thermogrid::raster::rasterize;
use thermogrid::thermal::energy::energy_balance;
use thermogrid::thermal::{solve_steady, SolveOptions};

struct Outcome {
    variant: String,
    max_intake_c: f64,
    worst_rack: String,
    max_c: f64,
    balance: f64,
}

fn evaluate(f: &Facility, variant: String) -> Result<Outcome, Box<dyn std::error::Error>> {
    let r = rasterize(f)?;
    let s = solve_steady(&r.problem, &SolveOptions::default())?;
    let racks = rack_results(f, &r, &s.t);
    let worst = racks.iter().max_by(|a, b| a.intake_c.total_cmp(&b.intake_c)).ok_or("no racks")?;
    Ok(Outcome {
        variant,
        max_intake_c: worst.intake_c,
        worst_rack: worst.id.clone(),
        max_c: s.t.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        balance: energy_balance(&r.problem, &s.t).rel_error,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "meshes/hall_small.toml".into());
    let base = facility::load(&path)?;
    let mut out = vec![evaluate(&base, "as designed".into())?];
    for dt in [-2.0, 2.0, 4.0] {
        let mut f = facility::load(&path)?;
        f.cooling.iter_mut().for_each(|u| u.supply_c += dt);
        f.supply.iter_mut().for_each(|s| s.supply_c += dt);
        out.push(evaluate(&f, format!("supply air {dt:+.0} K"))?);
    }
    for n in 0..base.cooling.len() {
        if !base.cooling[n].is_air_side() {
            continue;
        }
        let mut f = facility::load(&path)?;
        let unit = f.cooling.remove(n);
        out.push(evaluate(&f, format!("{} failed", unit.id))?);
    }
    out.sort_by(|a, b| a.max_intake_c.total_cmp(&b.max_intake_c));
    println!("{path}: {} variants, best first", out.len());
    println!("{:<24} {:>14} {:>10} {:>12}  worst rack", "variant", "max intake °C", "max °C", "balance err");
    for o in &out {
        println!("{:<24} {:>14.2} {:>10.2} {:>12.1e}  {}", o.variant, o.max_intake_c, o.max_c, o.balance, o.worst_rack);
    }
    Ok(())
}
