#!/usr/bin/env bash
# System calls per request, counted by strace -c -f (exact whatever the machine's load): nginx serving the 3-cloud
# and the 200-cloud body, each client polling it with C = 16 requests in flight on 16 connections, run for N and
# for 3N requests; the difference over 2N is per request (the start, the warm-up and the exit cancel out).
# Clients: ours, the floor (hand-written Beast loop), and the Rust and Go peers when bench/run.sh --peers built
# them into the build dir.
# Usage: bench/syscalls.sh [--build-dir DIR] [--requests N]   (default: build/release, N = 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/nginx.sh
build_dir=build/release n=1000
while (($#)); do
  case "$1" in
    --build-dir) build_dir=$2; shift ;;
    --requests) n=$2; shift ;;
    *) echo "usage: bench/syscalls.sh [--build-dir DIR] [--requests N]" >&2; exit 2 ;;
  esac
  shift
done
command -v strace >/dev/null || { echo "syscalls: strace missing (scripts/deps.sh --with-peers)" >&2; exit 2; }
command -v nginx >/dev/null || { echo "syscalls: nginx missing (scripts/deps.sh --with-nginx)" >&2; exit 2; }
bench=$build_dir/bench/snapshot_polling
peers=$build_dir/bench/peers
work=$(mktemp -d)
trap 'stop_nginx 2>/dev/null || true; rm -rf "$work"' EXIT
pin=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then pin=(taskset -c 0); fi

# count OUT COMMAND...: strace's summary of COMMAND (its children too) in OUT
count() {
  local out=$1
  shift
  strace -c -f -o "$out" "${pin[@]}" "$@" > /dev/null
}

# per_request LOW HIGH REQUESTS: the syscalls of HIGH minus LOW, per request: the total and the main ones
per_request() {
  awk -v requests="$3" '
    FNR == 1 { file++ }
    /^-+/ || /^% time/ || NF < 4 { next }
    { name = $NF; calls = $4  # % time, seconds, usecs/call, calls, [errors], syscall
      if (name == "total") total[file] = calls; else n[file, name] = calls; names[name] = 1 }
    END {
      printf "%7.2f  ", (total[2] - total[1]) / requests
      line = ""
      for (name in names) {
        d = (n[2, name] - n[1, name]) / requests
        if (d >= 0.05) line = line sprintf("%s %.2f, ", name, d)
      }
      sub(/, $/, "", line)
      print line }' "$1" "$2"
}

for clouds in 3 200; do
  body=$work/snapshot-$clouds.json
  "$bench" --make-seed "$clouds" test/data/allocations.json "$body"
  start_nginx "$body" "$work/nginx" taskset -c 1
  echo "== $clouds-cloud body ($(wc -c < "$body") B), C = 16: system calls per request (strace -c -f, ${n} and $((3 * n)) requests)"
  for who in ours floor rust go; do
    cmd=()
    case $who in
      ours) cmd=("$bench" --url "$nginx_url" --rows 16:16 --csv --requests) ;;
      floor) cmd=("$bench" --url "$nginx_url" --rows 16:16 --floor --csv --requests) ;;
      rust) [[ -x $peers/rust-target/release/pieces-peer-rust ]] && cmd=("$peers/rust-target/release/pieces-peer-rust" "$nginx_url" 16) ;;
      go) [[ -x $peers/pieces-peer-go ]] && cmd=(env GOMAXPROCS=1 "$peers/pieces-peer-go" "$nginx_url" 16) ;;
    esac
    if ((${#cmd[@]} == 0)); then
      echo "$who: skipped (not built: bench/run.sh --peers builds it)"
      continue
    fi
    count "$work/low" "${cmd[@]}" "$n"
    count "$work/high" "${cmd[@]}" $((3 * n))
    printf "%-6s" "$who"
    per_request "$work/low" "$work/high" $((2 * n))
  done
  stop_nginx
done
