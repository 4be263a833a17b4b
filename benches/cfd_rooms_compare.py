#!/usr/bin/env python3
"""Compare thermogrid's rack intakes with the OpenFOAM references of benches/cfd_rooms.

    python3 benches/cfd_rooms_compare.py ROOM REFERENCE.json THERMOGRID.json WALL_S [ROOM ...]

(benches/compare_cfd_rooms.sh calls it.) Per room: a per-rack table of the intake mean
and the top-of-rack intake (CFD, model, Δ = model − CFD; CFD spread = max − min over the
final OpenFOAM rounds), mean and max |Δ|, Spearman's rank correlation of the intakes
over the racks, whether the model's hottest rack is among the CFD's three hottest, and
both run times. A model JSON without `intake_top_c` prints n/a for the top columns.
"""
import json
import sys


def ranks(v):
    """Ranks 1..n, ties averaged."""
    order = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va > 0 and vb > 0 else float("nan")


def fmt(x, w=7, p=2):
    return f"{x:{w}.{p}f}" if x is not None else f"{'n/a':>{w}}"


def room(name, ref_path, model_path, wall):
    ref = json.load(open(ref_path))
    model = json.load(open(model_path))
    mod = {r["id"]: r for r in model["racks"]}
    missing = [r["id"] for r in ref["racks"] if r["id"] not in mod]
    if missing:
        print(f"{name}: racks missing from thermogrid's output: {missing}")
        return None
    has_top = all("intake_top_c" in mod[r["id"]] for r in ref["racks"])
    settled = "" if ref.get("converged") else f" (the rounds never settled within {ref['tol_k']} K)"
    print(f"\n== {name}: {ref['cells']} cells (CFD and model), {len(ref['racks'])} racks")
    print(f"   CFD: {ref['openfoam']['solver']}, {ref['iterations']} iterations in {ref['rounds']} rounds, "
          f"mean of the last {ref['final_rounds']} rounds{settled}")
    print(f"{'rack':<8}{'kW':>6} | {'intake °C':^25} {'spread':>7} | {'top of rack °C':^25} {'spread':>7}")
    print(f"{'':<8}{'':>6} | {'CFD':>7} {'model':>8} {'Δ':>8} {'K':>7} | {'CFD':>7} {'model':>8} {'Δ':>8} {'K':>7}")
    d_in, d_top, cfd_in, mod_in = [], [], [], []
    for r in ref["racks"]:
        m = mod[r["id"]]
        di = m["intake_c"] - r["intake_c"]
        d_in.append(di)
        cfd_in.append(r["intake_c"])
        mod_in.append(m["intake_c"])
        mt = m.get("intake_top_c") if has_top else None
        dt = mt - r["intake_top_c"] if mt is not None else None
        if dt is not None:
            d_top.append(dt)
        print(f"{r['id']:<8}{r['power_kw']:6.1f} | {r['intake_c']:7.2f} {m['intake_c']:8.2f} {di:+8.2f} "
              f"{r['spread_k']:7.2f} | {r['intake_top_c']:7.2f} {fmt(mt, 8)} "
              f"{(f'{dt:+8.2f}' if dt is not None else 'n/a'.rjust(8))} {r['spread_top_k']:7.2f}")
    errs = [r["std_err_k"] for r in ref["racks"] if r.get("std_err_k") is not None]
    se = f", std error of the CFD mean max {max(errs):.2f} K" if errs else ""
    mean_abs = lambda v: sum(abs(x) for x in v) / len(v) if v else None
    max_abs = lambda v: max(abs(x) for x in v) if v else None
    print(f"intake:      mean |Δ| {mean_abs(d_in):.2f} K, max |Δ| {max_abs(d_in):.2f} K, mean Δ {sum(d_in) / len(d_in):+.2f} K"
          f"   (CFD spread: max {max(r['spread_k'] for r in ref['racks']):.2f} K{se})")
    if d_top:
        print(f"top of rack: mean |Δ| {mean_abs(d_top):.2f} K, max |Δ| {max_abs(d_top):.2f} K, "
              f"mean Δ {sum(d_top) / len(d_top):+.2f} K   (CFD spread: max "
              f"{max(r['spread_top_k'] for r in ref['racks']):.2f} K)")
    else:
        print("top of rack: n/a (thermogrid's JSON has no intake_top_c)")
    rho = spearman(cfd_in, mod_in)
    ids = [r["id"] for r in ref["racks"]]
    hot_model = ids[max(range(len(ids)), key=lambda i: mod_in[i])]
    cfd_order = sorted(range(len(ids)), key=lambda i: -cfd_in[i])
    cfd_rank = [ids[i] for i in cfd_order].index(hot_model) + 1
    top3 = ", ".join(ids[i] for i in cfd_order[:3])
    print(f"Spearman rank correlation (intake, {len(ids)} racks): {rho:+.3f}")
    print(f"model's hottest rack {hot_model} is CFD's #{cfd_rank} "
          f"({'among' if cfd_rank <= 3 else 'NOT among'} the CFD's 3 hottest: {top3})")
    of = ref["wall_time_s"]
    cpu = ref.get("solver_cpu_time_s")
    cpu_s = f", solver CPU {cpu:.0f} s" if cpu else ""
    print(f"run time: thermogrid {wall:.2f} s (CLI wall; solver {model.get('setup_s', 0) + model.get('solve_s', 0):.2f} s) "
          f"vs OpenFOAM {of:.0f} s wall on 1 core{cpu_s} ({(cpu or of) / wall:.0f}×)")
    return dict(mean_abs=mean_abs(d_in), rho=rho)


def main():
    a = sys.argv[1:]
    if not a or len(a) % 4:
        sys.exit(__doc__)
    for i in range(0, len(a), 4):
        room(a[i], a[i + 1], a[i + 2], float(a[i + 3]))


if __name__ == "__main__":
    main()
