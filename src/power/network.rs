//! The electrical network in MATPOWER's own layout: `baseMVA` and the `bus`, `gen` and
//! `branch` matrices with their columns as in the file, so a case reads and writes back
//! unchanged. Column constants follow MATPOWER's `idx_bus`, `idx_gen`, `idx_brch`
//! (0-based here). External bus numbers (`BUS_I`) are kept apart from the internal
//! contiguous indices (`_idx`) of the solver.

/// Bus matrix columns.
pub mod bus {
    pub const BUS_I: usize = 0;
    pub const BUS_TYPE: usize = 1;
    pub const PD: usize = 2;
    pub const QD: usize = 3;
    pub const GS: usize = 4;
    pub const BS: usize = 5;
    pub const BUS_AREA: usize = 6;
    pub const VM: usize = 7;
    pub const VA: usize = 8;
    pub const BASE_KV: usize = 9;
    pub const ZONE: usize = 10;
    pub const VMAX: usize = 11;
    pub const VMIN: usize = 12;
    /// Columns a bus row must have.
    pub const MIN_COLS: usize = 13;
    pub const PQ: f64 = 1.0;
    pub const PV: f64 = 2.0;
    pub const REF: f64 = 3.0;
    pub const NONE: f64 = 4.0;
}

/// Generator matrix columns.
pub mod gen {
    pub const GEN_BUS: usize = 0;
    pub const PG: usize = 1;
    pub const QG: usize = 2;
    pub const QMAX: usize = 3;
    pub const QMIN: usize = 4;
    pub const VG: usize = 5;
    pub const MBASE: usize = 6;
    pub const GEN_STATUS: usize = 7;
    pub const PMAX: usize = 8;
    pub const PMIN: usize = 9;
    pub const MIN_COLS: usize = 10;
}

/// Branch matrix columns.
pub mod branch {
    pub const F_BUS: usize = 0;
    pub const T_BUS: usize = 1;
    pub const BR_R: usize = 2;
    pub const BR_X: usize = 3;
    pub const BR_B: usize = 4;
    pub const RATE_A: usize = 5;
    pub const RATE_B: usize = 6;
    pub const RATE_C: usize = 7;
    pub const TAP: usize = 8;
    pub const SHIFT: usize = 9;
    pub const BR_STATUS: usize = 10;
    pub const ANGMIN: usize = 11;
    pub const ANGMAX: usize = 12;
    pub const MIN_COLS: usize = 11;
}

/// A dense row-major matrix as written in a case, with the source line of each row.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Matrix {
    pub cols: usize,
    pub data: Vec<f64>,
    /// 1-based source line of each row (0 when the matrix was built in code).
    pub lines: Vec<usize>,
}

impl Matrix {
    pub fn new(cols: usize) -> Self {
        Matrix { cols, data: Vec::new(), lines: Vec::new() }
    }
    pub fn rows(&self) -> usize {
        self.lines.len()
    }
    #[inline]
    pub fn get(&self, r: usize, c: usize) -> f64 {
        self.data[r * self.cols + c]
    }
    #[inline]
    pub fn set(&mut self, r: usize, c: usize, v: f64) {
        self.data[r * self.cols + c] = v;
    }
    pub fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
    pub fn push(&mut self, row: &[f64], line: usize) {
        assert_eq!(row.len(), self.cols);
        self.data.extend_from_slice(row);
        self.lines.push(line);
    }
}

/// A network: MATPOWER's case struct.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Case name (the function name of a .m file, or the facility's name).
    pub name: String,
    /// Where it came from (for messages).
    pub source: String,
    /// MVA base of per-unit quantities.
    pub base_mva: f64,
    pub bus: Matrix,
    pub gen: Matrix,
    pub branch: Matrix,
    /// Fields of the source that were read but not used (gencost, bus_name, …).
    pub ignored: Vec<String>,
    /// Names of buses, branches and generators where the source has them (facility
    /// files); empty for .m cases.
    pub bus_names: Vec<String>,
    pub branch_names: Vec<String>,
    pub gen_names: Vec<String>,
}

