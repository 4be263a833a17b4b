//! Checks of a network before a DC power flow; every error names the source, the line
//! of the offending row (for .m files) and the item.

use super::network::{branch as br, bus, gen, Network};
use crate::error::InputError;
use std::collections::HashMap;

fn at(net: &Network, item: String, line: usize, msg: String, fix: &str) -> InputError {
    let e = InputError::new(&net.source, item, msg, fix);
    if line > 0 {
        e.at(Some((line, 1)))
    } else {
        e
    }
}

/// External bus number → bus row.
pub enum BusIndex {
    /// Numbers up to a few times the bus count: a direct table (u32::MAX = none).
    Dense(Vec<u32>),
    Sparse(HashMap<i64, usize, std::hash::BuildHasherDefault<BusHasher>>),
}

/// The hasher of [`BusIndex::Sparse`]: bus numbers are whole numbers chosen by the
/// file's author, not by an adversary, so one multiply per key (rustc's Fx step) and a
/// final rotate (as rustc-hash 2 does) replace SipHash, which cost more than the rest of a 82 k-bus DC build's
/// branch loop.
#[derive(Default, Clone, Copy)]
pub struct BusHasher(u64);

impl std::hash::Hasher for BusHasher {
    fn finish(&self) -> u64 {
        // The product's high bits depend on every bit of the key; the table indexes
        // by the low ones (bus numbers that are multiples of 1000 or 1024 would
        // otherwise share them).
        self.0.rotate_left(26)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, x: i64) {
        self.write_u64(x as u64);
    }
}

impl BusIndex {
    /// The bus row of external number `n`, if `n` is a bus number.
    #[inline]
    pub fn get(&self, n: f64) -> Option<usize> {
        if !(n >= 1.0 && n.fract() == 0.0) {
            return None;
        }
        match self {
            BusIndex::Dense(v) => v.get(n as usize).copied().filter(|&r| r != u32::MAX).map(|r| r as usize),
            BusIndex::Sparse(m) => m.get(&(n as i64)).copied(),
        }
    }
    fn insert(&mut self, n: i64, r: usize) -> Option<usize> {
        match self {
            BusIndex::Dense(v) => {
                let old = v[n as usize];
                v[n as usize] = r as u32;
                (old != u32::MAX).then_some(old as usize)
            }
            BusIndex::Sparse(m) => m.insert(n, r),
        }
    }
}

// The ranges a network's numbers must lie in, shared with the facility file's
// `[network]` (where they are checked with the facility's own names and positions).
pub use crate::facility::network::{
    BASE_MVA_RANGE, MAX_BUS_NUMBER, MAX_MW, MAX_SHIFT_DEG, MAX_VA_DEG, RATE_RANGE, TAP_RANGE, X_RANGE,
};

/// External bus number → bus row, after checking numbers are positive integers up to
/// [`MAX_BUS_NUMBER`] and unique.
pub fn bus_index(net: &Network) -> Result<BusIndex, InputError> {
    let b = &net.bus;
    for r in 0..b.rows() {
        let n = b.get(r, bus::BUS_I);
        if !(n.is_finite() && n >= 1.0 && n.fract() == 0.0 && n <= MAX_BUS_NUMBER) {
            return Err(at(
                net,
                format!("bus row {}", r + 1),
                b.lines[r],
                format!("bus number {} (BUS_I, column 1) is not a whole number from 1 to {MAX_BUS_NUMBER}", num(n)),
                "number buses 1, 2, 3, …",
            ));
        }
    }
    let max = crate::outcome::nan_max((0..b.rows()).map(|r| b.get(r, bus::BUS_I))).max(0.0);
    let mut idx = if max <= (8 * b.rows() + 1024) as f64 && b.rows() < u32::MAX as usize {
        BusIndex::Dense(vec![u32::MAX; max as usize + 1])
    } else {
        BusIndex::Sparse(HashMap::with_capacity_and_hasher(b.rows(), Default::default()))
    };
    for r in 0..b.rows() {
        let n = b.get(r, bus::BUS_I);
        if let Some(first) = idx.insert(n as i64, r) {
            let where_ = if b.lines[first] > 0 {
                format!("row {}, line {}", first + 1, b.lines[first])
            } else {
                format!("row {}", first + 1)
            };
            return Err(at(
                net,
                format!("bus {n}"),
                b.lines[r],
                format!("duplicate bus number (first at {where_})"),
                "give every bus a unique number",
            ));
        }
    }
    Ok(idx)
}

