#!/usr/bin/env bash
# Runs every test: the C++ suites (GoogleTest through CTest) in a normal build,
# again under AddressSanitizer + UndefinedBehaviorSanitizer, and the
# concurrency tests under ThreadSanitizer. Installs what is missing first, so
# it works on a new machine. Build folders: build (the one tools/quickstart.sh
# made, reused: only the tests are added to it), build-asan, build-tsan.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-debian.sh
jobs=$(nproc)

run_suite() {  # folder, cmake args..., then -- ctest args...; $targets limits the build
  local dir=$1; shift
  local cmake_args=() ctest_args=()
  while (($#)) && [[ $1 != -- ]]; do cmake_args+=("$1"); shift; done
  (($#)) && shift
  ctest_args=("$@")
  echo "== $dir"
  cmake -S . -B "$dir" -G Ninja -DMENSHEN_BUILD_BENCH=OFF -DMENSHEN_BUILD_TESTS=ON "${cmake_args[@]}" > /dev/null
  cmake --build "$dir" -j "$jobs" ${targets:+--target $targets}
  ctest --test-dir "$dir" -j "$jobs" --output-on-failure --timeout 600 "${ctest_args[@]}"
}

run_suite "${MENSHEN_BUILD:-build}" -DCMAKE_BUILD_TYPE=RelWithDebInfo
# Sanitizers: a crash or report is a failure (halt_on_error is the default for
# ASan; UBSan is told to halt too).
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1
run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DMENSHEN_SANITIZE=address,undefined
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
# The concurrency tests are the ones named Reload*, Concurren* or *Thread* in these
# targets, among them (issue 18) StreamConcurrency.StreamsDuringReloads,
# AuditDurabilityTest.ConcurrentSyncedWritersShareSyncs and
# PolicyAuditTest.ConcurrentChecksWithASyncedFailClosedSink. (The Python binding's
# close()/reload lifetimes run under ASan in build-asan: python_lifetimes_asan.)
targets="engine_test policy_audit_test audit_test stream_test capi_thread_test" run_suite build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMENSHEN_SANITIZE=thread -- -R 'Reload|Concurren|Thread'
