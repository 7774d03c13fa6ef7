# Sourced by the CI stages that skip a few slow Boost.Test cases (ci-sanitize.sh, ci-qemu-x86.sh,
# ci-aarch64.sh): skip_slow_cases STAGE BUILD_DIR "executable:case ..." [EMULATOR...] exports
# BOOST_TEST_RUN_FILTERS with one "!case" filter per entry, which every test executable reads (a
# filter matching no case of an executable is ignored). Each entry is checked against the
# executables' --list_content (run under the emulator when given), so that a renamed case is
# noticed and a case of the same name elsewhere is not skipped by mistake.
skip_slow_cases() {
  local stage=$1 build=$2 list=$3
  shift 3
  [ -n "$list" ] || return 0
  declare -A cases  # executable -> its --list_content (top-level cases unindented, "name*")
  local exe t entry test_case listed
  for exe in "$build"/bin/test_*; do cases[${exe##*/}]=$("$@" "$exe" --list_content 2>&1 || true); done
  local filters=()
  for entry in $list; do
    exe=${entry%%:*} test_case=${entry#*:}
    [ -n "${cases[$exe]+set}" ] || { echo "$stage: no test executable $exe to skip a case of" >&2; return 1; }
    for t in "${!cases[@]}"; do
      listed=0
      grep -qx "$test_case\*\?" <<<"${cases[$t]}" && listed=1
      if [ "$t" = "$exe" ] && [ $listed = 0 ]; then
        echo "$stage: $exe has no top-level case $test_case to skip (update the stage's list)" >&2
        return 1
      elif [ "$t" != "$exe" ] && [ $listed = 1 ]; then
        echo "$stage: skipping $test_case would skip it in $t too (a case of that name)" >&2
        return 1
      fi
    done
    filters+=("!$test_case")
    echo "$stage: skipping $exe/$test_case (the Release and every-level stages run it natively)"
  done
  BOOST_TEST_RUN_FILTERS=$(IFS=:; echo "${filters[*]}")
  export BOOST_TEST_RUN_FILTERS
}

# What the emulated stages (ci-qemu-x86.sh, ci-aarch64.sh) skip unless GATGRAD_EMULATED_SKIP_CASES
# says otherwise ("" runs everything): the cases that train for hundreds of epochs to check an
# accuracy (about 15 s of the suite natively, over 10 minutes emulated). The Release stage and
# every level of ci-isa-levels.sh (sse2 included) run them natively, NEON gives AVX2's bits
# (tests/test_isa_bits.cpp), and the layers, kernels and loops they train with run emulated in
# the other cases of the same suites.
emulated_skip_cases=${GATGRAD_EMULATED_SKIP_CASES-"test_edge_features:edge_features_raise_accuracy_on_a_heterophilous_graph \
test_edge_features:mini_batches_carry_edge_features_and_they_raise_accuracy \
test_models:training_on_the_synthetic_graph_reaches_high_accuracy \
test_link_training:training_learns_the_links_of_the_synthetic_graph \
test_graph_classification:gat_with_readout_finds_the_motif_an_mlp_cannot"}

# The CTest tests the emulated stages do not run at all unless GATGRAD_EMULATED_SKIP_TESTS (a
# regex; "" runs every test) says otherwise: those whose subject does not depend on the
# instruction set, and whose emulated run costs minutes of the stage (the Release and sanitizer
# stages run them natively): distributed (MPI ranks and partitions: the kernels they run are the
# other suites'), test_resume and test_faults (checkpoints, kills and full disks), install_consumer
# (the installed package; under ci-aarch64 a second cross build) and docs_links.
emulated_skip_tests=${GATGRAD_EMULATED_SKIP_TESTS-'^(distributed|test_resume|test_faults|install_consumer|docs_links)$'}
