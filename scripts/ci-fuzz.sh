#!/usr/bin/env bash
# CI stage: the libFuzzer targets of fuzz/ (the .npy/.npz readers, the checkpoint reader), built
# with clang++ -fsanitize=fuzzer,address,undefined and run side by side for GATGRAD_FUZZ_SECONDS (60) each
# on a copy of their seed corpus. Any crash, leak, sanitizer report, timeout or out-of-memory
# fails the stage; the input that caused it is kept in <build>/artifacts/ and printed.
#   bash scripts/ci-fuzz.sh
#   GATGRAD_FUZZ_SECONDS=600 GATGRAD_FUZZ_BUILD=build-fuzz bash scripts/ci-fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${GATGRAD_FUZZ_SECONDS:-60}
build=${GATGRAD_FUZZ_BUILD:-build-fuzz}

# clang and its libFuzzer runtime, from Debian's packages when missing.
bash scripts/install-deps.sh clang libclang-rt-14-dev

start=$SECONDS
cmake -S fuzz -B "$build" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j2
built=$SECONDS

work=$(mktemp -d)
# fuzz_checkpoint writes a checkpoint directory per input: in memory when /dev/shm allows.
scratch=$(mktemp -d -p /dev/shm gatgrad-fuzz.XXXXXX 2>/dev/null || mktemp -d -p "$work")
trap 'rm -rf "$work" "$scratch"' EXIT
bin=$(cd "$build" && pwd)  # absolute, whether GATGRAD_FUZZ_BUILD was or not
artifacts="$bin/artifacts"
rm -rf "$artifacts"
mkdir -p "$artifacts"
# One fuzzer per core, side by side; then each one's result in turn.
fuzz() {
  local target=$1 max_len
  case $target in
    npy) max_len=4096 ;;
    checkpoint) max_len=8192 ;;
  esac
  cp -r "fuzz/corpus/$target" "$work/corpus-$target"  # the fuzzer adds to it: never the repo's
  (cd "$work" && TMPDIR="$scratch" "$bin/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -max_len=$max_len -timeout=20 -detect_leaks=1 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$target-" "corpus-$target" >"$work/$target.log" 2>&1)
}
targets=(npy checkpoint)
pids=()
for target in "${targets[@]}"; do
  echo "ci-fuzz: fuzz_$target for $seconds s"
  fuzz "$target" &
  pids+=($!)
done
status=0
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  rc=0
  wait "${pids[$i]}" || rc=$?
  echo "ci-fuzz: fuzz_$target:"
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' "$work/$target.log" || true
  if [ $rc -ne 0 ]; then
    echo "ci-fuzz: fuzz_$target failed (exit $rc):" >&2
    grep -v -E '^#[0-9]+ +(NEW|REDUCE|pulse|RELOAD|INITED)' "$work/$target.log" | tail -n 80 >&2
    status=1
  fi
done
for f in "$artifacts"/*; do
  [ -e "$f" ] || continue
  name=${f##*/}
  echo "ci-fuzz: $f -- reproduce with: $build/fuzz_${name%%-*} $f -- base64:" >&2
  base64 "$f" | head -c 20000 >&2
  echo >&2
done
echo "ci-fuzz: build $((built - start)) s, fuzzing $((SECONDS - built)) s, total $((SECONDS - start)) s"
exit $status
