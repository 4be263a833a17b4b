"""Results files made once per session by the command line (THERMOGRID_BIN, which
tests/python.rs sets to the binary cargo built), shared by the tests."""

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("THERMOGRID_BIN", str(ROOT / "target" / "release" / "thermogrid"))
CASES = ROOT / "tests" / "data" / "cases"
MESHES = ROOT / "meshes"

# A 3-D room small enough to solve in seconds: hall_small's racks on a 3-D grid would
# take longer, so the bundled 3-D pod is used as it is.
SCENARIO = """
[transient]
dt_s = 5.0
duration_s = 40.0
snapshot_every_s = 20.0
thresholds_c = [27.0, 32.0]

[[event]]
at_s = 10.0
kind = "cooling_failure"
units = ["IRC-A1", "IRC-A2"]
"""


def cli(*args: str) -> dict:
    """Run the command line with --json; return its summary."""
    p = subprocess.run([BIN, *args, "--json"], capture_output=True, text=True, env={**os.environ, "XDG_RUNTIME_DIR": "/tmp"})
    assert p.returncode == 0, f"{args}: exit {p.returncode}\n{p.stderr}"
    return json.loads(p.stdout)


@pytest.fixture(scope="session")
def results(tmp_path_factory):
    """Paths of results files of every kind, and the command line's summaries."""
    d = tmp_path_factory.mktemp("results")
    scenario = d / "scenario.toml"
    scenario.write_text((MESHES / "hall_small.toml").read_text() + SCENARIO)
    out = {}
    runs = {
        "2d": ["solve", str(MESHES / "hall_small.toml")],
        "3d": ["solve", str(MESHES / "pod_raised_floor.toml")],
        "scenario": ["solve", str(scenario), "--transient"],
        "dc": ["powerflow", str(CASES / "case30.m")],
        "ac": ["powerflow", str(CASES / "case30.m"), "--ac"],
        "n1": ["contingency", str(CASES / "case30.m"), "--full"],
        "ts": ["timeseries", str(MESHES / "hall_small.toml"), "--steps", "40"],
    }
    for k, args in runs.items():
        path = d / f"{k}.h5"
        out[k] = (path, cli(*args, "-o", str(path)))
    return out
