"""thermogrid for Python: the heat and power physics of AI data-center facilities.

Every function runs thermogrid in this process (no subprocess), writes its results
through the same netCDF-4 writer as the command line, and returns them as one
``xarray.Dataset`` with named dimensions (``x``, ``y``, ``z``, ``rack``, ``unit``,
``bus``, ``branch``, ``time`` …), coordinates and units::

    import thermogrid
    ds = thermogrid.solve("meshes/hall_small.toml")
    ds.intake_c.sel(rack="A1-01")          # °C
    ds.T.plot()                             # the temperature field, metre axes

    pf = thermogrid.powerflow("case30.m", ac=True)
    pf.vm_pu.to_series().nsmallest(3)

A facility can be a path or a dict with the facility file's tables::

    ds = thermogrid.solve({"name": "room", "floor": {...}, "rack_row": [...], ...})

Bad input raises :class:`InputError` (a ``ValueError``) with the command line's message
(file, line:column, the item and the fix); a solver that does not converge raises
:class:`NotConvergedError`, one that fails inside :class:`SolverError` (both
``RuntimeError``). Nothing is written then.

``thermogrid.open(path)`` opens any results file as an ``xarray.DataTree``.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Iterable, Mapping, Optional, Union

import xarray as xr

from . import _native
from ._native import InputError, NotConvergedError, SolverError, __version__

__all__ = [
    "solve",
    "powerflow",
    "contingency",
    "facility_contingency",
    "timeseries",
    "open",
    "InputError",
    "NotConvergedError",
    "SolverError",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]
ENGINE = "h5netcdf"


def open(path: PathLike) -> xr.DataTree:  # noqa: A001 (the module's verb, like xr.open_*)
    """Open a thermogrid results file (any command's) as an ``xarray.DataTree``."""
    return xr.open_datatree(os.fspath(path), engine=ENGINE)


def _flatten(
    path: str,
    groups: Iterable[str],
    drop: Iterable[str] = (),
    dims: Optional[Mapping[str, Mapping[str, str]]] = None,
    peers: bool = False,
) -> xr.Dataset:
    """One in-memory Dataset of the file's root attributes and the variables of
    ``groups`` (those present). A variable whose name is already taken gets its group's
    name in front (``violations_outage``); with ``peers`` (groups of equal standing,
    such as bus, branch and gen) every variable whose name two groups share does
    (``branch_in_service``, ``gen_in_service``). A group's attributes are prefixed
    likewise (``solver_iterations``). ``dims`` renames dimensions per group (``time`` of
    the snapshots → ``snapshot_time``). Coordinates shared by groups must agree exactly."""
    dims = dims or {}
    groups = list(groups)
    with xr.open_datatree(path, engine=ENGINE) as tree:
        present = set(tree.groups)
        shared: set = set()
        if peers:
            seen: set = set()
            for g in groups:
                if "/" + g in present:
                    names = set(tree["/" + g].to_dataset(inherit=False).data_vars) - set(drop)
                    shared |= names & seen
                    seen |= names
        out = xr.Dataset(attrs=dict(tree.attrs))
        root = tree.to_dataset(inherit=False)
        out = xr.merge([out, root], compat="no_conflicts", join="exact", combine_attrs="override")
        for g in groups:
            if "/" + g not in present:
                continue
            leaf = g.rsplit("/", 1)[-1]
            ds = tree["/" + g].to_dataset(inherit=False)
            ds = ds.drop_vars([v for v in drop if v in ds.data_vars])
            if g in dims:
                ds = ds.rename(dict(dims[g]))
            taken = set(out.variables) | set(out.dims)
            ds = ds.rename({v: f"{leaf}_{v}" for v in ds.data_vars if v in taken or v in shared})
            for k, v in ds.attrs.items():
                out.attrs[f"{leaf}_{k}"] = v
            ds.attrs = {}
            out = xr.merge([out, ds], compat="no_conflicts", join="exact", combine_attrs="override")
        return out.load()


def _run(output: Optional[PathLike], run, read) -> xr.Dataset:
    """Run ``run(out_path) -> summary JSON`` into ``output`` (kept) or a temporary file
    (removed), and return ``read(out_path)`` with the summary in ``attrs["summary"]``."""
    if output is not None:
        out = os.fspath(output)
        summary = run(out)
        ds = read(out)
    else:
        with tempfile.TemporaryDirectory(prefix="thermogrid-") as d:
            out = os.path.join(d, "results.h5")
            summary = run(out)
            ds = read(out)
    ds.attrs["summary"] = summary
    return ds


def _summary_of(ds: xr.Dataset) -> dict:
    return json.loads(ds.attrs["summary"])


def solve(
    facility: Union[PathLike, Mapping[str, Any]],
    *,
    output: Optional[PathLike] = None,
    backend: str = "auto",
    tol: float = 1e-10,
    max_iter: int = 200,
    transient: bool = False,
    dt: Optional[float] = None,
    steps: int = 10,
    scheme: str = "backward-euler",
) -> xr.Dataset:
    """``thermogrid solve``: the steady state of a facility (a ``.toml`` path or a dict
    of its tables) or a fields file (``.h5``); with ``transient=True`` a facility's
    ``[transient]`` scenario (or a fields file marched ``steps`` steps of ``dt`` s).

    Returns the temperature field ``T`` (°C, on ``y, x`` or ``z, y, x`` in metres) with
    ``k``, ``q``, ``h``, ``material`` and, on an airflow model, ``u_x``, ``u_y``
    (``u_z``); the racks' variables on ``rack`` (``intake_c``, ``intake_top_c``,
    ``ashrae_class`` …); the cooling units' on ``unit``; a scenario's
    ``T_snapshots`` on ``snapshot_time`` and ``intake_history_c`` on ``time``. The
    attributes hold the file's (``air_model``, ``pue``, ``rci_hi_pct``, ``warnings`` …),
    the solver's (``solver_…``), the energy balance (``energy_…``) and the command
    line's ``--json`` summary as ``summary`` (JSON text).

    ``output``: also keep the results file (HDF5/netCDF-4, with its ParaView sidecar).
    """
    if isinstance(facility, Mapping):
        path, fjson, label = None, json.dumps(facility), "<facility dict>"
    else:
        path = os.fspath(facility)
        fjson, label = None, path

    def run(out: str) -> str:
        return _native.solve(path, fjson, label, out, backend, float(tol), int(max_iter), bool(transient),
                             None if dt is None else float(dt), int(steps), scheme)

    def read(out: str) -> xr.Dataset:
        ds = _flatten(
            out,
            ["thermal", "airflow", "racks", "cooling", "solver", "energy", "thermal/snapshots", "racks/history"],
            drop=("id", "time_s"),
            dims={"thermal/snapshots": {"time": "snapshot_time"}},
        )
        names = {"snapshots_T": "T_snapshots", "history_intake_c": "intake_history_c"}
        return ds.rename({k: v for k, v in names.items() if k in ds})

    return _run(output, run, read)


def powerflow(
    network: PathLike,
    *,
    ac: bool = False,
    enforce_q_lims: bool = False,
    tol: float = 1e-8,
    max_iter: int = 10,
    output: Optional[PathLike] = None,
) -> xr.Dataset:
    """``thermogrid powerflow``: the DC (default) or AC (``ac=True``) power flow of a
    MATPOWER case (``.m``) or a facility's ``[network]`` (``.toml``), MATPOWER's
    conventions. Variables on ``bus``, ``branch`` and ``gen`` (named by the facility's
    ids, else the bus numbers); a variable two groups share is prefixed with its group
    (``branch_in_service``, ``gen_in_service``)."""
    path = os.fspath(network)

    def run(out: str) -> str:
        return _native.powerflow(path, out, bool(ac), bool(enforce_q_lims), float(tol), int(max_iter))

    return _run(output, run, lambda out: _flatten(out, ["power", "power/bus", "power/branch", "power/gen"], drop=("name",), peers=True))


def contingency(
    network: PathLike,
    *,
    threshold: float = 100.0,
    full: bool = False,
    backend: str = "auto",
    top: int = 10,
    output: Optional[PathLike] = None,
) -> xr.Dataset:
    """``thermogrid contingency``: DC N-1 screening of every in-service branch outage.
    Variables on ``outage`` (the branch row taken out; ``outage_name`` its name), the
    violations on ``violation`` (``violations_outage``, ``violations_branch`` …) and,
    with ``full=True``, ``flows_mw`` on ``outage, branch``."""
    path = os.fspath(network)

    def run(out: str) -> str:
        return _native.contingency(path, out, float(threshold), bool(full), backend, int(top))

    def read(out: str) -> xr.Dataset:
        ds = _flatten(out, ["power/contingency"])
        # The violations' variables always carry their group's name (their outage and
        # branch rows are variables, not the outage and branch coordinates).
        v = _flatten(out, ["power/contingency/violations"])
        v = v[list(v.data_vars)]
        v = v.rename({k: f"violations_{k}" for k in v.data_vars})
        return xr.merge([ds, v], compat="no_conflicts", join="exact", combine_attrs="override")

    return _run(output, run, read)


def facility_contingency(
    facility: PathLike,
    *,
    thermal: int = 10,
    dt: float = 10.0,
    duration: float = 300.0,
    output: Optional[PathLike] = None,
) -> xr.Dataset:
    """``thermogrid contingency FILE --facility`` (a campus file needs no flag): every
    element of the facility's (or campus's) network lost in turn — transfers, UPS
    ride-through, standby starts, IT lost, overloads, cooling units and liquid loops
    stopped — then the room transient of the ``thermal`` most severe outages that touch
    each room, ``dt`` steps over ``duration`` seconds: the time to 27 °C and 32 °C of each
    rack. Variables on ``outage`` (ranked, most severe first: ``kind``, ``lost_it_mw``,
    ``racks_over_32c``, ``first_time_to_32c_s`` …) and the simulated outages' per-rack
    times on ``simulated, rack``; the summary (``attrs["summary"]``) is the command
    line's ``--json``. With ``output``, the three most severe simulated outages also get
    their scenario files and heat maps beside it (on a campus, one per hall each
    touches)."""
    path = os.fspath(facility)

    def run(out: str) -> str:
        # The worst outages' scenario files only beside a kept output.
        return _native.facility_contingency(path, out, int(thermal), float(dt), float(duration), output is not None)

    return _run(output, run, lambda out: _flatten(out, ["outages"]))


def timeseries(
    network: PathLike,
    *,
    profile: Optional[PathLike] = None,
    steps: Optional[int] = None,
    dt: Optional[float] = None,
    no_battery: bool = False,
    keep_busy: bool = False,
    backend: str = "auto",
    output: Optional[PathLike] = None,
) -> xr.Dataset:
    """``thermogrid timeseries``: a training job's power swings through the network, with
    battery smoothing at the utility connection. Variables on ``time`` (s) and, for the
    branch flows, ``time, branch``."""
    path = os.fspath(network)
    prof = None if profile is None else os.fspath(profile)

    def run(out: str) -> str:
        return _native.timeseries(path, out, prof, None if steps is None else int(steps),
                                  None if dt is None else float(dt), bool(no_battery), bool(keep_busy), backend)

    return _run(output, run, lambda out: _flatten(out, ["power/timeseries"], drop=("branch_name",)))
