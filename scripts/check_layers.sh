#!/usr/bin/env bash
# Fails when a source includes a layer it must not: the library's layers, from the bottom,
#   util    the error category, exact doubles, text scanning, saturating time, backoff
#   models  the JSON models (Describe, a parser without a DOM)
#   http    the transport: the pool, connections, the request machine and its driver
#   api     the client, the endpoints, discovery
#   watch   the watcher, built on the API
#   testing (the emulator) and cli (the command-line tool), on top
# A source includes its own folder's headers as "folder/x.hpp" and another layer's the same way; "../" is refused.
# Public headers (include/pieces) include only <pieces/...> and never Beast, Boost.JSON (but its fwd.hpp) or
# OpenSSL. Usage: scripts/check_layers.sh [SOURCE_DIR]
set -euo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root"

declare -A allowed=(
  [util]="util"
  [models]="models util"
  [http]="http util"
  [api]="api http models util"
  [watch]="watch api models util"
  [testing]="testing models util"
  [cli]="cli util"
)

bad=0
complain() { echo "layers: $1" >&2; bad=1; }

while IFS= read -r file; do
  layer=${file#src/}
  layer=${layer%%/*}
  if [[ -z ${allowed[$layer]+x} ]]; then
    complain "$file: in no layer (src/ has only the folders ${!allowed[*]})"
    continue
  fi
  while IFS= read -r line; do
    path=$(sed -E 's/^#include "([^"]+)".*/\1/' <<< "$line")
    if [[ $path == ../* || $path != */* ]]; then
      complain "$file includes \"$path\": name it by its layer (\"layer/file.hpp\")"
      continue
    fi
    target=${path%%/*}
    if [[ " ${allowed[$layer]} " != *" $target "* ]]; then
      complain "$file ($layer) includes \"$path\" ($target): $layer may include only: ${allowed[$layer]}"
    fi
  done < <(grep -E '^#include "' "$file" || true)
done < <(find src -type f \( -name '*.hpp' -o -name '*.cpp' \) | sort)

while IFS= read -r hit; do
  complain "public header: $hit"
done < <(grep -rnE '^#include ("|<boost/beast|<openssl)' include || true)
while IFS= read -r hit; do
  complain "public header: $hit"
done < <(grep -rnE '^#include <boost/json/' include | grep -v 'boost/json/fwd.hpp' || true)

if (( bad )); then
  echo "layers: FAILED" >&2
  exit 1
fi
echo "layers: every include runs down the layers ($(find src -type f | wc -l) sources, $(find include -type f | wc -l) public headers)"
