#!/usr/bin/env python3
"""Independent numpy/scipy AC power flow with MATPOWER runpf's exact conventions.

This is the correctness reference for thermogrid's AC power flow on cases that have no
MATPOWER result file. It follows the "conventions" text of tests/data/cases/*.acpf.json
(MATPOWER 8.1 makeYbus, makeSbus, bustypes, newtonpf, pfsoln, runpf; default options):

1. Filtering (ext2int): type-4 buses removed; a gen is on-line if GEN_STATUS > 0 and its bus
   is not type 4; a branch is in service if BR_STATUS != 0 and neither end is type 4.
2. makeYbus: ys = 1/(r + jx), a = tau·e^{j·shift} (tau = TAP or 1), Ytt = ys + jb/2,
   Yff = Ytt/|a|², Yft = -ys/conj(a), Ytf = -ys/a; bus shunts (GS + jBS)/baseMVA.
3. Sbus = (Σ on-line gen (PG + jQG) - (PD + jQD)) / baseMVA.
4. bustypes: ref = type 3 with an on-line gen, PV = type 2 with an on-line gen, PQ = the rest;
   no ref → the first PV bus. V0 = VM·e^{j·VA}; at ref/PV buses |V0| = VG of the LAST on-line
   gen there (file order). Va(ref) is the input VA.
5. newtonpf: polar power-balance Newton, F = [Re mis(pv,pq); Im mis(pq)], stop at
   max|F| < 1e-8 p.u., at most 10 iterations.
6. pfsoln: gens at PQ buses keep PG, QG; at ref/PV buses the bus Q (Im(S)·baseMVA + QD) is
   split in proportion to the gens' Q ranges (±Inf → ±M proxy; zero range → equal split of the
   violation); the FIRST on-line gen at each ref bus takes the slack P.
7. Flows Sf = V_f·conj(Yf·V)·baseMVA, St = V_t·conj(Yt·V)·baseMVA; off-line elements are 0.

Use:
    from acpf_ref import load_case, runpf
    res = runpf(load_case("case9.m"))      # dict, rows in .m-file order (see runpf's docstring)

    python3 benches/acpf_ref.py --validate [DIR]    # against DIR/*.acpf.json (default
                                                   # tests/data/cases); exit 1 when out of tolerance
    python3 benches/acpf_ref.py CASE.m              # solve and print a summary
Validation tolerances (max abs over all buses, both ends of in-service branches, on-line gens):
|ΔVm| ≤ 1e-6 p.u., |ΔVa| ≤ 1e-5°, flows and PG/QG ≤ 1e-4 MW/MVAr.
"""
import glob, json, os, sys, time
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

# MATPOWER column indices (0-based)
BUS_I, BUS_TYPE, PD, QD, GS, BS, VM, VA, BASE_KV = 0, 1, 2, 3, 4, 5, 7, 8, 9
GEN_BUS, PG, QG, QMAX, QMIN, VG, GEN_STATUS = 0, 1, 2, 3, 4, 5, 7
F_BUS, T_BUS, BR_R, BR_X, BR_B, TAP, SHIFT, BR_STATUS = 0, 1, 2, 3, 4, 8, 9, 10
PQ_T, PV_T, REF_T, NONE_T = 1, 2, 3, 4

TOL = {"vm_pu": 1e-6, "va_deg": 1e-5, "p_branch_mw": 1e-4, "q_branch_mvar": 1e-4, "pg_mw": 1e-4, "qg_mvar": 1e-4}


def load_case(path):
    """A MATPOWER .m case as {"baseMVA", "bus", "gen", "branch"} float arrays (matpowercaseframes'
    static parse: fine for MATPOWER's transmission cases, not for files that compute)."""
    import warnings
    from matpowercaseframes import CaseFrames
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cf = CaseFrames(path)
    return {"baseMVA": float(cf.baseMVA), "bus": cf.bus.values.astype(float),
            "gen": cf.gen.values.astype(float), "branch": cf.branch.values.astype(float)}


