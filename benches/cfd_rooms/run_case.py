#!/usr/bin/env python3
"""Run a case written by make_case.py in outer rounds and write the room's reference.json.

    python3 benches/cfd_rooms/run_case.py benches/cfd_rooms/raised_floor /work/of_runs/raised_floor

OpenFOAM v1912 cannot tie a rack's exhaust temperature to its own intake (no offset in
outletMappedUniformInlet, no wmake for coded conditions), so a script does it: run
`--first` iterations, then rounds of `--round` iterations; after each round every rack's
exhaust (a fixedValue of T on "<id>_out") is set to its intake mean + ΔT_rack. The
round's value of a rack's intake is the mean over the snapshots written (every 100
iterations) in the second half of the round. Rounds stop when no rack's intake moved by
more than `--tol` K from the previous round; `--final` - 1 more rounds follow, and the
reference is the mean over the last `--final` rounds, the spread their max - min. Rounds
that never settle stop after `--max-rounds`; the reference is then the mean over the last
`--average` rounds (flagged "converged": false, with the standard error of the mean).
`--resume` continues a finished run (raise --max-rounds); `--resummarize` recomputes the
summary of an existing reference.json from its round history.

Intake cells are exactly thermogrid's (src/raster.rs intake_cells): the open cells one
cell in front of the rack's intake face over its width and full height; top of rack is
the same over the top cell layer of the rack only. The solver runs on one core, niced.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

FOAM_ENV = "/usr/share/openfoam/etc/bashrc"
SOLVER = "buoyantBoussinesqSimpleFoam"
WRITE_EVERY = 100


def read_internal(path):
    text = open(path).read()
    m = re.search(r"internalField\s+nonuniform\s+List<scalar>\s*(\d+)\s*\(", text)
    if not m:
        m = re.search(r"internalField\s+uniform\s+([^;]+);", text)
        return float(m.group(1))
    n = int(m.group(1))
    end = text.index(")", m.end())
    a = np.array(text[m.end():end].split(), dtype=float)
    assert len(a) == n, (len(a), n)
    return a


def set_exhaust(t_path, values_k):
    text = open(t_path).read()
    for patch, v in values_k.items():
        pat = re.compile(r"(\n\s*" + re.escape(patch) + r"\s*\n\s*\{\s*type\s+fixedValue;\s*value\s+)uniform\s+[^;]+;")
        text, n = pat.subn(lambda m: m.group(1) + f"uniform {v:.10g};", text)
        if n != 1:
            sys.exit(f"run_case: patch {patch} not found once in {t_path} ({n})")
    tmp = t_path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, t_path)


def times(case):
    out = []
    for d in os.listdir(case):
        try:
            t = float(d)
        except ValueError:
            continue
        if os.path.isfile(os.path.join(case, d, "T")):
            out.append((t, d))
    return sorted(out)


def set_end(case, end):
    p = os.path.join(case, "system", "controlDict")
    text = open(p).read()
    text = re.sub(r"\nendTime\s+[^;]+;", f"\nendTime         {end};", text)
    open(p, "w").write(text)


def last_residuals(log_path):
    res = {}
    for line in open(log_path).read().splitlines()[-400:]:
        m = re.search(r"Solving for (\w+), Initial residual = ([0-9.eE+-]+)", line)
        if m:
            res[m.group(1)] = float(m.group(2))
    return res


def solver_cpu_s(log_path):
    """CPU seconds of every solver run in the log (its last ExecutionTime), summed."""
    total, last = 0.0, 0.0
    for line in open(log_path):
        m = re.match(r"ExecutionTime = ([0-9.eE+-]+) s", line)
        if m:
            last = float(m.group(1))
        elif line.strip() == "End":
            total, last = total + last, 0.0
    return total + last


def summarize(ref, n_final, n_average):
    """Mean and spread (max - min) per rack over the final rounds: the last `n_final`
    once the rounds settled, else the last `n_average`."""
    history = ref["history"]
    n = n_final if ref["converged"] else n_average
    final = history[-n:]
    fin_in = np.array([h["intake_c"] for h in final])
    fin_top = np.array([h["intake_top_c"] for h in final])
    ref["final_rounds"] = len(final)
    ref["final_round_numbers"] = [h["round"] for h in final]
    ref["removed_kw_final"] = float(np.mean([h["removed_kw"] for h in final]))
    units = final[-1]["unit_return_c"].keys()
    ref["units_return_c"] = {u: float(np.mean([h["unit_return_c"][u] for h in final])) for u in units}
    for i, r in enumerate(ref["racks"]):
        r.update(intake_c=round(float(fin_in[:, i].mean()), 4), intake_top_c=round(float(fin_top[:, i].mean()), 4),
                 spread_k=round(float(np.ptp(fin_in[:, i])), 4), spread_top_k=round(float(np.ptp(fin_top[:, i])), 4),
                 std_err_k=round(float(fin_in[:, i].std(ddof=1) / np.sqrt(len(final))), 4) if len(final) > 1 else None)
    ref["warnings"] = [f"unit {u['id']} would run at capacity in thermogrid (return {ref['units_return_c'][u['id']]:.2f} C)"
                       for u in ref.get("units", []) if u["id"] in ref["units_return_c"]
                       and ref["units_return_c"][u["id"]] - u["supply_c"] > u["delta_t_k"]]
    if not ref["converged"]:
        ref["warnings"].append(f"rounds did not settle within {ref['tol_k']} K; the reference is the mean of the "
                               f"last {len(final)} rounds")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("room_dir")
    ap.add_argument("case")
    ap.add_argument("--first", type=int, default=1500)
    ap.add_argument("--round", type=int, default=400)
    ap.add_argument("--tol", type=float, default=0.1)
    ap.add_argument("--final", type=int, default=3)
    ap.add_argument("--max-rounds", type=int, default=14, help="coupling rounds after the first at most")
    ap.add_argument("--average", type=int, default=10,
                    help="rounds averaged when the rounds never settle within --tol (the last ones)")
    ap.add_argument("--resume", action="store_true",
                    help="continue the rounds of ROOM_DIR/reference.json in CASE (raise --max-rounds)")
    ap.add_argument("--resummarize", action="store_true",
                    help="only recompute the summary of ROOM_DIR/reference.json from its history")
    args = ap.parse_args()
    if args.resummarize:
        out = os.path.join(args.room_dir, "reference.json")
        ref = json.load(open(out))
        summarize(ref, args.final, args.average)
        with open(out, "w") as fh:
            json.dump(ref, fh, indent=1)
        print(f"rewrote {out}: mean of the last {ref['final_rounds']} rounds")
        return
    case = os.path.abspath(args.case)
    meta = json.load(open(os.path.join(case, "case.json")))
    t0 = meta["t_kelvin_offset"]
    racks = meta["racks"]
    patches = {p["name"]: p for p in meta["patches"]}
    log_path = os.path.join(case, "log." + SOLVER)
    start_wall = time.time()
    if args.resume:
        # Go on from the last round of ROOM_DIR/reference.json (its exhausts are set).
        old = json.load(open(os.path.join(args.room_dir, "reference.json")))
        history = old["history"]
        it = history[-1]["iterations"]
        if times(case)[-1][0] != it:
            sys.exit(f"run_case: the case's latest time is not the reference's last round ({it})")
        start_wall -= old["wall_time_s"]
        solver_wall = old["solver_wall_time_s"]
        converged_at = next((h["round"] for h in history if h["max_change_k"] is not None
                             and h["max_change_k"] < args.tol), None)
        nround = len(history)
        if converged_at is not None or nround > args.max_rounds:
            sys.exit("run_case: nothing to resume (settled, or --max-rounds reached)")
    else:
        if times(case)[-1][0] != 0:
            sys.exit("run_case: the case has been run already; regenerate it with make_case.py (or --resume)")
        history = []  # per round: dict
        open(log_path, "w").close()
        solver_wall = 0.0
        it = 0
        converged_at = None
        nround = 0
    while True:
        n = args.first if nround == 0 else args.round
        begin = it
        it += n
        set_end(case, it)
        tic = time.time()
        cmd = f"source {FOAM_ENV} >/dev/null 2>&1; export XDG_RUNTIME_DIR=/tmp; " \
              f"exec nice -n 10 {SOLVER} -case {case} >> {log_path} 2>&1"
        rc = subprocess.run(["bash", "-c", cmd]).returncode
        dt = time.time() - tic
        solver_wall += dt
        if rc != 0:
            sys.exit(f"run_case: {SOLVER} failed (rc {rc}) in round {nround}; see {log_path}")
        snaps = [(t, d) for t, d in times(case) if begin + n / 2 <= t <= it]
        if not snaps or snaps[-1][0] != it:
            sys.exit(f"run_case: no snapshot at {it}")
        fields = [read_internal(os.path.join(case, d, "T")) - t0 for _, d in snaps]
        intake = np.array([[f[r["intake"]].mean() for r in racks] for f in fields]).mean(0)
        top = np.array([[f[r["intake_top"]].mean() for r in racks] for f in fields]).mean(0)
        tlast = fields[-1]
        units = {}
        for u in meta["units"]:
            if u.get("ret_cells"):
                units[u["id"]] = float(tlast[u["ret_cells"]].mean())
        # Heat carried out of the room by every outflow minus what the inflows bring,
        # ρc_p Σ Q T (W): the racks' share is their ΔT, so this is the cooling removed.
        removed = 0.0
        for p in meta["patches"]:
            if p["kind"] == "out" and not p["name"].endswith("_in"):
                removed += -p["flow_m3_s"] * float(tlast[p["cells"]].mean())
            elif p["kind"] == "supply":
                removed -= p["flow_m3_s"] * p["t_c"]
        removed *= meta["rho_cp_j_m3k"]
        prev = history[-1]["intake_c"] if history else None
        change = float(np.max(np.abs(intake - np.array(prev)))) if prev is not None else None
        res = last_residuals(log_path)
        per_snap = [[round(float(f[r["intake"]].mean()), 4) for r in racks] for f in fields]
        history.append(dict(round=nround, iterations=it, solver_wall_s=round(dt, 1), samples=[t for t, _ in snaps],
                            sample_intake_c=per_snap,
                            intake_c=intake.tolist(), intake_top_c=top.tolist(), max_change_k=change,
                            unit_return_c=units, removed_kw=removed / 1e3, residuals=res))
        print(f"round {nround}: iter {it}, {dt:.0f} s, max intake {intake.max():.2f} C, "
              f"change {change if change is None else round(change, 3)} K, removed {removed / 1e3:.1f} kW, "
              f"res T {res.get('T', 0):.2e} p_rgh {res.get('p_rgh', 0):.2e}", flush=True)
        # Exhaust = this round's intake mean + ΔT, written into the latest snapshot.
        latest = os.path.join(case, snaps[-1][1], "T")
        set_exhaust(latest, {r["out_patch"]: intake[i] + r["dt_k"] + t0 for i, r in enumerate(racks)})
        for t, d in times(case):
            if 0 < t < it:
                shutil.rmtree(os.path.join(case, d))
        if converged_at is None and change is not None and change < args.tol:
            converged_at = nround
        done = converged_at is not None and nround >= converged_at + args.final - 1
        if done or nround >= args.max_rounds:
            break
        nround += 1
    ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "openfoam"], capture_output=True, text=True).stdout
    total_rack_kw = sum(r["power_kw"] for r in racks)
    ref = dict(
        room=meta["room"],
        openfoam=dict(version=f"OpenFOAM v1912 (ESI; Debian package openfoam {ver})", solver=SOLVER,
                      turbulence="RAS standard kEpsilon, wall functions (nutkWallFunction, epsilonWallFunction, "
                                 "kqRWallFunction, alphatJayatillekeWallFunction)",
                      buoyancy=f"Boussinesq, beta = {meta['physics']['beta']:.5g} 1/K, g = -9.81 z",
                      fluid=f"nu = {meta['physics']['nu']} m2/s, Pr = {meta['physics']['Pr']}, "
                            f"Prt = {meta['physics']['Prt']}, rho c_p = {meta['rho_cp_j_m3k']} J/(m3 K) "
                            "(enters via the rack dT only)",
                      inlets=f"fixed uniform velocity on every fan face; k from {meta['physics']['inlet_intensity']:.0%} "
                             f"intensity, epsilon from mixing length {meta['physics']['mixing_length_m']} m",
                      schemes="steady SIMPLE; U bounded Gauss linearUpwind, T bounded Gauss limitedLinear 1, "
                              "k/epsilon bounded Gauss upwind; relaxation U 0.3, p_rgh 0.7, T 0.5, k/eps 0.5",
                      cores=1),
        grid=meta["grid"],
        cells=meta["cells"],
        cells_total=meta["cells_total"],
        iterations=history[-1]["iterations"],
        rounds=len(history),
        first_round_iterations=args.first,
        round_iterations=args.round,
        converged=converged_at is not None and len(history) >= converged_at + args.final,
        converged_at_round=converged_at,
        tol_k=args.tol,
        wall_time_s=round(time.time() - start_wall, 1),
        solver_wall_time_s=round(solver_wall, 1),
        solver_cpu_time_s=round(solver_cpu_s(log_path), 1),
        machine=f"{os.cpu_count()} cores, one used; "
                + open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t"),
        rack_heat_kw=total_rack_kw,
        units=[dict(id=u["id"], supply_c=u["supply_c"], delta_t_k=u["delta_t_k"]) for u in meta["units"]],
        racks=[dict(id=r["id"], power_kw=r["power_kw"], flow_m3_s=r["flow_m3_s"]) for r in racks],
        history=history,
    )
    summarize(ref, args.final, args.average)
    out = os.path.join(args.room_dir, "reference.json")
    with open(out, "w") as fh:
        json.dump(ref, fh, indent=1)
    print(f"wrote {out}: {ref['rounds']} rounds, {ref['iterations']} iterations, {ref['wall_time_s']} s, "
          f"max spread {max(r['spread_k'] for r in ref['racks']):.3f} K")


if __name__ == "__main__":
    main()
