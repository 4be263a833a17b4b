# %% [markdown]
# # thermogrid from Python: a hall, a what-if, its power
#
# A notebook in percent format (Jupyter, VS Code and Spyder run it cell by cell;
# `python python/examples/hall_notebook.py` runs it whole). Run from the repository
# root, with the package installed (`pip install python/` or the wheel).

# %%
import tomllib
from pathlib import Path

import thermogrid

hall = Path("meshes/hall_small.toml")
ds = thermogrid.solve(hall)
print(ds.attrs["facility_name"], "·", ds.attrs["air_model"], "model")
print(ds.T.dims, ds.T.attrs["units"], "max", round(float(ds.T.max()), 2))

# %% [markdown]
# Rack intakes are a variable along `rack`, labelled by the rack ids; the ASHRAE class
# and band come with them.

# %%
hottest = ds.intake_c.sortby(ds.intake_c, ascending=False)[:5]
for rack, t in hottest.to_series().items():
    print(f"{rack:8s} {t:6.2f} °C  {ds.ashrae_class.sel(rack=rack).item()}")

# %% [markdown]
# A what-if without editing text: the facility as a dict, every cooling unit's supply
# air 3 K warmer.

# %%
facility = tomllib.loads(hall.read_text())
for unit in facility["cooling"]:
    unit["supply_c"] += 3.0
warmer = thermogrid.solve(facility)
rise = (warmer.intake_c - ds.intake_c).to_series()
print(f"intakes rise {rise.min():.2f}–{rise.max():.2f} K for +3 K supply")

# %% [markdown]
# The same facility's electrical network: the AC power flow (voltages by bus name) and
# the DC N-1 screening.

# %%
pf = thermogrid.powerflow(hall, ac=True)
print("lowest voltage", pf.vm_pu.idxmin().item(), round(float(pf.vm_pu.min()), 4), "pu")
n1 = thermogrid.contingency(hall)
worst = int(n1.max_loading_pct.idxmax())
print("worst outage: branch row", worst, n1.outage_name.sel(outage=worst).item(),
      round(float(n1.max_loading_pct.max()), 1), "%")

# %% [markdown]
# Bad input raises `thermogrid.InputError` with the command line's message: the file,
# the item and the fix.

# %%
facility["rack_row"][0]["power_kw"] = -1.0
try:
    thermogrid.solve(facility)
except thermogrid.InputError as e:
    print("refused:", str(e).splitlines()[0])
