#!/usr/bin/env bash
# The standalone emulator answers curl on every endpoint as the contract says.
# Usage: emulator_cli.sh EMULATOR FIXTURES_DIR
set -euo pipefail
emulator=$1 fixtures=$2
source "$(dirname "$0")/../scripts/emulator_url.sh"
out=$(mktemp)
"$emulator" --port 0 --seed "$fixtures/allocations.json" --fault update:status=504,body=slow,times=1 > "$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
url=$(emulator_url "$out")

fail=0
expect() {  # expect NAME STATUS CONTENT_TYPE_PREFIX BODY_SUBSTRING -- curl args...
  local name=$1 status=$2 ctype=$3 body=$4; shift 5
  local got
  got=$(curl -s -o /tmp/emu_body.$$ -w '%{http_code} %{content_type}' "$@")
  if [[ "$got" != "$status $ctype"* ]] || ! grep -qF -- "$body" /tmp/emu_body.$$; then
    echo "FAIL $name: got '$got' body '$(head -c 200 /tmp/emu_body.$$)'"; fail=1
  else
    echo "ok   $name"
  fi
}
cloud='{"id":"8e21c4f7-5b93-4d0a-9c6e-71f2a3b5d802","user":"u","project":"p","status":{"cloud":"RUNNING"},"urls":{"base":{"url":"x","status":"RUNNING"},"id":{"url":"y","status":"RUNNING"}}}'
json=(-H 'Content-Type: application/json')
expect snapshot 200 application/json '"iterable":[' -- "$url/allocations"
expect allocation 200 application/json '"id":"3d5a9b12-7c40-4e8f-a6b1-0e2f4c8d7a10"' -- "$url/allocation/3d5a9b12-7c40-4e8f-a6b1-0e2f4c8d7a10"
expect allocation-410 410 text/plain 'Cloud not found.' -- "$url/allocation/nope"
expect connect-no-user 500 text/plain 'logged in' -- -X POST "$url/allocations/connect"
expect connect 200 application/json '"vanity":{"url":"https://ines.pieces.cloud"' -- -X POST "${json[@]}" --data @"$fixtures/user_profile.json" "$url/allocations/connect"
expect disconnect 200 text/plain '8e21c4f7-5b93-4d0a-9c6e-71f2a3b5d802' -- -X POST "${json[@]}" --data "$cloud" "$url/allocations/disconnect"
expect disconnected 200 application/json '"status":{"cloud":"DISCONNECTED"}' -- "$url/allocation/8e21c4f7-5b93-4d0a-9c6e-71f2a3b5d802"
expect reconnect 200 application/json '"status":{"cloud":"RUNNING"}' -- -X POST "${json[@]}" --data "$cloud" "$url/allocations/reconnect"
expect update-504 504 text/plain 'slow' -- -X POST "${json[@]}" --data "$cloud" "$url/allocation/update"
expect update 200 application/json '"project":"p"' -- -X POST "${json[@]}" --data "$cloud" "$url/allocation/update"
expect update-unknown 500 text/plain 'No allocation' -- -X POST "${json[@]}" --data "${cloud/8e21c4f7/ffffffff}" "$url/allocation/update"
expect create-local 500 text/plain 'unimplemented locally' -- -X POST "${json[@]}" --data "$cloud" "$url/allocations/create"
expect delete-local 500 text/plain 'unimplemented locally' -- -X POST "${json[@]}" --data "$cloud" "$url/allocations/delete"
expect health 200 text/plain 'ok:' -- "$url/.well-known/health"
expect version 200 text/plain 'emulator' -- "$url/.well-known/version"
rm -f /tmp/emu_body.$$
exit $fail
