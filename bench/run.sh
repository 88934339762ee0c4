#!/usr/bin/env bash
# First the floor: nginx (one worker, pinned to its own core, not the bottleneck) serving the 3-cloud body (and
# then the 200-cloud body at 16 connections), polled by the hand-written Beast client (bench/floor_client.hpp) and
# by ours, C requests in flight on C connections, 5 pairs of runs: ours/floor for requests/s and CPU per request,
# each the median of the pairs' ratios. With --peers, the same runs also poll nginx with the Rust and Go peers
# (bench/peers/, built offline from Debian's packages) and wrk, each run right after ours: ours/peer for
# requests/s and CPU per request, the median of those pairs; the medians go to bench/peers.csv in the build dir,
# and with gnuplot, drawn by bench/peers_chart.gp into bench/peers.svg there (--update-chart: copied to bench/).
# Then the snapshot-polling benchmark against the emulator as a separate process (pinned to another core
# than the client when two are available), with the 3-cloud fixture and a 200-cloud body, and its peers on
# the same server, body and P: the official TypeScript SDK on node, and wrk (the machine's HTTP limit).
# Then HTTPS: the 3-cloud emulator serving TLS (a certificate made by test/tls/make_test_certs.sh, trusted
# through SSL_CERT_FILE / NODE_EXTRA_CA_CERTS), polled by ours and by the official SDK, beside ours over plain
# HTTP in the same run: what TLS costs per request.
# Then the watcher's fan-out (bench/watch_fanout.cpp): N subscribers on one watcher, beside N polling loops
# without one (the yardstick for requests and memory) and N coroutines woken from N timers (the floor for
# waking N coroutines).
# Last push: N subscribers on one watcher, the time from a change made through the API to the last one woken,
# with the watcher holding Pieces OS's /user/stream and without it (polling only), in the same run.
# Usage: bench/run.sh [--quick] [--floor-only] [--https-only] [--watch-only] [--peers [--update-chart]] [--url URL]
#                     [--build-dir DIR]
#   --quick          about a minute: fewer rows and requests
#   --floor-only     the floor comparison only
#   --peers          the Rust and Go peers (and wrk) in the floor comparison, and their chart (with gnuplot)
#   --update-chart   also copy that chart to bench/peers.svg in the source tree (the one bench/README.md shows)
#   --https-only     the HTTPS rows only
#   --watch-only     the watcher's fan-out and push only
#   --url URL        poll another server instead of starting the emulator (its one body only)
#   --build-dir DIR  use binaries already built there (default: build the release preset)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/emulator_url.sh
source scripts/official_sdk.sh
source bench/nginx.sh
quick=0 floor_only=0 https_only=0 watch_only=0 peers=0 update_chart=0 url="" build_dir=""
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --floor-only) floor_only=1 ;;
    --https-only) https_only=1 ;;
    --watch-only) watch_only=1 ;;
    --peers) peers=1 ;;
    --update-chart) update_chart=1 ;;
    --url) url=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    *) echo "usage: bench/run.sh [--quick] [--floor-only] [--https-only] [--watch-only] [--peers [--update-chart]]" \
            "[--url URL] [--build-dir DIR]"; exit 2 ;;
  esac
  shift
done
if ((update_chart && !peers)); then
  echo "bench/run.sh: --update-chart needs --peers (the chart is of the peers)" >&2
  exit 2
fi
if [[ -z "$build_dir" ]]; then
  if ((peers)); then scripts/deps.sh --with-node --with-wrk --with-nginx --with-valgrind --with-peers --with-gnuplot
  else scripts/deps.sh --with-node --with-wrk --with-nginx --with-valgrind; fi
  cmake --preset release >/dev/null
  cmake --build --preset release --target snapshot_polling watch_fanout pieces-os-emulator >/dev/null
  build_dir=build/release
fi
fixtures=${PIECES_FIXTURES_DIR:-test/data}
bench=$build_dir/bench/snapshot_polling
fanout=$build_dir/bench/watch_fanout
emulator=$build_dir/pieces-os-emulator
work=$build_dir/bench/peers

