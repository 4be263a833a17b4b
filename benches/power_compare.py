#!/usr/bin/env python3
"""Side-by-side DC power flow timings on the same machine, in one run:

* thermogrid library: build + factorize + solve, parse excluded (the `solve_s` of
  `thermogrid powerflow --json`, best of N runs);
* scipy: the same model (MATPOWER makeBdc/dcpf) with scipy.sparse: build B, splu, solve,
  parse excluded (best of N);
* whole runs: the thermogrid CLI process (read .m, solve, print) vs pandapower's
  from_mpc + rundcpp in an already-running Python (import time not counted).

Run through benches/compare_power.sh.
"""
import json, subprocess, sys, time, warnings
import numpy as np, scipy.sparse as sp
from scipy.sparse.linalg import splu

warnings.filterwarnings("ignore")
N = 20


def load(path):
    from matpowercaseframes import CaseFrames
    cf = CaseFrames(path)
    return float(cf.baseMVA), cf.bus.values.astype(float), cf.gen.values.astype(float), cf.branch.values.astype(float)


def build_b(bus, branch):
    """Isolated buses dropped, internal indices, in-service branches with their ends,
    b = 1/(x·tap), the incidence matrix C, Bf = diag(b)·C and B = Cᵀ·Bf (makeBdc)."""
    keep = bus[:, 1] != 4
    bus_num = bus[:, 0].astype(int)
    idx = -np.ones(bus_num.max() + 1, dtype=int)
    idx[bus_num[keep]] = np.arange(keep.sum())
    nb = int(keep.sum())
    f = idx[branch[:, 0].astype(int)]
    t = idx[branch[:, 1].astype(int)]
    on = (branch[:, 10] != 0) & (f >= 0) & (t >= 0)
    f, t, br = f[on], t[on], branch[on]
    tap = np.where(br[:, 8] != 0, br[:, 8], 1.0)
    b = 1.0 / (br[:, 3] * tap)
    nl = len(b)
    C = sp.csr_matrix((np.r_[np.ones(nl), -np.ones(nl)], (np.r_[np.arange(nl), np.arange(nl)], np.r_[f, t])), shape=(nl, nb))
    Bf = sp.diags(b) @ C
    return keep, idx, nb, f, t, br, b, C, Bf, (C.T @ Bf).tocsc()


def dcpf_scipy(base, bus, gen, branch):
    """MATPOWER's DC power flow (see tests/data/cases/README.md), scipy.sparse + splu."""
    keep, idx, nb, _, _, br, b, Cft, Bf, Bbus = build_b(bus, branch)
    pfinj = -b * np.deg2rad(br[:, 9])
    pbusinj = Cft.T @ pfinj
    gon = (gen[:, 7] > 0) & (idx[gen[:, 0].astype(int)] >= 0)
    gbus = idx[gen[gon, 0].astype(int)]
    pg = np.bincount(gbus, weights=gen[gon, 1], minlength=nb)
    kb = bus[keep]
    pbus = (pg - kb[:, 2] - kb[:, 4]) / base - pbusinj
    has_gen = np.bincount(gbus, minlength=nb) > 0
    ref = np.where((kb[:, 1] == 3) & has_gen)[0]
    if len(ref) == 0:
        ref = np.where((kb[:, 1] == 2) & has_gen)[0][:1]
    nr = np.setdiff1d(np.arange(nb), ref)
    va = np.deg2rad(kb[:, 8]).copy()
    A = Bbus[nr][:, nr].tocsc()
    rhs = pbus[nr] - Bbus[nr][:, ref] @ va[ref]
    va[nr] = splu(A).solve(rhs)
    pf = base * (Bf @ va + pfinj)
    return va, pf


def best(fn, n=N):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), out


def main():
    binary, cases = sys.argv[1], sys.argv[2:]
    rows = []
    for path in cases:
        base, bus, gen, branch = load(path)
        t_scipy, (va, pf) = best(lambda: dcpf_scipy(base, bus, gen, branch))
        # Library: best of N build + factorize + solve in one warm process, like scipy's.
        out = subprocess.run([binary, "powerflow", path, "--json", "--repeat", str(N)], check=True, capture_output=True, text=True)
        tg_lib = [json.loads(out.stdout)["solve_s"]]
        # CLI: whole process runs (read, solve, print), best of N.
        tg_cli = []
        for _ in range(N):
            t0 = time.perf_counter()
            subprocess.run([binary, "powerflow", path, "--json"], check=True, capture_output=True, text=True)
            tg_cli.append(time.perf_counter() - t0)
        import pandapower as pp
        from pandapower.converter.matpower import from_mpc

        def pandapower_run():
            net = from_mpc(path)
            pp.rundcpp(net)
            return net
        t_pp, _ = best(pandapower_run, n=3)
        r = {"case": path.split("/")[-1], "tg_lib_ms": 1e3 * min(tg_lib), "scipy_ms": 1e3 * t_scipy, "tg_cli_ms": 1e3 * min(tg_cli), "pandapower_ms": 1e3 * t_pp}
        r["lib_speedup"] = r["scipy_ms"] / r["tg_lib_ms"]
        r["cli_speedup"] = r["pandapower_ms"] / r["tg_cli_ms"]
        rows.append(r)
        print(json.dumps(r), flush=True)
    print()
    print(f"{'case':>22} | {'thermogrid build+factor+solve ms':>32} {'scipy ms':>9} {'×':>5} | {'thermogrid CLI ms':>17} {'pandapower ms':>13} {'×':>5}")
    for r in rows:
        print(f"{r['case']:>22} | {r['tg_lib_ms']:>32.2f} {r['scipy_ms']:>9.2f} {r['lib_speedup']:>5.1f} | {r['tg_cli_ms']:>17.1f} {r['pandapower_ms']:>13.1f} {r['cli_speedup']:>5.1f}")


if __name__ == "__main__":
    main()
