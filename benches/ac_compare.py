#!/usr/bin/env python3
"""AC power flow: thermogrid vs pandapower runpp (numba), checked against an independent
numpy/scipy Newton-Raphson with MATPOWER's conventions (benches/acpf_ref.py), in one run.

0. The numpy reference (acpf_ref.runpf) is first validated against MATPOWER's own results,
   tests/data/cases/*.acpf.json (tolerances |ΔVm| ≤ 1e-6 p.u., |ΔVa| ≤ 1e-5°, flows and gens
   ≤ 1e-4 MW/MVAr; the worst differences are printed). It is then the reference for every case.
Per case (MATPOWER .m file):
a. thermogrid: `solve_s` of `thermogrid powerflow CASE --ac --json --repeat N` (Ybus build +
   Newton + flows, parse excluded, fastest of N in one process), its `iterations`/`converged`,
   and the wall time of the whole process `thermogrid powerflow CASE --ac --json` (read, parse,
   solve, print), fastest of N. Its results from `-o out.h5` (/power/bus/vm_pu, va_deg,
   /power/branch/pf_mw, qf_mvar, pt_mw, qt_mvar, /power/gen/pg_mw, qg_mvar; file row order) are
   compared with the numpy reference: max |ΔVm|, |ΔVa|, |ΔP|, |ΔQ| (both branch ends), |ΔPg|,
   |ΔQg| (on-line gens). A binary without `--ac` gives "n/a".
b. pandapower: `runpp` alone, on a net converted beforehand (not timed), fastest of N, with
   numba=True (checked: numba importable and net._options["numba"] still True after the run),
   algorithm "nr", tolerance_mva=1e-8 (pandapower compares it with the p.u. mismatch, like
   MATPOWER's 1e-8), max_iteration 10, trafo_model="pi", calculate_voltage_angles=True, started
   from the case's VM/VA (init_vm_pu/init_va_degree arrays = MATPOWER's start point; each run
   starts there again). The net comes from matpowercaseframes → ppc → from_ppc, with the
   workarounds of tests/data/cases/README.md applied to the ppc first, so that pandapower solves
   the same problem: BASE_KV 0 → 1 kV; off-line gens and out-of-service branches dropped; every
   on-line gen at a bus given the VG of the last one; transformers whose from bus has the lower
   BASE_KV replaced by their exact reverse (f↔t, r,x·tau², b/tau², TAP 1/tau, -SHIFT);
   transformer BR_B moved to bus shunts (b/2/tau² at the from end, b/2 at the to end). Its bus
   Vm/Va are compared with the reference as a check that it solved the same problem (branch Q
   is not, because of the moved BR_B). A run that does not converge is reported as such.
   With --lightsim2grid, the same runpp again with lightsim2grid=True (pandapower's C++ Newton
   backend, package lightsim2grid): a second, stronger pandapower column. The main column always
   runs with lightsim2grid=False, so installing that package does not change it.
c. numpy reference: its solve time (Ybus + Newton + pfsoln + flows), one run.

N: 20 below 1 k buses, 10 below 5 k, 5 above (--repeat N overrides).
Prints one JSON line per case while running, then one table; writes JSON to --json-out
(default target/bench-power-ac.json).

    ac_compare.py THERMOGRID_BINARY [--repeat N] [--json-out PATH] [--no-pandapower] [--lightsim2grid] CASE.m ...

Run through benches/compare_ac.sh.
"""
import json, logging, os, sys, tempfile, time, warnings
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acpf_ref as ref
from power_compare import first_line, last_json, machine, run_binary

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)


def reps_for(nb, override):
    if override:
        return override
    return 20 if nb < 1000 else 10 if nb < 5000 else 5


# ---------------------------------------------------------------- thermogrid

