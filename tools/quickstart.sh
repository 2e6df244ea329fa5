#!/usr/bin/env bash
# Installs the dependencies, builds menshen and runs the main job: a scan of
# the example prompts with the default packs compiled into the binary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup-debian.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
./build/tools/menshen/menshen scan examples/prompts.txt
