#!/usr/bin/env bash
# Runs the README's first program (built from README.md) against a port where nothing listens: it must
# exit non-zero and say why on stderr.
set -u
program=$1
stderr=$("$program" http://127.0.0.1:1 2>&1 >/dev/null)
status=$?
echo "exit $status, stderr: $stderr"
if [[ $status -eq 0 ]]; then echo "FAIL: exit code 0 with nothing listening"; exit 1; fi
if [[ $stderr != "error: GET /allocations"*"refused"* ]]; then echo "FAIL: stderr does not say what failed"; exit 1; fi
echo "ok"
