# Cross-compiling gatgrad for aarch64 on Debian 12 (x86-64 host), and running its tests under qemu:
#   apt-get install g++-aarch64-linux-gnu qemu-user-static
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install libtbb-dev:arm64 libboost-test-dev:arm64 zlib1g-dev:arm64
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
#   cmake --build build-aarch64 -j2 && ctest --test-dir build-aarch64
# (scripts/install-deps.sh --cross-aarch64 installs the packages; scripts/ci-aarch64.sh does it all.)
# The programs run as `qemu-aarch64-static -L / prog` on Debian's arm64 multiarch libraries: with
# -L pointing at the cross toolchain's own sysroot instead, even a two-thread program hangs.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/qemu-aarch64-static -L /)
# xsimd, xtl and xtensor are header-only: Debian installs their CMake packages in the host's multiarch folder.
set(xsimd_DIR /usr/lib/x86_64-linux-gnu/cmake/xsimd CACHE PATH "xsimd's CMake package (header-only)")
set(xtl_DIR /usr/lib/x86_64-linux-gnu/cmake/xtl CACHE PATH "xtl's CMake package (header-only)")
set(xtensor_DIR /usr/lib/x86_64-linux-gnu/cmake/xtensor CACHE PATH "xtensor's CMake package (header-only)")
