#!/usr/bin/env bash
# thermogrid's DC power flow vs scipy (build B, splu, solve) and pandapower's rundcpp on
# the large shared cases, measured side by side in one run. Usage:
#   benches/compare_power.sh [case.m ...]   (default: case2383wp, case_ACTIVSg2000)
set -euo pipefail
cd "$(dirname "$0")/.."
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(tests/data/cases/case2383wp.m tests/data/cases/case_ACTIVSg2000.m)
python3 -c "import pandapower, matpowercaseframes, scipy" 2>/dev/null || python3 -m pip install -q pandapower matpowercaseframes scipy numpy
cargo build --release --quiet --bin thermogrid
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
python3 benches/power_compare.py ./target/release/thermogrid "${cases[@]}"
