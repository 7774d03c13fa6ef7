#!/usr/bin/env bash
# The per-epoch time of issue 28's two tasks, measured as its PyG figures were (a training epoch:
# every step's forward, backward and optimiser step; the validation evaluation is timed apart and
# not included), after the Release build:
#   bash scripts/bench-tasks.sh [BUILD_DIR]      (default: build)
#   GATGRAD_BENCH_EPOCHS=N     timed epochs per run (default 50)
#   GATGRAD_BENCH_CALLGRIND=0  skips the instruction counts (valgrind's callgrind: minutes)
#   GATGRAD_DATASETS=DIR       where tu/MUTAG/raw and cora are (default: ../shared/datasets)
# Rows: MUTAG graph classification (preset tu: 3 GAT layers of 4 heads × 32, mean readout, MLP,
# batches of 32 graphs; fold 1 of the stratified 10 folds) and Cora link prediction (preset link:
# GATConv(F, 8, heads=8) -> GATConv(64, 64), dot decoder, full batch, fresh negatives), each on
# 1 thread and on all cores, with the PyG peer's figure of the issue beside them:
#   wall ms      the median epoch's wall time: grows with whatever else runs on the cores
#   CPU ms       the process's CPU time per epoch, every thread (less sensitive to a loaded machine)
#   instructions per epoch on 1 thread, counted by callgrind (repeatable on any load)
#   busy_loop_ghz, the clock the VM gave right after the run
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bench="$build/bin/gat-bench"
[ -x "$bench" ] || { echo "bench-tasks: $bench not found: build first (see README)" >&2; exit 1; }
epochs=${GATGRAD_BENCH_EPOCHS:-50}
case "$epochs" in '' | *[!0-9]* | 0) echo "bench-tasks: GATGRAD_BENCH_EPOCHS must be a positive integer, got '$epochs'" >&2; exit 2 ;; esac
threads=$(nproc)
datasets=${GATGRAD_DATASETS:-../shared/datasets}
mutag=$datasets/tu/MUTAG/raw
cora=$datasets/cora
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | tail -n1; }

# Instructions per training epoch and per evaluation, 1 thread, under callgrind (3 epochs).
instructions() {  # task data
  if [ "${GATGRAD_BENCH_CALLGRIND:-1}" = 0 ] || ! command -v valgrind >/dev/null; then echo "- | -"; return; fi
  local out
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
    --toggle-collect='*timed_training_epochs*' --toggle-collect='*timed_evaluations*' \
    "$bench" task --task "$1" --data "$2" --threads 1 --epochs 3 --no-clock >/dev/null 2>&1
  local train eval
  train=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null | grep 'timed_training_epochs' | head -n1 | awk '{gsub(",", "", $1); print $1}')
  eval=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null | grep 'timed_evaluations' | head -n1 | awk '{gsub(",", "", $1); print $1}')
  rm -f "$out"
  awk -v t="$train" -v e="$eval" 'BEGIN { printf "%.1fM | %.1fM", t / 3e6, e / 3e6 }'
}

echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $threads cores; load average" \
     "$(cut -d' ' -f1-3 /proc/loadavg) at the start; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| task (training epoch, evaluation apart) | PyG epoch ms | threads | wall ms (median) | CPU ms | eval wall ms | eval CPU ms | instructions/epoch (1 thread) | instructions/eval | clock GHz |"
echo "|---|---|---|---|---|---|---|---|---|---|"
row() {  # label pyg task data
  local label=$1 pyg=$2 task=$3 data=$4 counts t out
  [ -d "$data" ] || { echo "bench-tasks: $data not found: the $task row is skipped" >&2; return; }
  counts=$(instructions "$task" "$data")
  for t in 1 "$threads"; do
    out=$("$bench" task --task "$task" --data "$data" --threads "$t" --epochs "$epochs")
    echo "| $label | $pyg | $t | $(echo "$out" | field epoch_ms_median) | $(echo "$out" | field epoch_cpu_ms) |" \
         "$(echo "$out" | field eval_ms_median) | $(echo "$out" | field eval_cpu_ms) | $counts | $(echo "$out" | field busy_loop_ghz) |"
  done
}
row "MUTAG graph classification (preset tu, 5 steps of 32 graphs)" 49 graph "$mutag"
row "Cora link prediction (preset link, full batch)" 38 link "$cora"
