#!/usr/bin/env python3
"""DC power flow: thermogrid vs scipy, side by side on the same machine in one run.

Measured per case (MATPOWER .m file):

* thermogrid library time: `solve_s` of `thermogrid powerflow CASE --json --repeat N`, the
  fastest of N build + factorize + solve runs in one process, parse excluded. Also the
  factorization kind it chose (`factor`: cholesky / ldlt / lu; "?" for a binary that does not
  report it yet).
* thermogrid whole CLI run: wall time of the whole process `thermogrid powerflow CASE --json`
  (start, read and parse the .m, solve, print), fastest of N runs.
* scipy, same model (MATPOWER makeBdc/dcpf, see tests/data/cases/README.md): build B, splu,
  solve, parse excluded, fastest of N; and splu(B_rr) alone ("factorize only"), fastest of N.
  The target for the CLI is: whole CLI run < scipy's factorization alone.
* correctness: thermogrid's angles and flows from `-o out.h5` (/power/bus/va_deg,
  /power/branch/pf_mw, file row order) against scipy's: max |ΔVa| in degrees, max |ΔPf| in MW.
* optional (`--pandapower`): pandapower `rundcpp` on an already converted net (from_mpc, not
  timed), fastest of 3. Time only: pandapower's converter changes some cases (see the README of
  tests/data/cases), so its numbers are not compared.

N is 20 below 20 k buses, 10 below 50 k and 5 above (override with --repeat N). Each case is
measured in ROUNDS (3) interleaved rounds of scipy and thermogrid, N solves of each side per
round (the whole CLI runs split over the rounds): this VM's speed drifts by up to 1.7× over
minutes, so measuring one side after the other could favour either.
Prints one JSON line per case while running, then one table; writes the table as JSON to
--json-out (default target/bench-power-dc.json).

    power_compare.py THERMOGRID_BINARY [--pandapower] [--repeat N] [--json-out PATH] CASE.m ...

Run through benches/compare_power.sh.
"""
import errno, json, os, platform, subprocess, sys, tempfile, time, warnings
import numpy as np, scipy.sparse as sp
from scipy.sparse.linalg import splu

warnings.filterwarnings("ignore")
N = 20
# Rounds each case's measurements are interleaved in (see main).
ROUNDS = 3


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


def dc_system(base, bus, gen, branch):
    """Everything of MATPOWER's dcpf up to the linear solve: (A = B[nr,nr], rhs, va with the
    reference angles set, nr, Bf, Pfinj, in-service branch mask, kept-bus mask)."""
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
    return A, rhs, va, nr, Bf, pfinj, keep


def dcpf_scipy(base, bus, gen, branch):
    """MATPOWER's DC power flow (see tests/data/cases/README.md), scipy.sparse + splu.
    Returns Va (radians, kept buses) and Pf (MW, in-service branches)."""
    A, rhs, va, nr, Bf, pfinj, _ = dc_system(base, bus, gen, branch)
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


def run_binary(cmd, tries=40, wait=15.0):
    """subprocess.run(cmd), retried while the binary is being rebuilt (missing, 'text file
    busy'). Returns the CompletedProcess (check it yourself) and the wall time of that run."""
    for k in range(tries):
        try:
            t0 = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True)
            dt = time.perf_counter() - t0
        except OSError as e:
            if e.errno in (errno.ETXTBSY, errno.ENOENT, errno.EACCES, errno.ENOEXEC) and k + 1 < tries:
                print(f"  ({os.path.basename(cmd[0])}: {e.strerror}; retrying in {wait:.0f} s)", file=sys.stderr, flush=True)
                time.sleep(wait)
                continue
            raise
        if p.returncode != 0 and "text file busy" in (p.stderr + p.stdout).lower() and k + 1 < tries:
            time.sleep(wait)
            continue
        return p, dt
    raise RuntimeError("unreachable")


