#!/usr/bin/env python3
"""Side-by-side: thermogrid's CPU MG-PCG vs PyAMG (smoothed aggregation and
Ruge-Stueben, each as a CG preconditioner) on the same floorplan matrices, to relative
residual 1e-8, setup + solve, in one run on this machine. Prints a table.

Run through benches/compare_pyamg.sh (it builds the binaries and installs pyamg).
"""
import json, resource, subprocess, sys, time
import h5py, numpy as np, scipy.sparse as sp, pyamg

TOL = 1e-8


def assemble(path):
    """The operator of ../shared/thermal/README.md (harmonic faces, Dirichlet walls half
    a cell away, h towards T_amb), as scipy CSR, and its right-hand side."""
    f = h5py.File(path, "r")
    k, q, h = (np.asarray(f[n], dtype=np.float64) for n in ("k", "q", "h"))
    dx, t_amb = float(f.attrs["dx"]), float(f.attrs["T_amb"])
    bc = {w: f.attrs[f"bc_{w}"] for w in ("xlo", "xhi", "ylo", "yhi")}
    tw = {w: float(f.attrs[f"T_wall_{w}"]) for w in bc}
    ny, nx = k.shape
    idx = np.arange(nx * ny).reshape(ny, nx)
    diag = h.copy()
    b = q + h * t_amb
    rows, cols, vals = [], [], []
    for axis, (lo, hi) in ((1, ("xlo", "xhi")), (0, ("ylo", "yhi"))):
        a = k.take(range(k.shape[axis] - 1), axis=axis)
        c = k.take(range(1, k.shape[axis]), axis=axis)
        kf = 2 * a * c / (a + c) / dx**2
        i0 = idx.take(range(k.shape[axis] - 1), axis=axis).ravel()
        i1 = idx.take(range(1, k.shape[axis]), axis=axis).ravel()
        rows += [i0, i1]; cols += [i1, i0]; vals += [-kf.ravel(), -kf.ravel()]
        d = diag.ravel()
        np.add.at(d, i0, kf.ravel()); np.add.at(d, i1, kf.ravel())
        for w, sl in ((lo, 0), (hi, -1)):
            if bc[w] == "dirichlet":
                cells = idx.take([sl], axis=axis).ravel()
                kk = k.ravel()[cells]
                diag.ravel()[cells] += 2 * kk / dx**2
                b.ravel()[cells] += 2 * kk * tw[w] / dx**2
    rows.append(idx.ravel()); cols.append(idx.ravel()); vals.append(diag.ravel())
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nx * ny,) * 2)
    return A, b.ravel()


def pyamg_solve(A, b, kind):
    t0 = time.perf_counter()
    if kind == "sa":
        ml = pyamg.smoothed_aggregation_solver(A, symmetry="symmetric")
    else:
        ml = pyamg.ruge_stuben_solver(A)
    t1 = time.perf_counter()
    res = []
    x = ml.solve(b, x0=np.zeros_like(b), tol=TOL, accel="cg", maxiter=500, residuals=res)
    t2 = time.perf_counter()
    rel = np.linalg.norm(b - A @ x) / np.linalg.norm(b)
    return t1 - t0, t2 - t1, len(res) - 1, rel


def thermogrid(binary, path):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([binary, "solve", path, "--backend", "cpu", "--tol", str(TOL), "--json"], check=True, capture_output=True, text=True)
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    j = json.loads(out.stdout)
    return j, (rss_kb if rss_kb > before else float("nan"))


def main():
    binary, files = sys.argv[1], sys.argv[2:]
    rows = []
    for path in files:
        j, rss_kb = thermogrid(binary, path)
        cells = j["grid"]["cells"]
        A, b = assemble(path)
        tg_t = j["setup_s"] + j["solve_s"]
        line = {"file": path, "n": f'{j["grid"]["nx"]}x{j["grid"]["ny"]}', "tg_s": tg_t, "tg_it": j["iterations"], "tg_rel": j["relative_residual"],
                "tg_B_per_cell": rss_kb * 1024 / cells}
        for kind in ("sa", "rs"):
            s, t, it, rel = pyamg_solve(A, b, kind)
            line[kind] = (s + t, it, rel)
        best = min(line["sa"][0], line["rs"][0])
        line["speedup"] = best / tg_t
        rows.append(line)
        print(json.dumps(line), flush=True)
    print()
    print(f"{'grid':>11} | {'thermogrid s':>12} {'it':>3} {'rel.res':>8} {'peak B/cell':>11} | {'PyAMG SA s':>10} {'it':>3} | {'PyAMG RS s':>10} {'it':>3} | speed-up vs faster")
    for r in rows:
        print(f"{r['n']:>11} | {r['tg_s']:>12.3f} {r['tg_it']:>3} {r['tg_rel']:>8.1e} {r['tg_B_per_cell']:>11.0f} | {r['sa'][0]:>10.3f} {r['sa'][1]:>3} | {r['rs'][0]:>10.3f} {r['rs'][1]:>3} | {r['speedup']:.1f}x")


if __name__ == "__main__":
    main()