impl Network {
    /// In service: `BR_STATUS ≠ 0` (end buses are checked by the solver).
    pub fn branch_status(&self, r: usize) -> bool {
        self.branch.get(r, branch::BR_STATUS) != 0.0
    }
    pub fn gen_status(&self, r: usize) -> bool {
        self.gen.get(r, gen::GEN_STATUS) > 0.0
    }
    /// Name of bus row `i`: its facility id, else its MATPOWER bus number.
    pub fn bus_name(&self, i: usize) -> String {
        match self.bus_names.get(i) {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("bus {}", self.bus.get(i, bus::BUS_I)),
        }
    }
    /// Name of branch row `r`: its facility id, else its end buses `f–t` (MATPOWER bus
    /// numbers), with `#k` for the k-th parallel branch between the same pair.
    pub fn branch_name(&self, r: usize) -> String {
        self.branch_names_of(&[r]).pop().expect("one name")
    }
    /// [`Network::branch_name`] of each row in `rows`, in one pass over the branches.
    pub fn branch_names_of(&self, rows: &[usize]) -> Vec<String> {
        if rows.len() > 16 {
            let all = self.branch_labels();
            return rows.iter().map(|&r| all[r].clone()).collect();
        }
        let ends = |k: usize| (self.branch.get(k, branch::F_BUS), self.branch.get(k, branch::T_BUS));
        // Per wanted row: its ends, how many rows before it join the same buses, and
        // whether any other row does.
        let mut want: Vec<((f64, f64), usize, bool)> = rows.iter().map(|&r| (ends(r), 0, false)).collect();
        for k in 0..self.branch.rows() {
            let (a, b) = ends(k);
            for (w, &r) in want.iter_mut().zip(rows) {
                let (f, t) = w.0;
                if k != r && ((a == f && b == t) || (a == t && b == f)) {
                    w.1 += usize::from(k < r);
                    w.2 = true;
                }
            }
        }
        rows.iter()
            .zip(want)
            .map(|(&r, ((f, t), before, parallel))| match self.branch_names.get(r).filter(|n| !n.is_empty()) {
                Some(n) => n.clone(),
                None if parallel => format!("{f}–{t} #{}", before + 1),
                None => format!("{f}–{t}"),
            })
            .collect()
    }
    /// [`Network::branch_names_of`] as a lookup by row.
    pub fn branch_name_map(&self, rows: impl IntoIterator<Item = usize>) -> std::collections::HashMap<usize, String> {
        let mut rows: Vec<usize> = rows.into_iter().collect();
        rows.sort_unstable();
        rows.dedup();
        let names = self.branch_names_of(&rows);
        rows.into_iter().zip(names).collect()
    }
    /// [`Network::branch_name`] of every branch row, in one pass.
    pub fn branch_labels(&self) -> Vec<String> {
        use std::collections::HashMap;
        let key = |r: usize| {
            let (f, t) = (self.branch.get(r, branch::F_BUS), self.branch.get(r, branch::T_BUS));
            (f.min(t).to_bits(), f.max(t).to_bits())
        };
        let mut total: HashMap<(u64, u64), usize> = HashMap::new();
        (0..self.branch.rows()).for_each(|r| *total.entry(key(r)).or_default() += 1);
        let mut seen: HashMap<(u64, u64), usize> = HashMap::new();
        (0..self.branch.rows())
            .map(|r| {
                let k = seen.entry(key(r)).or_default();
                *k += 1;
                match self.branch_names.get(r).filter(|n| !n.is_empty()) {
                    Some(n) => n.clone(),
                    None => {
                        let (f, t) = (self.branch.get(r, branch::F_BUS), self.branch.get(r, branch::T_BUS));
                        if total[&key(r)] > 1 {
                            format!("{f}–{t} #{k}")
                        } else {
                            format!("{f}–{t}")
                        }
                    }
                }
            })
            .collect()
    }
    /// Name of generator row `g`: its facility id, else `gen <row> at bus <number>`.
    pub fn gen_name(&self, g: usize) -> String {
        match self.gen_names.get(g) {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("gen {} at bus {}", g + 1, self.gen.get(g, gen::GEN_BUS)),
        }
    }
}