def thermogrid_ac(binary, path, n):
    """dict with the CLI's numbers and its results from -o out.h5, or {"error": …}; "n/a" when
    the binary has no --ac."""
    p, _ = run_binary([binary, "powerflow", path, "--ac", "--json", "--repeat", str(n)])
    if p.returncode != 0:
        msg = first_line(p)
        return {"error": "n/a: this binary has no --ac" if "--ac" in msg and "unexpected" in msg else msg}
    s = last_json(p.stdout)
    r = {"solve_s": s.get("solve_s"), "iterations": s.get("iterations"), "converged": s.get("converged"),
         "max_mismatch_mva": s.get("max_mismatch_mva"), "losses_mw": s.get("losses_mw"), "factor": s.get("factor")}
    cli = []
    for _ in range(n):
        p, dt = run_binary([binary, "powerflow", path, "--ac", "--json"])
        if p.returncode != 0:
            return r | {"error": first_line(p)}
        cli.append(dt)
    r["cli_s"] = min(cli)
    import h5py
    with tempfile.TemporaryDirectory() as d:
        h5 = os.path.join(d, "out.h5")
        p, _ = run_binary([binary, "powerflow", path, "--ac", "--json", "-o", h5])
        if p.returncode != 0:
            return r | {"error": first_line(p)}
        with h5py.File(h5, "r") as f:
            g = lambda k: f[k][()] if k in f else missing.append("/" + k)
            missing = []
            r["h5"] = {
                "bus_i": g("power/bus/bus_i"), "vm_pu": g("power/bus/vm_pu"), "va_deg": g("power/bus/va_deg"),
                "in_service": np.asarray(g("power/branch/in_service"), dtype=bool),
                "pf_mw": g("power/branch/pf_mw"), "qf_mvar": g("power/branch/qf_mvar"),
                "pt_mw": g("power/branch/pt_mw"), "qt_mvar": g("power/branch/qt_mvar"),
                "gen_bus": g("power/gen/gen_bus"), "gen_on": np.asarray(g("power/gen/in_service"), dtype=bool),
                "pg_mw": g("power/gen/pg_mw"), "qg_mvar": g("power/gen/qg_mvar"),
            }
            if missing:
                del r["h5"]
                r["error"] = "out.h5 lacks " + ", ".join(missing)
    return r


def diff_results(a, b):
    """Max abs differences between two result sets in file row order (acpf_ref.runpf's keys)."""
    on = b["in_service"]
    gon = b["gen_on"]
    mx = lambda x: float(np.max(np.abs(x))) if np.size(x) else 0.0
    gb = b["gen_bus"][gon].astype(int)
    _, inv = np.unique(gb, return_inverse=True)
    qbus = lambda q: np.bincount(inv, weights=q[gon])
    return {
        "vm_pu": mx(a["vm_pu"] - b["vm_pu"]), "va_deg": mx(a["va_deg"] - b["va_deg"]),
        "p_branch_mw": max(mx((a["pf_mw"] - b["pf_mw"])[on]), mx((a["pt_mw"] - b["pt_mw"])[on])),
        "q_branch_mvar": max(mx((a["qf_mvar"] - b["qf_mvar"])[on]), mx((a["qt_mvar"] - b["qt_mvar"])[on])),
        "pg_mw": mx((a["pg_mw"] - b["pg_mw"])[gon]), "qg_mvar": mx((a["qg_mvar"] - b["qg_mvar"])[gon]),
        "qg_bus_total_mvar": mx(qbus(a["qg_mvar"]) - qbus(b["qg_mvar"])),
        "rows_agree": bool(np.array_equal(a["bus_i"], b["bus_i"]) and np.array_equal(a["in_service"], on)
                           and np.array_equal(a["gen_on"], gon)),
    }


# ---------------------------------------------------------------- pandapower

def ppc_for_pandapower(case):
    """The case as a ppc dict, with the workarounds listed in the module docstring."""
    R = ref  # MATPOWER column indices
    B, G = R.BUS_TYPE, R.GEN_STATUS
    bus = case["bus"][:, :13].copy()
    gen = case["gen"][:, :21].copy() if case["gen"].shape[1] >= 21 else case["gen"].copy()
    branch = case["branch"][:, :13].copy()
    base = case["baseMVA"]
    bus[bus[:, R.BASE_KV] <= 0, R.BASE_KV] = 1.0
    row = {int(b): i for i, b in enumerate(bus[:, R.BUS_I])}
    gtype = bus[[row[int(b)] for b in gen[:, R.GEN_BUS]], B]
    gen = gen[(gen[:, G] > 0) & (gtype != R.NONE_T)]
    last_vg = {}
    for g in gen:
        last_vg[int(g[R.GEN_BUS])] = g[R.VG]
    gen[:, R.VG] = [last_vg[int(b)] for b in gen[:, R.GEN_BUS]]
    fr = np.array([row[int(b)] for b in branch[:, R.F_BUS]])
    to = np.array([row[int(b)] for b in branch[:, R.T_BUS]])
    keep = (branch[:, R.BR_STATUS] != 0) & (bus[fr, B] != R.NONE_T) & (bus[to, B] != R.NONE_T)
    branch, fr, to = branch[keep], fr[keep], to[keep]
    tap = branch[:, R.TAP]
    trafo = ((tap != 0) & (tap != 1)) | (branch[:, R.SHIFT] != 0)   # from_ppc's own test
    tau = np.where(tap != 0, tap, 1.0)
    rev = trafo & (bus[to, R.BASE_KV] > bus[fr, R.BASE_KV])
    if np.any(rev):
        t2 = tau[rev] ** 2
        branch[rev, R.F_BUS], branch[rev, R.T_BUS] = branch[rev, R.T_BUS].copy(), branch[rev, R.F_BUS].copy()
        fr[rev], to[rev] = to[rev].copy(), fr[rev].copy()
        branch[rev, R.BR_R] *= t2
        branch[rev, R.BR_X] *= t2
        branch[rev, R.BR_B] /= t2
        branch[rev, R.TAP] = 1.0 / tau[rev]
        branch[rev, R.SHIFT] *= -1
        tau[rev] = 1.0 / tau[rev]
    mb = trafo & (branch[:, R.BR_B] != 0)
    if np.any(mb):
        b = branch[mb, R.BR_B]
        np.add.at(bus[:, R.BS], fr[mb], b / 2 / tau[mb] ** 2 * base)
        np.add.at(bus[:, R.BS], to[mb], b / 2 * base)
        branch[mb, R.BR_B] = 0.0
    return {"version": "2", "baseMVA": base, "bus": bus, "gen": gen, "branch": branch}


