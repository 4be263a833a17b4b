#!/usr/bin/env python3
"""Full N-1 on a case: thermogrid's CPU screening vs a numpy/scipy PTDF/LODF
implementation, side by side in one run (same model, same machine).

numpy/scipy: B from the branch data, PTDF = Bf · B_rr⁻¹ (splu, identity right-hand
sides), M = PTDF · Cᵀ, LODF = M / (1 − diag M), M = PTDF·Cᵀ gathered by columns (|1 − diag| < 1e-10: islanding, skipped),
post-contingency flows f + LODF · diag(f) for all outages, max loading per outage.
Timed in phases: PTDF + LODF, then the N-1 screening itself.
"""
import json, subprocess, sys, time
import numpy as np, scipy.sparse as sp
from scipy.sparse.linalg import splu
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from power_compare import build_b, load


def n1_numpy(base, bus, gen, branch):
    keep, idx, nb, f, t, br, b, C, Bf, B = build_b(bus, branch)
    nl = len(b)
    gon = (gen[:, 7] > 0) & (idx[gen[:, 0].astype(int)] >= 0)
    has_gen = np.bincount(idx[gen[gon, 0].astype(int)], minlength=nb) > 0
    kb = bus[keep]
    ref = np.where((kb[:, 1] == 3) & has_gen)[0]
    nr = np.setdiff1d(np.arange(nb), ref)
    t0 = time.perf_counter()
    lu = splu(B[nr][:, nr].tocsc())
    X = lu.solve(np.eye(len(nr)))
    PTDF = np.zeros((nl, nb))
    PTDF[:, nr] = (Bf[:, nr] @ X)
    M = PTDF[:, f] - PTDF[:, t]  # PTDF · Cᵀ as a column gather
    d = 1.0 - np.diag(M)
    islanding = np.abs(d) < 1e-10
    LODF = M / np.where(islanding, 1.0, d)[None, :]
    np.fill_diagonal(LODF, -1.0)
    t1 = time.perf_counter()
    # Base flows (no shifters handled here: the screening cost is what is compared).
    va = np.zeros(nb)
    pbus = np.zeros(nb)
    gb = idx[gen[gon, 0].astype(int)]
    pbus += np.bincount(gb, weights=gen[gon, 1], minlength=nb)
    pbus -= kb[:, 2] + kb[:, 4]
    va[nr] = lu.solve(pbus[nr] / base)
    flow = base * (Bf @ va)
    rate = br[:, 5]
    inv = np.where(rate > 0, 1.0 / np.where(rate > 0, rate, 1.0), 0.0)
    post = flow[:, None] + LODF * flow[None, :]
    np.fill_diagonal(post, 0.0)
    load = np.abs(post) * inv[:, None] * 100.0
    worst = load[:, ~islanding].max(axis=0)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, int((~islanding).sum()), worst


def main():
    binary, cases = sys.argv[1], sys.argv[2:]
    print(f"{'case':>20} | {'numpy PTDF+LODF s':>17} {'numpy N-1 s':>11} {'total s':>8} {'/s':>7} | {'thermogrid s':>12} {'/s':>8} | speed-up")
    for path in cases:
        base, bus, gen, branch = load(path)
        runs = [n1_numpy(base, bus, gen, branch) for _ in range(3)]
        t_sens = min(r[0] for r in runs)
        t_n1 = min(r[1] for r in runs)
        n = runs[0][2]
        # Build + factorize + base flow + N-1, best of 5 in one warm process (like numpy's best of 3).
        out = subprocess.run([binary, "contingency", path, "--backend", "cpu", "--json", "--repeat", "5"], check=True, capture_output=True, text=True)
        j = json.loads(out.stdout)
        t_tg = j["seconds"]
        total = t_sens + t_n1
        name = path.split("/")[-1]
        print(f"{name:>20} | {t_sens:>17.3f} {t_n1:>11.3f} {total:>8.3f} {n / total:>7.0f} | {t_tg:>12.4f} {j['outages'] / t_tg:>8.0f} | {total / t_tg:.1f}x")


if __name__ == "__main__":
    main()
