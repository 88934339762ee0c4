#!/usr/bin/env bash
# Builds the library, examples and tests, and runs every test.
# Usage: scripts/test.sh [preset]   (presets: default, release, asan, tsan, fuzz; see CMakePresets.json)
# The fuzz preset runs each libFuzzer target for PIECES_FUZZ_SECONDS (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"

extra=()
[[ $preset == fuzz ]] && extra=(--with-fuzz)
scripts/deps.sh --with-node --with-wrk --with-nginx --with-doxygen "${extra[@]}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset"
