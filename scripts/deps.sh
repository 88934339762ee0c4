#!/usr/bin/env bash
# Installs what building and testing need on Debian 12, only what is missing (quick when all is there).
# Usage: scripts/deps.sh [--with-node] [--with-wrk] [--with-nginx] [--with-valgrind] [--with-doxygen] [--with-fuzz]
#                        [--with-libcxx] [--with-mingw] [--with-peers] [--with-gnuplot]
#   --with-node      node and npm (the official TypeScript SDK: parity test, benchmark peer)
#   --with-wrk       wrk (the benchmark's HTTP-limit peer)
#   --with-nginx     nginx (the server of the benchmark's floor comparison)
#   --with-valgrind  valgrind (the benchmark's instruction count)
#   --with-doxygen   doxygen (the API reference)
#   --with-fuzz      clang 14 and libFuzzer (the fuzz preset)
#   --with-libcxx    clang 14 and libc++ 14 (the libcxx preset: the C++ library of macOS)
#   --with-mingw     MinGW-w64 and Wine (the mingw preset: Windows x86-64, its tests run under Wine)
#   --with-peers     cargo, the Rust crates of Debian that the Rust peer builds from offline, and Go (the
#                    benchmark's Rust and Go peers, bench/peers/), and strace (bench/syscalls.sh)
#   --with-gnuplot   gnuplot without X (the chart of the benchmark's peers, bench/peers_chart.gp)
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev openssl catch2 curl)
missing=()
want_packages() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
}
want_packages "${packages[@]}"
for option in "$@"; do
  case "$option" in
    --with-node)
      command -v node >/dev/null 2>&1 || missing+=(nodejs)
      command -v npm >/dev/null 2>&1 || missing+=(npm) ;;
    --with-wrk) command -v wrk >/dev/null 2>&1 || missing+=(wrk) ;;
    --with-nginx) command -v nginx >/dev/null 2>&1 || missing+=(nginx-light) ;;
    --with-valgrind) command -v valgrind >/dev/null 2>&1 || missing+=(valgrind) ;;
    --with-doxygen) command -v doxygen >/dev/null 2>&1 || missing+=(doxygen) ;;
    --with-fuzz) want_packages clang-14 libfuzzer-14-dev ;;
    --with-libcxx) want_packages clang-14 libc++-14-dev libc++abi-14-dev ;;
    --with-mingw) want_packages g++-mingw-w64-x86-64-posix wine64 ;;
    --with-peers) want_packages cargo librust-hyper-dev librust-tokio-dev librust-serde-dev librust-serde-derive-dev \
                    librust-serde-json-dev librust-libc-dev golang-go strace ;;
    --with-gnuplot) command -v gnuplot >/dev/null 2>&1 || missing+=(gnuplot-nox) ;;
    *) echo "usage: scripts/deps.sh [--with-node] [--with-wrk] [--with-nginx] [--with-valgrind] [--with-doxygen]" \
            "[--with-fuzz] [--with-libcxx] [--with-mingw] [--with-peers] [--with-gnuplot]" >&2
       exit 2 ;;
  esac
done

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
