#!/usr/bin/env bash
# CI stage: every CTest test built with AddressSanitizer + UndefinedBehaviorSanitizer
# (-DGATGRAD_SANITIZE=ON) in a build directory of its own, and run under them. Any report fails
# the stage: the sanitizers abort the process that hits one (-fno-sanitize-recover=all,
# abort_on_error, halt_on_error), and their logs are collected so that a report from a child
# process (gat-train run by test_apps, test_resume, test_divergence) fails it too.
#
# What is built: everything (the default target). The tests run gat-train and custom-gcn, and
# install_consumer installs every program (cmake --install), gat-bench, gradcheck and
# tape-demo included. -Og -g1: a third to half less compile time than -O1 (test_apps.cpp 35 s
# instead of 52 s, nn/checkpoint.cpp 18 s instead of 35 s) for the same test times (test_resume
# 109 s at both), and line tables are all a sanitizer's stack trace needs.
#
# What is skipped (GATGRAD_SANITIZE_SKIP_CASES, "executable:case" names of top-level Boost.Test
# cases; set it to "" to run everything): the slowest cases, which the Release stage (the README
# test command in .ci/run) runs in full, and whose code other tests run here:
#   test_models:training_on_the_synthetic_graph_reaches_high_accuracy
#       200 epochs of the cora preset on the 2000-node synthetic graph: ~6 s in Release, ~70 s
#       here (the rest of test_models: 0.1 s). It checks an accuracy, not memory: the same
#       training loop, layers and kernels run here in test_resume (60 epochs of gat-train on that
#       graph), test_apps and test_divergence.
#   test_edge_features:edge_features_raise_accuracy_on_a_heterophilous_graph
#   test_edge_features:mini_batches_carry_edge_features_and_they_raise_accuracy
#       up to 300 full-batch epochs of GAT and GATv2 with and without edge features, and 200
#       mini-batch epochs: ~5 s in Release, ~250 s here, the stage's last test to end. Accuracies
#       again: the edge-feature kernels, their backward and the blocks' edge rows run here in the
#       suite's other cases (fused against composed, the thread-count run, layer-wise inference).
#
#   bash scripts/ci-sanitize.sh
#   GATGRAD_ASAN_BUILD=dir            another build directory (default build-asan)
#   GATGRAD_SANITIZE_SKIP='regex'     also skip the CTest tests whose names match
set -euo pipefail
cd "$(dirname "$0")/.."
build=${GATGRAD_ASAN_BUILD:-build-asan}
skip_cases=${GATGRAD_SANITIZE_SKIP_CASES-"test_models:training_on_the_synthetic_graph_reaches_high_accuracy \
test_edge_features:edge_features_raise_accuracy_on_a_heterophilous_graph \
test_edge_features:mini_batches_carry_edge_features_and_they_raise_accuracy \
test_graph_classification:gat_with_readout_finds_the_motif_an_mlp_cannot"}
start=$SECONDS

# The kernels' instruction-set units instrumented for the lowest level this CPU runs (the one
# every machine runs) and the highest (the one the suites run by default); the levels between and
# those it cannot run are compiled plain (cmake/GatgradIsa.cmake says why). The levels come from
# the library itself, through the Release build's gat-bench (.ci/run builds it first); without
# one, every level is instrumented.
isa_levels=()
if [ -x build/bin/gat-bench ]; then
  read -r -a isa_levels <<<"$(build/bin/gat-bench isa | sed -n 's/^isa_supported=//p')"
fi
instrumented=""
if [ ${#isa_levels[@]} -gt 0 ]; then
  instrumented="${isa_levels[0]};${isa_levels[-1]}"
  echo "ci-sanitize: the kernel units of ${isa_levels[0]} and ${isa_levels[-1]} instrumented, the other levels' compiled plain"
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGATGRAD_SANITIZE=ON -DGATGRAD_BUILD_TESTS=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-Og -g1 -DNDEBUG" ${instrumented:+-DGATGRAD_SANITIZE_ISA_LEVELS="$instrumented"} >/dev/null
# The option must reach the compiler: an unsanitized build would pass silently.
if ! grep -q -- '-fsanitize=address,undefined' "$build/compile_commands.json" ||
   ! grep -q -- '-fno-sanitize-recover=all' "$build/compile_commands.json"; then
  echo "ci-sanitize: $build is not compiled with -fsanitize=address,undefined -fno-sanitize-recover=all" >&2
  exit 1
fi
# Everything (the default target, each target's sources two at a time): the tests run
# gat-train and custom-gcn, and install_consumer installs every program (cmake --install).
cmake --build "$build" -j2
built=$SECONDS

# The skipped cases (scripts/skip-cases.sh checks them against the executables).
source scripts/skip-cases.sh
skip_slow_cases ci-sanitize "$build" "$skip_cases"

logs="$PWD/$build/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
export LSAN_OPTIONS="log_path=$logs/lsan"
# A sanitizer's abort ends the test process there. Boost.Test would otherwise catch the SIGABRT,
# jump out of the sanitizer's report with its locks held and go on to the next case, where the
# process hangs until CTest's timeout (a heap-use-after-free in test_apps once cost 900 s so).
export BOOST_TEST_CATCH_SYSTEM_ERRORS=no
# CTest starts the longest tests first when it knows their durations, which a fresh build
# directory does not: seed them with those measured here under the sanitizers (seconds; only
# the order depends on them), so that test_resume, the longest, does not start last.
costs="$build/Testing/Temporary/CTestCostData.txt"
if [ ! -e "$costs" ]; then
  mkdir -p "${costs%/*}"
  printf '%s\n' "test_resume 1 109" "test_gemm 1 62" "test_determinism 1 36" "install_consumer 1 18" \
    "custom_gcn_cora 1 13" "test_apps 1 8" "---" >"$costs"
fi
ctest_args=(--test-dir "$build" --output-on-failure -j2 --timeout 900)
if [ -n "${GATGRAD_SANITIZE_SKIP:-}" ]; then
  echo "ci-sanitize: skipping the tests matching '$GATGRAD_SANITIZE_SKIP'"
  ctest_args+=(-E "$GATGRAD_SANITIZE_SKIP")
fi
status=0
ctest "${ctest_args[@]}" || status=1

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
