#!/usr/bin/env bash
# A new user's first command: installs the dependencies, builds only what a
# user runs (the library, the `menshen` CLI; tests, fuzzers and benchmarks
# off), installs them under a user prefix, installs the Python package into a
# virtual environment, and runs the main job: a scan of the example prompts
# with the default packs compiled into menshen.
#
#   MENSHEN_PREFIX  where to install (default ~/.local: bin/menshen, lib/, include/)
#   MENSHEN_VENV    the Python environment (default .venv in the repository)
#   MENSHEN_BUILD   the build folder (default build; tools/test.sh reuses it)
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${MENSHEN_PREFIX:-$HOME/.local}
venv=${MENSHEN_VENV:-$PWD/.venv}
build=${MENSHEN_BUILD:-build}
jobs=$(nproc)

bash tools/setup-debian.sh
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMENSHEN_BUILD_TESTS=OFF -DMENSHEN_BUILD_BENCH=OFF -DMENSHEN_FUZZ=OFF "${launcher[@]}" > /dev/null
cmake --build "$build" -j "$jobs" --target menshen menshen_shared
cmake --install "$build" --prefix "$prefix" > /dev/null

# The Python package bundles the library just built (bindings/python/setup.py);
# a venv because Debian's pip does not install into the system Python.
/usr/bin/python3 -m venv --system-site-packages "$venv"
MENSHEN_LIBRARY=$PWD/$build/lib/libmenshen.so.0 \
  "$venv/bin/pip" install --quiet --no-build-isolation --no-index ./bindings/python

"$prefix/bin/menshen" scan examples/prompts.txt

echo
echo "menshen is installed: $prefix/bin/menshen (library and header under $prefix/lib, $prefix/include)"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "$prefix/bin is not on your PATH; add it:  export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
echo "Python: $venv/bin/python -c 'import menshen; print(menshen.Engine().check(\"hello\").action.name)'"
