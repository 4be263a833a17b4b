//! DC power flow exactly as MATPOWER computes it (`makeBdc`, `dcpf`, `bustypes`,
//! `ext2int`); see `tests/data/cases/README.md`:
//!
//! - type-4 buses are dropped; a generator is on line if `GEN_STATUS > 0` and its bus
//!   is not type 4; a branch is in service if `BR_STATUS ≠ 0` and neither end is type 4;
//! - `b = 1 / (x · τ)` with `τ = TAP` or 1 when TAP = 0; `Pf = b (θf − θt − shift)`;
//! - `Pbus = (Σ PG − PD − GS) / baseMVA − Pbusinj`, `Pbusinj = Cftᵀ (−b · shift)`;
//! - reference buses: type 3 with an on-line generator, else the first type-2 bus with
//!   one; `Va(ref)` is the file's VA, not 0;
//! - `B[nr,nr] θ[nr] = Pbus[nr] − B[nr,ref] θ[ref]`, solved by sparse Cholesky when every
//!   susceptance is positive and sparse LDLᵀ otherwise (faer; see [`Factor`]), whose
//!   symbolic factorization is kept for re-solves with new injections;
//! - the first on-line generator at each reference bus takes up the mismatch.
//!
//! Every island of in-service branches needs a reference bus; one without is an error
//! naming its buses, never a NaN.

use super::chol::CholFactor;
use super::network::{branch as br, bus, gen, Network};
use super::peel::PeelFactor;
use super::validate::validate;
use crate::error::InputError;
use faer::linalg::solvers::Solve;
use faer::sparse::linalg::solvers::{Lu, SymbolicLu};
use faer::sparse::{SparseColMat, Triplet};
use faer::MatMut;

/// A prepared DC power flow: indices, susceptances, and the factorized reduced matrix.
pub struct DcPowerFlow {
    pub base_mva: f64,
    /// Internal index (`_idx`) of each bus row; `None` for isolated (type-4) buses.
    pub bus_idx: Vec<Option<usize>>,
    /// Bus row of each internal index.
    pub bus_row: Vec<usize>,
    /// Internal indices of the reference buses.
    pub ref_idx: Vec<usize>,
    /// Angle of each reference bus, rad (the file's VA).
    pub ref_va_rad: Vec<f64>,
    /// Reduced (non-reference) index of each internal bus; `usize::MAX` for references.
    red: Vec<usize>,
    /// Per branch row: in service, susceptance (pu), internal ends, shift (rad).
    pub in_service: Vec<bool>,
    pub b: Vec<f64>,
    pub f_idx: Vec<usize>,
    pub t_idx: Vec<usize>,
    pub shift_rad: Vec<f64>,
    /// Couplings of reduced rows to reference buses: (reduced row, position in
    /// `ref_idx`, B entry).
    ref_coupling: Vec<(usize, usize, f64)>,
    /// Position in `ref_idx` of each internal bus (`usize::MAX` if not a reference).
    ref_pos: Vec<usize>,
    /// Internal index of each generator's bus (`None` at isolated buses).
    gen_idx: Vec<Option<usize>>,
    factor: Option<Factor>,
    /// Reduced size (unknowns).
    nr: usize,
    /// Slack generator row at each reference bus (first on-line generator, file order).
    pub slack_gen: Vec<Option<usize>>,
    /// Number of islands (connected components of in-service branches).
    pub islands: usize,
}

/// The factorization of the reduced susceptance matrix. Which one is chosen by a cheap
/// test: when every in-service branch susceptance is positive, B is a weighted
/// Laplacian with its reference rows removed and so positive definite: sparse Cholesky.
/// With negative susceptances (series compensation, three-winding transformer stars)
/// B may be indefinite: sparse LDLᵀ on the same symbolic structure, which needs no
/// sign and costs the same, checked by its residual and refined.
///
/// The fast path ([`FactorPath::Peel`], the default) eliminates buses with at most
/// three neighbours left on the network's graph and factorizes only the meshed core
/// that is left ([`super::peel`]). The reference path ([`FactorPath::Reference`],
/// also taken when the peel meets a tiny pivot or its core cannot be factorized) numbers the unknowns in the order of
/// [`super::ordering`] (degree ≤ 2 peeled, AMD on the rest), assembles the whole
/// matrix and factorizes it with faer; it falls back to sparse LU if LDLᵀ meets a zero
/// pivot.
pub enum Factor {
    Peeled(Box<PeelFactor>),
    Llt(Box<CholFactor>),
    Ldlt(Box<CholFactor>),
    Lu(SymbolicLu<usize>, Lu<usize, f64>),
}

