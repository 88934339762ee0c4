#!/usr/bin/env bash
# Runs one libFuzzer target for PIECES_FUZZ_SECONDS (default 60) from the checked-in corpus plus what earlier runs
# found (kept in the build tree). Fails on any crash, sanitizer report, leak, or input that takes over 10 s.
# Usage: run_fuzzer.sh FUZZER SEED_CORPUS WORK_DIR [libFuzzer flags...]
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3
shift 3
mkdir -p "$work/corpus" "$work/artifacts"
exec "$fuzzer" -max_total_time="${PIECES_FUZZ_SECONDS:-60}" -timeout=10 -max_len=16384 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" "$seeds"
