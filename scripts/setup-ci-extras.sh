#!/usr/bin/env bash
# Install what two of the tests need beyond scripts/setup.sh (idempotent; CI runs it):
#   slurm-wlm + munge   tests/slurm.rs starts a private Slurm controller and compute
#                       daemon on localhost and runs a sweep as a job array
#   chromium            tests/report.rs opens the batch report headless and screenshots it
# Without them those tests are skipped, unless THERMOGRID_REQUIRE_SLURM=1 or
# THERMOGRID_REQUIRE_CHROMIUM=1 (CI sets both).
set -euo pipefail
pkgs=(slurm-wlm munge chromium)
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