/// Which factorization [`DcPowerFlow::build_with`] tries first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorPath {
    /// Peel buses with few neighbours, factorize the core (the default).
    Peel,
    /// Factorize the whole reduced matrix (the reference the peel is tested against).
    Reference,
}

impl Factor {
    /// Factorize the whole reduced matrix `m` (upper triangle, in elimination order):
    /// the reference path. `definite`: every susceptance is positive.
    fn new(m: &SparseColMat<usize, f64>, definite: bool, source: &str) -> Result<Self, InputError> {
        let err = |what: &str, e: String| {
            InputError::new(source, "network", format!("{what}: {e}"), "check the branch data (reactances, islands)")
        };
        if definite {
            if let Ok(f) = CholFactor::new(m, false) {
                return Ok(Factor::Llt(Box::new(f)));
            }
        }
        if let Ok(f) = CholFactor::new(m, true) {
            return Ok(Factor::Ldlt(Box::new(f.with_residuals(m.clone()))));
        }
        // A zero pivot in LDLᵀ: LU (with pivoting) of the full symmetric matrix.
        let mut full = Vec::with_capacity(2 * m.compute_nnz());
        for (j, col) in (0..m.ncols()).map(|j| (j, m.as_ref().col_range(j))) {
            let rows = &m.symbolic().row_idx()[col.clone()];
            let vals = &m.val()[col];
            for (&i, &v) in rows.iter().zip(vals) {
                full.push(Triplet::new(i, j, v));
                if i != j {
                    full.push(Triplet::new(j, i, v));
                }
            }
        }
        let m = SparseColMat::<usize, f64>::try_new_from_triplets(m.nrows(), m.ncols(), &full)
            .map_err(|e| err("cannot assemble B", format!("{e:?}")))?;
        let sym = SymbolicLu::try_new(m.symbolic()).map_err(|e| err("cannot order B", format!("{e:?}")))?;
        let lu =
            Lu::try_new_with_symbolic(sym.clone(), m.as_ref()).map_err(|e| err("B is singular", format!("{e:?}")))?;
        Ok(Factor::Lu(sym, lu))
    }

    /// Solve in place for `ncols` right-hand sides stored column-major.
    fn solve_in_place(&self, rhs: &mut [f64], ncols: usize) {
        let n = rhs.len() / ncols.max(1);
        match self {
            Factor::Peeled(f) => f.solve_in_place(rhs, ncols),
            Factor::Llt(f) | Factor::Ldlt(f) => f.solve_in_place(rhs, ncols),
            Factor::Lu(_, f) => f.solve_in_place(MatMut::from_column_major_slice_mut(rhs, n, ncols)),
        }
    }

    /// "cholesky", "ldlt" or "lu".
    pub fn kind(&self) -> &'static str {
        match self {
            Factor::Peeled(f) => f.kind(),
            Factor::Llt(..) => "cholesky",
            Factor::Ldlt(..) => "ldlt",
            Factor::Lu(..) => "lu",
        }
    }
}

