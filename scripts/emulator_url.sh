# Sourced by scripts that start pieces-os-emulator in the background with its output in a file.
# emulator_url FILE: prints the URL from the emulator's "listening on URL" line once it is there
# (up to 10 s: another process starting, not a synchronisation of our own code); fails otherwise.
emulator_url() {
  for _ in $(seq 1 200); do
    if grep -q '^listening on ' "$1" 2>/dev/null; then sed -n 's/^listening on //p' "$1" | tr -d '\r'; return 0; fi
    sleep 0.05
  done
  echo "the emulator did not start: $(cat "$1" 2>/dev/null)" >&2
  return 1
}
