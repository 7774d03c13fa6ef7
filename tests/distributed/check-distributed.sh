#!/usr/bin/env bash
# distributed (CTest, built with MPI and METIS): gat-partition and `mpirun gat-train --partitions`
# checked from the outside.
#   1. the same bits for any rank count: on the synthetic graph (also a 3-layer residual GATv2
#      with edge features) and on Cora, the plain single-process mini-batch run and
#      `mpirun -np 1/2/4` give byte-identical losses and accuracies (the metrics JSON without its
#      timings) and checkpoints (every file);
#   2. a rank killed mid-run ends the job with a non-zero exit naming the rank, within a
#      timeout (no hang); the run's last checkpoint (--checkpoint-every 1) resumed with another
#      rank count ends at the bits of the uninterrupted run;
#   3. bad input: more parts than nodes, a folder that is not a partition folder, a job with
#      another number of ranks than parts, --data with --partitions, a damaged part file: a clear
#      message naming the problem (and the rank), a non-zero exit, nothing hangs.
# Cora is read from ../shared/datasets/cora; without it, its part says SKIPPED.
#
# usage: check-distributed.sh BIN_DIR SHARED_DIR
set -euo pipefail
bin=$1
shared=$2
emu=${GATGRAD_TEST_EMULATOR:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/gatgrad-distributed.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "distributed: FAILED: $*" >&2; exit 1; }
# A sanitized build: Open MPI's own allocations at exit are not leaks of ours (lsan-openmpi.supp).
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}fast_unwind_on_malloc=0:print_suppressions=0:suppressions=$(cd "$(dirname "$0")" && pwd)/lsan-openmpi.supp"
export OMPI_MCA_mca_base_component_disable_dlclose=1  # so that a leak names its component
# vader: no single-copy (process_vm_readv), which containers and qemu-user refuse.
mpi() { OMPI_MCA_btl_vader_single_copy_mechanism=none timeout 600 mpirun --allow-run-as-root --oversubscribe -np "$@"; }
train() { timeout 600 $emu "$bin/gat-train" "$@"; }
partition() { timeout 600 $emu "$bin/gat-partition" "$@"; }