/// The reduced susceptance matrix (upper triangle, as faer's simplicial Cholesky takes
/// it) from its lower-triangle entries and the branch susceptances: counted into
/// columns, rows sorted, duplicates (parallel branches and the diagonal) summed.
fn reduced_b(
    nr: usize,
    entries: &[(usize, usize, usize, f64)],
    b: &[f64],
    source: &str,
) -> Result<SparseColMat<usize, f64>, InputError> {
    // Entry (i, j) with i ≥ j of the lower triangle is stored as (j, i) of the upper.
    let mut count = vec![0usize; nr + 1];
    for &(i, _, _, _) in entries {
        count[i + 1] += 1;
    }
    for j in 0..nr {
        count[j + 1] += count[j];
    }
    let mut fill = count[..nr].to_vec();
    let mut slot = vec![(0usize, 0.0f64); entries.len()];
    for &(i, j, r, s) in entries {
        slot[fill[i]] = (j, s * b[r]);
        fill[i] += 1;
    }
    let mut col_ptr = Vec::with_capacity(nr + 1);
    let mut row_idx = Vec::with_capacity(entries.len());
    let mut val = Vec::with_capacity(entries.len());
    col_ptr.push(0);
    for j in 0..nr {
        let col = &mut slot[count[j]..count[j + 1]];
        col.sort_unstable_by_key(|e| e.0);
        for &(i, v) in col.iter() {
            if row_idx.len() > col_ptr[j] && *row_idx.last().expect("non-empty") == i {
                *val.last_mut().expect("non-empty") += v;
            } else {
                row_idx.push(i);
                val.push(v);
            }
        }
        col_ptr.push(row_idx.len());
    }
    let sym = faer::sparse::SymbolicSparseColMat::new_checked(nr, nr, col_ptr, None, row_idx);
    if val.iter().any(|v| !v.is_finite()) {
        return Err(InputError::new(source, "network", "a susceptance is not finite", "check the branch reactances"));
    }
    Ok(SparseColMat::new(sym, val))
}

/// Results in file row order.
#[derive(Clone, Debug)]
pub struct DcResult {
    pub bus_i: Vec<f64>,
    pub va_deg: Vec<f64>,
    pub f_bus: Vec<f64>,
    pub t_bus: Vec<f64>,
    pub branch_in_service: Vec<bool>,
    /// MW at the from end (0 for out-of-service branches).
    pub pf_mw: Vec<f64>,
    /// MW at the to end (`−pf`).
    pub pt_mw: Vec<f64>,
    /// `|pf| / RATE_A`, %; NaN where RATE_A is 0 (no rating).
    pub loading_pct: Vec<f64>,
    pub gen_bus: Vec<f64>,
    pub gen_in_service: Vec<bool>,
    /// MW (0 for off-line generators).
    pub pg_mw: Vec<f64>,
    /// External numbers of the reference buses.
    pub ref_buses: Vec<f64>,
    pub islands: usize,
}

/// Largest |flow| or |generation| a result may hold, MW: beyond it the network's data
/// (reactances, shifts) are not physical, and the numbers would be nonsense.
pub const MAX_RESULT_MW: f64 = 1e10;

/// The error for a result value that is non-finite or beyond [`MAX_RESULT_MW`]: the
/// input is ill-posed (a singular or nearly singular susceptance matrix, or values far
/// beyond physical ones).
pub fn bad_result(net: &Network, item: String, line: usize, what: String) -> InputError {
    let e = InputError::new(
        &net.source,
        item,
        format!("{what}: the network's susceptance matrix is singular or nearly so, or its data are far beyond physical values"),
        "check BR_X, TAP and SHIFT of the branches there (negative reactances can cancel), and the loads and generation",
    );
    if line > 0 {
        e.at(Some((line, 1)))
    } else {
        e
    }
}

