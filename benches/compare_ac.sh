#!/usr/bin/env bash
# AC power flow: thermogrid vs pandapower runpp (numba), with an independent numpy/scipy
# Newton-Raphson (benches/acpf_ref.py, MATPOWER runpf conventions) as the correctness reference,
# validated first against tests/data/cases/*.acpf.json. See benches/ac_compare.py for what is
# timed and how.
#   benches/compare_ac.sh [--repeat N] [--no-pandapower] [--lightsim2grid] [case.m ...]
# With no case: the 9 cases of tests/data/cases plus case3012wp, case6468rte, case9241pegase,
# case_ACTIVSg10k, case13659pegase (benches/fetch_cases.sh → target/bench-cases). The table is
# also written to target/bench-power-ac.json. Set THERMOGRID=path/to/binary to skip the cargo build.
set -euo pipefail
cd "$(dirname "$0")/.."
opts=() cases=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-pandapower|--lightsim2grid) opts+=("$1"); shift ;;
        --repeat) opts+=("$1" "$2"); shift 2 ;;
        *) cases+=("$1"); shift ;;
    esac
done
if [ ${#cases[@]} -eq 0 ]; then
    for c in case9 case14 case30 case57 case118 case300 case1354pegase case_ACTIVSg2000 case2383wp; do
        cases+=("tests/data/cases/$c.m")
    done
    dir=$(benches/fetch_cases.sh)
    for c in case3012wp case6468rte case9241pegase case_ACTIVSg10k case13659pegase; do
        cases+=("$dir/$c.m")
    done
fi
mods="pandapower numba matpowercaseframes h5py scipy"
[[ " ${opts[*]:-} " == *" --lightsim2grid "* ]] && mods="$mods lightsim2grid"
for m in $mods; do
    python3 -c "import $m" 2>/dev/null || python3 -m pip install -q "$m"
done
if [ -z "${THERMOGRID:-}" ]; then
    cargo build --release --quiet --bin thermogrid
    THERMOGRID=./target/release/thermogrid
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE slow a current numpy on this machine class: unset for the baseline.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benches/ac_compare.py "$THERMOGRID" ${opts[@]+"${opts[@]}"} "${cases[@]}"
