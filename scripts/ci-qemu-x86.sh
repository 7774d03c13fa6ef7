#!/usr/bin/env bash
# CI stage: the portable x86-64 build's test suite under qemu-x86_64 on a CPU model without AVX
# (Nehalem: SSE4.2, no AVX), so that an AVX instruction leaking into code that runs there (the
# baseline code, or a wrong choice of level) fails with SIGILL instead of passing unnoticed.
#   bash scripts/ci-qemu-x86.sh [BUILD_DIR]     (default: build, the README's Release build)
#   GATGRAD_QEMU_CPU=<model>                   another CPU model (qemu-x86_64-static -cpu help)
# Each test executable runs under the emulator, and the programs the tests start go through it
# too (GATGRAD_TEST_EMULATOR, tests/testing.hpp); the shell-driven tests run through CTest with
# the same variable. First it checks that the kernels choose sse2 there, and that asking for
# avx2 is refused with a clear error.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
cpu=${GATGRAD_QEMU_CPU:-Nehalem-v1}
bash scripts/install-deps.sh qemu-user-static >/dev/null
emu="/usr/bin/qemu-x86_64-static -cpu $cpu"
export GATGRAD_TEST_EMULATOR="$emu"
start=$(date +%s)
fail() { echo "ci-qemu-x86: $*" >&2; exit 1; }

isa=$($emu "$build/bin/gat-bench" gemm --m 8 --k 8 --n 8 --repeats 1 | sed -n 's/^isa=//p')
[ "$isa" = sse2 ] || fail "on $cpu the kernels chose '$isa', not sse2"
if err=$(GATGRAD_ISA=avx2 $emu "$build/bin/gat-train" --epochs 1 2>&1); then fail "GATGRAD_ISA=avx2 ran on $cpu"; fi
case $err in *"asked for (GATGRAD_ISA), but this CPU runs at most sse2"*) ;; *) fail "GATGRAD_ISA=avx2 on $cpu: '$err'" ;; esac
echo "ci-qemu-x86: on $cpu the kernels run at sse2; GATGRAD_ISA=avx2 is refused"
source scripts/skip-cases.sh  # the few slow accuracy cases (see there)
skip_slow_cases ci-qemu-x86 "$build" "$emulated_skip_cases" $emu

# one test: its executable under the emulator, or (a shell-driven test) through CTest
run_one() {
  local name=$1
  case $name in python_*)  # the interpreter is the machine's: under qemu it would be the native run again
    echo "ci-qemu-x86: $name skipped (the Python module's tests run natively, in the Release stage)"; return 0 ;;
  esac
  if [ -x "$build/bin/$name" ]; then
    (cd "$build" && timeout 1800 $GATGRAD_TEST_EMULATOR "bin/$name" >"$build/qemu-$name.log" 2>&1)
  else
    ctest --test-dir "$build" -R "^$name\$" --output-on-failure >"$build/qemu-$name.log" 2>&1
  fi || { echo "FAILED $name"; tail -n 30 "$build/qemu-$name.log"; return 1; }
  echo "ci-qemu-x86: $name passed"
}
export -f run_one
export build
status=0
[ -z "$emulated_skip_tests" ] || echo "ci-qemu-x86: not run emulated (natively in the other stages): $emulated_skip_tests"
ctest --test-dir "$build" -N | sed -n 's/^ *Test *#[0-9]*: //p' | { grep -Ev "${emulated_skip_tests:-^$}" || true; } |
  xargs -P "$(nproc)" -I{} bash -c 'run_one {}' || status=1
[ $status -eq 0 ] || fail "some tests failed under qemu -cpu $cpu (see FAILED above)"
echo "ci-qemu-x86: every test passed under qemu-x86_64 -cpu $cpu in $(( $(date +%s) - start )) s"
