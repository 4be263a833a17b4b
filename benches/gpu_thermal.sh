#!/usr/bin/env bash
# GPU thermal benchmark (see examples/gpu_thermal_bench.rs), CPU reference in the same run.
# On the GPU machine (../shared/device/README.md), from the project root:
#   for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; export XDG_RUNTIME_DIR=/tmp
#   LD_LIBRARY_PATH=.gl/lib .gl/gpu_thermal_bench --3d 256 2048 4096 8192
# Here: prepares .gl/, or with --local runs small sizes on lavapipe.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example gpu_thermal_bench
if [ "${1:-}" = "--local" ]; then
  XDG_RUNTIME_DIR=/tmp ./target/release/examples/gpu_thermal_bench --3d 32 128 256
else
  mkdir -p .gl/lib
  cp target/release/examples/gpu_thermal_bench .gl/
  ldd target/release/examples/gpu_thermal_bench | awk '/hdf5|sz|aec|libz|curl/ {print $3}' | xargs -r -I{} cp -L {} .gl/lib/
  echo "prepared .gl/: run on the GPU machine as in the header"
fi
