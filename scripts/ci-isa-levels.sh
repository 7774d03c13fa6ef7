#!/usr/bin/env bash
# CI stage: the suites of the kernels (elementwise, GEMM, sparse products, message passing, the
# fused attention, edge features), the bit identity, determinism, the models and link prediction, once per instruction-set level
# this CPU supports, through GATGRAD_ISA (the default run picked the best level only).
#   bash scripts/ci-isa-levels.sh [BUILD_DIR]   (default: build, the README's Release build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
suites='^(test_autograd|test_gemm|test_spmm|test_message_passing|test_gat_attention|test_isa_bits|test_determinism|test_models|test_optim|test_gradcheck|test_edge_features|test_graph_batches|test_link_training|test_graph_classification)$'
levels=$("$build/bin/gat-bench" isa | sed -n 's/^isa_supported=//p')
[ -n "$levels" ] || { echo "ci-isa-levels: gat-bench cannot list the levels" >&2; exit 1; }
for level in $levels; do
  echo "ci-isa-levels: GATGRAD_ISA=$level"
  GATGRAD_ISA=$level ctest --test-dir "$build" -j"$(nproc)" -R "$suites" --output-on-failure | tail -n 3
done
