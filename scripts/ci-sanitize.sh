#!/usr/bin/env bash
# CI stage: every unit test (and the programs test_apps runs) built with AddressSanitizer and
# UndefinedBehaviorSanitizer, in their own build directory. Any report fails the stage: the
# sanitizers abort the process that hits one, and their logs are collected so that a report
# from a child process (gat-train run by test_apps) fails it too.
#   bash scripts/ci-sanitize.sh                       # build-asan/, all tests
#   GATGRAD_ASAN_BUILD=dir bash scripts/ci-sanitize.sh  # another build directory
#   GATGRAD_SANITIZE_SKIP='regex' ...                   # skip the CTest tests whose names match
#   GATGRAD_SANITIZE_PROGRAMS='gat-train gradcheck' ... # the programs the tests run (built too)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${GATGRAD_ASAN_BUILD:-build-asan}
start=$SECONDS

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATGRAD_SANITIZE=ON -DGATGRAD_BUILD_TESTS=ON >/dev/null
# The option must reach the compiler: an unsanitized build would pass silently.
if ! grep -q -- '-fsanitize=address,undefined' "$build/compile_commands.json" ||
   ! grep -q -- '-fno-sanitize-recover=all' "$build/compile_commands.json"; then
  echo "ci-sanitize: $build is not compiled with -fsanitize=address,undefined -fno-sanitize-recover=all" >&2
  exit 1
fi
# The test executables (test_*) and the programs they run; not the benchmarks.
programs=${GATGRAD_SANITIZE_PROGRAMS:-gat-train}
targets=$(cmake --build "$build" --target help | sed -n 's/^\.\.\. \(test_[A-Za-z0-9_]*\).*/\1/p' | sort -u)
[ -n "$targets" ] || { echo "ci-sanitize: no test_* targets in $build" >&2; exit 1; }
cmake --build "$build" -j2 --target $targets $programs
built=$SECONDS

logs="$build/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$PWD/$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$PWD/$logs/ubsan"
export LSAN_OPTIONS="log_path=$PWD/$logs/lsan"
ctest_args=(--test-dir "$build" --output-on-failure -j2 --timeout 900)
if [ -n "${GATGRAD_SANITIZE_SKIP:-}" ]; then
  echo "ci-sanitize: skipping the tests matching '$GATGRAD_SANITIZE_SKIP'"
  ctest_args+=(-E "$GATGRAD_SANITIZE_SKIP")
fi
status=0
ctest "${ctest_args[@]}" || status=$?

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  echo "ci-sanitize: sanitizer reports:" >&2
  for f in $reports; do
    echo "---- $f" >&2
    cat "$f" >&2
  done
  status=1
fi
echo "ci-sanitize: build $((built - start)) s, tests $((SECONDS - built)) s, total $((SECONDS - start)) s"
exit $status
