#!/usr/bin/env bash
# Runs the snapshot-polling benchmark against the emulator as a separate process (pinned to another core
# than the client when two are available), with the 3-cloud fixture and a 200-cloud body.
# Usage: bench/run.sh [--quick] [--url URL] [--build-dir DIR]
#   --url URL        poll another server instead of starting the emulator (one body only)
#   --build-dir DIR  use binaries already built there (default: build the release preset)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/emulator_url.sh
quick=0 url="" build_dir=""
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --url) url=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    *) echo "usage: bench/run.sh [--quick] [--url URL] [--build-dir DIR]"; exit 2 ;;
  esac
  shift
done
if [[ -z "$build_dir" ]]; then
  scripts/deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release --target snapshot_polling pieces-os-emulator >/dev/null
  build_dir=build/release
fi
fixtures=${PIECES_FIXTURES_DIR:-../shared/spec/fixtures}
bench=$build_dir/bench/snapshot_polling
emulator=$build_dir/pieces-os-emulator

server_pin=() client_pin=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then
  server_pin=(taskset -c 1) client_pin=(taskset -c 0)
  echo "pinned: emulator on CPU 1, client on CPU 0"
else
  echo "not pinned (one core or no taskset)"
fi

if ((quick)); then rows="1:1,16:16,64:16" requests=1000
else rows="1:1,16:16,64:64,256:64,256:16,10000:16" requests=50000; fi

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
run_against() {  # NAME SEED_FILE [REQUESTS]
  local out
  out=$(mktemp)
  "${server_pin[@]}" "$emulator" --port 0 --seed "$2" > "$out" 2>&1 &
  pids+=($!)
  local u
  u=$(emulator_url "$out")
  echo "== $1 body, emulator at $u"
  "${client_pin[@]}" "$bench" --url "$u" --rows "$rows" --requests "${3:-$requests}"
}

if [[ -n "$url" ]]; then
  echo "== $url"
  "${client_pin[@]}" "$bench" --url "$url" --rows "$rows" --requests "$requests"
  exit
fi
seed200=$(mktemp --suffix=.json)
"$bench" --make-seed 200 "$fixtures/allocations.json" "$seed200"
run_against 3-cloud "$fixtures/allocations.json"
run_against 200-cloud "$seed200" $((requests / 10))  # ~70x the bytes per reply: fewer requests
rm -f "$seed200"
