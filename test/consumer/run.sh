#!/usr/bin/env bash
# Installs the build to a temporary prefix, then builds and runs a separate project against it twice:
# through find_package (CMake) and through pkg-config; and runs the installed programs.
# Usage: run.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" > /dev/null
cmake -S "$here" -B "$work/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" > /dev/null
cmake --build "$work/cmake-build" > /dev/null
"$work/cmake-build/consumer"

pc_dir=$(dirname "$(find "$prefix" -name pieces_allocations.pc)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs pieces_testing)
# shellcheck disable=SC2086  # the flags are words
c++ -O1 "$here/main.cpp" -o "$work/pkg-config-consumer" $flags
"$work/pkg-config-consumer"

"$prefix/bin/pieces-os-emulator" --help | grep -q "usage: pieces-os-emulator"
"$prefix/bin/pieces-allocations" --help | grep -q "usage: pieces-allocations"
echo "consumer: the installed package works through find_package and pkg-config"
