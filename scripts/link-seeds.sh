#!/usr/bin/env bash
# Link prediction over seeds 0..4 (issue 28's reproduction of PyG's examples/link_pred.py with
# GAT): each seed's test AUC, AP, Hits@K, MRR and median epoch time, then the mean and standard
# deviation of AUC and AP and the median of the epoch times.
# Usage: scripts/link-seeds.sh DATA_DIR [extra gat-train options...]
#   e.g. scripts/link-seeds.sh ../shared/datasets/cora
#        scripts/link-seeds.sh ../shared/datasets/citeseer --threads 2
set -euo pipefail
data=${1:?usage: $0 DATA_DIR [gat-train options...]}
shift
bin=${GATGRAD_BIN:-build/bin}
rows=()
for seed in 0 1 2 3 4; do
  out=$("$bin/gat-train" --task link --data "$data" --seed "$seed" --log-every 1000000 "$@")
  line="$(grep -o 'val_auc=.*' <<<"$out") $(grep -o 'epoch_ms_median=[0-9.]*' <<<"$out")"
  echo "seed $seed $line"
  rows+=("$line")
done
# The median epoch time: the middle of the sorted times (mawk has no sort of its own).
ms_median=$(printf '%s\n' "${rows[@]}" | grep -o 'epoch_ms_median=[0-9.]*' | cut -d= -f2 | sort -g |
              awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
printf '%s\n' "${rows[@]}" | awk -v ms="$ms_median" '
  { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    auc[NR] = v["test_auc"]; ap[NR] = v["test_ap"] }
  function mean(a, n,   s, i) { s = 0; for (i = 1; i <= n; i++) s += a[i]; return s / n }
  function sd(a, n,   m, s, i) { m = mean(a, n); s = 0; for (i = 1; i <= n; i++) s += (a[i] - m) ^ 2; return sqrt(s / (n - 1)) }
  END { printf "mean_test_auc=%.4f std=%.4f mean_test_ap=%.4f std=%.4f epoch_ms_median=%s seeds=%d\n",
               mean(auc, NR), sd(auc, NR), mean(ap, NR), sd(ap, NR), ms, NR }'
