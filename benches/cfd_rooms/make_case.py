#!/usr/bin/env python3
"""Write an OpenFOAM (v1912, buoyantBoussinesqSimpleFoam) case for a thermogrid 3-D
facility file with [airflow]: the same uniform cells, the same solid boxes, and the
same flows on the same faces as thermogrid's airflow model.

    python3 benches/cfd_rooms/make_case.py benches/cfd_rooms/raised_floor/room.toml /work/of_runs/raised_floor

The mesh is written directly as constant/polyMesh (no blockMesh): one hexahedron per
open thermogrid cell (air or supply), numbered in thermogrid's order (k, j, i), so cell
n of every OpenFOAM field is the n-th open cell of thermogrid's grid. Solid cells (racks,
cooling unit bodies, CDUs, obstacles) are not meshed; their faces are walls unless a
flow leaves or enters there.

Rasterization (as src/raster.rs): a cell belongs to an item when its centre lies in the
footprint [x0, x1) x [y0, y1) and below its height rounded to whole cells; obstacles may
carry z_m (bottom, m, default 0) and then fill [z_m, z_m + height_m). Later items
overwrite earlier ones in thermogrid's order (obstacles, racks, cooling, supply).

Flows (as src/airflow/facility/sources.rs), every one a fixed uniform velocity:
  * rack: V = P (1 - liquid_fraction) / (rho_cp dT_rack) out of the room through the
    faces of its front (facing) side into the rack ("<id>_in"), back into the room
    through the faces of its back side ("<id>_out") at T = intake mean + dT_rack (set by
    run_case.py in outer rounds);
  * supply region: airflow_m3_s in through the floor faces under its open bottom-layer
    cells ("tile_<id>") at supply_c;
  * CRAH feeding tiles: its share (nominal x tile total / all CRAHs' nominal) out of the
    room through the open ceiling faces ("ceiling_return", return = "ceiling") or its
    back side; CRAHs without tiles and in-row units: nominal capacity / (rho_cp
    delta_t_k) in through their back side ("<id>_ret") and out through their front
    ("<id>_sup") at supply_c (the capacity must not bind: run_case.py checks it).
Every boundary is a fixed flux (fixedFluxPressure for p_rgh, pRefCell 0). Walls, floor
and ceiling are adiabatic, no-slip, with k-epsilon wall functions.
"""
import json
import math
import os
import re
import sys
import tomllib

import numpy as np

AIR, RACK, COOLING, SUPPLY, OBSTACLE, CDU = 0, 1, 2, 3, 4, 5
RHO_CP_DEFAULT = 1192.0
# Air near 20 °C: ν, β = 1/T, Pr, Prt.
NU = 1.5e-5
BETA = 1.0 / 293.15
PR = 0.7
PRT = 0.85
T0 = 273.15  # the OpenFOAM fields are in K
INTENSITY = 0.05
MIXING_LENGTH = 0.1

# Directions: (axis, sign); index order -x +x -y +y -z +z.
DIRS = [(0, -1), (0, 1), (1, -1), (1, 1), (2, -1), (2, 1)]
FACING = {"north": (1, 1), "south": (1, -1), "east": (0, 1), "west": (0, -1)}


def sanitize(s):
    return re.sub(r"[^A-Za-z0-9_]", "_", s)


def span(a, b, dx, n):
    lo = max(math.ceil(a / dx - 0.5 - 1e-9), 0)
    hi = max(math.ceil(b / dx - 0.5 - 1e-9), 0)
    return min(lo, n), min(hi, n)


