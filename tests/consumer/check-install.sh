#!/usr/bin/env bash
# install_consumer (CTest): gatgrad as an installed CMake package, checked from the outside.
#   1. `cmake --install` of the build into <build>/consumer-prefix (removed first);
#   2. the exported targets carry none of gatgrad's own flags (gatgrad_flags: -march=native, -O3,
#      -Wall, -Wextra, -fsanitize...), no private dependency (xsimd) and no absolute path into the
#      source or build tree (the installed package is relocatable);
#   3. tests/consumer is configured against the prefix (found through CMAKE_PREFIX_PATH alone)
#      and built with -Wall -Wextra and no build type: its compile command must hold no
#      -march=native, -O3 or sanitizer flag (none of gatgrad's flags reached it) and the build no
#      warning;
#   4. README.md shows the consumer's snippet verbatim (main.cpp between "README: begin/end");
#   5. `predict --self-test` passes, and `predict CKPT` on a checkpoint written by
#      `gat-train --save` finds exactly the val/test accuracy gat-train reported; the xtensor
#      example (examples/xtensor_round_trip.cpp, built with the consumer) passes its checks.
# A build with -DGATGRAD_SANITIZE=ON has sanitized libraries: the consumer is then compiled and
# linked with the same sanitizers, as the package's users would have to (gatgrad_SANITIZE).
#
# A cross-compiled build (TOOLCHAIN_FILE given) configures the consumer with the same toolchain
# file and runs the programs under GATGRAD_TEST_EMULATOR.
#
# usage: check-install.sh CMAKE BUILD_DIR CONFIG SOURCE_DIR CXX_COMPILER GENERATOR GAT_TRAIN SANITIZE [TOOLCHAIN_FILE]
#   (tests/CMakeLists.txt passes the build's own cmake, directories, compiler and generator)
set -euo pipefail
[ $# -eq 8 ] || [ $# -eq 9 ] ||
  { echo "usage: $0 CMAKE BUILD_DIR CONFIG SOURCE_DIR CXX_COMPILER GENERATOR GAT_TRAIN SANITIZE [TOOLCHAIN_FILE]" >&2; exit 2; }
cmake=$1 build=$2 config=$3 source=$4 cxx=$5 generator=$6 gat_train=$7 sanitize=$8 toolchain=${9:-}
emu=${GATGRAD_TEST_EMULATOR:-}
prefix=$build/consumer-prefix
consumer_build=$build/consumer-build
work=$build/consumer-work
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

rm -rf "$prefix" "$consumer_build" "$work"
mkdir -p "$work"

step "1. cmake --install $build${config:+ --config $config} --prefix $prefix"
"$cmake" --install "$build" ${config:+--config "$config"} --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log"; fail "cmake --install failed"; }
pkg=$prefix/lib/cmake/gatgrad
for f in gatgradConfig.cmake gatgradConfigVersion.cmake gatgradTargets.cmake include/gatgrad/gatgrad.hpp \
         include/gatgrad/autograd/tensor.hpp include/gatgrad/models/gat.hpp; do
  case $f in include/*) p=$prefix/$f ;; *) p=$pkg/$f ;; esac
  [ -f "$p" ] || fail "not installed: $p"
done
echo "installed $(grep -c '^-- Installing' "$work/install.log") files"

step "2. the exported targets carry no build flag, private dependency or absolute path"
leaks=$(for f in "$pkg"/*.cmake; do grep -nv '^[[:space:]]*#' "$f" | sed "s|^|${f##*/}:|"; done |  # code, not comments
        grep -E -e '-march|-mtune|-O[0-3s]\b|-Wall|-Wextra|-fsanitize|-fno-omit|gatgrad_flags|xsimd|xtl' -e "$source" || true)
[ -z "$leaks" ] || { echo "$leaks"; fail "the package files above name a build flag, xsimd, or a path of the build"; }
grep -q 'INTERFACE_LINK_LIBRARIES' "$pkg/gatgradTargets.cmake" || fail "gatgradTargets.cmake has no link interface"
echo "ok: no -march/-O/-W/-fsanitize, no xsimd, no path into $source"

