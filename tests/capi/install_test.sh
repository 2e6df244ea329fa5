#!/usr/bin/env bash
# After `cmake --install`, both ways a C user builds against menshen work:
# find_package(menshen) (examples/c/CMakeLists.txt) and pkg-config.
#   install_test.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
src=$1 build=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log"

# Only the C header is installed, and the library with its soname link.
test -f "$prefix/include/menshen.h"
test ! -e "$prefix/include/menshen/engine.h"
libdir=$(dirname "$(find "$prefix" -name 'libmenshen.so.0' | head -1)")
test -n "$libdir"

# CMake: find_package(menshen) -> menshen::menshen.
cmake -S "$src/examples/c" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" > "$work/cmake.log"
cmake --build "$work/cmake" > "$work/cmake-build.log"
printf 'hello\n出售冰毒\n' | "$work/cmake/check_prompts" > "$work/cmake.out"
grep -q $'^2\tREFUSE\t' "$work/cmake.out"
env -u LD_LIBRARY_PATH "$work/cmake/token_loop_guard" | grep -q '^request 4: REFUSE'

# pkg-config --cflags --libs menshen, as strict C99.
export PKG_CONFIG_PATH=$libdir/pkgconfig
test "$(pkg-config --modversion menshen)" = "$(sed -n 's/^project(menshen VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")"
cc -std=c99 -Wall -Wextra -pedantic -Werror -o "$work/pc_check_prompts" \
  "$src/examples/c/check_prompts.c" $(pkg-config --cflags --libs menshen)
# No LD_LIBRARY_PATH: the .pc file gives the program a run path.
printf 'hello\n出售冰毒\n' | env -u LD_LIBRARY_PATH "$work/pc_check_prompts" > "$work/pc.out"
grep -q $'^1\tALLOW\t' "$work/pc.out"
grep -q $'^2\tREFUSE\t' "$work/pc.out"
# The installed CLI runs from the prefix.
env -u LD_LIBRARY_PATH "$prefix/bin/menshen" --version > /dev/null
echo "find_package and pkg-config consumers built and ran"
