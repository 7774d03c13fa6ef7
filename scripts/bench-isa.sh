#!/usr/bin/env bash
# The README's table "per instruction-set level": the same benchmarks on every level this CPU
# runs (GATGRAD_ISA), and on other builds put beside them (a -DGATGRAD_NATIVE=ON build, or an
# older gatgrad), measured in the same run, interleaved: each repeat runs every column once, and
# each cell is the best of the repeats (this kind of VM's clock moves by 2x within minutes).
#   bash scripts/bench-isa.sh [BUILD_DIR] [OTHER_BUILD_DIR=LABEL ...]
#   GATGRAD_BENCH_REPEATS=N   repeats (default 5)
#   GATGRAD_BENCH_LARGE=0     skips the 1M-node / 10M-edge row (a minute per run)
# Rows: Cora's training epoch and inference (2 threads), the 10M-edge epoch (2 threads), the
# GEMMs of bench-table.sh. Columns: <build>:<level> for BUILD_DIR, then one per other build (run
# at its own default level).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
repeats=${GATGRAD_BENCH_REPEATS:-5}
cora=../shared/datasets/cora
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | tail -n1; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || a + 0 < b + 0) print a; else print b }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || a + 0 > b + 0) print a; else print b }'; }

columns=() labels=()
for level in $("$build/bin/gat-bench" isa | sed -n 's/^isa_supported=//p'); do
  columns+=("$build/bin/gat-bench|$level")
  labels+=("portable, $level")
done
for other in "$@"; do
  columns+=("${other%%=*}/bin/gat-bench|")
  labels+=("${other#*=}")
done

declare -A best
measure() {  # key column-index command...: keeps the lowest value of field $FIELD
  local key=$1 c=$2
  shift 2
  local bench=${columns[$c]%%|*} level=${columns[$c]#*|} out
  if [ -n "$level" ]; then out=$(GATGRAD_ISA=$level "$bench" "$@"); else out=$("$bench" "$@"); fi
  for f in $FIELDS; do
    local v
    v=$(echo "$out" | field "$f")
    if [ "$f" = gflops ]; then
      best[$key.$f.$c]=$(max "$v" "${best[$key.$f.$c]:-}")
    else
      best[$key.$f.$c]=$(min "$v" "${best[$key.$f.$c]:-}")
    fi
  done
  best[$key.ghz.$c]=$(max "$(echo "$out" | field busy_loop_ghz)" "${best[$key.ghz.$c]:-}")
}

for ((k = 0; k < repeats; ++k)); do
  for c in "${!columns[@]}"; do
    if [ -d "$cora" ]; then
      FIELDS="epoch_ms_median infer_ms_median" measure cora "$c" train --data "$cora" --epochs 100 --threads 2
    fi
    FIELDS=gflops measure g1 "$c" gemm --m 2708 --k 1433 --n 64
    FIELDS=gflops measure g2 "$c" gemm --m 2708 --k 1433 --n 64 --transposed
    FIELDS=gflops measure g3 "$c" gemm --m 1024 --k 1024 --n 1024
    if [ "${GATGRAD_BENCH_LARGE:-1}" != 0 ] && [ "$k" -lt 2 ]; then
      FIELDS="epoch_ms_median infer_ms_median" measure big "$c" train --nodes 1000000 --edges 10000000 --features 128 \
        --classes 8 --epochs 3 --threads 2
    fi
  done
done

echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%d);" \
     "best of $repeats interleaved runs (10M-edge row: of 2)"
echo
header="| row |"
rule="|---|"
for l in "${labels[@]}"; do header="$header $l |"; rule="$rule---|"; done
echo "$header"
echo "$rule"
line() {  # label key field
  local text="| $1 |"
  for c in "${!columns[@]}"; do text="$text ${best[$2.$3.$c]:-} |"; done
  echo "$text"
}
[ -d "$cora" ] && line "Cora epoch ms (2 threads)" cora epoch_ms_median && line "Cora inference ms" cora infer_ms_median
if [ "${GATGRAD_BENCH_LARGE:-1}" != 0 ]; then
  line "1M nodes / 10M edges epoch ms" big epoch_ms_median
  line "1M nodes / 10M edges inference ms" big infer_ms_median
fi
line "GEMM 2708×1433·1433×64 GFLOP/s" g1 gflops
line "GEMM (2708×1433)ᵀ·2708×64 GFLOP/s" g2 gflops
line "GEMM 1024³ GFLOP/s" g3 gflops
line "clock GHz (highest seen)" cora ghz
