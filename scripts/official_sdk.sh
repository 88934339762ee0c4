# Sourced by scripts that run the official TypeScript SDK (@pieces.app/pieces-os-client 4.1.0) on node.
# install_official_sdk DIR: installs it into DIR/node_modules once (later calls find it there).
install_official_sdk() {
  mkdir -p "$1"
  [[ -d "$1/node_modules/@pieces.app/pieces-os-client" ]] && return 0
  (cd "$1" && { [[ -f package.json ]] || echo '{"name":"pieces-allocations-peer","private":true}' > package.json; } &&
   npm install --no-audit --no-fund --loglevel=error @pieces.app/pieces-os-client@4.1.0 >/dev/null)
}