class Room:
    def __init__(self, path):
        with open(path, "rb") as fh:
            self.spec = spec = tomllib.load(fh)
        self.path = path
        fl = spec["floor"]
        self.dx = dx = fl["cell_m"]
        self.nx = round(fl["width_m"] / dx)
        self.ny = round(fl["depth_m"] / dx)
        self.nz = fl.get("layers", 1)
        if self.nz < 2 or abs(fl["height_m"] / self.nz - dx) > 1e-9:
            sys.exit("make_case: a 3-D facility (layers > 1, height_m / layers == cell_m) is needed")
        for w, v in fl.get("walls", {}).items():
            if v != "adiabatic":
                sys.exit(f"make_case: wall {w} = {v!r}: only adiabatic walls are supported")
        if "airflow" not in spec:
            sys.exit("make_case: the facility needs an [airflow] table")
        self.rho_cp = spec.get("materials", {}).get("air_rho_cp_j_m3k", RHO_CP_DEFAULT)
        self.dt_rack = spec["airflow"].get("rack_delta_t_k", 12.0)
        self.racks = self._racks()
        self.cooling = spec.get("cooling", [])
        self.supply = spec.get("supply", [])
        self.obstacles = spec.get("obstacle", [])

    def _racks(self):
        racks = []
        for r in self.spec.get("rack", []):
            racks.append(dict(width_m=0.6, depth_m=1.2, height_m=2.2, liquid_fraction=0.0) | r)
        for row in self.spec.get("rack_row", []):
            w = row.get("width_m", 0.6)
            pitch = row.get("pitch_m", w)
            for n in range(row["count"]):
                r = dict(width_m=w, depth_m=row.get("depth_m", 1.2), height_m=row.get("height_m", 2.2),
                         liquid_fraction=row.get("liquid_fraction", 0.0), facing=row["facing"],
                         power_kw=row["power_kw"], id=f'{row["id"]}-{n + 1:0{max(2, len(str(row["count"])))}d}')
                if row["facing"] in ("north", "south"):
                    r |= dict(x_m=row["x_m"] + n * pitch, y_m=row["y_m"])
                else:
                    r |= dict(x_m=row["x_m"], y_m=row["y_m"] + n * pitch)
                racks.append(r)
        return racks

    def box(self, x, y, w, d, h, z=0.0):
        """Cells [i0, i1) x [j0, j1) x [k0, k1) of an item (raster.rs cell_box)."""
        i0, i1 = span(x, x + w, self.dx, self.nx)
        j0, j1 = span(y, y + d, self.dx, self.ny)
        k0 = min(round(z / self.dx), self.nz)
        k1 = min(max(k0 + round(h / self.dx), k0 + 1), self.nz)
        if i1 <= i0 or j1 <= j0:
            sys.exit(f"make_case: an item at ({x}, {y}) covers no cell centre")
        return (i0, i1, j0, j1, k0, k1)


def rack_rect(r):
    """Footprint of a [[rack]]: thermogrid takes width_m along x for north/south racks
    and along y for east/west ones (facility/validate/items.rs)."""
    if r["facing"] in ("north", "south"):
        return r["x_m"], r["y_m"], r["width_m"], r["depth_m"]
    return r["x_m"], r["y_m"], r["depth_m"], r["width_m"]


def build(room):
    nx, ny, nz, dx = room.nx, room.ny, room.nz, room.dx
    mat = np.full((nz, ny, nx), AIR, dtype=np.int8)

    def fill(b, m):
        i0, i1, j0, j1, k0, k1 = b
        mat[k0:k1, j0:j1, i0:i1] = m

    for o in room.obstacles:
        h = o.get("height_m", room.nz * dx)
        fill(room.box(o["x_m"], o["y_m"], o["width_m"], o["depth_m"], h, o.get("z_m", 0.0)), OBSTACLE)
    rack_boxes = []
    for r in room.racks:
        x, y, w, d = rack_rect(r)
        b = room.box(x, y, w, d, r["height_m"])
        fill(b, RACK)
        rack_boxes.append(b)
    unit_boxes = []
    for u in room.cooling:
        if u["kind"] == "rear_door":
            sys.exit("make_case: rear doors are not supported")
        if "x_m" not in u:
            unit_boxes.append(None)
            continue
        b = room.box(u["x_m"], u["y_m"], u["width_m"], u["depth_m"], u.get("height_m", 2.0))
        fill(b, CDU if u["kind"] == "cdu" else COOLING)
        unit_boxes.append(b)
    tile_boxes = []
    for s in room.supply:
        b = room.box(s["x_m"], s["y_m"], s["width_m"], s["depth_m"], s.get("height_m", dx))
        fill(b, SUPPLY)
        tile_boxes.append(b)
    return mat, rack_boxes, unit_boxes, tile_boxes


