#!/usr/bin/env bash
# Install Slurm and munge (Debian 12: slurm-wlm 22.05) for tests/slurm.rs, which starts a
# private controller and compute daemon on localhost (idempotent; CI runs it).
set -euo pipefail
pkgs=(slurm-wlm munge)
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