# What must not depend on the rank count: the metrics without their timings and sizes, and
# every file of the checkpoint.
fingerprint() {  # METRICS_JSON CHECKPOINT_DIR
  grep -v -e '"epoch_ms_median"' -e '"train_seconds"' -e '"peak_rss_mb"' -e '"threads"' "$1" | sha256sum | cut -c1-16
  (cd "$2" && find . -type f ! -path './resume/*' | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16
}

# same_bits NAME "GRAPH_OPTIONS" "TRAIN_OPTIONS" PARTS...: single process, then each rank count.
# GRAPH_OPTIONS (--data DIR, or the synthetic graph's --seed and sizes) go to gat-partition and
# to the single process; the ranks read the graph from the partitions (and take --seed).
same_bits() {
  local name=$1 graph=$2 opts=$3
  shift 3
  # shellcheck disable=SC2086
  train $graph $opts --quiet --metrics-json "$work/$name-single.json" --save "$work/$name-single"
  local want
  want=$(fingerprint "$work/$name-single.json" "$work/$name-single")
  echo "distributed: $name single process: $(echo $want)"
  local P
  for P in "$@"; do
    # shellcheck disable=SC2086
    partition $graph --parts "$P" --out "$work/$name-p$P" --quiet
    # shellcheck disable=SC2086
    mpi "$P" $emu "$bin/gat-train" --partitions "$work/$name-p$P" $(seed_of "$graph") $opts --quiet \
      --metrics-json "$work/$name-np$P.json" --save "$work/$name-np$P"
    local got
    got=$(fingerprint "$work/$name-np$P.json" "$work/$name-np$P")
    echo "distributed: $name mpirun -np $P:    $(echo $got)"
    [ "$got" = "$want" ] || fail "$name: -np $P differs from one process (metrics or checkpoint)"
  done
}
seed_of() { sed -n 's/.*\(--seed [0-9]*\).*/\1/p' <<<"$1"; }

# ---- 1. the same bits ----
same_bits synthetic "--seed 3" "--batch-size 32 --fanout 5,5 --micro-batches 4 --epochs 12" 1 2 4
same_bits residual-gatv2-edges "--seed 9 --nodes 1700 --edges 10000 --features 12 --classes 3 --train-per-class 30 --edge-features 3" \
  "--layers 3 --residual --model gatv2 --hidden 4 --heads 2 --batch-size 24 --micro-batches 3 --epochs 3" 1 2 4
same_bits synthetic-3000 "--seed 5 --nodes 3000 --edges 30000 --features 24 --classes 4 --train-per-class 60" \
  "--batch-size 64 --fanout 10,5 --micro-batches 3 --epochs 6 --model gatv2" 2 4
if [ -f "$shared/datasets/cora/x.npy" ]; then
  cora="--data $shared/datasets/cora"
  same_bits cora "$cora" "--batch-size 64 --fanout 10,10 --micro-batches 4 --epochs 8 --threads 1" 2 4
else
  echo "distributed: SKIPPED Cora: $shared/datasets/cora not found"
fi

# ---- 2. a rank killed mid-run, resumed with another rank count ----
run_opts="--seed 3 --batch-size 16 --fanout 5,5 --micro-batches 4 --epochs 60 --patience 1000"
# shellcheck disable=SC2086
train $run_opts --quiet --metrics-json "$work/whole.json" --save "$work/whole"
partition --seed 3 --parts 2 --out "$work/kill-p2" --quiet
ckpt="$work/killed"
# shellcheck disable=SC2086
mpi 2 $emu "$bin/gat-train" --partitions "$work/kill-p2" $run_opts --quiet --checkpoint-every 1 --save "$ckpt" \
  >"$work/killed.out" 2>"$work/killed.err" &
job=$!
for _ in $(seq 600); do [ -f "$ckpt/resume/config.json" ] && break; sleep 0.05; done
[ -f "$ckpt/resume/config.json" ] || fail "no checkpoint appeared in $ckpt"
victim=""
for p in $(pgrep -f "gat-train --partitions $work/kill-p2"); do
  grep -qz '^OMPI_COMM_WORLD_RANK=1$' "/proc/$p/environ" 2>/dev/null && victim=$p
done
[ -n "$victim" ] || fail "rank 1 of the job not found"
kill -9 "$victim"
status=0
wait "$job" || status=$?
[ "$status" != 0 ] || fail "the job whose rank 1 was killed exited 0"
[ "$status" != 124 ] || fail "the job whose rank 1 was killed hung"
grep -q "rank 1" "$work/killed.err" || fail "the job's error does not name rank 1: $(cat "$work/killed.err")"
echo "distributed: rank 1 killed: exit $status, '$(grep -m1 "rank 1" "$work/killed.err" | sed 's/^ *//')'"
epoch=$(sed -n 's/.*"epoch": *\([0-9]*\).*/\1/p' "$ckpt/resume/config.json" | head -n1)
partition --seed 3 --parts 4 --out "$work/kill-p4" --quiet
mpi 4 $emu "$bin/gat-train" --partitions "$work/kill-p4" --resume "$ckpt" --quiet --metrics-json "$work/resumed.json"
[ "$(fingerprint "$work/resumed.json" "$ckpt")" = "$(fingerprint "$work/whole.json" "$work/whole")" ] ||
  fail "resumed on 4 ranks from epoch $epoch: not the bits of the uninterrupted run"
echo "distributed: resumed from epoch $epoch on 4 ranks: the uninterrupted run's bits ($(fingerprint "$work/whole.json" "$work/whole" | tr '\n' ' '))"

# ---- 3. bad input ----
expect_error() {  # WHAT PATTERN COMMAND...: non-zero exit (not a timeout), PATTERN in stderr
  local what=$1 pattern=$2
  shift 2
  local out status=0
  out=$("$@" 2>&1 >/dev/null) || status=$?
  [ "$status" != 0 ] || fail "$what: exit 0"
  [ "$status" != 124 ] || fail "$what: hung"
  grep -q -- "$pattern" <<<"$out" || fail "$what: no '$pattern' in: $out"
  echo "distributed: $what: exit $status, '$(grep -m1 -- "$pattern" <<<"$out")'"
}
expect_error "more parts than nodes" "is more than the graph's 2000 nodes" partition --parts 2001 --out "$work/too-many"
mkdir -p "$work/precious" && echo keep >"$work/precious/file"
expect_error "--out not a partition folder" "not a partition folder" partition --parts 2 --out "$work/precious"
[ "$(cat "$work/precious/file")" = keep ] || fail "--out not a partition folder: its file was changed"
expect_error "2 parts on 1 rank" "rank 0: --partitions .* has 2 parts, the job 1 ranks" \
  mpi 1 $emu "$bin/gat-train" --partitions "$work/kill-p2" --batch-size 16
expect_error "--data with --partitions" "not with --data" \
  train --partitions "$work/kill-p2" --data "$work/precious" --batch-size 16
cp -r "$work/kill-p2" "$work/damaged"
head -c 100 "$work/kill-p2/part-1/in_src.npy" >"$work/damaged/part-1/in_src.npy"
expect_error "a damaged part" "rank 1: .*part-1/in_src.npy" \
  mpi 2 $emu "$bin/gat-train" --partitions "$work/damaged" --seed 3 --batch-size 16
echo "distributed: all checks passed"
