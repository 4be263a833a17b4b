"""The results files are netCDF-4: xarray (h5netcdf and netCDF4 engines) and h5py open
them as they are, with named dimensions, coordinates and units, on 2-D, 3-D, transient
and power results."""

import re

import h5py
import numpy as np
import pytest
import xarray as xr

from conftest import ROOT

ENGINES = ["h5netcdf", "netcdf4"]
KINDS = ["2d", "3d", "scenario", "dc", "ac", "n1", "ts"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_variable_has_named_dimensions_and_units(results, kind, engine):
    path, _ = results[kind]
    tree = xr.open_datatree(path, engine=engine)
    assert tree.attrs["Conventions"].startswith("CF-")
    nvars = 0
    for node in tree.subtree:
        ds = node.to_dataset(inherit=False)
        for name, v in ds.variables.items():
            nvars += 1
            assert not any(d.startswith("phony_dim") for d in v.dims), f"{node.path}/{name}: {v.dims}"
            if v.dtype.kind in "fiu" and name not in ds.dims:
                assert "units" in v.attrs, f"{node.path}/{name} has no units"
                assert v.attrs.get("long_name"), f"{node.path}/{name} has no long_name"
        # Every dimension a group uses has its coordinate in that group, so that
        # open_dataset(group=...) of it alone is labelled.
        if ds.data_vars:
            sub = xr.open_dataset(path, group=node.path, engine=engine)
            for d in sub.dims:
                assert d in sub.coords, f"{node.path}: dimension {d} without coordinate"
            sub.close()
    assert nvars > 0
    tree.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_2d_thermal_group(results, engine):
    path, summary = results["2d"]
    ds = xr.open_dataset(path, group="thermal", engine=engine)
    assert ds.T.dims == ("y", "x")
    assert ds.x.attrs["units"] == "m" and ds.x.attrs["axis"] == "X"
    dx = summary["grid"]["dx_m"]
    np.testing.assert_allclose(ds.x.values, (np.arange(summary["grid"]["nx"]) + 0.5) * dx)
    np.testing.assert_allclose(ds.y.values, (np.arange(summary["grid"]["ny"]) + 0.5) * dx)
    assert ds.T.attrs["units"] == "degC"
    assert float(ds.T.max()) == summary["max_temperature_c"]
    with h5py.File(path) as f:
        np.testing.assert_array_equal(ds.T.values, f["thermal/T"][...])
    # Selection by metres works.
    assert np.isfinite(float(ds.T.sel(x=10.0, y=7.0, method="nearest")))
    ds.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_3d_thermal_and_airflow(results, engine):
    path, summary = results["3d"]
    g = summary["grid"]
    th = xr.open_dataset(path, group="thermal", engine=engine)
    assert th.T.dims == ("z", "y", "x")
    assert th.z.attrs["units"] == "m" and th.z.attrs["positive"] == "up"
    assert th.sizes == {"z": g["nz"], "y": g["ny"], "x": g["nx"]}
    air = xr.open_dataset(path, group="airflow", engine=engine)
    assert air.u_z.dims == ("z", "y", "x") and air.u_z.attrs["units"] == "m/s"
    th.close()
    air.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_rack_and_unit_tables(results, engine):
    path, summary = results["2d"]
    racks = xr.open_dataset(path, group="racks", engine=engine)
    ids = [r["id"] for r in summary["racks"]]
    assert list(racks.rack.values) == ids
    assert all(isinstance(v, str) for v in racks.rack.values), "ids are str, not bytes"
    for r in summary["racks"]:
        row = racks.sel(rack=r["id"])
        assert float(row.intake_c) == r["intake_c"]
        assert str(row.ashrae_class.values) == r["ashrae_class"]
        assert bool(row.intake_in_ashrae_recommended) == r["intake_in_ashrae_recommended"]
    cool = xr.open_dataset(path, group="cooling", engine=engine)
    assert set(cool.kind.values) <= {"crah", "in_row", "rear_door"}
    assert "in_row" in set(cool.kind.values), "kinds are written as the input spells them"
    assert [c["kind"] for c in summary["cooling"]] == list(cool.kind.values)
    root = xr.open_dataset(path, engine=engine)
    assert root.attrs["rci_hi_pct"] == summary["rci_hi_pct"]
    assert root.attrs["air_model"] == summary["air_model"]
    assert root.sizes["warning"] == len(summary["warnings"])
    for ds in (racks, cool, root):
        ds.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_scenario_time_axes(results, engine):
    path, summary = results["scenario"]
    snap = xr.open_dataset(path, group="thermal/snapshots", engine=engine)
    assert snap.T.dims == ("time", "y", "x")
    np.testing.assert_allclose(snap.time.values, [0.0, 20.0, 40.0])
    assert snap.time.attrs["units"] == "s"
    hist = xr.open_dataset(path, group="racks/history", engine=engine)
    assert hist.intake_c.dims == ("time", "rack")
    assert hist.sizes["time"] == 9
    racks = xr.open_dataset(path, group="racks", engine=engine)
    assert racks.time_to_threshold_s.dims == ("threshold", "rack")
    np.testing.assert_allclose(racks.threshold.values, [27.0, 32.0])
    for ds in (snap, hist, racks):
        ds.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_power_files(results, engine):
    dc, _ = results["dc"]
    bus = xr.open_dataset(dc, group="power/bus", engine=engine)
    assert bus.va_deg.dims == ("bus",) and bus.sizes["bus"] == 30
    branch = xr.open_dataset(dc, group="power/branch", engine=engine)
    assert branch.pf_mw.dims == ("branch",) and isinstance(branch.branch.values[0], str)
    ac, acs = results["ac"]
    vm = xr.open_dataset(ac, group="power/bus", engine=engine).vm_pu
    assert float(vm.min()) == pytest.approx(acs["vm_min"]["vm_pu"], abs=1e-12)
    n1, _ = results["n1"]
    c = xr.open_dataset(n1, group="power/contingency", engine=engine)
    assert c.flows_mw.dims == ("outage", "branch")
    assert c.outage_name.dims == ("outage",)
    v = xr.open_dataset(n1, group="power/contingency/violations", engine=engine)
    assert all(d == "violation" for var in v.data_vars.values() for d in var.dims)
    ts, _ = results["ts"]
    t = xr.open_dataset(ts, group="power/timeseries", engine=engine)
    assert t.flows_mw.dims == ("time", "branch") and t.grid_mw.dims == ("time",)
    assert t.time.attrs["units"] == "s" and t.sizes["time"] == 40


def readme_python_blocks():
    text = (ROOT / "README.md").read_text()
    return [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "hall_small.h5" in b]


@pytest.mark.parametrize("kind", ["2d", "scenario"])
def test_readme_snippets_run_on_steady_and_transient_files(results, kind, capsys):
    blocks = readme_python_blocks()
    assert len(blocks) >= 2, "the README has its h5py and xarray snippets"
    path, _ = results[kind]
    for b in blocks:
        exec(compile(b.replace("hall_small.h5", str(path)), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "max" in out and "degC" in out, out