def make_ybus(base, bus, branch, idx):
    """(Ybus, Yf, Yt, f, t, on): Yf/Yt over the in-service branches `on` (mask over the file rows),
    f/t their internal end indices. bus is the kept (non type-4) bus matrix, idx maps external
    bus numbers to internal indices (-1: removed)."""
    nb = bus.shape[0]
    fi, ti = idx[branch[:, F_BUS].astype(int)], idx[branch[:, T_BUS].astype(int)]
    on = (branch[:, BR_STATUS] != 0) & (fi >= 0) & (ti >= 0)
    br = branch[on]
    f, t = fi[on], ti[on]
    nl = len(f)
    ys = 1.0 / (br[:, BR_R] + 1j * br[:, BR_X])
    tau = np.where(br[:, TAP] != 0, br[:, TAP], 1.0)
    a = tau * np.exp(1j * np.deg2rad(br[:, SHIFT]))
    ytt = ys + 0.5j * br[:, BR_B]
    yff = ytt / (a * np.conj(a))
    yft = -ys / np.conj(a)
    ytf = -ys / a
    ysh = (bus[:, GS] + 1j * bus[:, BS]) / base
    rows = np.r_[np.arange(nl), np.arange(nl)]
    Yf = sp.csr_matrix((np.r_[yff, yft], (rows, np.r_[f, t])), shape=(nl, nb))
    Yt = sp.csr_matrix((np.r_[ytf, ytt], (rows, np.r_[f, t])), shape=(nl, nb))
    Cf = sp.csr_matrix((np.ones(nl), (np.arange(nl), f)), shape=(nl, nb))
    Ct = sp.csr_matrix((np.ones(nl), (np.arange(nl), t)), shape=(nl, nb))
    Ybus = (Cf.T @ Yf + Ct.T @ Yt + sp.diags(ysh)).tocsr()
    return Ybus, Yf, Yt, f, t, on


def bustypes(bus, gbus):
    """ref, pv, pq index arrays (internal), MATPOWER bustypes.m."""
    nb = bus.shape[0]
    has_gen = np.bincount(gbus, minlength=nb) > 0
    ref = np.where((bus[:, BUS_TYPE] == REF_T) & has_gen)[0]
    pv = np.where((bus[:, BUS_TYPE] == PV_T) & has_gen)[0]
    pq = np.setdiff1d(np.arange(nb), np.r_[ref, pv])
    if len(ref) == 0 and len(pv) > 0:
        ref, pv = pv[:1], pv[1:]
    return ref, pv, pq


def dsbus_dv(Ybus, V):
    """MATPOWER dSbus_dV, polar: (dS/dVa, dS/dVm)."""
    Ibus = Ybus @ V
    dV = sp.diags(V)
    dI = sp.diags(Ibus)
    dVn = sp.diags(V / np.abs(V))
    dS_dVm = dV @ np.conj(Ybus @ dVn) + np.conj(dI) @ dVn
    dS_dVa = 1j * dV @ np.conj(dI - Ybus @ dV)
    return dS_dVa, dS_dVm


def newtonpf(Ybus, Sbus, V0, ref, pv, pq, tol=1e-8, max_it=10):
    """MATPOWER newtonpf (power balance, polar). Returns V, converged, iterations, max|F|."""
    V = V0.copy()
    Va, Vm = np.angle(V), np.abs(V)
    pvpq = np.r_[pv, pq]
    npv, npq = len(pv), len(pq)
    j1, j2, j3 = 0, npv, npv + npq  # Va(pv) | Va(pq) | Vm(pq)

    def mismatch(V):
        mis = V * np.conj(Ybus @ V) - Sbus
        return np.r_[mis[pvpq].real, mis[pq].imag]

    F = mismatch(V)
    normF = np.max(np.abs(F)) if len(F) else 0.0
    it = 0
    converged = normF < tol
    while not converged and it < max_it:
        it += 1
        dS_dVa, dS_dVm = dsbus_dv(Ybus, V)
        dS_dVa, dS_dVm = dS_dVa.tocsr(), dS_dVm.tocsr()
        J11 = dS_dVa[pvpq][:, pvpq].real
        J12 = dS_dVm[pvpq][:, pq].real
        J21 = dS_dVa[pq][:, pvpq].imag
        J22 = dS_dVm[pq][:, pq].imag
        J = sp.bmat([[J11, J12], [J21, J22]], format="csc")
        dx = -spsolve(J, F)
        Va[pv] += dx[j1:j2]
        Va[pq] += dx[j2:j3]
        Vm[pq] += dx[j3:]
        V = Vm * np.exp(1j * Va)
        Vm, Va = np.abs(V), np.angle(V)
        F = mismatch(V)
        normF = np.max(np.abs(F))
        converged = normF < tol
    return V, bool(converged), it, float(normF)


