#!/usr/bin/env bash
# Airflow + energy against the diffusion-only solve of the same hall, on the CPU, in one
# run (issue 6's target: airflow within 3× of diffusion). Usage:
#   benches/compare_airflow.sh [facility.toml]   (default: meshes/hall_xai_h100.toml)
# The airflow run is the same file with [airflow] turbulent_k_w_mk = 100 appended.
# Columns: solver time (diffusion: multigrid setup + MG-PCG; airflow: potential flow,
# operators, both multigrids and the linked BiCGStab solve) and the whole CLI wall time
# (parse, rasterize, solve, write HDF5).
set -euo pipefail
cd "$(dirname "$0")/.."
mesh=${1:-meshes/hall_xai_h100.toml}
cargo build --release --quiet --bin thermogrid
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$mesh" "$tmp/diffusion.toml"
{ cat "$mesh"; printf '\n[airflow]\nturbulent_k_w_mk = 100.0\n'; } > "$tmp/airflow.toml"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "mesh: $mesh"
printf '%-10s %12s %12s %11s %12s %14s\n' model solver_s cli_wall_s iterations max_intake energy_rel_err
for m in diffusion airflow; do
  start=$(date +%s.%N)
  ./target/release/thermogrid solve "$tmp/$m.toml" -o "$tmp/$m.h5" --json > "$tmp/$m.json"
  end=$(date +%s.%N)
  python3 - "$tmp/$m.json" "$m" "$start" "$end" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
wall = float(sys.argv[4]) - float(sys.argv[3])
solver = d["setup_s"] + d["solve_s"]
intake = max(r["intake_c"] for r in d["racks"])
print(f'{sys.argv[2]:<10} {solver:12.2f} {wall:12.2f} {d["iterations"]:11d} {intake:12.2f} {d["energy_balance_rel_error"]:14.1e}')
open(sys.argv[1] + ".solver", "w").write(str(solver))
PY
done
python3 -c "
d=float(open('$tmp/diffusion.json.solver').read()); a=float(open('$tmp/airflow.json.solver').read())
print(f'airflow / diffusion solver time: {a/d:.2f}x (target <= 3x)')"
