//! Global energy balance of a steady solution: heat injected vs heat removed.
//! Interior face fluxes cancel in the sum (each face's harmonic conductance is shared
//! by its two cells), so only sources, sinks and fixed walls appear.

use super::problem::ThermalProblem;
use crate::grid::Wall;

/// Heat flows of a solved field, W.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnergyBalance {
    /// Σ q V: heat injected by sources (racks), W.
    pub injected_w: f64,
    /// Σ h (T − T_s) V: heat removed by cooling units and supply regions, W.
    pub removed_by_cooling_w: f64,
    /// Heat leaving through fixed-temperature walls, W.
    pub removed_by_walls_w: f64,
    /// |injected − removed| / max(|injected|, |removed|).
    pub rel_error: f64,
}

/// Balance of a field `t` (°C, compact) for problem `p`.
pub fn energy_balance(p: &ThermalProblem, t: &[f64]) -> EnergyBalance {
    let g = &p.grid;
    let v = g.cell_volume_m3();
    let mut inj = 0.0;
    let mut cool = 0.0;
    for c in 0..g.cells() {
        inj += p.q[c] * v;
        if p.h[c] > 0.0 {
            cool += p.h[c] * (t[c] - p.t_s[c]) * v;
        }
    }
    // A fixed wall face carries 2 k_P (T_P − T_wall) / dx per unit face area.
    let face_area = if g.is_3d() { g.dx * g.dx } else { g.dx * g.slab_m };
    let mut wall = 0.0;
    let walls = p.walls.as_array();
    let n = [g.nx, g.ny, g.nz];
    let ndim = if g.is_3d() { 3 } else { 2 };
    for d in 0..ndim {
        for side in 0..2 {
            let Wall::Fixed(tw) = walls[2 * d + side] else { continue };
            let fixed = if side == 0 { 0 } else { n[d] - 1 };
            let (a, b) = ((d + 1) % 3, (d + 2) % 3);
            for u in 0..n[a] {
                for w in 0..n[b] {
                    let mut pos = [0; 3];
                    pos[d] = fixed;
                    pos[a] = u;
                    pos[b] = w;
                    let c = g.idx(pos[0], pos[1], pos[2]);
                    wall += 2.0 * p.k[c] * (t[c] - tw) / g.dx * face_area;
                }
            }
        }
    }
    let removed = cool + wall;
    let scale = inj.abs().max(removed.abs()).max(f64::MIN_POSITIVE);
    EnergyBalance {
        injected_w: inj,
        removed_by_cooling_w: cool,
        removed_by_walls_w: wall,
        rel_error: (inj - removed).abs() / scale,
    }
}