def side_cells(room, b, side, opn):
    """Open cells just outside side `side` (axis, sign) of box b (sources.rs adjacent),
    as (k, j, i) with the face direction index pointing from the cell into the box."""
    i0, i1, j0, j1, k0, k1 = b
    axis, sign = side
    out = []
    for k in range(k0, k1):
        if axis == 1:
            j = j1 if sign > 0 else j0 - 1
            if not (0 <= j < room.ny):
                continue
            out += [(k, j, i) for i in range(i0, i1)]
        else:
            i = i1 if sign > 0 else i0 - 1
            if not (0 <= i < room.nx):
                continue
            out += [(k, j, i) for j in range(j0, j1)]
    out = [c for c in out if opn[c]]
    # The face from the cell towards the box: direction (axis, -sign).
    d = DIRS.index((axis, -sign))
    return out, d


def connected(opn):
    """Number of connected regions of open cells (6-neighbour), by flood fill."""
    lab = np.zeros(opn.shape, dtype=np.int32)
    count = 0
    idx = np.argwhere(opn)
    for start in map(tuple, idx):
        if lab[start]:
            continue
        count += 1
        front = np.zeros(opn.shape, bool)
        front[start] = True
        region = front.copy()
        while front.any():
            grow = np.zeros_like(front)
            grow[1:] |= front[:-1]
            grow[:-1] |= front[1:]
            grow[:, 1:] |= front[:, :-1]
            grow[:, :-1] |= front[:, 1:]
            grow[:, :, 1:] |= front[:, :, :-1]
            grow[:, :, :-1] |= front[:, :, 1:]
            front = grow & opn & ~region
            region |= front
        lab[region] = count
    return count


def default_facing(room, u, b):
    """sources.rs: in-row units blow like their nearest rack, other units away from the
    nearest wall."""
    i0, i1, j0, j1, _, _ = b
    if u["kind"] == "in_row" and room.racks:
        cx, cy = u["x_m"] + u["width_m"] / 2, u["y_m"] + u["depth_m"] / 2

        def dist(r):
            x, y, w, d = rack_rect(r)
            return (x + w / 2 - cx) ** 2 + (y + d / 2 - cy) ** 2

        return FACING[min(room.racks, key=dist)["facing"]]
    d = [(i0, (0, 1)), (room.nx - i1, (0, -1)), (j0, (1, 1)), (room.ny - j1, (1, -1))]
    return min(d, key=lambda x: x[0])[1]