impl DcResult {
    /// Every angle, flow and generation finite, and flows and generation within
    /// ±[`MAX_RESULT_MW`]; else an input error naming the bus, branch or generator.
    pub fn check(&self, net: &Network) -> Result<(), InputError> {
        for (r, &v) in self.va_deg.iter().enumerate() {
            if !v.is_finite() {
                return Err(bad_result(
                    net,
                    format!("bus {}", self.bus_i[r]),
                    net.bus.lines[r],
                    format!("the angle is {v}"),
                ));
            }
        }
        for (r, &v) in self.pf_mw.iter().enumerate() {
            if !(v.abs() <= MAX_RESULT_MW) {
                return Err(bad_result(
                    net,
                    format!("branch row {}", r + 1),
                    net.branch.lines[r],
                    format!("the flow is {v:e} MW"),
                ));
            }
        }
        for (r, &v) in self.loading_pct.iter().enumerate() {
            // NaN: no rating (documented); anything else finite.
            if v.is_infinite() {
                return Err(bad_result(
                    net,
                    format!("branch row {}", r + 1),
                    net.branch.lines[r],
                    format!("the loading is {v} %"),
                ));
            }
        }
        for (r, &v) in self.pg_mw.iter().enumerate() {
            if !(v.abs() <= MAX_RESULT_MW) {
                return Err(bad_result(
                    net,
                    format!("generator row {}", r + 1),
                    net.gen.lines[r],
                    format!("the generation is {v:e} MW"),
                ));
            }
        }
        Ok(())
    }
}

/// Every island of in-service branches (`parent`: their union-find forest over internal
/// buses) needs a reference bus; the error names the buses of the first that has none.
/// Returns the number of islands.
pub(crate) fn check_islands(
    net: &Network,
    bus_row: &[usize],
    parent: &mut [usize],
    ref_idx: &[usize],
) -> Result<usize, InputError> {
    let bm = &net.bus;
    let n = bus_row.len();
    let mut island_has_ref = vec![false; n];
    for &i in ref_idx {
        let r = union_find_root(parent, i);
        island_has_ref[r] = true;
    }
    let mut is_root = vec![false; n];
    let mut orphan: std::collections::BTreeMap<usize, Vec<f64>> = Default::default();
    for i in 0..n {
        let r = union_find_root(parent, i);
        is_root[r] = true;
        if !island_has_ref[r] {
            orphan.entry(r).or_default().push(bm.get(bus_row[i], bus::BUS_I));
        }
    }
    let islands = is_root.iter().filter(|&&b| b).count();
    if let Some(buses) = orphan.values().next() {
        let shown: Vec<String> = buses.iter().take(12).map(|b| format!("{b}")).collect();
        let more = if buses.len() > 12 { format!(" and {} more", buses.len() - 12) } else { String::new() };
        let line =
            bus_row.iter().position(|&r| bm.get(r, bus::BUS_I) == buses[0]).map(|i| bm.lines[bus_row[i]]).unwrap_or(0);
        let e = InputError::new(
            &net.source,
            format!("island of {} bus(es)", buses.len()),
            format!("buses {}{more} are connected to no reference bus", shown.join(", ")),
            "connect the island with an in-service branch, give it a type-3 bus with an on-line generator, or mark its buses isolated (type 4)",
        );
        return Err(if line > 0 { e.at(Some((line, 1))) } else { e });
    }
    Ok(islands)
}

pub(crate) fn union_find_root(p: &mut [usize], mut i: usize) -> usize {
    while p[i] != i {
        p[i] = p[p[i]];
        i = p[i];
    }
    i
}

impl DcPowerFlow {
    /// Validate, index, build and factorize.
    pub fn new(net: &Network) -> Result<Self, InputError> {
        let idx = validate(net)?;
        Self::build(net, &idx)
    }

    /// Index, build and factorize a network already validated ([`validate`] returned
    /// `idx` for it).
    pub fn build(net: &Network, idx: &super::validate::BusIndex) -> Result<Self, InputError> {
        Self::build_with(net, idx, FactorPath::Peel)
    }

