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
    Sparse(HashMap<i64, usize>),
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

/// External bus number → bus row, after checking numbers are finite positive integers
/// and unique.
pub fn bus_index(net: &Network) -> Result<BusIndex, InputError> {
    let b = &net.bus;
    let max = (0..b.rows()).map(|r| b.get(r, bus::BUS_I)).filter(|v| v.is_finite()).fold(0.0, f64::max);
    let mut idx = if max <= (8 * b.rows() + 1024) as f64 && b.rows() < u32::MAX as usize {
        BusIndex::Dense(vec![u32::MAX; max as usize + 1])
    } else {
        BusIndex::Sparse(HashMap::with_capacity(b.rows()))
    };
    for r in 0..b.rows() {
        let n = b.get(r, bus::BUS_I);
        let line = b.lines[r];
        if !(n.is_finite() && n >= 1.0 && n.fract() == 0.0) {
            return Err(at(
                net,
                format!("bus row {}", r + 1),
                line,
                format!("bus number {n} is not a positive integer"),
                "number buses 1, 2, 3, …",
            ));
        }
        if let Some(first) = idx.insert(n as i64, r) {
            return Err(at(
                net,
                format!("bus {n}"),
                line,
                format!("duplicate bus number (first at row {}, line {})", first + 1, b.lines[first]),
                "give every bus a unique number",
            ));
        }
    }
    Ok(idx)
}

/// Check everything the DC power flow reads.
pub fn validate(net: &Network) -> Result<BusIndex, InputError> {
    if !(net.base_mva.is_finite() && net.base_mva > 0.0) {
        return Err(at(
            net,
            "baseMVA".into(),
            0,
            format!("baseMVA = {} must be finite and > 0", net.base_mva),
            "set mpc.baseMVA, e.g. 100",
        ));
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
    let b = &net.bus;
    for r in 0..b.rows() {
        let item = || format!("bus {}", b.get(r, bus::BUS_I));
        let t = b.get(r, bus::BUS_TYPE);
        if ![1.0, 2.0, 3.0, 4.0].contains(&t) {
            return Err(at(
                net,
                item(),
                b.lines[r],
                format!("BUS_TYPE = {t}"),
                "use 1 (PQ), 2 (PV), 3 (reference) or 4 (isolated)",
            ));
        }
        for (c, name) in [(bus::PD, "PD"), (bus::GS, "GS"), (bus::VA, "VA")] {
            let v = b.get(r, c);
            if !v.is_finite() {
                return Err(at(net, item(), b.lines[r], format!("{name} = {v} is not finite"), "give a finite number"));
            }
        }
    }
    let g = &net.gen;
    for r in 0..g.rows() {
        let item = || format!("generator row {}", r + 1);
        let n = g.get(r, gen::GEN_BUS);
        let Some(bi) = idx.get(n) else {
            return Err(at(
                net,
                item(),
                g.lines[r],
                format!("is at bus {n}, which does not exist"),
                "name an existing bus number in GEN_BUS",
            ));
        };
        for (c, name) in [(gen::PG, "PG"), (gen::GEN_STATUS, "GEN_STATUS")] {
            let v = g.get(r, c);
            if !v.is_finite() {
                return Err(at(net, item(), g.lines[r], format!("{name} = {v} is not finite"), "give a finite number"));
            }
        }
        if net.gen_status(r) && b.get(bi, bus::BUS_TYPE) == bus::NONE {
            return Err(at(
                net,
                item(),
                g.lines[r],
                format!("is in service at bus {n}, which is isolated (BUS_TYPE 4)"),
                "set GEN_STATUS to 0, or connect the bus (BUS_TYPE 1, 2 or 3)",
            ));
        }
    }
    let l = &net.branch;
    for r in 0..l.rows() {
        let item = || format!("branch row {}", r + 1);
        for c in [br::F_BUS, br::T_BUS] {
            let n = l.get(r, c);
            if idx.get(n).is_none() {
                return Err(at(
                    net,
                    item(),
                    l.lines[r],
                    format!("connects to bus {n}, which does not exist"),
                    "name existing bus numbers in F_BUS and T_BUS",
                ));
            }
        }
        for (c, name) in [(br::BR_X, "BR_X"), (br::TAP, "TAP"), (br::SHIFT, "SHIFT"), (br::BR_STATUS, "BR_STATUS")] {
            let v = l.get(r, c);
            if !v.is_finite() {
                return Err(at(net, item(), l.lines[r], format!("{name} = {v} is not finite"), "give a finite number"));
            }
        }
        if net.branch_status(r) {
            let tap = l.get(r, br::TAP);
            let tau = if tap != 0.0 { tap } else { 1.0 };
            let x = l.get(r, br::BR_X);
            if x == 0.0 {
                return Err(at(
                    net,
                    item(),
                    l.lines[r],
                    format!("from bus {} to bus {} has zero reactance: the DC model needs 1/x", l.get(r, br::F_BUS), l.get(r, br::T_BUS)),
                    "give its series reactance BR_X (a closed breaker: a small value such as 1e-4), or take it out of service",
                ));
            }
            if !(1.0 / (x * tau)).is_finite() {
                return Err(at(
                    net,
                    item(),
                    l.lines[r],
                    format!("susceptance 1/(x·tap) is not finite (x = {x}, tap = {tap})"),
                    "check BR_X and TAP",
                ));
            }
        }
    }
    Ok(idx)
}
