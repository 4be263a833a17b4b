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
cargo build --release --quiet --example gpu_thermal_bench --example gpu_power_bench
# Stripped: the debug info would push .gl/ past the 64 MiB a device call may carry.
for b in gpu_thermal_bench gpu_power_bench; do strip -o ".gl/$b" "target/release/examples/$b"; done
for b in gpu_thermal_bench gpu_power_bench; do
  ldd "target/release/examples/$b" | awk '/=> \// {print $3}' | { grep -Ev 'libc\.so|libm\.so|libpthread|libdl|ld-linux|libgcc_s|librt' || true; } | xargs -r -I{} cp -L {} .gl/lib/
done
cp ../shared/cases/case2383wp.m ../shared/cases/case_ACTIVSg2000.m .gl/cases/
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
RUN
chmod +x .gl/run.sh
du -sh .gl
echo "prepared: run 'bash .gl/run.sh' on the device with carry [\".gl\"]"
