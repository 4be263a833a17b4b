#!/usr/bin/env bash
# Prepare one device run (../shared/device/README.md): the Vulkan loader, the two GPU
# benchmark binaries, their shared libraries and the cases, all in the git-ignored .gl/,
# plus .gl/run.sh — the single script to run on the GPU machine:
#   run tool: command "bash .gl/run.sh air" then "bash .gl/run.sh solvers" (each within
#   one 600 s call), carry [".gl"]; results land in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.gl/' .git/info/exclude 2>/dev/null || echo /.gl/ >> .git/info/exclude
mkdir -p .gl/lib .gl/cases
ls .gl/*.deb >/dev/null 2>&1 || ../shared/device/fetch-vulkan-loader.sh .gl
cargo build --release --quiet --example gpu_thermal_bench --example gpu_power_bench --example gpu_air_bench --bin thermogrid
# Stripped: the debug info would push .gl/ past the 64 MiB a device call may carry.
for b in gpu_thermal_bench gpu_power_bench gpu_air_bench; do strip -o ".gl/$b" "target/release/examples/$b"; done
strip -o .gl/thermogrid target/release/thermogrid
for b in examples/gpu_thermal_bench examples/gpu_power_bench examples/gpu_air_bench thermogrid; do
  ldd "target/release/$b" | awk '/=> \// {print $3}' | { grep -Ev 'libc\.so|libm\.so|libpthread|libdl|ld-linux|libgcc_s|librt' || true; } | xargs -r -I{} cp -L {} .gl/lib/
done
cp tests/data/cases/case2383wp.m tests/data/cases/case_ACTIVSg2000.m .gl/cases/
# The hall-air (momentum) model, the default for facility files, on rooms and halls of
# growing size; and the 5 M-cell hall with the diffusion and potential-flow models.
cp meshes/hall_small.toml meshes/pod_raised_floor.toml meshes/hall_gb200_nvl72.toml meshes/hall_xai_h100.toml .gl/cases/
cp benches/cfd_rooms/raised_floor/room.toml .gl/cases/room_raised_floor.toml
# A 3-D hall_xai_h100 (25 600 GPUs) at 0.1 m: 750 × 600 × 45 = 20.25 M cells (GPU only:
# the CPU would take far longer than a device call).
sed -e 's/^cell_m = 0.03/cell_m = 0.1/' -e 's/^height_m = 5.0 .*/height_m = 4.5/' -e 's/^layers = 1$/layers = 45/' \
  meshes/hall_xai_h100.toml > .gl/cases/hall_xai_h100_3d.toml
{ cat meshes/hall_xai_h100.toml; printf '\n[airflow]\nmodel = "diffusion"\n'; } > .gl/cases/hall_diffusion.toml
{ cat meshes/hall_xai_h100.toml; printf '\n[airflow]\nmodel = "potential"\nturbulent_k_w_mk = 100.0\n'; } > .gl/cases/hall_potential.toml
cat > .gl/run.sh <<'RUN'
#!/usr/bin/env bash
# On the GPU machine, from the project root: the hall-air model on five rooms and halls,
# both GPU benchmarks and the 5 M-cell hall's other models, each with its CPU baseline in
# the same run; tables on stdout and in $OUT.
set -uo pipefail
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export XDG_RUNTIME_DIR=/tmp LD_LIBRARY_PATH=.gl/lib
if ! .gl/gpu_thermal_bench 2>/dev/null | grep -q NVIDIA; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv > "$OUT/gpu.txt" 2>&1
# `bash .gl/run.sh air` runs the hall-air part only, `bash .gl/run.sh solvers` the rest
# (each fits one 600 s device call); no argument runs both.
part=${1:-all}
solve() {  # case backend timeout_s
  timeout "$3" .gl/thermogrid solve ".gl/cases/$1.toml" -o "/tmp/$1.h5" --backend "$2" --json \
    > "$OUT/$1_$2.json" 2> "$OUT/$1_$2.err"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); r=d['racks']; print(f\"{sys.argv[2]:22s} {sys.argv[3]} {d['backend']:3s} {d.get('air_model','')[:12]:12s} solver_s {d['setup_s']+d['solve_s']:8.3f} hottest intake {max(x['intake_c'] for x in r):7.3f} C\")" \
    "$OUT/$1_$2.json" "$1" "$2" 2>&1 | tee -a "$OUT/air.txt"
}
if [ "$part" != solvers ]; then
  # Hall-air model, GPU then CPU (16 cores) in the same run: cells 28 k, 46 k, 62 k, 441 k,
  # 5 M; then the 20 M-cell 3-D hall on the GPU.
  for c in hall_small room_raised_floor pod_raised_floor; do solve $c gpu 60; solve $c cpu 60; done
  solve hall_gb200_nvl72 gpu 100; solve hall_gb200_nvl72 cpu 100
  solve hall_xai_h100 gpu 120; solve hall_xai_h100 cpu 150
  solve hall_xai_h100_3d gpu 200
  # Each hall-air kernel against its bandwidth floor (the measured device copy).
  timeout 240 .gl/gpu_air_bench --steps 20 --json "$OUT/air_kernels.json" .gl/cases/room_raised_floor.toml \
    .gl/cases/hall_gb200_nvl72.toml .gl/cases/hall_xai_h100.toml .gl/cases/hall_xai_h100_3d.toml 2>&1 | tee "$OUT/air_kernels.txt"