def flows(room, mat, rack_boxes, unit_boxes, tile_boxes):
    """Per-face patch assignment and each patch's flow, mirroring sources.rs."""
    opn = (mat == AIR) | (mat == SUPPLY)
    nz = room.nz
    patches = []  # dicts: name, faces [(k,j,i,dir)], inflow m3/s (<0 out), T kind
    racks = []
    for r, b in zip(room.racks, rack_boxes):
        face = FACING[r["facing"]]
        back = (face[0], -face[1])
        intake, din = side_cells(room, b, face, opn)
        ex, dex = side_cells(room, b, back, opn)
        v = r["power_kw"] * 1e3 * (1.0 - r["liquid_fraction"]) / (room.rho_cp * room.dt_rack)
        if not intake or not ex:
            sys.exit(f'make_case: rack {r["id"]} has no open air on its intake or exhaust side')
        sid = sanitize(r["id"])
        patches.append(dict(name=f"{sid}_in", faces=[c + (din,) for c in intake], q=-v, kind="out"))
        patches.append(dict(name=f"{sid}_out", faces=[c + (dex,) for c in ex], q=v, kind="exhaust",
                            rack=r["id"]))
        top = b[5] - 1
        racks.append(dict(id=r["id"], power_kw=r["power_kw"], flow_m3_s=v, dt_k=room.dt_rack,
                          in_patch=f"{sid}_in", out_patch=f"{sid}_out", intake=intake,
                          intake_top=[c for c in intake if c[0] == top]))
    tile_total = 0.0
    for s, b in zip(room.supply, tile_boxes):
        if "airflow_m3_s" not in s:
            sys.exit(f'make_case: supply {s["id"]}: only airflow_m3_s is supported')
        i0, i1, j0, j1, _, _ = b
        cells = [(0, j, i) for j in range(j0, j1) for i in range(i0, i1) if opn[0, j, i]]
        if not cells:
            continue
        tile_total += s["airflow_m3_s"]
        patches.append(dict(name=f"tile_{sanitize(s['id'])}", faces=[c + (4,) for c in cells],
                            q=s["airflow_m3_s"], kind="supply", t_c=s["supply_c"]))
    crah_nominal = sum(u["capacity_kw"] * 1e3 / (room.rho_cp * u.get("delta_t_k", 12.0))
                       for u in room.cooling if u["kind"] == "crah")
    ceiling = []
    ceiling_q = 0.0
    units = []
    for u, b in zip(room.cooling, unit_boxes):
        if b is None or u["kind"] not in ("crah", "in_row"):
            continue
        nominal = u["capacity_kw"] * 1e3 / (room.rho_cp * u["delta_t_k"])
        feeds = u["kind"] == "crah" and tile_total > 0.0
        v = nominal * tile_total / crah_nominal if feeds else nominal
        face = FACING[u["facing"]] if "facing" in u else default_facing(room, u, b)
        sid = sanitize(u["id"])
        if u.get("return", "behind") == "ceiling":
            ceiling_q += v
            if not ceiling:
                ceiling = [(nz - 1, j, i) for j in range(room.ny) for i in range(room.nx) if opn[nz - 1, j, i]]
        else:
            back, dback = side_cells(room, b, (face[0], -face[1]), opn)
            if not back:
                sys.exit(f'make_case: cooling {u["id"]}: no open air behind it (side returns unsupported)')
            patches.append(dict(name=f"{sid}_ret", faces=[c + (dback,) for c in back], q=-v, kind="out"))
        if not feeds:
            front, dfront = side_cells(room, b, face, opn)
            if not front:
                sys.exit(f'make_case: cooling {u["id"]}: no open air in front of it')
            patches.append(dict(name=f"{sid}_sup", faces=[c + (dfront,) for c in front], q=v, kind="supply",
                                t_c=u["supply_c"]))
        units.append(dict(id=u["id"], kind=u["kind"], flow_m3_s=v, supply_c=u["supply_c"],
                          delta_t_k=u["delta_t_k"], capacity_kw=u["capacity_kw"],
                          ret_patch=None if u.get("return", "behind") == "ceiling" else f"{sid}_ret"))
    if ceiling:
        patches.append(dict(name="ceiling_return", faces=[c + (5,) for c in ceiling], q=-ceiling_q, kind="out"))
    net = sum(p["q"] for p in patches)
    total = sum(abs(p["q"]) for p in patches) / 2
    if abs(net) > 1e-9 * total:
        sys.exit(f"make_case: the flows do not balance ({net:+.6f} m3/s): sealed regions are not supported")
    nreg = connected(opn)
    if nreg != 1:
        sys.exit(f"make_case: {nreg} separate air regions: sealed regions are not supported")
    return opn, patches, racks, units


def header(cls, obj, loc="constant/polyMesh", note=None):
    n = f'    note        "{note}";\n' if note else ""
    return ("FoamFile\n{\n    version     2.0;\n    format      ascii;\n"
            f"    class       {cls};\n{n}    location    \"{loc}\";\n    object      {obj};\n}}\n\n")


