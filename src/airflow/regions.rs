//! Air regions: the connected components of the open cells (face neighbours). A sealed
//! containment (an aisle closed off by racks, units and doors) is its own region; the
//! potential needs one reference cell per region, and the air entering a region must
//! equal the air leaving it.

use crate::grid::Grid;

/// Region of every cell (`u32::MAX` for closed cells) and the number of regions.
pub fn regions(g: &Grid, open: &[bool]) -> (Vec<u32>, usize) {
    let n = g.cells();
    let mut label = vec![u32::MAX; n];
    let mut count = 0u32;
    let mut stack = Vec::new();
    for start in 0..n {
        if !open[start] || label[start] != u32::MAX {
            continue;
        }
        label[start] = count;
        stack.push(start);
        while let Some(c) = stack.pop() {
            let (i, j, k) = (c % g.nx, (c / g.nx) % g.ny, c / (g.nx * g.ny));
            let mut visit = |nb: usize| {
                if open[nb] && label[nb] == u32::MAX {
                    label[nb] = count;
                    stack.push(nb);
                }
            };
            if i > 0 {
                visit(c - 1);
            }
            if i + 1 < g.nx {
                visit(c + 1);
            }
            if j > 0 {
                visit(c - g.nx);
            }
            if j + 1 < g.ny {
                visit(c + g.nx);
            }
            if k > 0 {
                visit(c - g.nx * g.ny);
            }
            if k + 1 < g.nz {
                visit(c + g.nx * g.ny);
            }
        }
        count += 1;
    }
    (label, count as usize)
}

/// Net air entering each region, m³/s.
pub fn net_per_region(label: &[u32], count: usize, source_m3s: &[f64]) -> Vec<f64> {
    let mut net = vec![0.0; count];
    for (l, s) in label.iter().zip(source_m3s) {
        if *l != u32::MAX {
            net[*l as usize] += s;
        }
    }
    net
}

/// A cell of region `r` as (x, y, z) of its centre in m, for messages.
pub fn where_is(g: &Grid, label: &[u32], r: usize) -> (f64, f64, f64) {
    let c = label.iter().position(|&l| l as usize == r).unwrap_or(0);
    let (i, j, k) = (c % g.nx, (c / g.nx) % g.ny, c / (g.nx * g.ny));
    ((i as f64 + 0.5) * g.dx, (j as f64 + 0.5) * g.dx, if g.is_3d() { (k as f64 + 0.5) * g.dx } else { 0.0 })
}