def split_gen_q(qtot_bus, gbus, qmin, qmax):
    """pfsoln's split of each bus's total gen Q (MVAr, per internal bus) among the on-line gens
    at ref/PV buses (gbus: their internal buses). Returns QG per gen (in the order given)."""
    ng = len(gbus)
    if ng == 0:
        return np.zeros(0)
    nb = int(max(gbus.max() + 1, len(qtot_bus)))
    ngg = np.bincount(gbus, minlength=nb)[gbus]          # gens at this gen's bus
    qg = qtot_bus[gbus] / ngg                             # equal share first
    M = np.abs(qg) + np.where(np.isinf(qmax), 0.0, np.abs(qmax)) + np.where(np.isinf(qmin), 0.0, np.abs(qmin))
    M = np.bincount(gbus, weights=M, minlength=nb)[gbus]  # summed over the bus
    qg_min = np.where(qmin == -np.inf, -M, qmin)
    qg_max = np.where(qmax == np.inf, M, qmax)
    qtot = np.bincount(gbus, weights=qg, minlength=nb)
    qmin_tot = np.bincount(gbus, weights=qg_min, minlength=nb)
    qmax_tot = np.bincount(gbus, weights=qg_max, minlength=nb)
    eps = np.finfo(float).eps
    rng = qmax_tot - qmin_tot
    qg = qg_min + ((qtot - qmin_tot) / (rng + eps))[gbus] * (qg_max - qg_min)
    zero = np.abs(rng[gbus]) < 10 * eps                   # bus with zero Q range
    if np.any(zero):
        ib = np.unique(gbus[zero])
        nper = np.bincount(gbus, minlength=nb)
        cur = np.bincount(gbus, weights=qg, minlength=nb)
        save = np.zeros(nb)
        save[ib] = (cur[ib] - qtot[ib]) / nper[ib]
        qg[zero] -= save[gbus[zero]]
    return qg


