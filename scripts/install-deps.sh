#!/usr/bin/env bash
# Installs gatgrad's build dependencies from Debian 12's packages. Idempotent: installs only
# what is missing, so it is cheap to run before every build. Packages named as arguments are
# installed too (the CI stages ask for their own: scripts/ci-fuzz.sh wants clang).
#   bash scripts/install-deps.sh [PACKAGE ...]
set -euo pipefail
packages=(g++ cmake make xtensor-dev libxsimd-dev libtbb-dev libboost-test-dev zlib1g-dev
          nlohmann-json3-dev libcli11-dev doxygen "$@")
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
