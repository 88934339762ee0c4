#!/usr/bin/env bash
# pieces-allocations against the standalone emulator: every subcommand (table and --json), each exit code,
# `watch` seeing a status change made while it runs (polled, and pushed through /user/stream), and https://
# (trusted through SSL_CERT_FILE or --ca-file, rejected without, --insecure).
# Usage: cli_tool.sh TOOL EMULATOR FIXTURES_DIR [CERTS_DIR] (made by tls/make_test_certs.sh; none: a build
# without TLS, where https:// must be refused as a usage error)
set -uo pipefail
tool=$1 emulator=$2 fixtures=$3 certs=${4:-}
# PIECES_TEST_RUNNER: what runs the programs when they are not the host's own (wine64 for a MinGW-w64 build).
read -r -a runner <<< "${PIECES_TEST_RUNNER:-}"
source "$(dirname "$0")/../scripts/emulator_url.sh"
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT

"${runner[@]}" "$emulator" --port 0 --seed "$fixtures/allocations.json" > "$work/good.out" 2>&1 &
pids+=($!)
# Every request of the second one fails: 500 for the snapshot, 504 for one cloud, a slow update.
"${runner[@]}" "$emulator" --port 0 --seed "$fixtures/allocations.json" --fault snapshot:status=500,body=database-down \
  --fault allocation_snapshot:status=504 --fault update:latency_ms=5000 > "$work/bad.out" 2>&1 &
pids+=($!)
# The third serves https with a certificate for 127.0.0.1 issued by the test CA.
if [[ -n $certs ]]; then
  "${runner[@]}" "$emulator" --port 0 --seed "$fixtures/allocations.json" --tls-cert "$certs/server.pem" --tls-key "$certs/server.key" \
    > "$work/tls.out" 2>&1 &
  pids+=($!)
