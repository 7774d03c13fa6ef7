#!/usr/bin/env bash
# The distributed rows of the README: the 1M-node / 10M-edge synthetic graph partitioned into 1,
# 2 and 4 parts (gat-partition), trained by one process and by `mpirun -np 1/2/4 gat-train
# --partitions`, each run's metrics and checkpoint hashed (they must all be equal). Prints each
# run's steps/s (steps per epoch over the median epoch's training time), its CPU per step (every
# thread of every rank: on a loaded machine the wall time stretches far more) and summary lines
# (peak RSS, bytes sent and missing, CPU, per step and rank; the edge cut). Ranks are not bound to a core
# (--bind-to none): a rank of 2 threads, and the thread preparing its next step, use both.
#   bash scripts/bench-distributed.sh [BUILD_DIR] [WORK_DIR]    (about 2 minutes, 3 GB of disk)
set -euo pipefail
bin=$(cd "${1:-build}" && pwd)/bin
work=${2:-$(mktemp -d "${TMPDIR:-/tmp}/gatgrad-bench-distributed.XXXXXX")}
mkdir -p "$work"
graph="--nodes 1000000 --edges 10000000 --features 128 --classes 8 --train-per-class 2560"
train="--batch-size 1024 --fanout 10,10 --micro-batches 4 --epochs 3"
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpi() { mpirun --allow-run-as-root --oversubscribe --bind-to none "$@"; }
steps_per_second() {  # OUTPUT_FILE: steps per epoch / median epoch seconds
  awk '/steps per epoch/ { for (i = 1; i < NF; ++i) if ($(i + 1) == "steps") s = $i }
       /epoch_ms_median=/ { for (i = 1; i <= NF; ++i) if ($i ~ /^epoch_ms_median=/) { split($i, kv, "="); ms = kv[2] } }
       END { if (s > 0 && ms > 0) printf "%.1f", s / (ms / 1000) }' "$1"
}
cpu_per_step() {  # OUTPUT_FILE: step_cpu_ms of one process, or the sum of the ranks'
  if grep -q '^rank ' "$1"; then
    grep '^rank ' "$1" | grep -o 'step_cpu_ms=[0-9.]*' | cut -d= -f2 | awk '{ s += $1 } END { printf "%.1f", s }'
  else
    grep -o 'step_cpu_ms=[0-9.]*' "$1" | cut -d= -f2
  fi
}
fingerprint() {  # METRICS_JSON CHECKPOINT_DIR
  grep -v -e '"epoch_ms_median"' -e '"train_seconds"' -e '"peak_rss_mb"' -e '"threads"' "$1" | sha256sum | cut -c1-16
  (cd "$2" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16
}
# shellcheck disable=SC2086
"$bin/gat-train" $graph $train --metrics-json "$work/single.json" --save "$work/single" >"$work/single.out"
echo "one process: steps/s $(steps_per_second "$work/single.out") cpu_ms/step $(cpu_per_step "$work/single.out") $(grep -h peak_rss_mb "$work/single.json" | tr -d ' ,') hash $(fingerprint "$work/single.json" "$work/single" | tr '\n' ' ')"
for P in 1 2 4; do
  threads=1
  [ "$P" = 1 ] && threads=2
  # shellcheck disable=SC2086
  "$bin/gat-partition" $graph --parts "$P" --out "$work/parts-$P" | head -n1
  rm -rf "$work/np$P"
  # shellcheck disable=SC2086
  mpi -np "$P" "$bin/gat-train" --partitions "$work/parts-$P" $train --threads "$threads" \
    --metrics-json "$work/np$P.json" --save "$work/np$P" >"$work/np$P.out"
  grep -e epoch_ms_median -e '^partitions' -e '^rank' "$work/np$P.out"
  echo "mpirun -np $P: steps/s $(steps_per_second "$work/np$P.out") cpu_ms/step $(cpu_per_step "$work/np$P.out") hash $(fingerprint "$work/np$P.json" "$work/np$P" | tr '\n' ' ')"
done
