#!/usr/bin/env bash
# GPU power benchmarks (N-1 screening, time-series GEMM) with the CPU baseline in the same
# run. On the GPU machine (see ../shared/device/README.md), from the project root:
#   for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; export XDG_RUNTIME_DIR=/tmp
#   LD_LIBRARY_PATH=.gl/lib .gl/gpu_power_bench --steps 8760 case2383wp.m case_ACTIVSg2000.m
# Here (prepares .gl/ with the binary, or runs it on lavapipe at small sizes with --local):
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example gpu_power_bench
if [ "${1:-}" = "--local" ]; then
  XDG_RUNTIME_DIR=/tmp ./target/release/examples/gpu_power_bench --steps "${2:-64}" tests/data/cases/case118.m tests/data/cases/case300.m
else
  mkdir -p .gl/lib .gl/cases
  cp target/release/examples/gpu_power_bench .gl/
  cp tests/data/cases/case2383wp.m tests/data/cases/case_ACTIVSg2000.m .gl/cases/
  ldd target/release/examples/gpu_power_bench | awk '/hdf5|sz|aec|libz|curl/ {print $3}' | xargs -r -I{} cp -L {} .gl/lib/
  echo "prepared .gl/: run on the GPU machine as in the header"
fi
