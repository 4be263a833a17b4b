#!/usr/bin/env bash
# Prepare one device run (../shared/device/README.md): the Vulkan loader, the two GPU
# benchmark binaries, their shared libraries and the cases, all in the git-ignored .gl/,
# plus .gl/run.sh — the single script to run on the GPU machine:
#   run tool: command "bash .gl/run.sh", carry [".gl"]; results land in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.gl/' .git/info/exclude 2>/dev/null || echo /.gl/ >> .git/info/exclude
mkdir -p .gl/lib .gl/cases
ls .gl/*.deb >/dev/null 2>&1 || ../shared/device/fetch-vulkan-loader.sh .gl
cargo build --release --quiet --example gpu_thermal_bench --example gpu_power_bench --bin thermogrid
# Stripped: the debug info would push .gl/ past the 64 MiB a device call may carry.
for b in gpu_thermal_bench gpu_power_bench; do strip -o ".gl/$b" "target/release/examples/$b"; done
strip -o .gl/thermogrid target/release/thermogrid
for b in examples/gpu_thermal_bench examples/gpu_power_bench thermogrid; do
  ldd "target/release/$b" | awk '/=> \// {print $3}' | { grep -Ev 'libc\.so|libm\.so|libpthread|libdl|ld-linux|libgcc_s|librt' || true; } | xargs -r -I{} cp -L {} .gl/lib/
done
cp tests/data/cases/case2383wp.m tests/data/cases/case_ACTIVSg2000.m .gl/cases/
# Issue 6's GPU target: the big hall, diffusion-only and with [airflow], GPU and CPU.
cp meshes/hall_xai_h100.toml .gl/cases/hall_diffusion.toml
{ cat meshes/hall_xai_h100.toml; printf '\n[airflow]\nturbulent_k_w_mk = 100.0\n'; } > .gl/cases/hall_airflow.toml
cat > .gl/run.sh <<'RUN'
#!/usr/bin/env bash
# On the GPU machine, from the project root: both GPU benchmarks, CPU baselines in the
# same run; tables on stdout and in $OUT.
set -uo pipefail
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export XDG_RUNTIME_DIR=/tmp LD_LIBRARY_PATH=.gl/lib
if ! .gl/gpu_thermal_bench 2>/dev/null | grep -q NVIDIA; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv > "$OUT/gpu.txt" 2>&1
timeout 420 .gl/gpu_thermal_bench --3d 256 2048 4096 8192 2>&1 | tee "$OUT/thermal.txt"
timeout 120 .gl/gpu_power_bench --steps 8760 .gl/cases/case2383wp.m .gl/cases/case_ACTIVSg2000.m 2>&1 | tee "$OUT/power.txt"
# Airflow vs diffusion on the 5 M-cell hall, each backend (solver seconds in the JSON).
for m in diffusion airflow; do
  for be in gpu cpu; do
    timeout 120 .gl/thermogrid solve ".gl/cases/hall_$m.toml" -o "/tmp/hall_$m.h5" --backend $be --json \
      > "$OUT/hall_${m}_$be.json" 2> "$OUT/hall_${m}_$be.err"
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[2], sys.argv[3], d['backend'], 'solver_s', round(d['setup_s']+d['solve_s'], 3), 'iterations', d['iterations'])" \
      "$OUT/hall_${m}_$be.json" $m $be 2>&1 | tee -a "$OUT/airflow.txt"
  done
done
RUN
chmod +x .gl/run.sh
du -sh .gl
echo "prepared: run 'bash .gl/run.sh' on the device with carry [\".gl\"]"
