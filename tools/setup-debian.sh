#!/usr/bin/env bash
# Installs every Debian 12 package menshen needs to build, test, fuzz and benchmark.
# Safe to run again; needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  HYPERSCAN                  # Hyperscan API (hs.h, libhs.pc): chosen below
  libicu-dev                 # Unicode data for the fold-table generator
  icu-devtools unicode-data  # uconv (Han-Latin readings) and Unihan for the variant tables
  libabsl-dev                # status, strings, hashing, containers, synchronisation
  libprotobuf-dev protobuf-compiler   # schemas, text format and JSON
  libssl-dev                 # SHA-256 (libcrypto) for pack checksums and audit chains
  libgtest-dev libgmock-dev  # GoogleTest
  libbenchmark-dev           # Google Benchmark
  python3 python3-pytest python3-cffi  # Python bindings (cffi ABI mode) and their tests
  python3-aiohttp            # menshen.server: the guarded OpenAI-compatible proxy
  python3-venv python3-setuptools python3-wheel  # offline `pip install ./bindings/python` into a venv
  clang libclang-rt-14-dev   # libFuzzer and sanitizer runtimes
  libxlsxwriter-dev          # .xlsx evidence reports (self-test, corpus audit, library export)
  python3-openpyxl           # tests read the reports back as a spreadsheet program would
  zlib1g-dev libzstd-dev     # corpus audit reads .gz and .zst corpus files; benchmarks read gzipped manual pages
  manpages manpages-zh fortunes-zh  # benchmarks: English and Chinese technical text (bench/workloads.h)
  libminizip-dev libexpat1-dev  # pack import reads .xlsx lists (no xlsx reader library in Debian 12)
  python3-jieba              # its word-frequency list drops everyday words when importing lists
  python3-dask python3-distributed  # menshen.dask: corpus audits on a Dask cluster
)

# Both provide libhs and conflict with each other. On x86-64 Intel's Hyperscan:
# Debian 12's Vectorscan (5.4.9) misses regex matches at random on AVX-512
# machines (tests/match/hyperscan_test.cc; README, "Dependencies"). Elsewhere
# Vectorscan, the one that runs on ARM. Installing one replaces the other.
if [ "$(dpkg --print-architecture)" = amd64 ]; then
  packages=("${packages[@]/HYPERSCAN/libhyperscan-dev}")
  other=(libvectorscan-dev libvectorscan5)
else
  packages=("${packages[@]/HYPERSCAN/libvectorscan-dev}")
  other=(libhyperscan-dev libhyperscan5)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
remove=()  # apt's "package-" form: remove it in the same transaction
for p in "${other[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' && remove+=("$p-")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" "${remove[@]}"
fi