    /// [`build`](Self::build) with the factorization path chosen (the reference path is
    /// what the fast one is tested against).
    pub fn build_with(net: &Network, idx: &super::validate::BusIndex, path: FactorPath) -> Result<Self, InputError> {
        let bm = &net.bus;
        let nrow = bm.rows();
        let mut bus_idx = vec![None; nrow];
        let mut bus_row = Vec::with_capacity(nrow);
        for r in 0..nrow {
            if bm.get(r, bus::BUS_TYPE) != bus::NONE {
                bus_idx[r] = Some(bus_row.len());
                bus_row.push(r);
            }
        }
        let n = bus_row.len();
        if n == 0 {
            return Err(InputError::new(
                &net.source,
                "bus",
                "every bus is isolated (BUS_TYPE 4)",
                "connect at least one bus",
            ));
        }
        // On-line generators per internal bus.
        let g = &net.gen;
        let mut has_gen = vec![false; n];
        let mut gen_idx = vec![None; g.rows()];
        let mut first_gen = vec![None; n];
        for r in 0..g.rows() {
            let bi = idx.get(g.get(r, gen::GEN_BUS)).expect("validated");
            gen_idx[r] = bus_idx[bi];
            if let (true, Some(i)) = (net.gen_status(r), bus_idx[bi]) {
                has_gen[i] = true;
                first_gen[i].get_or_insert(r);
            }
        }
        let mut ref_idx: Vec<usize> =
            (0..n).filter(|&i| bm.get(bus_row[i], bus::BUS_TYPE) == bus::REF && has_gen[i]).collect();
        if ref_idx.is_empty() {
            if let Some(i) = (0..n).find(|&i| bm.get(bus_row[i], bus::BUS_TYPE) == bus::PV && has_gen[i]) {
                ref_idx.push(i);
            }
        }
        if ref_idx.is_empty() {
            return Err(InputError::new(
                &net.source,
                "reference bus",
                "no bus can be the reference: no type-3 (or type-2) bus has an on-line generator",
                "make a bus with an on-line generator BUS_TYPE 3",
            ));
        }
        // Branches.
        let l = &net.branch;
        let nl = l.rows();
        let (mut in_service, mut b, mut f_idx, mut t_idx, mut shift_rad) =
            (vec![false; nl], vec![0.0; nl], vec![0; nl], vec![0; nl], vec![0.0; nl]);
        let mut parent: Vec<usize> = (0..n).collect();
        for r in 0..nl {
            let fr = idx.get(l.get(r, br::F_BUS)).expect("validated");
            let tr = idx.get(l.get(r, br::T_BUS)).expect("validated");
            let (Some(fi), Some(ti)) = (bus_idx[fr], bus_idx[tr]) else { continue };
            if !net.branch_status(r) {
                continue;
            }
            let tap = l.get(r, br::TAP);
            let tau = if tap != 0.0 { tap } else { 1.0 };
            in_service[r] = true;
            b[r] = 1.0 / (l.get(r, br::BR_X) * tau);
            f_idx[r] = fi;
            t_idx[r] = ti;
            shift_rad[r] = l.get(r, br::SHIFT).to_radians();
            let (a, c) = (union_find_root(&mut parent, fi), union_find_root(&mut parent, ti));
            parent[a] = c;
        }
        let islands = check_islands(net, &bus_row, &mut parent, &ref_idx)?;
        let mut red = vec![usize::MAX; n];
        let mut nr = 0;
        let is_ref: Vec<bool> = {
            let mut v = vec![false; n];
            ref_idx.iter().for_each(|&i| v[i] = true);
            v
        };
        for i in 0..n {
            if !is_ref[i] {
                red[i] = nr;
                nr += 1;
            }
        }
        let definite = b.iter().zip(&in_service).all(|(&b, &on)| !on || b > 0.0);
        // The fast path: the reduced B as a weighted graph (off-diagonals once each; a
        // branch from a bus to itself adds nothing), peeled and its core factorized.
        let peeled = match path {
            FactorPath::Peel if nr > 0 => {
                let mut diag = vec![0.0; nr];
                let mut edges = Vec::with_capacity(nl);
                for r in 0..nl {
                    if !in_service[r] || f_idx[r] == t_idx[r] {
                        continue;
                    }
                    let (rf, rt, bb) = (red[f_idx[r]], red[t_idx[r]], b[r]);
                    if rf != usize::MAX {
                        diag[rf] += bb;
                    }
                    if rt != usize::MAX {
                        diag[rt] += bb;
                    }
                    if rf != usize::MAX && rt != usize::MAX {
                        edges.push((rf as u32, rt as u32, -bb));
                    }
                }
                PeelFactor::new(diag, edges, definite).ok()
            }
            _ => None,
        };
        // Number the unknowns in elimination order (radial and chained buses first, AMD
        // on the meshed core), so that B is assembled already ordered and factorized as
        // it is.
        if peeled.is_none() {
            let mut edges = Vec::with_capacity(nl);
            for r in 0..nl {
                if in_service[r] && red[f_idx[r]] != usize::MAX && red[t_idx[r]] != usize::MAX {
                    edges.push((red[f_idx[r]], red[t_idx[r]]));
                }
            }
            let order = super::ordering::elimination_order(nr, &edges);
            let mut pos = vec![0usize; nr];
            for (k, &v) in order.iter().enumerate() {
                pos[v] = k;
            }
            for x in red.iter_mut() {
                if *x != usize::MAX {
                    *x = pos[*x];
                }
            }
        }
        let mut ref_pos = vec![usize::MAX; n];
        ref_idx.iter().enumerate().for_each(|(k, &i)| ref_pos[i] = k);
        // Reduced B (lower triangle; the factorization mirrors it) and the couplings
        // to reference buses.
        let mut entries = Vec::with_capacity(if peeled.is_some() { 0 } else { 3 * nl });
        let mut ref_coupling = Vec::new();
        for r in 0..nl {
            if !in_service[r] {
                continue;
            }
            let (f, t, bb) = (f_idx[r], t_idx[r], b[r]);
            for (p, q, sign) in [(f, f, 1.0), (t, t, 1.0), (f, t, -1.0), (t, f, -1.0)] {
                match (red[p], red[q]) {
                    (rp, rq) if rp != usize::MAX && rq != usize::MAX => {
                        if rp >= rq && peeled.is_none() {
                            entries.push((rp, rq, r, sign))
                        }
                    }
                    (rp, _) if rp != usize::MAX => ref_coupling.push((rp, ref_pos[q], sign * bb)),
                    _ => {}
                }
            }
        }
        let factor = match peeled {
            Some(p) => Some(Factor::Peeled(Box::new(p))),
            None if nr > 0 => Some(Factor::new(&reduced_b(nr, &entries, &b, &net.source)?, definite, &net.source)?),
            None => None,
        };
        let slack_gen = ref_idx.iter().map(|&i| first_gen[i]).collect();
        let ref_va_rad = ref_idx.iter().map(|&i| bm.get(bus_row[i], bus::VA).to_radians()).collect();
        Ok(DcPowerFlow {
            base_mva: net.base_mva,
            bus_idx,
            bus_row,
            ref_idx,
            ref_va_rad,
            red,
            in_service,
            b,
            f_idx,
            t_idx,
            shift_rad,
            ref_coupling,
            factor,
            nr,
            ref_pos,
            gen_idx,
            slack_gen,
            islands,
        })
    }

