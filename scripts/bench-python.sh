#!/usr/bin/env bash
# bench-python: the Python module's fit against gat-train on the same run (docs/python.md, section 3):
# the same dataset, preset and seed, so the same epochs; each timed from outside the loop (Python:
# the wall time of model.fit, its progress bar and history included; gat-train: its train_seconds),
# interleaved, REPEATS times each, the best per epoch reported. The overhead is Python's share.
#   bash scripts/bench-python.sh [BUILD] [DATA] [REPEATS]     (defaults: build ../shared/datasets/cora 5)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build} data=${2:-../shared/datasets/cora} repeats=${3:-5}
python=$(sed -n 's/^Python3_EXECUTABLE:FILEPATH=//p' "$build/CMakeCache.txt")
[ -n "$python" ] && [ -d "$build/python/gatgrad" ] || { echo "bench-python: $build has no Python module" >&2; exit 1; }
[ -d "$data" ] || { echo "bench-python: no dataset at $data" >&2; exit 1; }
metrics=$(mktemp)
trap 'rm -f "$metrics"' EXIT
best_cpp=1e9 best_py=1e9
for ((r = 1; r <= repeats; r++)); do
  "$build/bin/gat-train" --data "$data" --seed 0 --threads 2 --quiet --metrics-json "$metrics"
  line=$("$python" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["train_seconds"] * 1000 / m["epochs_run"], m["epochs_run"], m["test_accuracy"])' "$metrics")
  read -r cpp_ms cpp_epochs cpp_acc <<<"$line"
  line=$(PYTHONPATH="$build/python" "$python" -c '
import sys, gatgrad
gatgrad.set_num_threads(2)
data = gatgrad.load_dataset(sys.argv[1])
model = gatgrad.GAT.preset("cora", seed=0)
model.fit(data, progress="lines")
r = model.result_
print(r["wall_seconds"] * 1000 / r["epochs_run"], r["epochs_run"], r["test_accuracy"])' "$data" 2>/dev/null)
  read -r py_ms py_epochs py_acc <<<"$line"
  printf 'run %d: gat-train %.3f ms/epoch (%d epochs, test_accuracy=%.4f)   python fit %.3f ms/epoch (%d epochs, test_accuracy=%.4f)\n' \
    "$r" "$cpp_ms" "$cpp_epochs" "$cpp_acc" "$py_ms" "$py_epochs" "$py_acc"
  best_cpp=$(awk -v a="$best_cpp" -v b="$cpp_ms" 'BEGIN { print (b < a) ? b : a }')
  best_py=$(awk -v a="$best_py" -v b="$py_ms" 'BEGIN { print (b < a) ? b : a }')
done
awk -v c="$best_cpp" -v p="$best_py" 'BEGIN { printf "best: gat-train %.3f ms/epoch, python fit %.3f ms/epoch, python/gat-train %.3f\n", c, p, p / c }'