server_pin=() client_pin=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then
  server_pin=(taskset -c 1) client_pin=(taskset -c 0)
  echo "pinned: server on CPU 1; client and peers on CPU 0"
else
  echo "not pinned (one core or no taskset)"
fi

# Rows are P:POOL. The peers get fewer requests (they are slower; their figures are per request).
if ((quick)); then rows="1:1 16:16 64:16" requests=2000 wrk_seconds=1 floor_rows="1 16" floor_requests=2000 floor_runs=1
else rows="1:1 16:16 64:64 256:64 256:16 10000:16" requests=50000 wrk_seconds=3 floor_rows="1 16 64 256"
  floor_requests=30000 floor_runs=5; fi

have_sdk=0
if command -v node >/dev/null && command -v npm >/dev/null && install_official_sdk "$work"; then
  cp bench/sdk_poller.mjs "$work/"
  have_sdk=1
else
  echo "official SDK peer skipped: node/npm missing (scripts/deps.sh --with-node)"
fi
command -v wrk >/dev/null || echo "wrk peer skipped: wrk missing (scripts/deps.sh --with-wrk)"

# wrk_row URL P POOL: wrk with one thread and one connection per pooled connection of the row (the requests
# in flight on the wire), printed in snapshot_polling's CSV columns.
wrk_row() {
  local out cpu connections=$(($2 < $3 ? $2 : $3))
  out=$(mktemp) cpu=$(mktemp)
  { TIMEFORMAT='%3U %3S'; time "${client_pin[@]}" wrk -t1 -c"$connections" -d"${wrk_seconds}s" --latency \
      "$1/allocations" > "$out"; } 2> "$cpu"
  awk -v P="$2" -v pool="$3" -v connections="$connections" -v cpu="$(cat "$cpu")" '
    function us(v) {  # wrk prints 460.00us, 0.94ms, 1.20s, 2.00m
      if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /m$/) return v * 60e6; return v * 1e6 }
    /^ +Latency +[0-9]/ { max = us($4) }
    /^ +50%/ { p50 = us($2) } /^ +90%/ { p90 = us($2) } /^ +99%/ { p99 = us($2) }
    / requests in / { n = $1 }
    /^Requests\/sec:/ { rps = $2 }
    END { split(cpu, c, " ")
          if (n == 0) exit 1
          printf "wrk,%d,%d,%d,%.0f,%.0f,%.0f,%.0f,%.0f,%.2f,-,-,-,-,%d\n", P, pool, n, rps, p50, p90, p99, max,
                 (c[1] + c[2]) * 1e6 / n, connections }' "$out"
  rm -f "$out" "$cpu"
}

# build_peers: the Rust and Go peers of bench/peers/ built into $work, offline from Debian's packages
# (scripts/deps.sh --with-peers): cargo with crates-io replaced by the directory of Debian's crates, go with no
# module to fetch; each rebuilds only what changed. Sets rust_peer and go_peer to the binaries, or to "" when
# the toolchain is missing.
build_peers() {
  local dir cargo=cargo
  dir=$(realpath -m "$work")
  rust_peer="" go_peer=""
  # Debian's cargo where there is one: the packaged crates are the ones its rustc is known to build
  if [[ -x /usr/bin/cargo ]]; then cargo=/usr/bin/cargo; fi
  if command -v "$cargo" >/dev/null && compgen -G "/usr/share/cargo/registry/hyper-0.14.*" >/dev/null; then
    mkdir -p "$dir/cargo-home"
    # a CARGO_HOME of its own: this configuration, and nothing of the user's
    cat > "$dir/cargo-home/config.toml" <<'TOML'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
TOML
    CARGO_HOME=$dir/cargo-home "$cargo" build --release --offline --quiet --manifest-path bench/peers/rust/Cargo.toml \
      --target-dir "$dir/rust-target"
    rust_peer=$dir/rust-target/release/pieces-peer-rust
  else
    echo "Rust peer skipped: cargo or Debian's crates missing (scripts/deps.sh --with-peers)"
  fi
  if command -v go >/dev/null; then
    # no module to fetch (GOPROXY=off makes sure); the build cache under the build dir
    (cd bench/peers/go && GOCACHE=$dir/go-cache GOPATH=$dir/gopath GOPROXY=off GOTOOLCHAIN=local \
       go build -o "$dir/pieces-peer-go" .)
    go_peer=$dir/pieces-peer-go
  else
    echo "Go peer skipped: go missing (scripts/deps.sh --with-peers)"
  fi
}

