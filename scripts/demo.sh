#!/usr/bin/env bash
# Builds and runs the demo: against an in-process Pieces OS emulator, or a real Pieces OS with --url URL
# (or --discover to find one on this machine).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target pieces-demo >/dev/null
exec build/default/examples/pieces-demo "$@"
