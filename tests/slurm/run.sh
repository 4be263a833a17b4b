#!/usr/bin/env bash
# A sweep on a real Slurm scheduler, on this machine: start munge, a controller and one
# compute daemon on localhost (private config, ports and state in a scratch directory),
# submit deploy/slurm/sweep.sbatch as a 4-task job array over a sweep with a broken input,
# wait, and check that `thermogrid summarize` of the shards equals a one-machine batch of
# the same sweep; then mend the input, resubmit the array and check that only that case
# is solved again and the summary is complete.
#   tests/slurm/run.sh THERMOGRID_BINARY INPUTS_TEMPLATE_DIR
# Exit 0: passed; 77: Slurm or munge is not installed (or this is not root); else failed.
set -euo pipefail
TG=$(readlink -f "$1")
TEMPLATE=$(readlink -f "$2")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
for t in sbatch slurmctld slurmd munged sinfo squeue scontrol; do
  command -v "$t" >/dev/null || { echo "slurm test: $t is not installed (apt-get install slurm-wlm munge)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "slurm test: the daemons need root"; exit 77; }
W=$(mktemp -d /tmp/tg-slurm.XXXXXX)
pids=()
cleanup() {
  for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in ${pids[@]+"${pids[@]}"}; do kill -9 "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$W"; fi
}
trap cleanup EXIT
mkdir -p "$W"/{state,spool,munge,in,run}
# munge with its own key and socket.
head -c 1024 /dev/urandom > "$W/munge/munge.key"
chmod 400 "$W/munge/munge.key"
chmod 700 "$W/munge"
munged --force --key-file="$W/munge/munge.key" --socket="$W/munge/munge.sock" \
  --pid-file="$W/munge/munged.pid" --log-file="$W/munge/munged.log" --seed-file="$W/munge/seed"
sleep 0.5
pids+=("$(cat "$W/munge/munged.pid")")
host=$(hostname -s)
node=$(slurmd -C | head -1)
base=$((20000 + $$ % 20000))
cat > "$W/slurm.conf" <<CONF
ClusterName=tgtest
SlurmctldHost=$host
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$W/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/run/slurmctld.pid
SlurmdPidFile=$W/run/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SchedulerParameters=sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdParameters=config_overrides
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=tg Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$W/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" > "$W/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$W/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 60); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
if [ "$state" != idle ]; then
  echo "slurm test: the node did not come up (state '$state')"; tail -20 "$W"/slurmctld.log "$W"/slurmd.log || true; exit 1
fi
cp -r "$TEMPLATE"/. "$W/in/"
# The single-machine batch of the same inputs (the broken input fails in both).
set +e
"$TG" batch "$W/in" -o "$W/one" --backend cpu --jobs 2 > "$W/one.out" 2>&1
set -e
cd "$W"
# Submit the array (one CPU per task, so two run at once here) and wait until it has
# left the queue.
submit() {
  local id
  id=$(INPUTS="$W/in" OUTDIR="$W/shards" THERMOGRID="$TG" BACKEND=cpu \
    sbatch --parsable --array=0-3 --cpus-per-task=1 --chdir="$W" --export=ALL "$REPO/deploy/slurm/sweep.sbatch")
  local q
  for _ in $(seq 600); do
    # Done when squeue answers and lists none of the array (a failed query is retried).
    if q=$(squeue -h -j "$id" 2>/dev/null) && [ -z "$q" ]; then return 0; fi
    sleep 0.2
  done
  echo "slurm test: array $id did not finish"; squeue; exit 1
}
submit
set +e
"$TG" summarize "$W/shards" > "$W/summarize.out" 2>&1
code=$?
set -e
cat "$W/summarize.out"
[ "$code" = 1 ] || { echo "slurm test: summarize should fail on the broken input (exit $code)"; exit 1; }
grep -q "failed: b_broken" "$W/summarize.out" || { echo "slurm test: the failed case is not reported"; exit 1; }
grep -q "0 missing" "$W/summarize.out" || { echo "slurm test: cases are missing"; cat "$W"/thermogrid-sweep-*.out; exit 1; }
for f in summary.csv summary.json; do
  cmp "$W/one/$f" "$W/shards/$f" || { echo "slurm test: $f of the array differs from the one-machine batch"; diff "$W/one/$f" "$W/shards/$f" | head; exit 1; }
done
ls "$W"/thermogrid-sweep-*_[0-3].out > /dev/null
# Mend the input and resubmit the whole array: only the mended case is solved.
cp "$W/in/a_room.toml" "$W/in/b_broken.toml"
sed -i '/^\[sweep\]/,$d' "$W/in/b_broken.toml"
rm -f "$W"/thermogrid-sweep-*.out
submit
solved=$(cat "$W"/thermogrid-sweep-*.out | { grep -o "[0-9]* solved" || true; } | awk '{s += $1} END {print s + 0}')
[ "$solved" = 1 ] || { echo "slurm test: the rerun solved $solved cases, not 1"; cat "$W"/thermogrid-sweep-*.out; exit 1; }
"$TG" summarize "$W/shards"
echo "slurm test: passed"
