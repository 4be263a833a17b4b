#!/usr/bin/env bash
# Full N-1 screening: thermogrid CPU vs numpy/scipy PTDF/LODF, side by side in one run.
#   benches/compare_n1.sh [case.m ...]     (default: case2383wp, case_ACTIVSg2000)
set -euo pipefail
cd "$(dirname "$0")/.."
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(tests/data/cases/case2383wp.m tests/data/cases/case_ACTIVSg2000.m)
python3 -c "import matpowercaseframes, scipy" 2>/dev/null || python3 -m pip install -q matpowercaseframes scipy numpy
cargo build --release --quiet --bin thermogrid
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE slow a current numpy on this machine class: unset for the baseline.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benches/n1_compare.py ./target/release/thermogrid "${cases[@]}"