    /// New branch reactances, taps and shifts on the same topology (same buses, same
    /// in-service branches, same references): B refilled and refactorized; a changed
    /// topology is refused.
    pub fn refactor(&mut self, net: &Network) -> Result<(), InputError> {
        let idx = validate(net)?;
        let l = &net.branch;
        if l.rows() != self.b.len() || net.bus.rows() != self.bus_idx.len() {
            return Err(InputError::new(
                &net.source,
                "network",
                "has a different number of buses or branches",
                "build a new DcPowerFlow for a new topology",
            ));
        }
        for r in 0..l.rows() {
            let fr = idx.get(l.get(r, br::F_BUS)).expect("validated");
            let tr = idx.get(l.get(r, br::T_BUS)).expect("validated");
            let on = net.branch_status(r) && self.bus_idx[fr].is_some() && self.bus_idx[tr].is_some();
            if on != self.in_service[r]
                || (on && (self.bus_idx[fr] != Some(self.f_idx[r]) || self.bus_idx[tr] != Some(self.t_idx[r])))
            {
                return Err(InputError::new(
                    &net.source,
                    format!("branch row {}", r + 1),
                    "changed its ends or status",
                    "build a new DcPowerFlow for a new topology",
                ));
            }
        }
        // Build afresh on the path this one took (the peel's symbolic work is the
        // elimination itself; the reference path reorders too, which costs little
        // beside its numeric work). The unknowns must keep their numbers: callers hold
        // reduced indices and buffers of `nr` rows. They do unless the references
        // moved (generator status, bus types) or the new values sent a peeled
        // factorization to the reference path (a tiny pivot), which numbers its own way.
        let path = match self.factor {
            Some(Factor::Peeled(_)) | None => FactorPath::Peel,
            _ => FactorPath::Reference,
        };
        let fresh = Self::build_with(net, &idx, path)?;
        if fresh.ref_idx != self.ref_idx || fresh.bus_idx != self.bus_idx || fresh.red != self.red {
            return Err(InputError::new(
                &net.source,
                "network",
                "the new data change the reference buses or the numbering of the unknowns",
                "build a new DcPowerFlow for these data",
            ));
        }
        *self = fresh;
        Ok(())
    }