def pandapower_net(case):
    from pandapower.converter.pypower.from_ppc import from_ppc
    ppc = ppc_for_pandapower(case)
    net = from_ppc(ppc, f_hz=60, check_costs=False)
    return net, ppc["bus"][:, ref.VM].copy(), ppc["bus"][:, ref.VA].copy()


def pandapower_runpp(net, vm0, va0, ls2g=False):
    import pandapower as pp
    pp.runpp(net, algorithm="nr", numba=True, tolerance_mva=1e-8, max_iteration=10, trafo_model="pi",
             calculate_voltage_angles=True, init="auto", init_vm_pu=vm0, init_va_degree=va0,
             enforce_q_lims=False, lightsim2grid=ls2g)


def pandapower_ac(case, res_ref, n, ls2g=False):
    """runpp timings (fastest of n after one warm-up run) and checks; ls2g: pandapower with its
    lightsim2grid (C++ Newton) backend instead of its own numba/scipy one."""
    import pandapower as pp
    net, vm0, va0 = pandapower_net(case)
    times, cores, converged, err = [], [], True, None
    for _ in range(n + 1):          # the first run is a warm-up (numba JIT, lookups), not counted
        t0 = time.perf_counter()
        try:
            pandapower_runpp(net, vm0, va0, ls2g)
        except pp.LoadflowNotConverged:
            converged = False
        except Exception as e:      # noqa: BLE001 — report, don't stop the bench
            err = f"{type(e).__name__}: {e}"[:200]
        times.append(time.perf_counter() - t0)
        if err or not converged:
            break
        cores.append(float(net._ppc.get("et", float("nan"))))   # pandapower's own NR time
    r = {"runpp_s": min(times[1:]) if len(times) > 1 else None, "converged": converged and err is None,
         "numba": bool(net._options.get("numba", False)) if "_options" in net else None,
         "lightsim2grid": bool(net._options.get("lightsim2grid", False)) if "_options" in net else None}
    if err:
        r["error"] = err
    if r["converged"]:
        r["iterations"] = int(net._ppc.get("iterations", -1))
        r["nr_core_s"] = min(cores[1:]) if len(cores) > 1 else cores[0]
        vb = net.res_bus.loc[res_ref["bus_i"].astype(int)]
        r["vm_pu_vs_ref"] = float(np.max(np.abs(vb.vm_pu.values - res_ref["vm_pu"])))
        r["va_deg_vs_ref"] = float(np.max(np.abs(vb.va_degree.values - res_ref["va_deg"])))
    return r


# ---------------------------------------------------------------- main

def fmt(x, spec, none="n/a"):
    return none if x is None else format(x, spec)


