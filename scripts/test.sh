#!/usr/bin/env bash
# Builds the library, examples and tests, and runs every test.
# Usage: scripts/test.sh [preset]   (see CMakePresets.json)
#   default, release   g++, the whole suite (the default: the README's test command)
#   asan, tsan         AddressSanitizer + UBSan for the suite; ThreadSanitizer for the concurrency and watcher tests
#   fuzz               each libFuzzer target for PIECES_FUZZ_SECONDS (default 60), clang
#   notls              built without TLS (-DPIECES_WITH_TLS=OFF: no OpenSSL), the suite less the TLS tests
#   libcxx             clang 14 with libc++ (macOS's C++ library); needs PIECES_BOOST_ROOT, a Boost built for
#                      libc++ (Debian's is built for libstdc++), e.g. from a Boost source tree
#   mingw              Windows x86-64 cross-built with MinGW-w64, the tests run under Wine
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"

extra=(--with-node --with-wrk --with-nginx --with-doxygen)
case $preset in
  fuzz) extra+=(--with-fuzz) ;;
  libcxx)
    extra=(--with-libcxx)
    if [[ -z ${PIECES_BOOST_ROOT:-} ]]; then
      echo "test.sh libcxx: set PIECES_BOOST_ROOT to the prefix of a Boost 1.81+ built with clang++ -stdlib=libc++" >&2
      exit 2
    fi ;;
  mingw)
    extra=(--with-mingw)
    # The build runs the tests to list them (CMake's test discovery), so Wine is set up before it.
    export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEPREFIX="$PWD/build/wine"
    scripts/deps.sh "${extra[@]}"
    if [[ ! -f $WINEPREFIX/system.reg ]]; then
      mkdir -p "$WINEPREFIX"
      /usr/lib/wine/wine64 wineboot --init > /dev/null 2>&1 || true
    fi
    # One Wine server for the whole run: Debian's starts each with -p0 (it quits when its last program ends),
    # and a test program starting just then loses it ("wine client error: recvmsg: Connection reset by peer").
    # A server still up (wineboot's, a run before) is stopped first: only one may serve the prefix.
    /usr/lib/wine/wineserver64 -k > /dev/null 2>&1 || true
    /usr/lib/wine/wineserver64 -w > /dev/null 2>&1 || true
    /usr/lib/wine/wineserver64 -p < /dev/null > /dev/null 2>&1
    trap '/usr/lib/wine/wineserver64 -k 2>/dev/null || true' EXIT ;;
esac
scripts/deps.sh "${extra[@]}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset"