def runpf(case, tol=1e-8, max_it=10):
    """AC power flow with MATPOWER runpf's default conventions (see the module docstring).

    Returns a dict, rows in .m-file order:
      success, iterations, max_mismatch_mva, ref_buses (external numbers), losses_mw,
      bus_i, vm_pu, va_deg                       (all bus rows; type-4 buses keep VM/VA)
      f_bus, t_bus, in_service, pf_mw, qf_mvar, pt_mw, qt_mvar   (0 for off-line branches)
      gen_bus, gen_on, pg_mw, qg_mvar           (0 for off-line gens)
      solve_s: wall time of Ybus + Newton + pfsoln + flows (no parsing).
    """
    t0 = time.perf_counter()
    base = case["baseMVA"]
    bus_all, gen, branch = case["bus"], case["gen"], case["branch"]
    keep = bus_all[:, BUS_TYPE] != NONE_T
    bus = bus_all[keep]
    nb = bus.shape[0]
    nums = bus_all[:, BUS_I].astype(int)
    idx = -np.ones(nums.max() + 1, dtype=int)
    idx[nums[keep]] = np.arange(nb)
    gidx = idx[gen[:, GEN_BUS].astype(int)]
    gon = (gen[:, GEN_STATUS] > 0) & (gidx >= 0)
    on_rows = np.where(gon)[0]
    gbus = gidx[on_rows]

    Ybus, Yf, Yt, f, t, br_on = make_ybus(base, bus, branch, idx)
    Sg = np.bincount(gbus, weights=gen[on_rows, PG], minlength=nb) + 1j * np.bincount(gbus, weights=gen[on_rows, QG], minlength=nb)
    Sbus = (Sg - (bus[:, PD] + 1j * bus[:, QD])) / base
    ref, pv, pq = bustypes(bus, gbus)

    V0 = bus[:, VM] * np.exp(1j * np.deg2rad(bus[:, VA]))
    vc = np.zeros(nb, dtype=bool)
    vc[ref] = True
    vc[pv] = True
    vg = np.full(nb, np.nan)
    for k in on_rows:                      # the LAST on-line gen at a bus sets VG
        if vc[gidx[k]]:
            vg[gidx[k]] = gen[k, VG]
    m = ~np.isnan(vg)
    V0[m] = vg[m] * V0[m] / np.abs(V0[m])

    V, ok, it, normF = newtonpf(Ybus, Sbus, V0, ref, pv, pq, tol, max_it)

    # pfsoln: gen Q at ref/PV buses, slack P
    S = V * np.conj(Ybus @ V)              # p.u. injections incl. shunts
    pg = np.where(gon, gen[:, PG], 0.0)
    qg = np.where(gon, gen[:, QG], 0.0)
    at_vc = gon.copy()
    at_vc[on_rows] = vc[gbus]
    vrows = np.where(at_vc)[0]
    vbus = gidx[vrows]
    qtot = np.zeros(nb)
    qtot[vc] = S[vc].imag * base + bus[vc, QD]
    qg[vrows] = split_gen_q(qtot, vbus, gen[vrows, QMIN], gen[vrows, QMAX])
    for r in ref:
        rows = vrows[vbus == r]
        first, others = rows[0], rows[1:]
        pg[first] = S[r].real * base + bus[r, PD] - pg[others].sum()

    Sf = V[f] * np.conj(Yf @ V) * base
    St = V[t] * np.conj(Yt @ V) * base
    nbr = branch.shape[0]
    out = {k: np.zeros(nbr) for k in ("pf_mw", "qf_mvar", "pt_mw", "qt_mvar")}
    out["pf_mw"][br_on], out["qf_mvar"][br_on] = Sf.real, Sf.imag
    out["pt_mw"][br_on], out["qt_mvar"][br_on] = St.real, St.imag
    vm = bus_all[:, VM].copy()
    va = bus_all[:, VA].copy()
    vm[keep] = np.abs(V)
    va[keep] = np.rad2deg(np.angle(V))
    solve_s = time.perf_counter() - t0
    mis = V * np.conj(Ybus @ V) - Sbus
    return {
        "success": ok, "iterations": it, "max_mismatch_mva": float(np.max(np.abs(np.r_[mis[np.r_[pv, pq]].real, mis[pq].imag]))) * base,
        "newton_max_f_pu": normF, "ref_buses": [int(bus[r, BUS_I]) for r in ref],
        "losses_mw": float((Sf.real + St.real).sum()), "solve_s": solve_s,
        "bus_i": bus_all[:, BUS_I].copy(), "vm_pu": vm, "va_deg": va,
        "f_bus": branch[:, F_BUS].copy(), "t_bus": branch[:, T_BUS].copy(), "in_service": br_on,
        **out,
        "gen_bus": gen[:, GEN_BUS].copy(), "gen_on": gon, "pg_mw": pg, "qg_mvar": qg,
    }