fi
if [ "$part" != air ]; then
  timeout 240 .gl/gpu_thermal_bench --3d 256 2048 4096 8192 2>&1 | tee "$OUT/thermal.txt"
  timeout 100 .gl/gpu_power_bench --steps 8760 .gl/cases/case2383wp.m .gl/cases/case_ACTIVSg2000.m 2>&1 | tee "$OUT/power.txt"
  for m in diffusion potential; do for be in gpu cpu; do solve hall_$m $be 60; done; done
fi
# One table of the solves (GPU against CPU, same run) and one JSON of everything.
python3 - "$OUT" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
solves = {}
for p in glob.glob(os.path.join(out, "*_gpu.json")) + glob.glob(os.path.join(out, "*_cpu.json")):
    case, be = os.path.basename(p)[:-5].rsplit("_", 1)
    try:
        d = json.load(open(p))
    except Exception as e:
        solves.setdefault(case, {})[be] = {"error": str(e)}
        continue
    solves.setdefault(case, {})[be] = {
        "backend": d.get("backend"), "model": d.get("air_model"), "cells": d["grid"]["cells"] if isinstance(d.get("grid"), dict) and "cells" in d["grid"] else None,
        "solver_s": d["setup_s"] + d["solve_s"], "intakes_c": [r["intake_c"] for r in d.get("racks", [])]}
print(f"{'case':22s} {'model':10s} {'GPU s':>9s} {'CPU s':>9s} {'CPU/GPU':>8s} {'max |Δ intake| K':>17s}")
for case, v in sorted(solves.items()):
    g, c = v.get("gpu", {}), v.get("cpu", {})
    gs, cs = g.get("solver_s"), c.get("solver_s")
    d = max((abs(a - b) for a, b in zip(g.get("intakes_c", []), c.get("intakes_c", []))), default=float("nan"))
    f = lambda x: f"{x:9.3f}" if isinstance(x, float) else f"{'—':>9s}"
    print(f"{case:22s} {str(g.get('model') or c.get('model'))[:10]:10s} {f(gs)} {f(cs)} {(cs / gs if gs and cs else float('nan')):8.1f} {d:17.4f}")
summary = {"solves": solves}
for name in ["gpu.txt", "thermal.txt", "power.txt", "air_kernels.txt"]:
    p = os.path.join(out, name)
    if os.path.exists(p):
        summary[name[:-4]] = open(p).read()
p = os.path.join(out, "air_kernels.json")
if os.path.exists(p):
    try:
        summary["air_kernels_json"] = json.load(open(p))
    except Exception:
        pass
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
PY
RUN
chmod +x .gl/run.sh
du -sh .gl
echo "prepared: on the device, with carry [\".gl\"]: 'bash .gl/run.sh air', then 'bash .gl/run.sh solvers' (or 'bash .gl/run.sh' for both)"
