#!/usr/bin/env bash
# CI only: the suite built with clang 14 and libc++ (the C++ library of macOS) against the newest Boost, from the
# maintainers' snapshot in ../shared/boost/ (read its README). The one part of CI that reads ../shared: without
# it, this job says so and skips. The README's commands never need it.
set -euo pipefail
cd "$(dirname "$0")/.."
installer=../shared/boost/install.sh
if [[ ! -f $installer ]]; then
  echo "newest Boost: SKIPPED: $installer is absent (a maintainers' snapshot beside the repository)"
  exit 0
fi
scripts/deps.sh --with-libcxx
prefix=$PWD/build/boost-newest-libcxx
# Boost.JSON and Boost.URL compiled for libc++ (Debian's are built for libstdc++).
CXX=clang++-14 CXXFLAGS=-stdlib=libc++ bash "$installer" "$prefix"
PIECES_BOOST_ROOT=$prefix scripts/test.sh libcxx
