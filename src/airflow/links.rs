//! Non-local links of the energy operator: the air a rack (or a unit at capacity) blows
//! out leaves at the mean temperature of the cells it took air from plus a constant
//! (the constant goes to the right-hand side). In the operator that is
//!
//! ```text
//!   y[cell] −= Σ_links w · mean(x over the link's source cells)
//! ```
//!
//! for every cell the link blows into, with `w = ρc_p q / V` (q the cell's share of the
//! link's flow, m³/s). Stored twice as compressed lists: per link its source cells
//! (`link_mean`), per receiving cell its (link, w) entries (`link_scatter`, race-free on
//! the GPU: one thread per receiving cell). Cell indices are padded.

/// The links of one operator.
#[derive(Clone, Debug, Default)]
pub struct Links {
    /// Per link: `from_idx[from_off[l]..from_off[l + 1]]` are its source cells.
    pub from_off: Vec<u32>,
    pub from_idx: Vec<u32>,
    /// Per receiving cell c: `to_cell[c]`, with entries `to_off[c]..to_off[c + 1]` of
    /// (`to_link`, `to_w`).
    pub to_off: Vec<u32>,
    pub to_cell: Vec<u32>,
    pub to_link: Vec<u32>,
    /// W/(m³·K) per entry.
    pub to_w: Vec<f64>,
}

impl Links {
    /// From `(receiving cells with w, source cells)` per link (padded indices).
    pub fn new(links: &[(Vec<(usize, f64)>, Vec<usize>)]) -> Self {
        let mut from_off = vec![0u32];
        let mut from_idx = Vec::new();
        let mut entries: Vec<(usize, u32, f64)> = Vec::new();
        for (l, (to, from)) in links.iter().enumerate() {
            from_idx.extend(from.iter().map(|&c| c as u32));
            from_off.push(from_idx.len() as u32);
            entries.extend(to.iter().map(|&(c, w)| (c, l as u32, w)));
        }
        entries.sort_by_key(|e| (e.0, e.1));
        let (mut to_off, mut to_cell, mut to_link, mut to_w) = (vec![0u32], Vec::new(), Vec::new(), Vec::new());
        for (i, &(c, l, w)) in entries.iter().enumerate() {
            if i > 0 && entries[i - 1].0 != c {
                to_off.push(to_link.len() as u32);
            }
            if i == 0 || entries[i - 1].0 != c {
                to_cell.push(c as u32);
            }
            to_link.push(l);
            to_w.push(w);
        }
        if !entries.is_empty() {
            to_off.push(to_link.len() as u32);
        }
        Links { from_off, from_idx, to_off, to_cell, to_link, to_w }
    }

    pub fn count(&self) -> usize {
        self.from_off.len() - 1
    }

    /// Cells that receive air from a link.
    pub fn receivers(&self) -> usize {
        self.to_cell.len()
    }

    /// CPU twin of `link_mean.wgsl`: `means[l]` = mean of `x` over link l's source cells.
    pub fn link_mean(&self, x: &[f64], means: &mut [f64]) {
        for (l, m) in means.iter_mut().enumerate() {
            let (a, b) = (self.from_off[l] as usize, self.from_off[l + 1] as usize);
            let s: f64 = self.from_idx[a..b].iter().map(|&c| x[c as usize]).sum();
            *m = s / (b - a).max(1) as f64;
        }
    }

    /// CPU twin of `link_scatter.wgsl`: `y[cell] −= Σ w · means[link]`.
    pub fn link_scatter(&self, means: &[f64], y: &mut [f64]) {
        for (c, &cell) in self.to_cell.iter().enumerate() {
            let (a, b) = (self.to_off[c] as usize, self.to_off[c + 1] as usize);
            let s: f64 = (a..b).map(|e| self.to_w[e] * means[self.to_link[e] as usize]).sum();
            y[cell as usize] -= s;
        }
    }

    /// `y −= L x` (both twins in turn).
    pub fn apply(&self, x: &[f64], y: &mut [f64]) {
        let mut means = vec![0.0; self.count()];
        self.link_mean(x, &mut means);
        self.link_scatter(&means, y);
    }
}