def last_json(text):
    """The JSON object printed by the CLI (anything after its closing brace is ignored)."""
    return json.loads(text[: text.rfind("}") + 1])


def first_line(p):
    """The first line of a failed CLI run's message, without clap's "error: " prefix."""
    t = (p.stderr or p.stdout or "").strip()
    return (t.splitlines()[0] if t else f"exit {p.returncode}").removeprefix("error: ")[:300]


def reps_for(nb, override):
    if override:
        return override
    return 20 if nb < 20000 else 10 if nb < 50000 else 5


def thermogrid_times(binary, path, n, n_cli):
    """(summary JSON of a --repeat n run, fastest of n_cli whole CLI runs in s) or raises
    RuntimeError with the CLI's error message."""
    p, _ = run_binary([binary, "powerflow", path, "--json", "--repeat", str(n)])
    if p.returncode != 0:
        raise RuntimeError(first_line(p))
    summary = last_json(p.stdout)
    cli = []
    for _ in range(n_cli):
        p, dt = run_binary([binary, "powerflow", path, "--json"])
        if p.returncode != 0:
            raise RuntimeError(first_line(p))
        cli.append(dt)
    return summary, min(cli)


def thermogrid_result(binary, path):
    """(va_deg, pf_mw, in_service) of the case from the CLI's results file."""
    import h5py
    with tempfile.TemporaryDirectory() as d:
        h5 = os.path.join(d, "out.h5")
        p, _ = run_binary([binary, "powerflow", path, "--json", "-o", h5])
        if p.returncode != 0:
            raise RuntimeError(first_line(p))
        with h5py.File(h5, "r") as f:
            va = f["power/bus/va_deg"][()]
            pf = f["power/branch/pf_mw"][()]
            on = f["power/branch/in_service"][()].astype(bool)
    return va, pf, on


def pandapower_dc(path):
    import pandapower as pp
    from pandapower.converter.matpower import from_mpc
    net = from_mpc(path, f_hz=60)
    t, _ = best(lambda: pp.rundcpp(net), n=3)
    return t


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {model}"


def fmt(x, spec, none="n/a"):
    return none if x is None else format(x, spec)


