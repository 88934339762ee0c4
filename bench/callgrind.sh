#!/usr/bin/env bash
# The deterministic figure: user-space instructions per 3-cloud snapshot under valgrind's callgrind, P = 16,
# pool 16. Runs N = 200 and N = 2 200 against the same emulator; (Ir(2200) - Ir(200)) / 2000 leaves out
# start-up and warm-up. Then the same with a cancellation slot bound to every poller (the cost of
# cancellation support), and the share of arming and cancelling the deadline timers (inclusive; the timers
# never fire here). Last, the 200-cloud body parsed 20 times more than 10 times, into a Boost.JSON DOM only
# (the baseline) and into the models: instructions per cloud.
# With --floor: only the floor comparison, against nginx serving the 3-cloud body: instructions per request of
# the hand-written Beast client (bench/floor_client.hpp) and of ours at 1, 16, 64 and 256 connections.
# Usage: bench/callgrind.sh [--floor] [--build-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/emulator_url.sh
source bench/nginx.sh
build_dir="" floor=0
while (($#)); do
  case "$1" in
    --floor) floor=1 ;;
    --build-dir) build_dir=$2; shift ;;
    *) echo "usage: bench/callgrind.sh [--floor] [--build-dir DIR]"; exit 2 ;;
  esac
  shift
done
if [[ -z "$build_dir" ]]; then
  scripts/deps.sh --with-valgrind --with-nginx
  cmake --preset release >/dev/null
  cmake --build --preset release --target snapshot_polling pieces-os-emulator >/dev/null
  build_dir=build/release
fi
fixtures=${PIECES_FIXTURES_DIR:-test/data}
work=$(mktemp -d)

if ((floor)); then
  trap 'stop_nginx; rm -rf "$work"' EXIT
  "$build_dir/bench/snapshot_polling" --make-seed 3 "$fixtures/allocations.json" "$work/body.json"
  start_nginx "$work/body.json" "$work/nginx"
  # ir C N [--floor]: total Ir of one run
  ir() {
    valgrind --tool=callgrind --callgrind-out-file="$work/ir.out" "$build_dir/bench/snapshot_polling" --url "$nginx_url" \
      --rows "$1:$1" --requests "$2" ${3:-} > /dev/null 2> "$work/valgrind.log"
    sed -n 's/^totals: *//p' "$work/ir.out"
  }
  printf "%-6s%-22s%-22s%s\n" "C" "floor instr/request" "ours instr/request" "ours/floor"
  for c in 1 16 64 256; do
    floor_ir=$((($(ir "$c" 2200 --floor) - $(ir "$c" 200 --floor)) / 2000))
    ours_ir=$((($(ir "$c" 2200) - $(ir "$c" 200)) / 2000))
    printf "%-6s%-22s%-22s%s\n" "$c" "$floor_ir" "$ours_ir" "$(awk -v a="$ours_ir" -v b="$floor_ir" 'BEGIN { printf "%.2f", a / b }')"
  done
  exit 0
fi
"$build_dir/pieces-os-emulator" --port 0 --seed "$fixtures/allocations.json" > "$work/emulator.out" 2>&1 &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true; rm -rf "$work"' EXIT
url=$(emulator_url "$work/emulator.out")

# instructions N [OPTIONS...]: total Ir of one run of N requests; the profile stays in $work/N.out
instructions() {
  local n=$1
  shift
  valgrind --tool=callgrind --callgrind-out-file="$work/$n$*.out" "$build_dir/bench/snapshot_polling" --url "$url" \
    --rows 16:16 --requests "$n" "$@" > /dev/null 2> "$work/valgrind.log"
  sed -n 's/^totals: *//p' "$work/$n$*.out"
}
per_request() { echo $((($2 - $1) / 2000)); }

plain=$(per_request "$(instructions 200)" "$(instructions 2200)")
with_slots=$(per_request "$(instructions 200 --cancel-slots)" "$(instructions 2200 --cancel-slots)")
# Inclusive Ir of the deadline calls in the N = 2 200 run, minus those of the N = 200 run, per request.
deadline_ir() {
  callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
    awk '/(basic_stream<.*>::expires_(at|after)|deadline_timer_service<.*>::(async_wait|expires_at|cancel))[<(]/ {
           gsub(",", "", $1); sum += $1 } END { print sum + 0 }'
}
deadline=$(per_request "$(deadline_ir "$work/200.out")" "$(deadline_ir "$work/2200.out")")

# parse_ir N dom|models: total Ir of parsing the 200-cloud body N times
"$build_dir/bench/snapshot_polling" --make-seed 200 "$fixtures/allocations.json" "$work/200.json"
parse_ir() {
  valgrind --tool=callgrind --callgrind-out-file="$work/parse$1$2.out" "$build_dir/bench/snapshot_polling" \
    --parse "$work/200.json" "$1" "$2" > /dev/null 2> "$work/valgrind.log"
  sed -n 's/^totals: *//p' "$work/parse$1$2.out"
}
per_cloud() { echo $((($2 - $1) / (10 * 200))); }
dom=$(per_cloud "$(parse_ir 10 dom)" "$(parse_ir 20 dom)")
models=$(per_cloud "$(parse_ir 10 models)" "$(parse_ir 20 models)")

echo "instructions per 3-cloud snapshot (callgrind, P = 16, pool 16): $plain"
echo "  with a cancellation slot bound to each poller:                 $with_slots ($(awk -v a="$with_slots" -v b="$plain" 'BEGIN { printf "%+.1f %%", (a - b) * 100 / b }'))"
echo "  of which arming/cancelling deadline timers (inclusive):        $deadline ($(awk -v a="$deadline" -v b="$plain" 'BEGIN { printf "%.1f %%", a * 100 / b }'))"
echo "200-cloud body, instructions per cloud: DOM parse only $dom; into the models $models ($(awk -v a="$models" -v b="$dom" 'BEGIN { printf "%.2fx the DOM", a / b }'))"
