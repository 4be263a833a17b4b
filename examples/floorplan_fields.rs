//! Write the benchmark floorplan (`thermogrid::samples::floorplan`) at n × n cells as a
//! fields file, for `thermogrid solve` and for other solvers (benches/pyamg_compare.py).
//!
//! cargo run --release --example floorplan_fields -- 1024 out/floorplan_1024.h5 [--fixed-walls]

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: floorplan_fields N OUT.h5 [--fixed-walls]");
        std::process::exit(2);
    }
    let n: usize = args[1].parse().expect("N: a whole number of cells per side");
    let fixed = args.iter().any(|a| a == "--fixed-walls");
    let p = thermogrid::samples::floorplan(n, fixed);
    thermogrid::io::fields::write_fields(std::path::Path::new(&args[2]), &p, 20.0, None).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    println!("{}: {n} × {n} floorplan, dx = {} m", args[2], p.grid.dx);
}
