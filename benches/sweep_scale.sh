#!/usr/bin/env bash
# A 1 000-case sweep of a small room (diffusion model, 600 cells: the solve is a few ms,
# so what is measured is the batch's own cost per case), run as one shard and as four
# shards one after another, on this machine: the merged summaries must be identical, and
# the overhead per case beyond the solve (wall time per case less the solver's own time,
# from timings.csv) is printed against the 50 ms target.
#   benches/sweep_scale.sh [CASES_PER_AXIS=10]   (10 → 10 × 10 × 10 = 1 000 cases)
# Set THERMOGRID=path/to/binary to skip the cargo build.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
if [ -z "${THERMOGRID:-}" ]; then
  cargo build --release --quiet --bin thermogrid
  THERMOGRID=./target/release/thermogrid
fi
TG=$(readlink -f "$THERMOGRID")
W=$(mktemp -d /tmp/tg-sweep-scale.XXXXXX)
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$W"' EXIT
mkdir -p "$W/in"
vals() { python3 -c "import sys; n=int(sys.argv[1]); a=float(sys.argv[2]); b=float(sys.argv[3]); print(', '.join(repr(round(a+(b-a)*k/max(n-1,1), 6)) for k in range(n)))" "$@"; }
cat > "$W/in/room.toml" <<TOML
name = "sweep scale room"
[floor]
width_m = 6.0
depth_m = 4.0
cell_m = 0.2
height_m = 3.0
[[rack_row]]
id = "A"
x_m = 2.0
y_m = 1.0
count = 3
facing = "north"
power_kw = 10.0
[[cooling]]
id = "CRAH-1"
kind = "crah"
x_m = 0.2
y_m = 1.2
width_m = 0.8
depth_m = 1.6
facing = "east"
capacity_kw = 80.0
supply_c = 20.0
delta_t_k = 12.0
[airflow]
model = "diffusion"
[sweep]
supply_c = [$(vals "$n" 16 24)]
it_power_scale = [$(vals "$n" 0.5 1.0)]
"cooling.CRAH-1.capacity_kw" = [$(vals "$n" 60 120)]
TOML
cases=$("$TG" batch "$W/in" -o "$W/one" --plan 2>/dev/null | wc -l)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $cases cases"
t0=$(date +%s.%N)
"$TG" batch "$W/in" -o "$W/one" --backend cpu --jobs 1 > "$W/one.out" 2>/dev/null
t1=$(date +%s.%N)
for i in 1 2 3 4; do
  "$TG" batch "$W/in" -o "$W/four" --backend cpu --jobs 1 --shard "$i/4" > "$W/four.$i.out" 2>/dev/null
done
"$TG" summarize "$W/four" > "$W/summarize.out"
t2=$(date +%s.%N)
for f in summary.csv summary.json; do
  if cmp -s "$W/one/$f" "$W/four/$f"; then echo "$f: one shard and four shards identical"; else echo "$f: DIFFERS"; exit 1; fi
done
python3 - "$W" "$cases" "$t0" "$t1" "$t2" <<'PY'
import csv, sys
w, n, t0, t1, t2 = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:])
rows = list(csv.DictReader(open(f"{w}/one/timings.csv")))
solve = sum(float(r["solve_s"]) for r in rows) / len(rows)
case = sum(float(r["wall_s"]) for r in rows) / len(rows)
for label, wall in [("one shard", t1 - t0), ("four shards, one after another, + summarize", t2 - t1)]:
    per = wall / n
    print(f"{label}: {wall:.2f} s for {n} cases = {per*1e3:.1f} ms per case; solver {solve*1e3:.2f} ms; "
          f"overhead beyond the solve {1e3*(per - solve):.1f} ms per case (target < 50 ms)")
print(f"inside a case (load, solve, metrics, HDF5 and record written): {case*1e3:.1f} ms")
PY
