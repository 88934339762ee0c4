#!/usr/bin/env bash
# Builds the library, examples and tests, and runs every test.
# Usage: scripts/test.sh [preset]   (presets: default, release, asan, tsan; see CMakePresets.json)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"

scripts/deps.sh --with-node --with-wrk --with-doxygen
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset"
