//! Power kernels on a GPU adapter (lavapipe in CI) against their CPU twins.
//! Without an adapter these tests skip, unless THERMOGRID_REQUIRE_GPU=1 (CI), where
//! they fail.

use std::path::PathBuf;
use thermogrid::gpu::context_for_tests;
use thermogrid::power::contingency::n1_cpu;
use thermogrid::power::gpu::{n1_gpu, ptdf_gemm, ptdf_gemm_gpu};
use thermogrid::power::matpower::read_matpower;
use thermogrid::power::DcPowerFlow;

fn case(name: &str) -> thermogrid::power::Network {
    read_matpower(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases").join(format!("{name}.m")).to_str().unwrap(),
    )
    .unwrap()
}

#[test]
fn n1_screen_gpu_matches_cpu() {
    let Some(ctx) = context_for_tests() else { return };
    for name in ["case30", "case57", "case300"] {
        let mut net = case(name);
        if name != "case30" {
            // Give every branch a rating near its base flow so screening has work to do.
            let pf = DcPowerFlow::new(&net).unwrap();
            let f = pf.solve(&net).pf_mw;
            for k in 0..net.branch.rows() {
                net.branch.set(k, thermogrid::power::network::branch::RATE_A, (f[k].abs() * 1.3).max(5.0));
            }
        }
        let pf = DcPowerFlow::new(&net).unwrap();
        let base = pf.solve(&net).pf_mw;
        let cpu = n1_cpu(&pf, &net, &base, 100.0, true);
        let gpu = n1_gpu(&ctx, &pf, &net, &base, 100.0, true).unwrap();
        assert_eq!(cpu.outages.len(), gpu.outages.len());
        // Violations are decided in f64 on both paths: the same pairs, the same values
        // to f64 round-off.
        assert_eq!(cpu.violations.len(), gpu.violations.len(), "{name}");
        for (a, b) in cpu.violations.iter().zip(&gpu.violations) {
            assert_eq!((a.outage, a.branch), (b.outage, b.branch), "{name}");
            assert!((a.loading_pct - b.loading_pct).abs() < 1e-9 * a.loading_pct, "{name}");
        }
        let nl = net.branch.rows();
        let scale = base.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1.0);
        for (c, g) in cpu.outages.iter().zip(&gpu.outages) {
            assert_eq!((c.branch, c.islanding), (g.branch, g.islanding));
            assert!(
                (c.max_loading_pct - g.max_loading_pct).abs() <= 1e-4 * c.max_loading_pct.max(1.0),
                "{name} outage {}: {} vs {}",
                c.branch,
                c.max_loading_pct,
                g.max_loading_pct
            );
        }
        let (cf, gf) = (cpu.flows_mw.unwrap(), gpu.flows_mw.unwrap());
        let d = cf.iter().zip(&gf).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        // f32 tolerance scaled by the flows and the network size.
        let tol = 1e-6 * scale * (nl as f64).sqrt() * 10.0;
        eprintln!(
            "{name}: {} outages, {} violations, max |Δflow| {d:.2e} MW (tol {tol:.1e})",
            cpu.outages.len(),
            cpu.violations.len()
        );
        assert!(d <= tol, "{name}: {d} > {tol}");
    }
}

#[test]
fn ptdf_gemm_gpu_matches_cpu_twin() {
    let Some(ctx) = context_for_tests() else { return };
    for (m, n, k) in [(1, 1, 1), (37, 70, 19), (130, 65, 200), (64, 64, 64)] {
        let a: Vec<f64> = (0..m * k).map(|i| ((i * 7919 % 1000) as f64 / 500.0) - 1.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| ((i * 104729 % 997) as f64 / 300.0) - 1.5).collect();
        let want = ptdf_gemm(&a, &b, m, n, k);
        let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
        let b32: Vec<f32> = b.iter().map(|&v| v as f32).collect();
        let got = ptdf_gemm_gpu(&ctx, &a32, &b32, m, n, k).unwrap();
        let d = want.iter().zip(&got).map(|(x, y)| (x - *y as f64).abs()).fold(0.0, f64::max);
        let tol = 4.0 * f32::EPSILON as f64 * k as f64 * 1.5 * 1.0;
        assert!(d <= tol, "{m}x{n}x{k}: {d} > {tol}");
    }
}

#[test]
fn oversized_binding_is_refused_with_the_limit() {
    let Some(ctx) = context_for_tests() else { return };
    let limit = ctx.limits.max_storage_buffer_binding_size as u64;
    let e = ctx.check_binding("test field", limit + 4).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("test field") && msg.contains(&limit.to_string()), "{msg}");
}
