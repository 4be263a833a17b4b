"""The Python package: thermogrid.solve / powerflow / contingency / timeseries return
xarray Datasets with the command line's numbers; facilities as dicts; errors as
exceptions with the command line's messages."""

import json
import tomllib

import numpy as np
import pytest
import xarray as xr

import thermogrid
from conftest import CASES, MESHES, SCENARIO, cli

HALL = MESHES / "hall_small.toml"


@pytest.fixture(scope="module")
def hall():
    return thermogrid.solve(HALL)


def test_solve_returns_the_command_lines_temperatures(hall, results):
    path, summary = results["2d"]
    assert isinstance(hall, xr.Dataset)
    assert hall.T.dims == ("y", "x") and hall.T.attrs["units"] == "degC"
    for r in summary["racks"]:
        assert float(hall.intake_c.sel(rack=r["id"])) == r["intake_c"]
    with xr.open_dataset(path, group="thermal", engine="h5netcdf") as th:
        np.testing.assert_array_equal(hall.T.values, th.T.values)
    assert hall.attrs["air_model"] == summary["air_model"]
    assert json.loads(hall.attrs["summary"])["max_temperature_c"] == summary["max_temperature_c"]
    assert list(hall.kind.dims) == ["unit"] and "in_row" in hall.kind.values
    assert hall.attrs["solver_converged"] == 1


def test_a_facility_dict_solves_like_its_file(hall):
    d = tomllib.loads(HALL.read_text())
    ds = thermogrid.solve(d)
    np.testing.assert_array_equal(ds.T.values, hall.T.values)
    np.testing.assert_array_equal(ds.intake_c.values, hall.intake_c.values)


def test_a_changed_dict_changes_the_answer(hall):
    d = tomllib.loads(HALL.read_text())
    for unit in d["cooling"]:
        unit["supply_c"] = unit["supply_c"] + 4.0
    ds = thermogrid.solve(d)
    rise = float(ds.intake_c.mean()) - float(hall.intake_c.mean())
    assert 1.0 < rise < 4.5, rise


def test_bad_input_raises_input_error_with_the_command_lines_message(tmp_path):
    d = tomllib.loads(HALL.read_text())
    d["rack_row"][0]["power_kw"] = -5.0
    with pytest.raises(thermogrid.InputError) as e:
        thermogrid.solve(d)
    assert isinstance(e.value, ValueError)
    msg = str(e.value)
    assert "<facility dict>" in msg and "power_kw" in msg and "fix:" in msg, msg
    bad = tmp_path / "bad.toml"
    bad.write_text(HALL.read_text().replace("[floor]", "[floor]\nwidth_q = 3", 1))
    with pytest.raises(thermogrid.InputError) as e:
        thermogrid.solve(bad)
    p = __import__("subprocess").run([__import__("conftest").BIN, "validate", str(bad)], capture_output=True, text=True)
    assert p.returncode == 2
    assert str(e.value).splitlines()[0] in p.stderr, (str(e.value), p.stderr)
    with pytest.raises(thermogrid.InputError, match="tol"):
        thermogrid.solve(HALL, tol=0.0)
    with pytest.raises(thermogrid.InputError, match="backend"):
        thermogrid.solve(HALL, backend="tpu")
    with pytest.raises(thermogrid.InputError, match="cannot read"):
        thermogrid.solve(tmp_path / "missing.toml")
    with pytest.raises(thermogrid.InputError, match="None|null|unsupported"):
        thermogrid.solve({"name": None})


def test_not_converging_raises_and_writes_nothing(tmp_path):
    d = tomllib.loads(HALL.read_text())
    d.setdefault("airflow", {})["model"] = "diffusion"
    out = tmp_path / "never.h5"
    with pytest.raises(thermogrid.NotConvergedError):
        thermogrid.solve(d, max_iter=1, output=out)
    assert not out.exists()


def test_output_keeps_the_file_and_its_sidecar(tmp_path):
    out = tmp_path / "kept.h5"
    ds = thermogrid.solve(HALL, output=out)
    assert out.exists() and out.with_suffix(".xmf").exists()
    assert thermogrid.open(out)["thermal"].T.shape == ds.T.shape


