#!/usr/bin/env bash
# Makes the TLS tests' certificates into DIR (the build tree): never installed, never committed.
#   ca.pem               the test CA (tests trust it through tls_options::ca_file or SSL_CERT_FILE)
#   server.pem           for 127.0.0.1 and localhost, issued by the test CA     (key: server.key)
#   expired.pem          as server.pem, but its validity ended yesterday        (key: server.key)
#   other_host.pem       for other.example only, issued by the test CA         (key: server.key)
#   unknown_issuer.pem   for 127.0.0.1, issued by a CA nobody trusts            (key: server.key)
#   self_signed.pem      for 127.0.0.1, signed by its own key                   (key: server.key)
#   client.pem           a client certificate issued by the test CA            (key: client.key)
# Usage: make_test_certs.sh DIR
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {  # ca NAME SUBJECT
  key "$tmp/$1.key"
  openssl req -x509 -new -key "$tmp/$1.key" -out "$tmp/$1.pem" -days 3650 -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
leaf() {  # leaf OUT KEY CA DAYS SAN [EXTENDED_KEY_USAGE]
  openssl req -new -key "$2" -out "$tmp/$1.csr" -subj "/CN=pieces test $1"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=%s\n' "$5" "${6:-serverAuth}" > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$3.pem" -CAkey "$tmp/$3.key" -CAcreateserial \
    -out "$1.pem" -days "$4" -extfile "$tmp/$1.ext" 2>/dev/null
}

ca ca "/CN=pieces-allocations test CA"
ca stranger "/CN=a CA nobody trusts"
cp "$tmp/ca.pem" ca.pem
key server.key
key client.key
leaf server server.key ca 825 "IP:127.0.0.1,DNS:localhost"
leaf expired server.key ca -1 "IP:127.0.0.1,DNS:localhost"
leaf other_host server.key ca 825 "DNS:other.example"
leaf unknown_issuer server.key stranger 825 "IP:127.0.0.1,DNS:localhost"
leaf client client.key ca 825 "DNS:client.example" clientAuth
openssl req -x509 -new -key server.key -out self_signed.pem -days 825 -subj "/CN=pieces test self-signed" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"
