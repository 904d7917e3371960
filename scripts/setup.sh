#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything a bare Debian 12 (bookworm) needs to build and test cni-bridge, then
# builds. Idempotent: apt is skipped when every package is already installed, and cmake only
# rebuilds what changed.
#
#   scripts/setup.sh            install + static Release build in build/
#   scripts/setup.sh --asan     ... and an ASan/UBSan build of everything in build-asan/
#   scripts/setup.sh --fuzz     install + only the libFuzzer targets in build-fuzz/ (clang; scripts/fuzz.sh)
#   scripts/setup.sh --deps     install only
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

want_build=1
want_asan=0
want_fuzz=0
for arg in "$@"; do
  case "$arg" in
    --asan) want_asan=1 ;;
    --fuzz) want_fuzz=1 ;;
    --deps) want_build=0 ;;
    -h|--help) sed -n '3,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake pkg-config git file
  libnl-3-dev libnl-route-3-dev nlohmann-json3-dev libgtest-dev
  iproute2 iptables nftables iputils-ping procps
  python3                      # conformance/run.py (standard library only)
  clang-format clang-tidy shellcheck   # scripts/lint.sh
  strace                       # the fault-injection tests
  clang libclang-rt-14-dev     # scripts/fuzz.sh: clang++ and its libFuzzer + sanitizer runtimes
  containernetworking-plugins  # the reference plugins, for side-by-side runs
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install packages" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present, skipping apt"
fi

((want_build)) || exit 0

jobs=$(nproc 2>/dev/null || echo 2)

if ((want_fuzz)); then
  # Every library with libFuzzer's coverage instrumentation, ASan and UBSan; only the fuzz
  # executables are built (fuzz/README.md). Line tables are all the sanitizers' stacks need,
  # and build in half the time of full debug information.
  cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only" -DCNB_FUZZ=ON
  cmake --build build-fuzz --target cnb_fuzzers -j"$jobs"
  exit 0
fi

# The shipping configuration: statically linked executables in build/bin, optimised for size:
# a plugin runs for milliseconds and its resident memory is mostly its own code, while the time
# goes to the kernel (-Os measured no slower per call than -O2, and a quarter smaller).
# Not CMake's -O3: GCC 12's -O3 raises a false -Wrestrict in std::string (GCC bug 105329), and
# warnings are errors.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-Os -DNDEBUG" -DCNB_STATIC=ON
cmake --build build -j"$jobs"

if ((want_asan)); then
  # Everything (tests and the executables they run) with address + undefined sanitizers.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCNB_SANITIZE=ON
  cmake --build build-asan -j"$jobs"
fi