# peer_rows URL C N: the Rust and Go peers (those built) for N requests and wrk (if there) for wrk_seconds, each
# with C requests in flight on C connections, pinned as ours; each prints a row in snapshot_polling's CSV columns.
peer_rows() {
  if [[ -n "$rust_peer" ]]; then "${client_pin[@]}" "$rust_peer" "$1" "$2" "$3"; fi
  # one thread runs the goroutines, as one runs ours
  if [[ -n "$go_peer" ]]; then GOMAXPROCS=1 "${client_pin[@]}" "$go_peer" "$1" "$2" "$3"; fi
  if command -v wrk >/dev/null; then wrk_row "$1" "$2" "$2"; fi
}

# table FILE: the rows of FILE (CSV, grouped by P and pool) in columns, each peer followed by ours as a
# ratio to it (ours / peer: above 1 is more requests/s, or more latency, CPU and memory).
table() {
  awk -F, '
    NR == 1 { for (i = 1; i <= NF; ++i) head[i] = $i; cols = NF
              for (i = 1; i <= cols; ++i) printf(i == 1 ? "%-11s" : "%-14s", head[i]); print ""; next }
    { for (i = 1; i <= cols; ++i) printf(i == 1 ? "%-11s" : "%-14s", $i); print ""
      if ($1 == "ours") { for (i = 1; i <= cols; ++i) ours[i] = $i; next }
      printf("%-11s%-14s%-14s%-14s", "ours/" $1, "", "", "")
      for (i = 5; i <= cols; ++i)
        printf("%-14s", ($i == "-" || ours[i] == "-" || $i + 0 == 0) ? "-" : sprintf("x%.2f", ours[i] / $i))
      print "" }' "$1"
}

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; stop_nginx' EXIT

# An awk function, prepended to the programs that need it: median(list) of a space-separated list of numbers
# (sorted in place: the lists are short).
awk_median='
    function median(list,   n, a, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; ++i) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; --j) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
'

