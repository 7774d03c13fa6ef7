#!/usr/bin/env bash
# The distributed rows of the README: the 1M-node / 10M-edge synthetic graph partitioned into 1,
# 2 and 4 parts (gat-partition), trained by one process and by `mpirun -np 1/2/4 gat-train
# --partitions`, each run's metrics and checkpoint hashed (they must all be equal). Prints each
# run's summary lines (peak RSS per rank, bytes sent and missing per step, the edge cut).
#   bash scripts/bench-distributed.sh [BUILD_DIR] [WORK_DIR]    (about 2 minutes, 3 GB of disk)
set -euo pipefail
bin=$(cd "${1:-build}" && pwd)/bin
work=${2:-$(mktemp -d "${TMPDIR:-/tmp}/gatgrad-bench-distributed.XXXXXX")}
mkdir -p "$work"
graph="--nodes 1000000 --edges 10000000 --features 128 --classes 8 --train-per-class 2560"
train="--batch-size 1024 --fanout 10,10 --micro-batches 4 --epochs 3"
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpi() { mpirun --allow-run-as-root --oversubscribe "$@"; }
fingerprint() {  # METRICS_JSON CHECKPOINT_DIR
  grep -v -e '"epoch_ms_median"' -e '"train_seconds"' -e '"peak_rss_mb"' -e '"threads"' "$1" | sha256sum | cut -c1-16
  (cd "$2" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16
}
# shellcheck disable=SC2086
"$bin/gat-train" $graph $train --quiet --metrics-json "$work/single.json" --save "$work/single"
echo "one process: $(grep -h peak_rss_mb "$work/single.json" | tr -d ' ,') hash $(fingerprint "$work/single.json" "$work/single" | tr '\n' ' ')"
for P in 1 2 4; do
  threads=1
  [ "$P" = 1 ] && threads=2
  # shellcheck disable=SC2086
  "$bin/gat-partition" $graph --parts "$P" --out "$work/parts-$P" | head -n1
  rm -rf "$work/np$P"
  # shellcheck disable=SC2086
  mpi -np "$P" "$bin/gat-train" --partitions "$work/parts-$P" $train --threads "$threads" \
    --metrics-json "$work/np$P.json" --save "$work/np$P" | grep -e epoch_ms_median -e '^partitions' -e '^rank'
  echo "mpirun -np $P: hash $(fingerprint "$work/np$P.json" "$work/np$P" | tr '\n' ' ')"
done