def diff_to_reference(res, ref_json):
    """Max abs differences of a runpf() result to a <case>.acpf.json (default variant): over all
    buses, both ends of in-service branches and on-line gens; qg also as the per-bus total."""
    d = json.load(open(ref_json)) if isinstance(ref_json, str) else ref_json
    b = np.array(d["bus"], float)
    br = np.array(d["branch"], float)
    g = np.array(d["gen"], float)
    bf, brf, gf = d["bus_fields"], d["branch_fields"], d["gen_fields"]
    col = lambda a, fields, name: a[:, fields.index(name)]
    assert np.array_equal(col(b, bf, "bus_i"), res["bus_i"]), "bus rows differ"
    on = col(br, brf, "in_service").astype(bool)
    gon = col(g, gf, "in_service").astype(bool)
    out = {
        "vm_pu": np.max(np.abs(col(b, bf, "vm_pu") - res["vm_pu"])),
        "va_deg": np.max(np.abs(col(b, bf, "va_deg") - res["va_deg"])),
        "p_branch_mw": max(np.max(np.abs(col(br, brf, "pf_mw") - res["pf_mw"])[on]), np.max(np.abs(col(br, brf, "pt_mw") - res["pt_mw"])[on])),
        "q_branch_mvar": max(np.max(np.abs(col(br, brf, "qf_mvar") - res["qf_mvar"])[on]), np.max(np.abs(col(br, brf, "qt_mvar") - res["qt_mvar"])[on])),
        "pg_mw": np.max(np.abs(col(g, gf, "pg_mw") - res["pg_mw"])[gon]),
        "qg_mvar": np.max(np.abs(col(g, gf, "qg_mvar") - res["qg_mvar"])[gon]),
    }
    out = {k: float(v) for k, v in out.items()}
    out["iterations_ref"], out["iterations"] = d["iterations"], res["iterations"]
    out["success_ref"], out["success"] = d["success"], res["success"]
    return out


def validate(folder="tests/data/cases", verbose=True):
    """Runs runpf on every <case>.m with a <case>.acpf.json in folder; returns {case: diffs}
    and whether all are within TOL with the same iteration count and success flag."""
    rows, ok_all = {}, True
    for j in sorted(glob.glob(os.path.join(folder, "*.acpf.json")), key=lambda p: json.load(open(p))["n_bus"]):
        name = os.path.basename(j).removesuffix(".acpf.json")
        res = runpf(load_case(os.path.join(folder, name + ".m")))
        d = diff_to_reference(res, j)
        ok = all(d[k] <= TOL[k] for k in TOL) and d["iterations"] == d["iterations_ref"] and d["success"] == d["success_ref"]
        d["ok"] = ok
        d["solve_s"] = res["solve_s"]
        ok_all &= ok
        rows[name] = d
    if verbose:
        print(f"numpy/scipy reference NR vs MATPOWER runpf (.acpf.json), max abs diff; tolerances {TOL}")
        print(f"{'case':>18} {'its':>7} {'|ΔVm| pu':>9} {'|ΔVa| °':>9} {'|ΔP| MW':>9} {'|ΔQ| MVAr':>9} {'|ΔPg| MW':>9} {'|ΔQg| MVAr':>10} {'solve s':>8}  ok")
        for name, d in rows.items():
            print(f"{name:>18} {d['iterations']:>3}/{d['iterations_ref']:<3} {d['vm_pu']:>9.1e} {d['va_deg']:>9.1e} {d['p_branch_mw']:>9.1e}"
                  f" {d['q_branch_mvar']:>9.1e} {d['pg_mw']:>9.1e} {d['qg_mvar']:>10.1e} {d['solve_s']:>8.3f}  {'ok' if d['ok'] else 'FAIL'}")
        worst = {k: max(d[k] for d in rows.values()) for k in TOL}
        print("worst over all cases: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    return rows, ok_all


def main():
    args = sys.argv[1:]
    if args and args[0] == "--validate":
        _, ok = validate(args[1] if len(args) > 1 else "tests/data/cases")
        sys.exit(0 if ok else 1)
    for p in args:
        res = runpf(load_case(p))
        print(json.dumps({k: res[k] for k in ("success", "iterations", "max_mismatch_mva", "ref_buses", "losses_mw", "solve_s")} | {"case": p}))


if __name__ == "__main__":
    main()