def main():
    args = sys.argv[1:]
    binary = args.pop(0)
    with_pp, override, json_out = False, 0, "target/bench-power-dc.json"
    cases = []
    while args:
        a = args.pop(0)
        if a == "--pandapower":
            with_pp = True
        elif a == "--repeat":
            override = int(args.pop(0))
        elif a == "--json-out":
            json_out = args.pop(0)
        else:
            cases.append(a)
    rows = []
    for path in cases:
        name = os.path.basename(path).removesuffix(".m")
        base, bus, gen, branch = load(path)
        nb, nbr = bus.shape[0], branch.shape[0]
        n = reps_for(nb, override)
        r = {"case": name, "buses": nb, "branches": nbr, "x_neg": int((branch[:, 3] < 0).sum()), "repeat": n}
        # In ROUNDS interleaved rounds (this VM's speed drifts over minutes): scipy's
        # whole dcpf (build + splu + solve) and its factorization alone, best of n each;
        # thermogrid's in-process solves (one process, --repeat n: its first solve is
        # cold, as scipy's first is) and ceil(n / ROUNDS) whole CLI runs; the fastest of
        # each over all rounds.
        A = dc_system(base, bus, gen, branch)[0]
        per = -(-n // ROUNDS)
        t_scipy = t_splu = t_solve = t_cli = float("inf")
        summary, tg_error = None, None
        for _ in range(ROUNDS):
            t, (va_sp, pf_sp) = best(lambda: dcpf_scipy(base, bus, gen, branch), n)
            t_scipy = min(t_scipy, t)
            t_splu = min(t_splu, best(lambda: splu(A), n)[0])
            if tg_error is None:
                try:
                    summary, t = thermogrid_times(binary, path, n, per)
                    t_solve, t_cli = min(t_solve, summary["solve_s"]), min(t_cli, t)
                except RuntimeError as e:
                    tg_error = e
        r["scipy_ms"], r["scipy_splu_ms"] = 1e3 * t_scipy, 1e3 * t_splu
        keep = bus[:, 1] != 4
        va_sp_full = bus[:, 8].copy()
        va_sp_full[keep] = np.rad2deg(va_sp)
        try:
            if tg_error is not None:
                raise tg_error
            va_tg, pf_tg, on_tg = thermogrid_result(binary, path)
            r["factor"] = summary.get("factor", "?")
            r["tg_solve_ms"] = 1e3 * t_solve
            r["tg_cli_ms"] = 1e3 * t_cli
            r["speedup"] = r["scipy_ms"] / r["tg_solve_ms"]
            r["cli_over_splu"] = r["tg_cli_ms"] / r["scipy_splu_ms"]
            r["max_dva_deg"] = float(np.max(np.abs(va_tg - va_sp_full)))
            # scipy's flows are over in-service branches (of kept buses), in row order.
            f_ok = np.isin(branch[:, 0], bus[keep, 0]) & np.isin(branch[:, 1], bus[keep, 0])
            on = (branch[:, 10] != 0) & f_ok
            r["max_dpf_mw"] = float(np.max(np.abs(pf_tg[on] - pf_sp)))
            r["in_service_agrees"] = bool(np.array_equal(on_tg, on))
        except RuntimeError as e:
            r["error"] = str(e)[:300]
        if with_pp:
            try:
                r["pandapower_rundcpp_ms"] = 1e3 * pandapower_dc(path)
            except Exception as e:  # noqa: BLE001 — report, don't stop the bench
                r["pandapower_error"] = f"{type(e).__name__}: {e}"[:200]
        rows.append(r)
        print(json.dumps(r), flush=True)

    print()
    hdr = (f"{'case':>18} {'buses':>6} {'branch':>6} {'x<0':>5} {'factor':>8} | {'tg solve ms':>11} {'scipy b+splu+s ms':>17} {'×':>5} |"
           f" {'tg whole CLI ms':>15} {'scipy splu ms':>13} {'CLI/splu':>8} | {'max|ΔVa| °':>10} {'max|ΔPf| MW':>11}")
    if with_pp:
        hdr += f" | {'pp rundcpp ms':>13}"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        line = (f"{r['case']:>18} {r['buses']:>6} {r['branches']:>6} {r['x_neg']:>5} {r.get('factor', 'n/a'):>8} |"
                f" {fmt(r.get('tg_solve_ms'), '11.2f'):>11} {r['scipy_ms']:>17.2f} {fmt(r.get('speedup'), '5.1f'):>5} |"
                f" {fmt(r.get('tg_cli_ms'), '15.1f'):>15} {r['scipy_splu_ms']:>13.2f} {fmt(r.get('cli_over_splu'), '8.2f'):>8} |"
                f" {fmt(r.get('max_dva_deg'), '10.1e'):>10} {fmt(r.get('max_dpf_mw'), '11.1e'):>11}")
        if with_pp:
            line += f" | {fmt(r.get('pandapower_rundcpp_ms'), '13.1f', 'error'):>13}"
        if "error" in r:
            line += f"   thermogrid error: {r['error']}"
        print(line)
    print("tg solve = thermogrid build+factorize+solve (parse excluded, best of N in one process); "
          "× = scipy / tg; CLI/splu < 1 means the whole thermogrid process beats scipy's factorization alone.")
    out = {
        "what": "DC power flow, thermogrid vs scipy (makeBdc + splu), see benches/power_compare.py",
        "machine": machine(),
        "load_avg_at_end": os.getloadavg(),
        "binary": os.path.abspath(binary),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rows": rows,
    }
    os.makedirs(os.path.dirname(json_out) or ".", exist_ok=True)
    with open(json_out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {json_out}")


if __name__ == "__main__":
    main()
