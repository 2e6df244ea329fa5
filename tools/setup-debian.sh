#!/usr/bin/env bash
# Installs every Debian 12 package menshen needs to build, test, fuzz and benchmark.
# Safe to run again; needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libvectorscan-dev          # Hyperscan API (hs.h, libhs.pc); libhyperscan-dev works too
  libicu-dev                 # Unicode data for the fold-table generator
  libabsl-dev                # status, strings, hashing, containers, synchronisation
  libprotobuf-dev protobuf-compiler   # schemas, text format and JSON
  libssl-dev                 # SHA-256 (libcrypto) for pack checksums and audit chains
  libgtest-dev libgmock-dev  # GoogleTest
  libbenchmark-dev           # Google Benchmark
  python3 python3-pytest python3-cffi
  clang libclang-rt-14-dev   # libFuzzer and sanitizer runtimes
)

# Keep an installed libhyperscan-dev: it provides the same libhs and conflicts with Vectorscan.
if dpkg-query -W -f='${Status}' libhyperscan-dev 2>/dev/null | grep -q 'install ok installed'; then
  packages=("${packages[@]/libvectorscan-dev/libhyperscan-dev}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
