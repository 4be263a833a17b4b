//! Helpers shared by the integration tests.
#![allow(dead_code)]

use thermogrid::grid::{Grid, Wall, Walls};
use thermogrid::thermal::ThermalProblem;

/// A small deterministic generator (SplitMix64) so tests need no extra crate.
pub struct Rng(pub u64);
impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A random variable-coefficient problem: k log-uniform over [1.4, 2000] in blocks,
/// sparse sinks, random sources, mixed walls.
pub fn random_problem(seed: u64, nx: usize, ny: usize, nz: usize) -> ThermalProblem {
    let mut rng = Rng(seed);
    let grid = if nz > 1 { Grid::new_3d(nx, ny, nz, 0.1) } else { Grid::new_2d(nx, ny, 0.1, 3.0) };
    let n = grid.cells();
    let mut k = vec![0.0; n];
    // Blocks of 3 cells share a conductivity, so jumps are spatially coherent.
    let mut blk = std::collections::HashMap::new();
    for kk in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let key = (i / 3, j / 3, kk / 3);
                let v = *blk.entry(key).or_insert_with(|| 1.4 * (2000.0f64 / 1.4).powf(rng.f64()));
                k[grid.idx(i, j, kk)] = v;
            }
        }
    }
    let q: Vec<f64> = (0..n).map(|_| if rng.f64() < 0.2 { 1e4 * rng.f64() } else { 0.0 }).collect();
    let h: Vec<f64> = (0..n).map(|_| if rng.f64() < 0.05 { 500.0 * rng.f64() } else { 0.0 }).collect();
    let t_s = vec![18.0; n];
    let walls = Walls {
        xlo: Wall::Fixed(25.0),
        xhi: Wall::Adiabatic,
        ylo: Wall::Adiabatic,
        yhi: Wall::Fixed(20.0),
        zlo: Wall::Adiabatic,
        zhi: Wall::Fixed(30.0),
    };
    ThermalProblem { grid, k, q, h, t_s, walls }
}

/// Run one compute pipeline once over `groups` with `bufs` bound in order, and check
/// the device for errors.
pub fn dispatch(
    ctx: &thermogrid::gpu::GpuContext,
    pipe: &wgpu::ComputePipeline,
    bufs: &[&wgpu::Buffer],
    groups: (u32, u32),
) {
    let bind = ctx.bind(pipe, bufs);
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(pipe);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(groups.0, groups.1, 1);
    }
    ctx.queue.submit([enc.finish()]);
    ctx.check().unwrap();
}
