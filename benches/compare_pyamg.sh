#!/usr/bin/env bash
# thermogrid CPU MG-PCG vs PyAMG SA/RS-preconditioned CG on the sample floorplan
# (racks, CRAHs, concrete columns at ≈1400× contrast, adiabatic walls), setup + solve to
# relative residual 1e-8, measured side by side in one run. Usage:
#   benches/compare_pyamg.sh [N ...]        (default: 1024 2048)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1024 2048)
python3 -c "import pyamg, h5py, scipy" 2>/dev/null || python3 -m pip install -q pyamg h5py scipy numpy
cargo build --release --quiet --bin thermogrid --example floorplan_fields
mkdir -p out/bench
files=()
for n in "${sizes[@]}"; do
  f="out/bench/floorplan_${n}.h5"
  [ -f "$f" ] || ./target/release/examples/floorplan_fields "$n" "$f" >/dev/null
  files+=("$f")
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
python3 benches/pyamg_compare.py ./target/release/thermogrid "${files[@]}"
