#!/usr/bin/env bash
# Mean and standard deviation of gat-train's test accuracy over seeds 0..9 (the GAT issue's
# reproduction). Usage: scripts/accuracy-seeds.sh DATA_DIR [extra gat-train options...]
#   e.g. scripts/accuracy-seeds.sh ../shared/datasets/cora
#        scripts/accuracy-seeds.sh ../shared/datasets/cora --model gatv2
set -euo pipefail
data=${1:?usage: $0 DATA_DIR [gat-train options...]}
shift
bin=${GATGRAD_BIN:-build/bin}
accs=()
for seed in 0 1 2 3 4 5 6 7 8 9; do
  line=$("$bin/gat-train" --data "$data" --seed "$seed" --quiet "$@" --metrics-json /dev/stdout | grep '"test_accuracy"')
  acc=$(echo "$line" | sed 's/[^0-9.]//g')
  echo "seed $seed test_accuracy=$acc"
  accs+=("$acc")
done
printf '%s\n' "${accs[@]}" | awk '{ s += $1; ss += $1 * $1; n++ }
  END { m = s / n; sd = sqrt((ss - n * m * m) / (n - 1)); printf "mean_test_accuracy=%.4f std=%.4f seeds=%d\n", m, sd, n }'
