#!/usr/bin/env bash
# Runs the official TypeScript SDK and our client against two standalone emulators seeded alike, and
# checks they got the same results. Exit 77 (skipped) only when node is absent.
# Usage: run.sh EMULATOR OUR_CLIENT FIXTURES_DIR WORK_DIR
set -euo pipefail
emulator=$1 our_client=$2 fixtures=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/emulator_url.sh"
source "$here/../../scripts/official_sdk.sh"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node/npm not installed (scripts/deps.sh --with-node installs them)"
  exit 77
fi
install_official_sdk "$work"
cp "$here/sdk_client.mjs" "$here/compare.mjs" "$work/"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
# Both emulators start in this shell (not in a subshell), so the trap can stop them.
"$emulator" --port 0 --seed "$fixtures/allocations.json" > "$work/emulator.ours.out" 2>&1 &
pids+=($!)
"$emulator" --port 0 --seed "$fixtures/allocations.json" > "$work/emulator.sdk.out" 2>&1 &
pids+=($!)
ours_url=$(emulator_url "$work/emulator.ours.out")
sdk_url=$(emulator_url "$work/emulator.sdk.out")
"$our_client" "$ours_url" > "$work/ours.json"
(cd "$work" && node sdk_client.mjs "$sdk_url") > "$work/sdk.json"
(cd "$work" && node compare.mjs ours.json sdk.json)