step "3. configure and build tests/consumer against $prefix"
flags="-Wall -Wextra"
[ "$sanitize" = ON ] && flags="$flags -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
"$cmake" -S "$source/tests/consumer" -B "$consumer_build" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" \
  ${toolchain:+-DCMAKE_TOOLCHAIN_FILE="$toolchain"} \
  -DCMAKE_BUILD_TYPE= -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="$flags" \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "the consumer does not configure"; }
found=$(sed -n 's/^gatgrad_DIR:PATH=//p' "$consumer_build/CMakeCache.txt")
[ "$found" = "$pkg" ] || fail "find_package(gatgrad) found '$found', not $pkg"
"$cmake" --build "$consumer_build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "the consumer does not build"; }
if grep -q 'warning:' "$work/build.log"; then cat "$work/build.log"; fail "the consumer builds with warnings"; fi
command=$(grep '"command"' "$consumer_build/compile_commands.json") || fail "no compile command"
echo "${command#*\"command\": }"
case $command in *-march=native*) fail "-march=native reached the consumer's compile command" ;; esac
case $command in *-O3*) fail "-O3 reached the consumer's compile command" ;; esac
if [ "$sanitize" != ON ]; then
  case $command in *-fsanitize*) fail "a sanitizer flag reached the consumer's compile command" ;; esac
fi
echo "ok: none of gatgrad's build flags (-march=native, -O3$([ "$sanitize" = ON ] || echo ', -fsanitize')) in the consumer's compile command"

step "4. README.md shows the consumer's snippet verbatim"
perl -e '
  local $/; open(my $m, "<", $ARGV[0]) or die; my $main = <$m>; open(my $r, "<", $ARGV[1]) or die; my $readme = <$r>;
  my ($snippet) = $main =~ m{^// README: begin\n(.*?)^// README: end\n}ms or die "no README markers in $ARGV[0]\n";
  index($readme, "```cpp\n$snippet```\n") >= 0 or die "README.md does not show the snippet of $ARGV[0] as a cpp block\n";
' "$source/tests/consumer/main.cpp" "$source/README.md" || fail "README.md and tests/consumer/main.cpp differ"
echo "ok"

step "5a. predict --self-test"
$emu "$consumer_build/predict" --self-test "$work" || fail "the consumer's self-test"

step "5b. predict on a checkpoint of gat-train --save"
$emu "$gat_train" --epochs 40 --heads 2 --lr 0.02 --seed 3 --threads 2 --save "$work/gat-train-ckpt" >"$work/gat-train.log" 2>&1 ||
  { cat "$work/gat-train.log"; fail "gat-train --save"; }
expected=$(grep -o 'val_accuracy=[0-9.]* test_accuracy=[0-9.]*' "$work/gat-train.log" | tail -n 1)
echo "gat-train:  $expected"
out=$($emu "$consumer_build/predict" "$work/gat-train-ckpt") || { printf '%s\n' "$out"; fail "predict CKPT"; }
printf '%s\n' "$out"
got=$(printf '%s\n' "$out" | grep -o 'val_accuracy=[0-9.]* test_accuracy=[0-9.]*' | tail -n 1)
[ -n "$expected" ] && [ "$got" = "$expected" ] || fail "predict found '$got', gat-train reported '$expected'"
step "5c. xtensor-round-trip (examples/xtensor_round_trip.cpp, built against $prefix)"
out=$($emu "$consumer_build/xtensor-round-trip") || { printf '%s\n' "$out"; fail "xtensor-round-trip"; }
printf '%s\n' "$out"
[ "$(printf '%s\n' "$out" | tail -n 1)" = "xtensor-round-trip: PASS" ] || fail "xtensor-round-trip did not end with PASS"
echo "PASS: the installed package builds, links and runs a consumer"