    /// Unknowns of the reduced system (non-reference buses).
    pub fn n_reduced(&self) -> usize {
        self.nr
    }

    /// Reduced index of internal bus `i` (`None` for reference buses).
    #[inline]
    pub fn reduced(&self, i: usize) -> Option<usize> {
        (self.red[i] != usize::MAX).then_some(self.red[i])
    }

    /// Solve `B_rr X = R` in place for `ncols` right-hand sides (column-major, `nr` rows)
    /// on the kept factorization.
    pub fn solve_block(&self, rhs: &mut [f64], ncols: usize) {
        assert_eq!(rhs.len(), self.nr * ncols);
        if let Some(f) = &self.factor {
            if ncols > 0 {
                f.solve_in_place(rhs, ncols);
            }
        }
    }

    /// Position in the reference list of internal bus `i`, if it is a reference.
    pub fn ref_position(&self, i: usize) -> Option<usize> {
        (self.ref_pos[i] != usize::MAX).then_some(self.ref_pos[i])
    }

    /// Unknowns eliminated by peeling (buses with at most three neighbours), when the fast path
    /// was taken ([`FactorPath::Peel`]); `None` on the reference path.
    pub fn peeled_buses(&self) -> Option<usize> {
        match &self.factor {
            Some(Factor::Peeled(f)) => Some(f.peeled()),
            _ => None,
        }
    }

