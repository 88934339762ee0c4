#!/usr/bin/env bash
# Installs the build to a temporary prefix, then builds and runs a separate project against it twice:
# through find_package (CMake) and through pkg-config, with the build's own compiler and flags (so libc++ too);
# and runs the installed programs. The package names its license; a build without TLS names no OpenSSL.
# Usage: run.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
cxx=$(cache CMAKE_CXX_COMPILER) cxxflags=$(cache CMAKE_CXX_FLAGS) ldflags=$(cache CMAKE_EXE_LINKER_FLAGS)

cmake --install "$build" --prefix "$prefix" > /dev/null
cmake -S "$here" -B "$work/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix;$(cache CMAKE_PREFIX_PATH)" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" > /dev/null
cmake --build "$work/cmake-build" > /dev/null
"$work/cmake-build/consumer"

pc_dir=$(dirname "$(find "$prefix" -name pieces_allocations.pc)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs pieces_testing)
# shellcheck disable=SC2086  # the flags are words
"$cxx" $cxxflags -O1 "$here/main.cpp" -o "$work/pkg-config-consumer" $flags $ldflags
"$work/pkg-config-consumer"

"$prefix/bin/pieces-os-emulator" --help | grep -q "usage: pieces-os-emulator"
"$prefix/bin/pieces-allocations" --help | grep -q "usage: pieces-allocations"

grep -q "Boost Software License - Version 1.0" "$prefix/share/doc/pieces_allocations/LICENSE"
grep -q "^License: BSL-1.0" "$pc_dir/pieces_allocations.pc"
grep -rq 'pieces_allocations_LICENSE "BSL-1.0"' "$prefix/lib"*/cmake/pieces_allocations/
if [[ $(cache PIECES_WITH_TLS) == OFF ]]; then
  if grep -rilE "openssl|libssl|libcrypto|-lssl|-lcrypto" "$prefix/lib"*/pkgconfig "$prefix/lib"*/cmake/pieces_allocations; then
    echo "consumer: FAIL: a build without TLS names OpenSSL in the installed package files above"; exit 1
  fi
  if grep -E "libssl|libcrypto|-lssl|-lcrypto" "$build/build.ninja"; then
    echo "consumer: FAIL: a build without TLS links OpenSSL (build.ninja, above)"; exit 1
  fi
  echo "consumer: built without TLS, and neither its link lines nor its installed package name OpenSSL"
fi
echo "consumer: the installed package works through find_package and pkg-config"
