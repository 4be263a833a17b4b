//! Criterion benchmarks of the DC power flow on the large shared cases: build +
//! factorize + solve (parse excluded), and re-solving new injections on an existing
//! factorization.
//!
//! cargo bench --bench power_flow

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;
use thermogrid::power::matpower::read_matpower;
use thermogrid::power::DcPowerFlow;

fn cases(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases");
    for name in ["case2383wp", "case_ACTIVSg2000"] {
        let net = read_matpower(dir.join(format!("{name}.m")).to_str().unwrap()).unwrap();
        let mut g = c.benchmark_group(name);
        g.bench_function("build_factorize_solve", |b| {
            b.iter(|| {
                let pf = DcPowerFlow::new(&net).unwrap();
                pf.solve(&net)
            })
        });
        let pf = DcPowerFlow::new(&net).unwrap();
        let pbus = pf.pbus(&net);
        g.bench_function("resolve_angles", |b| b.iter(|| pf.angles(&pbus)));
        g.bench_function("resolve_angles_and_flows", |b| b.iter(|| pf.flows_mw(&pf.angles(&pbus))));
        g.finish();
    }
}

criterion_group!(benches, cases);
criterion_main!(benches);
