#!/usr/bin/env bash
# thermogrid's airflow model against OpenFOAM references of small data-centre rooms
# (benches/cfd_rooms/<room>/room.toml + reference.json; see benches/cfd_rooms/README.md).
# Usage:
#   benches/compare_cfd_rooms.sh [extra thermogrid solve args...]   e.g. --backend cpu
# For each room: `thermogrid solve <room>/room.toml --json "$@"`, timed (whole CLI), then
# a per-rack table of rack intake and top-of-rack intake (CFD, model, Δ), mean and max
# |Δ|, Spearman rank correlation of the intakes, whether the model's hottest rack is
# among the CFD's three hottest, and thermogrid's wall time against OpenFOAM's (one
# core, from reference.json). ROOMS="raised_floor ..." picks rooms; AIR_MODEL=potential
# (or cfd) adds `model = "…"` to the rooms' [airflow] (default: the file's own, i.e.
# thermogrid's default model); NO_BUILD=1 skips the cargo build. The references are not regenerated here (that takes OpenFOAM and ~15 min
# per room: see the README).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${NO_BUILD:-}" ]; then
  cargo build --release --quiet --bin thermogrid
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rooms=${ROOMS:-$(for d in benches/cfd_rooms/*/; do if [ -f "$d/room.toml" ]; then basename "$d"; fi; done)}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "thermogrid air model: ${AIR_MODEL:-the default}"
args=()
for room in $rooms; do
  dir=benches/cfd_rooms/$room
  if [ ! -f "$dir/reference.json" ]; then
    echo "$room: no reference.json (run benches/cfd_rooms/run_case.py), skipped"
    continue
  fi
  toml=$dir/room.toml
  if [ -n "${AIR_MODEL:-}" ]; then
    sed "/^\[airflow\]/a model = \"$AIR_MODEL\"" "$toml" > "$tmp/$room.toml"
    toml=$tmp/$room.toml
  fi
  start=$(date +%s.%N)
  if ./target/release/thermogrid solve "$toml" --json -o "$tmp/$room.h5" "$@" > "$tmp/$room.json" 2> "$tmp/$room.err"; then
    end=$(date +%s.%N)
    wall=$(python3 -c "print($end - $start)")
    args+=("$room" "$dir/reference.json" "$tmp/$room.json" "$wall")
  else
    echo "$room: thermogrid failed:"
    sed 's/^/  /' "$tmp/$room.err"
  fi
done
if [ ${#args[@]} -gt 0 ]; then
  python3 benches/cfd_rooms_compare.py "${args[@]}"
fi
