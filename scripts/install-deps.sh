#!/usr/bin/env bash
# Installs gatgrad's build dependencies from Debian 12's packages. Idempotent: installs only
# what is missing, so it is cheap to run before every build. Packages named as arguments are
# installed too (the CI stages ask for their own: scripts/ci-fuzz.sh wants clang,
# scripts/render-explain.sh chromium).
# perl: the docs checks and the install test read files with it (a minimal Debian, like the
# debian:bookworm image, has only perl-base). openmpi-bin, libopenmpi-dev, libmetis-dev:
# distributed training (gat-partition, mpirun gat-train --partitions); gatgrad builds without
# them, and then without those two. pybind11-dev, python3-dev, python3-numpy: the Python module
# (python/, for Debian's /usr/bin/python3); python3-pytest runs its tests, python3-scipy and
# python3-tqdm the parts of them about scipy.sparse features and the progress bar. gatgrad builds
# without them, and then without the module.
# bsdutils: /usr/bin/script, which gives test_apps' progress bar case a terminal.
#   bash scripts/install-deps.sh [PACKAGE ...]
#   bash scripts/install-deps.sh --cross-aarch64    also the aarch64 cross toolchain, Debian's arm64
#                                                  multiarch libraries and qemu (scripts/ci-aarch64.sh)
set -euo pipefail
extra=()
for arg in "$@"; do
  if [ "$arg" = --cross-aarch64 ]; then
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
      SUDO=""
      [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      $SUDO dpkg --add-architecture arm64
      $SUDO apt-get update -qq
    fi
    extra+=(g++-aarch64-linux-gnu qemu-user-static libtbb-dev:arm64 libboost-test-dev:arm64 zlib1g-dev:arm64)
  else
    extra+=("$arg")
  fi
done
packages=(g++ cmake make perl xtensor-dev libxsimd-dev libtbb-dev libboost-test-dev zlib1g-dev
          nlohmann-json3-dev libcli11-dev doxygen openmpi-bin libopenmpi-dev libmetis-dev
          pybind11-dev python3-dev python3-numpy python3-pytest python3-scipy python3-tqdm bsdutils "${extra[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
