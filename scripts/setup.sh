#!/usr/bin/env bash
# Install the system packages thermogrid needs on Debian 12 (idempotent):
#   libhdf5-dev + pkg-config   HDF5 for the hdf5-metno crate
#   mesa-vulkan-drivers        Mesa's lavapipe, a software Vulkan adapter for GPU tests
set -euo pipefail
# Further packages may be named on the command line (scripts/setup-ci-extras.sh does).
pkgs=(libhdf5-dev pkg-config mesa-vulkan-drivers "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
