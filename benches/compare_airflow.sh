#!/usr/bin/env bash
# Airflow + energy against the diffusion-only solve of the same hall, on the CPU, in one
# run (issue 6's target: airflow within 3× of diffusion). Usage:
#   benches/compare_airflow.sh [facility.toml]   (default: meshes/hall_xai_h100.toml)
# The airflow run is the same file with [airflow] turbulent_k_w_mk = 100 appended.
# Columns: solver time (diffusion: multigrid setup + MG-PCG; airflow: potential flow,
# operators, both multigrids and the linked BiCGStab solve) and the whole CLI wall time
# (parse, rasterize, solve, write HDF5). Each model runs REPS times (default 3, env
# REPS); the table shows the fastest run of each, the ratio uses those.
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
reps=${REPS:-3}
for m in diffusion airflow; do
  for r in $(seq "$reps"); do
    start=$(date +%s.%N)
    ./target/release/thermogrid solve "$tmp/$m.toml" -o "$tmp/$m.h5" --json > "$tmp/$m.$r.json"
    end=$(date +%s.%N)
    echo "$start $end" > "$tmp/$m.$r.wall"
  done
  python3 - "$tmp" "$m" "$reps" <<'PY'
import json, sys
tmp, m, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = []
for r in range(1, reps + 1):
    d = json.load(open(f"{tmp}/{m}.{r}.json"))
    a, b = map(float, open(f"{tmp}/{m}.{r}.wall").read().split())
    runs.append((d["setup_s"] + d["solve_s"], b - a, d))
solver, wall, d = min(runs, key=lambda x: x[0])
intake = max(r["intake_c"] for r in d["racks"])
all_s = " ".join(f"{x[0]:.2f}" for x in runs)
print(f'{m:<10} {solver:12.2f} {wall:12.2f} {d["iterations"]:11d} {intake:12.2f} {d["energy_balance_rel_error"]:14.1e}   (all runs: {all_s} s)')
open(f"{tmp}/{m}.solver", "w").write(str(solver))
PY
done
python3 -c "
d=float(open('$tmp/diffusion.solver').read()); a=float(open('$tmp/airflow.solver').read())
print(f'airflow / diffusion solver time (fastest of each): {a/d:.2f}x (target <= 3x)')"