def main():
    args = sys.argv[1:]
    binary = args.pop(0)
    override, json_out, with_pp, with_ls2g, cases = 0, "target/bench-power-ac.json", True, False, []
    while args:
        a = args.pop(0)
        if a == "--repeat":
            override = int(args.pop(0))
        elif a == "--json-out":
            json_out = args.pop(0)
        elif a == "--no-pandapower":
            with_pp = False
        elif a == "--lightsim2grid":
            with_ls2g = True
        else:
            cases.append(a)

    validation, valid = ref.validate("tests/data/cases")
    print("reference validated" if valid else "WARNING: the numpy reference is OUT of tolerance on some case above", flush=True)

    if with_pp:
        import numba, pandapower
        print(f"pandapower {pandapower.__version__}, numba {numba.__version__}", flush=True)
        c9 = ref.load_case("tests/data/cases/case9.m")
        pandapower_ac(c9, ref.runpf(c9), 1)  # numba JIT warm-up

    rows = []
    for path in cases:
        name = os.path.basename(path).removesuffix(".m")
        case = ref.load_case(path)
        nb = case["bus"].shape[0]
        n = reps_for(nb, override)
        res = ref.runpf(case)
        r = {"case": name, "buses": nb, "branches": case["branch"].shape[0], "repeat": n,
             "ref": {"success": res["success"], "iterations": res["iterations"], "solve_s": res["solve_s"],
                     "max_mismatch_mva": res["max_mismatch_mva"], "losses_mw": res["losses_mw"]}}
        mp = os.path.join(os.path.dirname(path), name + ".acpf.json")
        if os.path.exists(mp):
            r["ref"]["vs_matpower"] = ref.diff_to_reference(res, mp)
        tg = thermogrid_ac(binary, path, n)
        h5 = tg.pop("h5", None)
        if h5 is not None:
            tg["vs_ref"] = diff_results(h5, res)
            if tg.get("losses_mw") is not None:
                tg["vs_ref"]["losses_mw"] = abs(tg["losses_mw"] - res["losses_mw"])
        r["thermogrid"] = tg
        if with_pp:
            r["pandapower"] = pandapower_ac(case, res, n)
            if tg.get("solve_s") and r["pandapower"].get("runpp_s"):
                r["speedup_runpp_over_tg_solve"] = r["pandapower"]["runpp_s"] / tg["solve_s"]
        if with_ls2g:
            r["pandapower_lightsim2grid"] = pandapower_ac(case, res, n, ls2g=True)
        rows.append(r)
        print(json.dumps(r), flush=True)

    print()
    hdr = (f"{'case':>18} {'buses':>6} {'its tg/ref/pp':>13} | {'tg solve ms':>11} {'tg CLI ms':>9} {'pp runpp ms':>11} {'×':>5}"
           + (f" {'pp+ls2g ms':>10}" if with_ls2g else "") +
           f" {'ref NR ms':>9} | {'tg-ref |ΔVm|':>12} {'|ΔVa| °':>8} {'|ΔP| MW':>8} {'|ΔQ| MVAr':>9} | {'pp-ref |ΔVm|':>12}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        tg, pp_ = r["thermogrid"], r.get("pandapower", {})
        d = tg.get("vs_ref", {})
        its = f"{fmt(tg.get('iterations'), 'd', '-')}/{r['ref']['iterations']}{'' if r['ref']['success'] else '!'}/" \
              f"{fmt(pp_.get('iterations'), 'd', '-' if pp_.get('converged', True) else 'nc')}"
        ms = lambda x: None if x is None else 1e3 * x
        pp_t = fmt(ms(pp_.get("runpp_s")), "11.2f") if pp_.get("converged") else ("no conv." if pp_ else "skipped")
        ls = r.get("pandapower_lightsim2grid", {})
        ls_t = (f" {fmt(ms(ls.get('runpp_s')), '10.2f'):>10}" if ls.get("converged") else f" {'no conv.':>10}") if with_ls2g else ""
        line = (f"{r['case']:>18} {r['buses']:>6} {its:>13} | {fmt(ms(tg.get('solve_s')), '11.2f'):>11} {fmt(ms(tg.get('cli_s')), '9.1f'):>9}"
                f" {pp_t:>11} {fmt(r.get('speedup_runpp_over_tg_solve'), '5.1f'):>5}{ls_t} {1e3 * r['ref']['solve_s']:>9.1f} |"
                f" {fmt(d.get('vm_pu'), '12.1e'):>12} {fmt(d.get('va_deg'), '8.1e'):>8} {fmt(d.get('p_branch_mw'), '8.1e'):>8}"
                f" {fmt(d.get('q_branch_mvar'), '9.1e'):>9} | {fmt(pp_.get('vm_pu_vs_ref'), '12.1e'):>12}")
        if tg.get("error"):
            line += f"   thermogrid: {tg['error']}"
        if pp_.get("error"):
            line += f"   pandapower: {pp_['error']}"
        print(line)
    print("× = pandapower runpp / thermogrid solve_s. |ΔP|, |ΔQ|: both ends of in-service branches. "
          "ref = numpy/scipy NR (benches/acpf_ref.py), validated against MATPOWER above.")
    out = {
        "what": "AC power flow, thermogrid vs pandapower runpp (numba), reference numpy NR; see benches/ac_compare.py",
        "machine": machine(), "load_avg_at_end": os.getloadavg(), "binary": os.path.abspath(binary),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "reference_validation": {"ok": valid, "tolerances": ref.TOL, "cases": validation},
        "rows": rows,
    }
    os.makedirs(os.path.dirname(json_out) or ".", exist_ok=True)
    with open(json_out, "w") as f:
        json.dump(out, f, indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    print(f"wrote {json_out}")


if __name__ == "__main__":
    main()