def test_scenario(tmp_path, results):
    f = tmp_path / "scenario.toml"
    f.write_text(HALL.read_text() + SCENARIO)
    ds = thermogrid.solve(f, transient=True)
    assert ds.T_snapshots.dims == ("snapshot_time", "y", "x")
    np.testing.assert_allclose(ds.snapshot_time.values, [0.0, 20.0, 40.0])
    assert ds.intake_history_c.dims == ("time", "rack")
    assert ds.time_to_threshold_s.dims == ("threshold", "rack")
    _, summary = results["scenario"]
    for r in summary["racks"]:
        assert float(ds.intake_c.sel(rack=r["id"])) == r["intake_c"]


def test_powerflow_dc_and_ac():
    case = CASES / "case30.m"
    dc = thermogrid.powerflow(case)
    j = cli("powerflow", str(case))
    assert dc.va_deg.dims == ("bus",) and dc.pf_mw.dims == ("branch",) and dc.pg_mw.dims == ("gen",)
    assert "branch_in_service" in dc and "gen_in_service" in dc
    assert float(dc.pg_mw.sum()) == pytest.approx(j["generation_mw"], rel=1e-12)
    ac = thermogrid.powerflow(case, ac=True)
    ja = cli("powerflow", str(case), "--ac")
    assert float(ac.vm_pu.min()) == pytest.approx(ja["vm_min"]["vm_pu"], abs=1e-12)
    assert float(ac.vm_pu.sel(bus=ja["vm_min"]["name"])) == pytest.approx(ja["vm_min"]["vm_pu"], abs=1e-12)
    with pytest.raises(thermogrid.InputError, match="enforce_q_lims"):
        thermogrid.powerflow(case, enforce_q_lims=True)


def test_contingency_and_timeseries():
    case = CASES / "case30.m"
    n1 = thermogrid.contingency(case, full=True)
    j = cli("contingency", str(case))
    assert n1.flows_mw.dims == ("outage", "branch")
    assert n1.sizes["violation"] == len(n1.violations_outage)
    assert n1.sizes["outage"] == j["outages"] if "outages" in j else n1.sizes["outage"] > 0
    ts = thermogrid.timeseries(HALL, steps=30)
    assert ts.grid_mw.dims == ("time",) and ts.sizes["time"] == 30
    assert ts.flows_mw.dims == ("time", "branch")
    jt = cli("timeseries", str(HALL), "--steps", "30")
    assert float(ts.attrs["timeseries_max_ramp_grid_mw_per_s"]) == pytest.approx(jt["max_ramp_grid_mw_per_s"], rel=1e-12)


def test_facility_contingency():
    """Every element of hall_small's network lost in turn, the two most severe outages'
    room transients: the same ranking and numbers as the command line's --json, and
    bad options refused as the command line refuses them."""
    hall = MESHES / "hall_small.toml"
    fc = thermogrid.facility_contingency(hall, thermal=2, dt=10.0, duration=60.0)
    j = cli("contingency", str(hall), "--facility", "--thermal", "2", "--dt", "10", "--duration", "60")
    s = json.loads(fc.attrs["summary"])
    assert s["elements"] == j["elements"] and fc.sizes["outage"] == len(j["outages"])
    assert list(fc.outage.values) == [o["element"] for o in j["outages"]]
    assert list(fc.lost_it_mw.values) == pytest.approx([o["lost_it_mw"] for o in j["outages"]], abs=1e-12)
    simulated = [o for o in j["outages"] if o["thermal_simulated"]]
    assert fc.sizes["simulated"] == len(simulated) == 2
    assert fc.sizes["rack"] == len(simulated[0]["racks"])
    with pytest.raises(thermogrid.InputError, match="dt"):
        thermogrid.facility_contingency(hall, dt=0.0)
    with pytest.raises(thermogrid.InputError, match="TOML"):
        thermogrid.facility_contingency(CASES / "case30.m")