# The floor comparison (see the top of this file): floor_rows CLOUDS ROWS RUNS N, nginx serving the CLOUDS-cloud
# body, floor and ours alternating at each C of ROWS.
floor_rows() {
  local clouds=$1 rows=$2 runs=$3 n=$4 body c run csv
  body=$floor_work/snapshot-$clouds.json
  "$bench" --make-seed "$clouds" "$fixtures/allocations.json" "$body"  # the body as a server writes it
  start_nginx "$body" "$floor_work" "${server_pin[@]}"
  echo "== floor: nginx serving the $clouds-cloud body ($(wc -c < "$body") B) at $nginx_url; C requests in flight on C"
  echo "   connections, N=$n per run, $runs runs each, floor and ours alternating (floor: hand-written Beast"
  echo "   loop, DOM parse; ratios: the median of each run's ours over the floor run just before it)"
  if ((peers)); then
    echo "   after ours in each run: the Rust and Go peers (N=$n) and wrk (${wrk_seconds} s) on C connections (ours/peer:"
    echo "   the median of each run's ours over the peer's run just after it)"
  fi
  csv=$(mktemp)
  for c in $rows; do
    for run in $(seq 1 "$runs"); do
      "${client_pin[@]}" "$bench" --url "$nginx_url" --rows "$c:$c" --requests "$n" --floor --csv | tail -n 1 >> "$csv"
      "${client_pin[@]}" "$bench" --url "$nginx_url" --rows "$c:$c" --requests "$n" --csv | tail -n 1 >> "$csv"
      if ((peers)); then peer_rows "$nginx_url" "$c" "$n" >> "$csv"; fi
    done
  done
  if [[ " $rows " == *" 16 "* && " $rows " == *" 256 "* ]]; then
    # How the cost per request grows with the connections, each client against itself: a run at 16 connections
    # then one at 256, five times; the median of the pairs' ratios of CPU per request.
    for who in --floor ""; do
      local ratios=""
      for run in $(seq 1 "$runs"); do
        local at16 at256
        at16=$("${client_pin[@]}" "$bench" --url "$nginx_url" --rows 16:16 --requests "$n" $who --csv | tail -n 1 | cut -d, -f10)
        at256=$("${client_pin[@]}" "$bench" --url "$nginx_url" --rows 256:256 --requests "$n" $who --csv | tail -n 1 | cut -d, -f10)
        ratios="$ratios $(awk -v a="$at256" -v b="$at16" 'BEGIN { printf "%.3f", a / b }')"
      done
      awk -v who="${who:-ours}" -v ratios="$ratios" "$awk_median"'
        BEGIN { n = split(ratios, r, " "); lo = hi = r[1]
                for (i = 2; i <= n; ++i) { if (r[i] + 0 < lo + 0) lo = r[i]; if (r[i] + 0 > hi + 0) hi = r[i] }
                printf "%s: CPU per request at 256 connections / at 16, paired runs: median %.2f (%s-%s)\n",
                       (who == "--floor" ? "floor" : who), median(ratios), lo, hi }'
    done
  fi
  stop_nginx
  # Each floor run is followed at once by an ours run: the ratio of each such pair, then the median of those
  # ratios (the machine's speed drifts between runs; a pair's two runs see the same machine).
  awk -F, "$awk_median"'
    $1 == "floor" { frps = $5; fcpu = $10; c = $2; next }
    $1 == "ours" { c = $2; if (!(c in seen)) { seen[c] = 1; order[++rows] = c }
                   fr[c] = fr[c] " " frps; or[c] = or[c] " " $5; fc[c] = fc[c] " " fcpu; oc[c] = oc[c] " " $10
                   rr[c] = rr[c] " " ($5 / frps); cr[c] = cr[c] " " ($10 / fcpu); fa[c] = $11; result[c] = $12 }
    END {
      printf "%-6s%-13s%-13s%-11s%-15s%-15s%-11s%s\n", "C", "floor req/s", "ours req/s", "ours/floor",
             "floor CPU us", "ours CPU us", "ours/floor", "ours allocs (of which result)"
      for (i = 1; i <= rows; ++i) {
        c = order[i]
        printf "%-6s%-13.0f%-13.0f%-11.2f%-15.2f%-15.2f%-11.2f%s (%s)\n", c, median(fr[c]), median(or[c]), median(rr[c]),
               median(fc[c]), median(oc[c]), median(cr[c]), fa[c], result[c]
        ours_cpu[c] = median(oc[c]) }
      if ((16 in ours_cpu) && (256 in ours_cpu))
        printf "ours: CPU per request at 256 connections / at 16, from the rows above (not paired): %.2f\n", ours_cpu[256] / ours_cpu[16] }' "$csv"
  if ((peers)); then peers_table "$clouds" "$csv"; fi
  rm -f "$csv"
}