fi
good=$(emulator_url "$work/good.out") || exit 1
bad=$(emulator_url "$work/bad.out") || exit 1
if [[ -n $certs ]]; then
  tls=$(emulator_url "$work/tls.out") || exit 1
  [[ $tls == https://127.0.0.1:* ]] || { echo "FAIL: the TLS emulator says $tls"; exit 1; }
fi
# The system's trust store must not know the test CA, whatever the machine's environment says.
unset SSL_CERT_FILE SSL_CERT_DIR
first=3d5a9b12-7c40-4e8f-a6b1-0e2f4c8d7a10 second=8e21c4f7-5b93-4d0a-9c6e-71f2a3b5d802

failures=0
has() { [[ -z "$2" ]] || grep -qF -- "$2" "$1"; }  # has FILE TEXT: an empty TEXT is always there
# check NAME EXPECTED_EXIT STDOUT_SUBSTRING STDERR_SUBSTRING -- ARGS...
check() {
  local name=$1 want=$2 out_has=$3 err_has=$4; shift 5
  "${runner[@]}" "$tool" "$@" > "$work/stdout" 2> "$work/stderr"
  local got=$?
  if [[ $got -ne $want ]] || ! has "$work/stdout" "$out_has" || ! has "$work/stderr" "$err_has"; then
    echo "FAIL $name: exit $got (want $want)"
    echo "  stdout: $(head -c 400 "$work/stdout")"
    echo "  stderr: $(head -c 400 "$work/stderr")"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}
# wait_for FILE TEXT: until FILE holds TEXT (another process writes it), at most 10 s
wait_for() {
  for _ in $(seq 1 200); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "FAIL waiting for '$2' in $1: $(cat "$1")"
  failures=$((failures + 1))
  return 1
}

check snapshot 0 "$second  PENDING" "" -- --url "$good" snapshot
check snapshot-header 0 "ID  " "" -- --url "$good" snapshot
check snapshot-json 0 "\"iterable\":[{" "" -- --url "$good" snapshot --json
check get 0 "https://ines.pieces.cloud (RUNNING)" "" -- --url "$good" get "$first"
check get-json 0 "\"id\":\"$first\"" "" -- --url "$good" get "$first" --json
check connect 0 "ines.pieces.cloud" "" -- --url "$good" connect --profile "$fixtures/user_profile.json"
check connect-json 0 "\"vanity\":{\"url\":\"https://ines.pieces.cloud\"" "" -- --url "$good" connect --json --profile "$fixtures/user_profile.json"
check update 0 "https://ines.pieces.cloud (PENDING)" "" -- --url "$good" update --file "$fixtures/allocation_cloud.json"
check update-json 0 "\"status\":\"PENDING\"" "" -- --url "$good" update --file "$fixtures/allocation_cloud.json" --json
check disconnect 0 "" "" -- --url "$good" disconnect "$first"
check disconnected 0 "$first  DISCONNECTED" "" -- --url "$good" get "$first"
check reconnect 0 "$first  RUNNING" "" -- --url "$good" reconnect "$first"
check disconnect-json 0 "\"$first\"" "" -- --url "$good" disconnect "$first" --json
check reconnect-json 0 "\"cloud\":\"RUNNING\"" "" -- --url "$good" reconnect "$first" --json

# watch sees a change made by someone else while it runs, prints it, and stops after --changes
"${runner[@]}" "$tool" --url "$good" watch --interval 0.05 --changes 1 > "$work/watch" 2> "$work/watch.err" &
watch_pid=$!
pids+=($watch_pid)
if wait_for "$work/watch" "watching 3 clouds (push when Pieces OS offers /user/stream, polling every 0.05 s)"; then
  "${runner[@]}" "$tool" --url "$good" disconnect "$second" > /dev/null
  wait "$watch_pid"; got=$?
  if [[ $got -eq 0 ]] && grep -qF "$second  status: PENDING -> DISCONNECTED" "$work/watch"; then echo "ok   watch"
  else echo "FAIL watch: exit $got, $(cat "$work/watch" "$work/watch.err")"; failures=$((failures + 1)); fi
fi
"${runner[@]}" "$tool" --url "$good" watch --json --interval 0.05 --changes 1 > "$work/watch" 2> "$work/watch.err" &
watch_pid=$!
pids+=($watch_pid)
if wait_for "$work/watch" '{"watching":3,"push":true}'; then
  "${runner[@]}" "$tool" --url "$good" reconnect "$second" > /dev/null
  wait "$watch_pid"; got=$?
  if [[ $got -eq 0 ]] && grep -qF "\"cloud\":\"$second\",\"what\":\"status\",\"from\":\"DISCONNECTED\",\"to\":\"RUNNING\"" "$work/watch"
  then echo "ok   watch-json"
  else echo "FAIL watch-json: exit $got, $(cat "$work/watch" "$work/watch.err")"; failures=$((failures + 1)); fi
fi
# --no-push: polls only, and says so
"${runner[@]}" "$tool" --url "$good" watch --no-push --interval 0.05 --changes 1 > "$work/watch" 2> "$work/watch.err" &
watch_pid=$!
pids+=($watch_pid)
if wait_for "$work/watch" "watching 3 clouds (polling every 0.05 s, push off)"; then
  "${runner[@]}" "$tool" --url "$good" disconnect "$second" > /dev/null
  wait "$watch_pid"; got=$?
  if [[ $got -eq 0 ]] && grep -qF "$second  status: RUNNING -> DISCONNECTED" "$work/watch"; then echo "ok   watch-no-push"
  else echo "FAIL watch-no-push: exit $got, $(cat "$work/watch" "$work/watch.err")"; failures=$((failures + 1)); fi
fi
# push: polls 30 s apart, so a change printed within seconds came through /user/stream. The stream may open
# after the header line: the cloud flips once a second until the watch has printed a change (at most 10 times).
"${runner[@]}" "$tool" --url "$good" watch --interval 30 --changes 1 > "$work/watch" 2> "$work/watch.err" &
watch_pid=$!
pids+=($watch_pid)
if wait_for "$work/watch" "watching 3 clouds (push when"; then
  for i in $(seq 1 10); do
    if ((i % 2)); then flip=reconnect; else flip=disconnect; fi
    "${runner[@]}" "$tool" --url "$good" "$flip" "$second" > /dev/null
    sleep 1
    grep -qF "$second  status: " "$work/watch" && break
  done
  if grep -qF "$second  status: " "$work/watch"; then wait "$watch_pid"; got=$?
  else kill "$watch_pid" 2>/dev/null; wait "$watch_pid"; got=1; fi
  if [[ $got -eq 0 ]]; then echo "ok   watch-push"
  else echo "FAIL watch-push: exit $got, no change seen in 10 s: $(cat "$work/watch" "$work/watch.err")"
    failures=$((failures + 1)); fi
fi

# exit codes
check not-found 4 "" "Cloud not found." -- --url "$good" get no-such-cloud
check not-reachable 3 "" "pieces-allocations: " -- --url http://127.0.0.1:1 snapshot
check server-error 5 "" "server said: database-down" -- --url "$bad" snapshot
check gateway-timeout 6 "" "[HTTP 504]" -- --url "$bad" get "$first"
check deadline 6 "" "deadline" -- --url "$bad" --timeout 0.2 update --file "$fixtures/allocation_cloud.json"
check usage-no-command 2 "" "no command" --
check usage-unknown 2 "" "unknown command frobnicate" -- frobnicate
check usage-missing-id 2 "" "usage: pieces-allocations get ID" -- --url "$good" get
check usage-bad-file 2 "" "cannot read /nonexistent" -- --url "$good" update --file /nonexistent
check usage-bad-model 2 "" "missing required member" -- --url "$good" connect --profile "$fixtures/allocations.json"
check usage-bad-url 2 "" "pieces-allocations: " -- --url ftp://x snapshot
check help 0 "Commands:" "" -- --help

# https
if [[ -z $certs ]]; then
  check tls-not-built-in 2 "" "no TLS" -- --url "${good/http:/https:}" snapshot
else
SSL_CERT_FILE="$certs/ca.pem" check tls-ssl-cert-file 0 "$first  RUNNING" "" -- --url "$tls" snapshot
check tls-unknown-issuer 7 "" "unknown issuer" -- --url "$tls" snapshot
check tls-ca-file 0 "$first  RUNNING" "" -- --url "$tls" --ca-file "$certs/ca.pem" snapshot
check tls-insecure 0 "$first  RUNNING" "" -- --url "$tls" --insecure snapshot
check tls-bad-ca-file 2 "" "tls.ca_file: cannot load '/nonexistent'" -- --url "$tls" --ca-file /nonexistent snapshot
check tls-plain-server 7 "" "during the TLS handshake" -- --url "${good/http:/https:}" --ca-file "$certs/ca.pem" snapshot
fi
for c in snapshot get connect disconnect reconnect update watch; do
  check "help-$c" 0 "usage: pieces-allocations $c" "" -- "$c" --help
done

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
