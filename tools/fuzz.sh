#!/usr/bin/env bash
# Fuzzes each target with libFuzzer under ASan+UBSan for SECONDS (default 60)
# each, growing the corpora in build-fuzz/corpus/. A crash leaves its input in
# build-fuzz/ and fails the script: add it to tests/fuzz/corpus/ with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
bash tools/setup-debian.sh
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMENSHEN_FUZZ=ON -DMENSHEN_SANITIZE=address,undefined -DMENSHEN_BUILD_BENCH=OFF > /dev/null
cmake --build build-fuzz --target fuzz_check fuzz_fold fuzz_mspack fuzz_pack_source fuzz_policy fuzz_stream
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for target in check fold mspack pack_source policy stream; do
  mkdir -p "build-fuzz/corpus/$target"
  (cd build-fuzz && "./tests/fuzz/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=4096 \
     "corpus/$target" "../tests/fuzz/corpus/$target")
done