/// A number for a message: plain for ordinary magnitudes, `1e308` for huge or tiny ones
/// (Rust's `{}` would print all 309 digits).
pub fn num(v: f64) -> String {
    if v.is_finite() && v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-4) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// How a row is named in messages: its name where the source has names (facility
/// files), else `<kind> row N` (1-based, file order).
fn row_item(names: &[String], kind: &str, r: usize) -> String {
    match names.get(r) {
        Some(n) if !n.is_empty() => format!("{kind} \"{n}\""),
        _ => format!("{kind} row {}", r + 1),
    }
}

/// A number that must be finite and within `lo..=hi`.
#[allow(clippy::too_many_arguments)]
fn bounded(
    net: &Network,
    item: &dyn Fn() -> String,
    line: usize,
    name: &str,
    col: usize,
    v: f64,
    lo: f64,
    hi: f64,
    fix: &str,
) -> Result<(), InputError> {
    if !v.is_finite() {
        return Err(at(
            net,
            item(),
            line,
            format!("{name} = {} (column {}) is not finite", num(v), col + 1),
            "give a finite number",
        ));
    }
    if v < lo || v > hi {
        return Err(at(
            net,
            item(),
            line,
            format!("{name} = {} (column {}) is outside {} … {}", num(v), col + 1, num(lo), num(hi)),
            fix,
        ));
    }
    Ok(())
}

