"""The notebook-style example runs whole and prints its findings."""

import os
import runpy

from conftest import ROOT


def test_notebook_example_runs(capsys):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        runpy.run_path(str(ROOT / "python" / "examples" / "hall_notebook.py"), run_name="__main__")
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    for line in ("cfd model", "°C  A", "intakes rise", "lowest voltage", "worst outage", "refused:"):
        assert line in out, out