# peers_table CLOUDS FILE: the floor runs of FILE (floor, ours and the peers at each C) per C and client: the
# medians of the runs, and ours over the client as the median of the pairs (the floor run with the ours run
# after it, ours with each peer run after it); the medians also appended to $peers_csv.
peers_table() {
  awk -F, -v clouds="$1" -v out="$peers_csv" "$awk_median"'
    function add(list, v) { return v == "-" || v == "" ? list : list " " v }
    function med(list, format) { return list == "" ? "-" : sprintf(format, median(list)) }
    function ratio(a, b) { return a == "-" || b == "-" || b + 0 == 0 ? "" : a / b }
    {
      c = $2; who = $1
      if (!(c in seen)) { seen[c] = 1; order[++rows] = c }
      k = c SUBSEP who; present[k] = 1
      rps[k] = add(rps[k], $5); cpu[k] = add(cpu[k], $10)
      p50[k] = add(p50[k], $6); p99[k] = add(p99[k], $8); rss[k] = add(rss[k], $13)
      if (who == "floor") { floor_rps = $5; floor_cpu = $10; next }
      if (who == "ours") {
        ours_rps = $5; ours_cpu = $10
        f = c SUBSEP "floor"
        rr[f] = add(rr[f], ratio(ours_rps, floor_rps)); cr[f] = add(cr[f], ratio(ours_cpu, floor_cpu))
        next }
      rr[k] = add(rr[k], ratio(ours_rps, $5)); cr[k] = add(cr[k], ratio(ours_cpu, $10))
    }
    END {
      split("floor ours rust go wrk", clients, " ")
      printf "%-6s%-8s%-11s%-11s%-12s%-11s%-9s%-9s%s\n", "C", "client", "req/s", "ours/this", "CPU us/rq",
             "ours/this", "p50 us", "p99 us", "peak RSS kB"
      for (i = 1; i <= rows; ++i)
        for (j = 1; j <= 5; ++j) {
          c = order[i]; who = clients[j]; k = c SUBSEP who
          if (!(k in present)) continue
          printf "%-6s%-8s%-11s%-11s%-12s%-11s%-9s%-9s%s\n", c, who, med(rps[k], "%.0f"), med(rr[k], "%.2f"),
                 med(cpu[k], "%.2f"), med(cr[k], "%.2f"), med(p50[k], "%.0f"), med(p99[k], "%.0f"), med(rss[k], "%.0f")
          printf "%s,%s,%s,%s,%s\n", who, c, clouds, med(rps[k], "%.0f"), med(cpu[k], "%.2f") >> out
        }
    }' "$2"
}

# peers_chart: bench/peers.svg in the build dir from $peers_csv (bench/peers_chart.gp, gnuplot), its path printed;
# with --update-chart also copied to bench/peers.svg in the source tree. A chart that fails is reported, not fatal.
peers_chart() {
  local svg q="'"
  if ! command -v gnuplot >/dev/null; then
    echo "peers chart skipped: gnuplot missing (scripts/deps.sh --with-gnuplot)"
    return 0
  fi
  svg=$(realpath -m "$build_dir/bench/peers.svg")
  # gnuplot strings in single quotes: a quote in a path doubled
  if gnuplot -e "csv='${peers_csv//$q/$q$q}'; out='${svg//$q/$q$q}'; date='$(date +%F)'" bench/peers_chart.gp; then
    echo "peers chart: $svg"
    if ((update_chart)); then cp "$svg" bench/peers.svg && echo "peers chart copied to bench/peers.svg"; fi
  else
    echo "peers chart failed (gnuplot, bench/peers_chart.gp)"
  fi
}