/// Check everything the DC power flow reads: finite and physically bounded numbers,
/// known buses, non-zero reactances, no self-loops. Every error names the source, the
/// row's line (for .m files), the row and the column.
pub fn validate(net: &Network) -> Result<BusIndex, InputError> {
    let (lo, hi) = BASE_MVA_RANGE;
    if !(net.base_mva.is_finite() && net.base_mva >= lo && net.base_mva <= hi) {
        return Err(at(
            net,
            "baseMVA".into(),
            0,
            format!("baseMVA = {} must be finite and within {lo} … {}", num(net.base_mva), num(hi)),
            "set mpc.baseMVA, e.g. 100",
        ));
    }
    for (m, name, min) in
        [(&net.bus, "bus", bus::MIN_COLS), (&net.gen, "gen", gen::MIN_COLS), (&net.branch, "branch", br::MIN_COLS)]
    {
        if m.rows() > 0 && (m.cols < min || m.data.len() != m.rows() * m.cols) {
            return Err(at(
                net,
                format!("mpc.{name}"),
                m.lines.first().copied().unwrap_or(0),
                format!("rows have {} columns; MATPOWER needs at least {min}", m.cols),
                "give every row the standard MATPOWER columns",
            ));
        }
    }
    if net.bus.rows() == 0 {
        return Err(at(
            net,
            "bus".into(),
            0,
            "the network has no buses".into(),
            "give at least one bus (and a reference bus with a generator)",
        ));
    }
    let idx = bus_index(net)?;
    // The branch rows on a second thread where there are many; the first error is the
    // one a single pass would meet (buses, then generators, then branches, in row order).
    let (first, branches) = if net.branch.rows() >= PARALLEL_ROWS {
        std::thread::scope(|scope| {
            let h = scope.spawn(|| check_branches(net, &idx));
            let first = check_buses(net).and_then(|()| check_gens(net, &idx));
            (first, h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        })
    } else {
        (check_buses(net).and_then(|()| check_gens(net, &idx)), Ok(()))
    };
    first?;
    branches?;
    if net.branch.rows() < PARALLEL_ROWS {
        check_branches(net, &idx)?;
    }
    Ok(idx)
}

/// Branch rows from which [`validate`] checks them on a second thread.
const PARALLEL_ROWS: usize = 20_000;

/// The bus rows' values (type, PD, GS, VA).
fn check_buses(net: &Network) -> Result<(), InputError> {
    let b = &net.bus;
    let mw_fix = "give a power in MW within ±1e7";
    for r in 0..b.rows() {
        let item = || match net.bus_names.get(r) {
            Some(n) if !n.is_empty() => format!("bus \"{n}\""),
            _ => format!("bus {}", b.get(r, bus::BUS_I)),
        };
        let t = b.get(r, bus::BUS_TYPE);
        if ![1.0, 2.0, 3.0, 4.0].contains(&t) {
            return Err(at(
                net,
                item(),
                b.lines[r],
                format!("BUS_TYPE = {} (column 2)", num(t)),
                "use 1 (PQ), 2 (PV), 3 (reference) or 4 (isolated)",
            ));
        }
        let line = b.lines[r];
        bounded(net, &item, line, "PD", bus::PD, b.get(r, bus::PD), -MAX_MW, MAX_MW, mw_fix)?;
        bounded(net, &item, line, "GS", bus::GS, b.get(r, bus::GS), -MAX_MW, MAX_MW, mw_fix)?;
        let va_fix = "give the voltage angle in degrees, within ±3600";
        bounded(net, &item, line, "VA", bus::VA, b.get(r, bus::VA), -MAX_VA_DEG, MAX_VA_DEG, va_fix)?;
    }
    Ok(())
}

/// The generator rows: their bus, PG and status.
fn check_gens(net: &Network, idx: &BusIndex) -> Result<(), InputError> {
    let b = &net.bus;
    let mw_fix = "give a power in MW within ±1e7";
    let g = &net.gen;
    for r in 0..g.rows() {
        let item = || row_item(&net.gen_names, "generator", r);
        let line = g.lines[r];
        let n = g.get(r, gen::GEN_BUS);
        let Some(bi) = idx.get(n) else {
            return Err(at(
                net,
                item(),
                line,
                format!("is at bus {}, which does not exist (GEN_BUS, column 1)", num(n)),
                "name an existing bus number in GEN_BUS",
            ));
        };
        bounded(net, &item, line, "PG", gen::PG, g.get(r, gen::PG), -MAX_MW, MAX_MW, mw_fix)?;
        let st = g.get(r, gen::GEN_STATUS);
        if !st.is_finite() {
            return Err(at(
                net,
                item(),
                line,
                format!("GEN_STATUS = {st} (column 8) is not finite"),
                "use 1 (on line) or 0 (off)",
            ));
        }
        if net.gen_status(r) && b.get(bi, bus::BUS_TYPE) == bus::NONE {
            return Err(at(
                net,
                item(),
                line,
                format!("is in service at bus {n}, which is isolated (BUS_TYPE 4)"),
                "set GEN_STATUS to 0, or connect the bus (BUS_TYPE 1, 2 or 3)",
            ));
        }
    }
    Ok(())
}

/// The branch rows: their ends, status, reactance, tap, shift and rating.
fn check_branches(net: &Network, idx: &BusIndex) -> Result<(), InputError> {
    let l = &net.branch;
    for r in 0..l.rows() {
        let item = || row_item(&net.branch_names, "branch", r);
        let line = l.lines[r];
        let mut ends = [0usize; 2];
        for (e, (c, name)) in [(br::F_BUS, "F_BUS"), (br::T_BUS, "T_BUS")].into_iter().enumerate() {
            let n = l.get(r, c);
            match idx.get(n) {
                Some(bi) => ends[e] = bi,
                None => {
                    return Err(at(
                        net,
                        item(),
                        line,
                        format!("connects to bus {}, which does not exist ({name}, column {})", num(n), c + 1),
                        "name existing bus numbers in F_BUS and T_BUS",
                    ))
                }
            }
        }
        let st = l.get(r, br::BR_STATUS);
        if !st.is_finite() {
            return Err(at(
                net,
                item(),
                line,
                format!("BR_STATUS = {st} (column 11) is not finite"),
                "use 1 (in service) or 0 (out)",
            ));
        }
        let x = l.get(r, br::BR_X);
        if !x.is_finite() {
            return Err(at(
                net,
                item(),
                line,
                format!("BR_X = {} (column 4) is not finite", num(x)),
                "give the series reactance in per unit",
            ));
        }
        let tap = l.get(r, br::TAP);
        if !(tap.is_finite() && (tap == 0.0 || (tap >= TAP_RANGE.0 && tap <= TAP_RANGE.1))) {
            return Err(at(
                net,
                item(),
                line,
                format!(
                    "TAP = {} (column 9) is not 0 (none) or a ratio within {} … {}",
                    num(tap),
                    TAP_RANGE.0,
                    TAP_RANGE.1
                ),
                "give the off-nominal turns ratio (0 or 1 for a line)",
            ));
        }
        bounded(
            net,
            &item,
            line,
            "SHIFT",
            br::SHIFT,
            l.get(r, br::SHIFT),
            -MAX_SHIFT_DEG,
            MAX_SHIFT_DEG,
            "give the phase shift in degrees, within ±360",
        )?;
        let rate = l.get(r, br::RATE_A);
        let (rlo, rhi) = RATE_RANGE;
        if !(rate == 0.0 || rate == f64::INFINITY || (rate >= rlo && rate <= rhi)) {
            return Err(at(
                net,
                item(),
                line,
                format!(
                    "RATE_A = {} (column 6) is not a rating (0 or Inf: none; else {} … {} MVA)",
                    num(rate),
                    num(rlo),
                    num(rhi)
                ),
                "give the long-term rating in MVA (0 for none)",
            ));
        }
        if net.branch_status(r) {
            let (f, t) = (l.get(r, br::F_BUS), l.get(r, br::T_BUS));
            if x == 0.0 {
                return Err(at(
                    net,
                    item(),
                    line,
                    format!("from bus {f} to bus {t} has zero reactance: the DC model needs 1/x"),
                    "give its series reactance BR_X (a closed breaker: a small value such as 1e-4), or take it out of service",
                ));
            }
            if !(x.abs() >= X_RANGE.0 && x.abs() <= X_RANGE.1) {
                return Err(at(
                    net,
                    item(),
                    line,
                    format!(
                        "BR_X = {} (column 4) is outside ±({} … {}) per unit",
                        num(x),
                        num(X_RANGE.0),
                        num(X_RANGE.1)
                    ),
                    "give the series reactance in per unit on baseMVA",
                ));
            }
            if ends[0] == ends[1] {
                return Err(at(
                    net,
                    item(),
                    line,
                    format!("connects bus {f} to itself"),
                    "give it two different end buses, or take it out of service (BR_STATUS 0)",
                ));
            }
        }
    }
    Ok(())
}

/// Bus rows of the reference buses, as the DC power flow picks them (MATPOWER's
/// `bustypes`): type-3 buses with an on-line generator, else the first type-2 bus with
/// one. `idx` from [`validate`].
pub fn reference_rows(net: &Network, idx: &BusIndex) -> Vec<usize> {
    let b = &net.bus;
    let mut has_gen = vec![false; b.rows()];
    for r in 0..net.gen.rows() {
        if let (true, Some(bi)) = (net.gen_status(r), idx.get(net.gen.get(r, gen::GEN_BUS))) {
            has_gen[bi] = true;
        }
    }
    let refs: Vec<usize> = (0..b.rows()).filter(|&r| b.get(r, bus::BUS_TYPE) == bus::REF && has_gen[r]).collect();
    if !refs.is_empty() {
        return refs;
    }
    (0..b.rows()).find(|&r| b.get(r, bus::BUS_TYPE) == bus::PV && has_gen[r]).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::power::network::Matrix;

    /// A chain of `n` buses (the first the reference, with a generator) and `n - 1` lines.
    fn chain(n: usize) -> Network {
        let mut bus_m = Matrix::new(bus::VMIN + 1);
        for i in 0..n {
            let t = if i == 0 { 3.0 } else { 1.0 };
            bus_m.push(&[(i + 1) as f64, t, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 230.0, 1.0, 1.1, 0.9], 10 + i);
        }
        let mut gen_m = Matrix::new(gen::PMIN + 1);
        gen_m.push(&[1.0, 0.0, 0.0, 100.0, -100.0, 1.0, 100.0, 1.0, 1e4, 0.0], 5);
        let mut br_m = Matrix::new(br::ANGMAX + 1);
        for i in 1..n {
            br_m.push(
                &[i as f64, (i + 1) as f64, 0.0, 0.01, 0.0, 100.0, 0.0, 0.0, 0.0, 0.0, 1.0, -360.0, 360.0],
                20 + n + i,
            );
        }
        Network {
            name: "chain".into(),
            source: "chain.m".into(),
            base_mva: 100.0,
            bus: bus_m,
            gen: gen_m,
            branch: br_m,
            ignored: vec![],
            bus_names: vec![],
            branch_names: vec![],
            gen_names: vec![],
        }
    }

    /// Below and above the size where branches are checked on a second thread, the
    /// error named is the first a single pass meets: a bus row before any branch row.
    #[test]
    fn the_first_error_is_the_same_with_branches_checked_beside_the_buses() {
        for n in [50, PARALLEL_ROWS + 10] {
            let ok = chain(n);
            assert_eq!(validate(&ok).unwrap().get(n as f64), Some(n - 1));
            let mut both = ok.clone();
            both.branch.set(n - 3, br::BR_X, f64::NAN);
            let only_branch = both.clone();
            both.bus.set(n - 2, bus::BUS_TYPE, 7.0);
            let e = validate(&both).err().expect("an error");
            assert!(e.to_string().contains("BUS_TYPE = 7"), "{n}: {e}");
            assert_eq!(e.line, Some(10 + n - 2));
            let e = validate(&only_branch).err().expect("an error");
            assert!(e.to_string().contains("BR_X = NaN"), "{n}: {e}");
            assert_eq!(e.line, Some(20 + n + n - 2));
        }
    }
}