def write_mesh(case, room, opn, patches):
    nx, ny, nz, dx = room.nx, room.ny, room.nz, room.dx
    ncell_all = nx * ny * nz
    flat_open = opn.ravel()
    cid = np.full(ncell_all, -1, dtype=np.int64)
    cid[flat_open] = np.arange(flat_open.sum())

    def P(i, j, k):
        return (k * (ny + 1) + j) * (nx + 1) + i

    def face_pts(axis, i, j, k):
        """Points of the face on the + side of cell (i, j, k) along axis, normal +axis."""
        if axis == 0:
            return np.stack([P(i + 1, j, k), P(i + 1, j + 1, k), P(i + 1, j + 1, k + 1), P(i + 1, j, k + 1)], -1)
        if axis == 1:
            return np.stack([P(i, j + 1, k), P(i, j + 1, k + 1), P(i + 1, j + 1, k + 1), P(i + 1, j + 1, k)], -1)
        return np.stack([P(i, j, k + 1), P(i + 1, j, k + 1), P(i + 1, j + 1, k + 1), P(i, j + 1, k + 1)], -1)

    kk, jj, ii = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    lin = (kk * ny + jj) * nx + ii
    # Internal faces.
    own_l, nei_l, pts_l = [], [], []
    for axis in range(3):
        sl_a = [slice(None)] * 3
        sl_b = [slice(None)] * 3
        ax = 2 - axis  # array axis of this direction
        sl_a[ax] = slice(0, -1)
        sl_b[ax] = slice(1, None)
        both = opn[tuple(sl_a)] & opn[tuple(sl_b)]
        a_lin = lin[tuple(sl_a)][both]
        b_lin = lin[tuple(sl_b)][both]
        own_l.append(cid[a_lin])
        nei_l.append(cid[b_lin])
        pts_l.append(face_pts(axis, ii[tuple(sl_a)][both], jj[tuple(sl_a)][both], kk[tuple(sl_a)][both]))
    own = np.concatenate(own_l)
    nei = np.concatenate(nei_l)
    pts = np.concatenate(pts_l)
    order = np.lexsort((nei, own))
    own, nei, pts = own[order], nei[order], pts[order]
    n_internal = len(own)
    # Boundary faces: each open cell's sides towards a solid cell or the domain edge.
    patch_of = {}
    for pi, p in enumerate(patches):
        for (k, j, i, d) in p["faces"]:
            key = (int(lin[k, j, i]), d)
            if key in patch_of:
                sys.exit(f"make_case: a face belongs to two flows ({p['name']})")
            patch_of[key] = pi
    nwall = len(patches)  # "walls" is the last patch
    b_cell, b_pts, b_patch = [], [], []
    for d, (axis, sign) in enumerate(DIRS):
        ax = 2 - axis
        shifted = np.zeros_like(opn)
        src = [slice(None)] * 3
        dst = [slice(None)] * 3
        if sign > 0:
            dst[ax] = slice(0, -1)
            src[ax] = slice(1, None)
        else:
            dst[ax] = slice(1, None)
            src[ax] = slice(0, -1)
        shifted[tuple(dst)] = opn[tuple(src)]  # neighbour open?
        bnd = opn & ~shifted
        ci, cj, ck = ii[bnd], jj[bnd], kk[bnd]
        cl = lin[bnd]
        if sign > 0:
            fp = face_pts(axis, ci, cj, ck)
        else:
            # The face on the - side: the + face of the cell below, reversed (normal -axis).
            off = [0, 0, 0]
            off[axis] = 1
            fp = face_pts(axis, ci - off[0], cj - off[1], ck - off[2])[:, ::-1]
        pa = np.array([patch_of.get((int(c), d), nwall) for c in cl], dtype=np.int64)
        b_cell.append(cid[cl])
        b_pts.append(fp)
        b_patch.append(pa)
    b_cell = np.concatenate(b_cell)
    b_pts = np.concatenate(b_pts)
    b_patch = np.concatenate(b_patch)
    used = set(patch_of.values())
    if len(used) != len(patches):
        sys.exit("make_case: a flow patch got no faces")
    counted = np.bincount(b_patch, minlength=nwall + 1)
    for pi, p in enumerate(patches):
        if counted[pi] != len(p["faces"]):
            sys.exit(f"make_case: patch {p['name']}: {counted[pi]} faces found, {len(p['faces'])} expected")
    border = np.lexsort((b_cell, b_patch))
    b_cell, b_pts, b_patch = b_cell[border], b_pts[border], b_patch[border]
    all_pts = np.concatenate([pts, b_pts])
    owner = np.concatenate([own, b_cell])
    # Compact the points.
    upts, inv = np.unique(all_pts.ravel(), return_inverse=True)
    faces = inv.reshape(-1, 4)
    pi_ = upts % (nx + 1)
    pj_ = (upts // (nx + 1)) % (ny + 1)
    pk_ = upts // ((nx + 1) * (ny + 1))
    xyz = np.stack([pi_ * dx, pj_ * dx, pk_ * dx], -1)
    ncells = int(flat_open.sum())
    mesh = os.path.join(case, "constant", "polyMesh")
    os.makedirs(mesh, exist_ok=True)
    note = f"nPoints:{len(xyz)}  nCells:{ncells}  nFaces:{len(faces)}  nInternalFaces:{n_internal}"
    with open(os.path.join(mesh, "points"), "w") as fh:
        fh.write(header("vectorField", "points"))
        fh.write(f"{len(xyz)}\n(\n")
        fh.write("\n".join(f"({x:.10g} {y:.10g} {z:.10g})" for x, y, z in xyz))
        fh.write("\n)\n")
    with open(os.path.join(mesh, "faces"), "w") as fh:
        fh.write(header("faceList", "faces"))
        fh.write(f"{len(faces)}\n(\n")
        fh.write("\n".join(f"4({a} {b} {c} {d})" for a, b, c, d in faces))
        fh.write("\n)\n")
    for name, data in (("owner", owner), ("neighbour", nei)):
        with open(os.path.join(mesh, name), "w") as fh:
            fh.write(header("labelList", name, note=note))
            fh.write(f"{len(data)}\n(\n")
            fh.write("\n".join(map(str, data.tolist())))
            fh.write("\n)\n")
    names = [p["name"] for p in patches] + ["walls"]
    start = n_internal
    with open(os.path.join(mesh, "boundary"), "w") as fh:
        fh.write(header("polyBoundaryMesh", "boundary"))
        fh.write(f"{len(names)}\n(\n")
        for pi, name in enumerate(names):
            n = int(counted[pi])
            typ = "wall" if name == "walls" else "patch"
            fh.write(f"    {name}\n    {{\n        type            {typ};\n"
                     f"        nFaces          {n};\n        startFace       {start};\n    }}\n")
            start += n
        fh.write(")\n")
    return cid, ncells, n_internal, len(faces)


def vec(v):
    return f"({v[0]:.17g} {v[1]:.17g} {v[2]:.17g})"


def field(case, name, cls, dim, internal, entries):
    body = "".join(f"    {p}\n    {{\n" + "".join(f"        {k:<16}{v};\n" for k, v in e.items()) + "    }\n"
                   for p, e in entries)
    with open(os.path.join(case, "0", name), "w") as fh:
        fh.write(header(cls, name, loc="0"))
        fh.write(f"dimensions      {dim};\n\ninternalField   {internal};\n\nboundaryField\n{{\n{body}}}\n")


def write_fields(case, room, patches, t_init_c):
    os.makedirs(os.path.join(case, "0"), exist_ok=True)
    dx2 = room.dx * room.dx
    U, T, K, E, NUT, AT, PRGH, PP = [], [], [], [], [], [], [], []
    k_in = 1.5 * (INTENSITY * 1.0) ** 2
    for p in patches:
        n = len(p["faces"])
        axis, sign = DIRS[p["faces"][0][3]]
        speed = p["q"] / (n * dx2)  # > 0: into the room, against the outward normal
        u = [0.0, 0.0, 0.0]
        u[axis] = -sign * speed
        U.append((p["name"], {"type": "fixedValue", "value": f"uniform {vec(u)}"}))
        if p["kind"] == "out":
            T.append((p["name"], {"type": "zeroGradient"}))
            K.append((p["name"], {"type": "zeroGradient"}))
            E.append((p["name"], {"type": "zeroGradient"}))
        else:
            t = p["t_c"] if p["kind"] == "supply" else t_init_c + room.dt_rack
            T.append((p["name"], {"type": "fixedValue", "value": f"uniform {t + T0:.10g}"}))
            K.append((p["name"], {"type": "turbulentIntensityKineticEnergyInlet", "intensity": INTENSITY,
                                  "value": f"uniform {k_in}"}))
            E.append((p["name"], {"type": "turbulentMixingLengthDissipationRateInlet",
                                  "mixingLength": MIXING_LENGTH, "value": "uniform 1e-3"}))
        NUT.append((p["name"], {"type": "calculated", "value": "uniform 0"}))
        AT.append((p["name"], {"type": "calculated", "value": "uniform 0"}))
        PRGH.append((p["name"], {"type": "fixedFluxPressure", "value": "uniform 0"}))
        PP.append((p["name"], {"type": "calculated", "value": "uniform 0"}))
    U.append(("walls", {"type": "noSlip"}))
    T.append(("walls", {"type": "zeroGradient"}))
    K.append(("walls", {"type": "kqRWallFunction", "value": f"uniform {k_in}"}))
    E.append(("walls", {"type": "epsilonWallFunction", "value": "uniform 1e-3"}))
    NUT.append(("walls", {"type": "nutkWallFunction", "value": "uniform 0"}))
    AT.append(("walls", {"type": "alphatJayatillekeWallFunction", "Prt": PRT, "value": "uniform 0"}))
    PRGH.append(("walls", {"type": "fixedFluxPressure", "value": "uniform 0"}))
    PP.append(("walls", {"type": "calculated", "value": "uniform 0"}))
    eps0 = 0.09 ** 0.75 * k_in ** 1.5 / MIXING_LENGTH
    field(case, "U", "volVectorField", "[0 1 -1 0 0 0 0]", "uniform (0 0 0)", U)
    field(case, "T", "volScalarField", "[0 0 0 1 0 0 0]", f"uniform {t_init_c + T0:.10g}", T)
    field(case, "k", "volScalarField", "[0 2 -2 0 0 0 0]", f"uniform {k_in}", K)
    field(case, "epsilon", "volScalarField", "[0 2 -3 0 0 0 0]", f"uniform {eps0:.6g}", E)
    field(case, "nut", "volScalarField", "[0 2 -1 0 0 0 0]", "uniform 0", NUT)
    field(case, "alphat", "volScalarField", "[0 2 -1 0 0 0 0]", "uniform 0", AT)
    field(case, "p_rgh", "volScalarField", "[0 2 -2 0 0 0 0]", "uniform 0", PRGH)
    field(case, "p", "volScalarField", "[0 2 -2 0 0 0 0]", "uniform 0", PP)


def write_dicts(case, t_ref_c):
    here = os.path.dirname(os.path.abspath(__file__))
    tmpl = os.path.join(here, "templates")
    subs = {"@NU@": repr(NU), "@BETA@": f"{BETA:.6g}", "@TREF@": f"{t_ref_c + T0:.10g}", "@PR@": repr(PR),
            "@PRT@": repr(PRT)}
    for rel in ("system/controlDict", "system/fvSchemes", "system/fvSolution", "constant/transportProperties",
                "constant/turbulenceProperties", "constant/g"):
        text = open(os.path.join(tmpl, rel.replace("/", "."))).read()
        for k, v in subs.items():
            text = text.replace(k, v)
        os.makedirs(os.path.join(case, os.path.dirname(rel)), exist_ok=True)
        with open(os.path.join(case, rel), "w") as fh:
            fh.write(text)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    toml_path, case = sys.argv[1], sys.argv[2]
    room = Room(toml_path)
    mat, rack_boxes, unit_boxes, tile_boxes = build(room)
    opn, patches, racks, units = flows(room, mat, rack_boxes, unit_boxes, tile_boxes)
    os.makedirs(case, exist_ok=True)
    cid, ncells, n_int, n_faces = write_mesh(case, room, opn, patches)
    supplies = [s["supply_c"] for s in room.supply] + [u["supply_c"] for u in room.cooling if "supply_c" in u]
    t_sup = min(supplies)
    write_fields(case, room, patches, t_sup)
    write_dicts(case, t_sup)
    lin = lambda c: int(((c[0] * room.ny) + c[1]) * room.nx + c[2])
    meta = dict(
        room=os.path.basename(os.path.dirname(os.path.abspath(toml_path))),
        toml=os.path.abspath(toml_path),
        grid=dict(nx=room.nx, ny=room.ny, nz=room.nz, cell_m=room.dx),
        cells=ncells, cells_total=room.nx * room.ny * room.nz, internal_faces=n_int, faces=n_faces,
        rho_cp_j_m3k=room.rho_cp, rack_delta_t_k=room.dt_rack, t_kelvin_offset=T0, t_init_c=t_sup,
        physics=dict(nu=NU, beta=BETA, Pr=PR, Prt=PRT, inlet_intensity=INTENSITY, mixing_length_m=MIXING_LENGTH),
        patches=[dict(name=p["name"], faces=len(p["faces"]), flow_m3_s=p["q"], kind=p["kind"], t_c=p.get("t_c"),
                      cells=[int(cid[lin(f[:3])]) for f in p["faces"]]) for p in patches],
        racks=[dict(id=r["id"], power_kw=r["power_kw"], flow_m3_s=r["flow_m3_s"], dt_k=r["dt_k"],
                    out_patch=r["out_patch"], intake=[int(cid[lin(c)]) for c in r["intake"]],
                    intake_top=[int(cid[lin(c)]) for c in r["intake_top"]]) for r in racks],
        units=units,
    )
    for u in units:
        if u["ret_patch"]:
            p = next(p for p in patches if p["name"] == u["ret_patch"])
            u["ret_cells"] = [int(cid[lin(f[:3])]) for f in p["faces"]]
    with open(os.path.join(case, "case.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    print(f"{meta['room']}: {room.nx} x {room.ny} x {room.nz} = {meta['cells_total']} cells, {ncells} open, "
          f"{n_faces} faces, {len(patches) + 1} patches, {len(racks)} racks")


if __name__ == "__main__":
    main()
