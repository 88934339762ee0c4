#!/usr/bin/env bash
# The soak test, long: 64 pollers on one client, random faults in ~5% of replies (see test/test_soak.cpp).
# Usage: bench/soak.sh [REQUESTS]   (default 100 000; the test suite runs 20 000, ASan 5 000, TSan 3 000)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target test_soak >/dev/null
time PIECES_SOAK_REQUESTS=${1:-100000} build/release/test/test_soak "soak*" --durations yes
