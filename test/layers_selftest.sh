#!/usr/bin/env bash
# The layers check must fail when a source includes upward, uses "../", or a public header includes Beast: each
# made in a copy of a tiny tree, which passes before the bad include is added.
# Usage: test/layers_selftest.sh CHECK_SCRIPT
set -euo pipefail
check=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make_tree() {
  rm -rf "$tmp/tree" && mkdir -p "$tmp/tree/src/util" "$tmp/tree/src/http" "$tmp/tree/include/pieces"
  printf '#include "util/a.hpp"\n' > "$tmp/tree/src/http/b.hpp"
  printf '#pragma once\n' > "$tmp/tree/src/util/a.hpp"
  printf '#include <pieces/x.hpp>\n' > "$tmp/tree/include/pieces/y.hpp"
}
expect_fail() {  # what to add, the message expected
  make_tree
  eval "$1"
  if out=$(bash "$check" "$tmp/tree" 2>&1); then
    echo "layers_selftest: passed when it must fail: $1"; exit 1
  fi
  grep -qF "$2" <<< "$out" || { echo "layers_selftest: wrong message for $1: $out"; exit 1; }
}
make_tree
bash "$check" "$tmp/tree" > /dev/null || { echo "layers_selftest: the clean tree failed"; exit 1; }
expect_fail 'printf "#include \"http/b.hpp\"\n" >> "$tmp/tree/src/util/a.hpp"' 'util may include only: util'
expect_fail 'printf "#include \"../util/a.hpp\"\n" >> "$tmp/tree/src/http/b.hpp"' 'name it by its layer'
expect_fail 'mkdir -p "$tmp/tree/src/extra" && printf "\n" > "$tmp/tree/src/extra/c.cpp"' 'in no layer'
expect_fail 'printf "#include <boost/beast/http.hpp>\n" >> "$tmp/tree/include/pieces/y.hpp"' 'public header'
expect_fail 'printf "#include <boost/json/value.hpp>\n" >> "$tmp/tree/include/pieces/y.hpp"' 'public header'
echo "layers_selftest: the check fails on each of 5 wrong includes, and passes the clean tree"