    /// Which factorization was used ("cholesky", "ldlt", "lu", or "none" without unknowns).
    pub fn factor_kind(&self) -> &'static str {
        self.factor.as_ref().map(|f| f.kind()).unwrap_or("none")
    }

    /// Net injections `Pbus` (pu, internal order) from the network's PG, PD and GS.
    pub fn pbus(&self, net: &Network) -> Vec<f64> {
        let n = self.bus_row.len();
        let mut p = vec![0.0; n];
        let bm = &net.bus;
        for (i, &r) in self.bus_row.iter().enumerate() {
            p[i] = -(bm.get(r, bus::PD) + bm.get(r, bus::GS)) / self.base_mva;
        }
        let g = &net.gen;
        for r in 0..g.rows() {
            if let (true, Some(i)) = (net.gen_status(r), self.gen_idx[r]) {
                p[i] += g.get(r, gen::PG) / self.base_mva;
            }
        }
        // − Pbusinj, Pbusinj = Cftᵀ (−b shift).
        for r in 0..self.b.len() {
            if self.in_service[r] && self.shift_rad[r] != 0.0 {
                let pfinj = -self.b[r] * self.shift_rad[r];
                p[self.f_idx[r]] -= pfinj;
                p[self.t_idx[r]] += pfinj;
            }
        }
        p
    }

    /// The reduced right-hand side `Pbus[nr] − B[nr, ref] θ[ref]` for injections `pbus`.
    pub fn reduced_rhs(&self, pbus: &[f64]) -> Vec<f64> {
        let n = self.bus_row.len();
        let mut rhs = vec![0.0; self.nr];
        for i in 0..n {
            if self.red[i] != usize::MAX {
                rhs[self.red[i]] = pbus[i];
            }
        }
        for &(rr, k, v) in &self.ref_coupling {
            rhs[rr] -= v * self.ref_va_rad[k];
        }
        rhs
    }

    /// Bus angles (rad, internal order) for injections `pbus` (pu), on the existing
    /// factorization.
    pub fn angles(&self, pbus: &[f64]) -> Vec<f64> {
        let n = self.bus_row.len();
        let mut rhs = self.reduced_rhs(pbus);
        if let Some(f) = &self.factor {
            f.solve_in_place(&mut rhs, 1);
        }
        let mut va = vec![0.0; n];
        for i in 0..n {
            va[i] = if self.red[i] != usize::MAX { rhs[self.red[i]] } else { self.ref_va_rad[self.ref_pos[i]] };
        }
        va
    }

    /// Branch flows at the from end, MW (file order; 0 for out-of-service branches).
    pub fn flows_mw(&self, va: &[f64]) -> Vec<f64> {
        (0..self.b.len())
            .map(|r| {
                if self.in_service[r] {
                    self.base_mva * self.b[r] * (va[self.f_idx[r]] - va[self.t_idx[r]] - self.shift_rad[r])
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// [`solve`](Self::solve), then [`DcResult::check`]: an error instead of a result
    /// holding NaN, Inf or a physically impossible flow.
    pub fn solve_checked(&self, net: &Network) -> Result<DcResult, InputError> {
        let r = self.solve(net);
        r.check(net)?;
        Ok(r)
    }

    /// The whole DC power flow of `net` (which must be the network this was built for).
    pub fn solve(&self, net: &Network) -> DcResult {
        let pbus = self.pbus(net);
        let va = self.angles(&pbus);
        let pf = self.flows_mw(&va);
        // (B θ)_i − Pbus_i at the references: the slack's pick-up.
        let mut bt = vec![0.0; va.len()];
        for r in 0..self.b.len() {
            if self.in_service[r] {
                let f = self.b[r] * (va[self.f_idx[r]] - va[self.t_idx[r]]);
                bt[self.f_idx[r]] += f;
                bt[self.t_idx[r]] -= f;
            }
        }
        let g = &net.gen;
        // Validation guarantees on-line generators sit at connected buses.
        let mut pg: Vec<f64> = (0..g.rows()).map(|r| if net.gen_status(r) { g.get(r, gen::PG) } else { 0.0 }).collect();
        for (k, &i) in self.ref_idx.iter().enumerate() {
            if let Some(r) = self.slack_gen[k] {
                pg[r] += self.base_mva * (bt[i] - pbus[i]);
            }
        }
        let bm = &net.bus;
        let va_deg = (0..bm.rows()).map(|r| match self.bus_idx[r] {
            Some(i) => va[i].to_degrees(),
            None => bm.get(r, bus::VA),
        });
        let l = &net.branch;
        let loading = (0..l.rows())
            .map(|r| {
                let rate = l.get(r, br::RATE_A);
                if rate > 0.0 && rate.is_finite() {
                    100.0 * pf[r].abs() / rate
                } else {
                    f64::NAN
                }
            })
            .collect();
        DcResult {
            bus_i: (0..bm.rows()).map(|r| bm.get(r, bus::BUS_I)).collect(),
            va_deg: va_deg.collect(),
            f_bus: (0..l.rows()).map(|r| l.get(r, br::F_BUS)).collect(),
            t_bus: (0..l.rows()).map(|r| l.get(r, br::T_BUS)).collect(),
            branch_in_service: self.in_service.clone(),
            pt_mw: pf.iter().map(|v| -v).collect(),
            pf_mw: pf,
            loading_pct: loading,
            gen_bus: (0..g.rows()).map(|r| g.get(r, gen::GEN_BUS)).collect(),
            gen_in_service: (0..g.rows()).map(|r| net.gen_status(r)).collect(),
            pg_mw: pg,
            ref_buses: self.ref_idx.iter().map(|&i| bm.get(self.bus_row[i], bus::BUS_I)).collect(),
            islands: self.islands,
        }
    }
}
