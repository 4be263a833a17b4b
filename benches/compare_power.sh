#!/usr/bin/env bash
# DC power flow: thermogrid vs scipy (makeBdc + splu, and splu alone) on the large MATPOWER
# cases, side by side in one run, with max |ΔVa| / |ΔPf| against scipy. See the docstring of
# benches/power_compare.py for what is timed and how.
#   benches/compare_power.sh [--pandapower] [--repeat N] [case.m ...]
# With no case: fetches (benches/fetch_cases.sh → target/bench-cases) and runs the 14 cases
# from 2 k to 70 k buses, plus case_SyntheticUSA (82 k buses, 3 islands). The table is also
# written to target/bench-power-dc.json. Set THERMOGRID=path/to/binary to skip the cargo build.
set -euo pipefail
cd "$(dirname "$0")/.."
opts=() cases=()
while [ $# -gt 0 ]; do
    case "$1" in
        --pandapower) opts+=("$1"); shift ;;
        --repeat) opts+=("$1" "$2"); shift 2 ;;
        *) cases+=("$1"); shift ;;
    esac
done
if [ ${#cases[@]} -eq 0 ]; then
    dir=$(benches/fetch_cases.sh)
    for c in case_ACTIVSg2000 case2383wp case2869pegase case3012wp case3120sp case3375wp \
             case6468rte case6515rte case8387pegase case9241pegase case_ACTIVSg10k \
             case13659pegase case_ACTIVSg25k case_ACTIVSg70k case_SyntheticUSA; do
        cases+=("$dir/$c.m")
    done
fi
need="import matpowercaseframes, scipy, h5py"
[[ " ${opts[*]:-} " == *" --pandapower "* ]] && need="$need, pandapower"
python3 -c "$need" 2>/dev/null || python3 -m pip install -q pandapower matpowercaseframes scipy numpy h5py
if [ -z "${THERMOGRID:-}" ]; then
    cargo build --release --quiet --bin thermogrid
    THERMOGRID=./target/release/thermogrid
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE slow a current numpy on this machine class: unset for the baseline.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benches/power_compare.py "$THERMOGRID" ${opts[@]+"${opts[@]}"} "${cases[@]}"