run_floor() {
  floor_work=$(realpath -m "$build_dir/bench/floor")
  if ! command -v nginx >/dev/null; then
    echo "floor comparison skipped: nginx missing (scripts/deps.sh --with-nginx)"
    return 0
  fi
  mkdir -p "$floor_work"
  if ((peers)); then
    mkdir -p "$work"
    build_peers
    peers_csv=$(realpath -m "$build_dir/bench/peers.csv")
    echo "who,C,clouds,rps,cpu_us" > "$peers_csv"
  fi
  floor_rows 3 "$floor_rows" "$floor_runs" "$floor_requests"
  # The 200-cloud body (99 KB): where parsing is most of the cost.
  floor_rows 200 16 "$floor_runs" $((floor_requests / 20))
  if ((peers)); then peers_chart; fi
  if ((!quick)) && command -v valgrind >/dev/null; then
    echo "instructions per request (callgrind, user space, N = 2 200 minus N = 200):"
    bench/callgrind.sh --floor --build-dir "$build_dir"
  fi
  echo "(floor: ${SECONDS}s since the start)"
}
# run_body NAME URL REQUESTS SDK_REQUESTS: every row, ours then the peers.
run_body() {
  local csv row p pool
  csv=$(mktemp)
  echo "== $1 body, server at $2; ours and wrk: N=$3 (wrk: ${wrk_seconds} s), SDK: N=$4 (at least P)"
  for row in $rows; do
    p=${row%:*} pool=${row#*:}
    # the column names once, from the first row
    "${client_pin[@]}" "$bench" --url "$2" --rows "$row" --requests "$3" --csv | tail -n +$(($(wc -l < "$csv") ? 2 : 1)) >> "$csv"
    if ((have_sdk)); then
      (cd "$work" && "${client_pin[@]}" node sdk_poller.mjs "$2" "$p" "$4") >> "$csv"
    fi
    if command -v wrk >/dev/null; then wrk_row "$2" "$p" "$pool" >> "$csv"; fi
  done
  table "$csv"
  rm -f "$csv"
  echo "($1 body: ${SECONDS}s since the start)"
}

if [[ -n "$url" ]]; then
  run_body "the server's" "$url" "$requests" $((requests / 5))
  exit
fi
# start_emulator SEED_FILE [EMULATOR_OPTIONS...]: a pinned emulator serving it (the previous one stopped), its
# URL in $server_url; started in this shell, so the trap stops it
start_emulator() {
  local out seed=$1
  shift
  out=$(mktemp)
  kill "${pids[@]}" 2>/dev/null || true
  "${server_pin[@]}" "$emulator" --port 0 --seed "$seed" "$@" > "$out" 2>&1 &
  pids=($!)
  server_url=$(emulator_url "$out")
}

# run_https: at each row, ours over HTTPS, ours over plain HTTP, and the SDK over HTTPS (the 3-cloud body, the
# same emulator process for both schemes is not possible, so two, one at a time busy, both on the server's core).
run_https() {
  local csv row p pool certs https_url http_url
  certs=$(realpath "$work")/certs  # absolute: the SDK runs from $work
  test/tls/make_test_certs.sh "$certs" >/dev/null
  start_emulator "$fixtures/allocations.json"
  http_url=$server_url
  local http_pid=${pids[0]}
  "${server_pin[@]}" "$emulator" --port 0 --seed "$fixtures/allocations.json" --tls-cert "$certs/server.pem" \
    --tls-key "$certs/server.key" > "$work/tls.out" 2>&1 &
  pids=($http_pid $!)
  https_url=$(emulator_url "$work/tls.out")
  csv=$(mktemp)
  echo "== 3-cloud body over HTTPS (TLS 1.3, P-256 certificate), server at $https_url; ours: N=$requests, SDK: N=$((requests / 5))"
  echo "   ours-http is ours over plain HTTP in the same run: ours/ours-http is what TLS costs"
  for row in $https_rows; do
    p=${row%:*} pool=${row#*:}
    SSL_CERT_FILE=$certs/ca.pem "${client_pin[@]}" "$bench" --url "$https_url" --rows "$row" --requests "$requests" --csv |
      tail -n +$(($(wc -l < "$csv") ? 2 : 1)) >> "$csv"
    "${client_pin[@]}" "$bench" --url "$http_url" --rows "$row" --requests "$requests" --csv | tail -n 1 |
      sed 's/^ours,/ours-http,/' >> "$csv"
    if ((have_sdk)); then
      (cd "$work" && NODE_EXTRA_CA_CERTS=$certs/ca.pem "${client_pin[@]}" node sdk_poller.mjs "$https_url" "$p" \
        $((requests / 5))) >> "$csv"
    fi
  done
  table "$csv"
  rm -f "$csv"
  echo "(https: ${SECONDS}s since the start)"
}
if ((quick)); then https_rows="1:1 16:16"; else https_rows="1:1 16:16 64:64 256:64"; fi
if ((https_only)); then run_https; exit 0; fi

if ((!watch_only)); then
  run_floor
  ((floor_only)) && exit 0
  seed200=$(mktemp --suffix=.json)
  "$bench" --make-seed 200 "$fixtures/allocations.json" "$seed200"
  start_emulator "$fixtures/allocations.json"
  run_body 3-cloud "$server_url" "$requests" $((requests / 5))
  start_emulator "$seed200"
  # ~40x the bytes per reply: fewer requests, so the full run stays within 10 minutes
  run_body 200-cloud "$server_url" $((requests / 10)) $((requests / 50))
  rm -f "$seed200"
  run_https
fi

# run_watch N INTERVAL_MS CHANGES: the three modes of watch_fanout against the 3-cloud emulator, in a table.
run_watch() {
  local csv mode
  csv=$(mktemp)
  echo "== watcher: $1 subscribers, interval $2 ms, $3 changes (each made through the API, seen by all)"
  for mode in watcher loops timers; do
    "${client_pin[@]}" "$fanout" --url "$server_url" --mode "$mode" --subscribers "$1" --interval "$2" --changes "$3" >> "$csv"
  done
  awk -F, '
    { req[$1] = $3; rss[$1] = $4; p50[$1] = $5; p99[$1] = $6 }
    END {
      printf "%-36s %18s %15s %13s %13s\n", "", "requests/interval", "RSS/subscriber", "woken p50 ms", "woken p99 ms"
      split("watcher loops timers", order, " ")
      names["watcher"] = "ours: one watcher"; names["loops"] = "yardstick: a polling loop each"
      names["timers"] = "floor: a timer each, all fired"
      for (i = 1; i <= 3; ++i) { m = order[i]
        printf "%-36s %18s %13s B %13s %13s\n", names[m], (req[m] == "" ? "-" : req[m]), rss[m],
               (p50[m] == "" ? "-" : p50[m]), (p99[m] == "" ? "-" : p99[m]) }
      printf "ours/yardstick: requests per interval %.5f, RSS %.2f; ours/floor: RSS %.2f, woken p50 %.2f, p99 %.2f\n",
             req["watcher"] / req["loops"], rss["watcher"] / rss["loops"], rss["watcher"] / rss["timers"],
             p50["watcher"] / p50["timers"], p99["watcher"] / p99["timers"]
      printf "the watcher'"'"'s own memory per subscriber, beyond a waiting coroutine'"'"'s (ours - floor): %d B (target <= 1024 B)\n",
             rss["watcher"] - rss["timers"] }' "$csv"
  rm -f "$csv"
  echo "(watcher: ${SECONDS}s since the start)"
}
start_emulator "$fixtures/allocations.json"
if ((quick)); then run_watch 1000 200 3; else run_watch 10000 1000 10; fi

# run_push N INTERVAL_MS CHANGES: watch_fanout's change mode with push on, then off, against a fresh 3-cloud
# emulator (it serves /user/stream), in a table.
run_push() {
  local csv push
  csv=$(mktemp)
  start_emulator "$fixtures/allocations.json"
  echo "== push: $1 subscribers, interval $2 ms, $3 changes made through the API (disconnect and reconnect in turn);"
  echo "   woken: from just before the request that makes a change to the last subscriber woken. With push, each"
  echo "   change is made $(($2 / 10)) ms after the one before was seen; polling only, change k (from 0) is made"
  echo "   (k + 0.5)/$3 of an interval after the poll before it, sampling the wait for the next poll evenly."
  echo "   Requests: the watcher's GET /allocations during the changes (interval polls included), per change."
  for push in on off; do
    "${client_pin[@]}" "$fanout" --url "$server_url" --mode change --push "$push" --subscribers "$1" --interval "$2" \
      --changes "$3" >> "$csv"
  done
  awk -F, '
    { p50[$1] = $3; p99[$1] = $4; req[$1] = $5; pushed[$1] = $6 }
    END {
      printf "%-32s %13s %13s %20s %17s\n", "", "woken p50 ms", "woken p99 ms", "requests per change",
             "of which pushed"
      split("push poll", order, " ")
      names["push"] = "push: /user/stream and polls"; names["poll"] = "poll only (--no-push)"
      for (i = 1; i <= 2; ++i) { m = order[i]
        printf "%-32s %13s %13s %20s %17s\n", names[m], p50[m], p99[m], req[m], pushed[m] }
      if (p50["push"] + 0 > 0 && p99["push"] + 0 > 0)
        printf "poll only/push: woken p50 x%.0f, p99 x%.0f\n", p50["poll"] / p50["push"],
               p99["poll"] / p99["push"] }' "$csv"
  rm -f "$csv"
  echo "(push: ${SECONDS}s since the start)"
}
# Full: 20 changes polling only take 20 intervals (100 s), with push about 2 intervals.
if ((quick)); then run_push 1000 200 4; else run_push 10000 5000 20; fi
