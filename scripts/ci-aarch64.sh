#!/usr/bin/env bash
# CI stage: gatgrad cross-compiled for aarch64 (Debian's g++-aarch64-linux-gnu and arm64
# multiarch libraries) and its test suite run under qemu-aarch64 (NEON kernels), the bit-identity
# constants of tests/test_isa_bits.cpp included; scripts/skip-cases.sh lists what it skips.
#   bash scripts/ci-aarch64.sh [BUILD_DIR]    (default: build-aarch64)
# CTest runs each test under `qemu-aarch64-static -L /` (the toolchain file's emulator), and the
# programs the tests start go through it too (GATGRAD_TEST_EMULATOR).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-aarch64}
start=$SECONDS
bash scripts/install-deps.sh --cross-aarch64
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake >/dev/null
cmake --build "$build" -j"$(nproc)" 2>&1 | tee "$build/build.log" | grep -E 'warning:|error:' && {
  echo "ci-aarch64: the cross build reports warnings or errors" >&2
  exit 1
}
built=$SECONDS
source scripts/skip-cases.sh  # the few slow accuracy cases (see there)
skip_slow_cases ci-aarch64 "$build" "$emulated_skip_cases" qemu-aarch64-static -L /
[ -z "$emulated_skip_tests" ] || echo "ci-aarch64: not run emulated (natively in the other stages): $emulated_skip_tests"
ctest --test-dir "$build" -j"$(nproc)" --timeout 1800 --output-on-failure ${emulated_skip_tests:+-E "$emulated_skip_tests"}
echo "ci-aarch64: build $((built - start)) s, tests under qemu $((SECONDS - built)) s, total $((SECONDS - start)) s"
