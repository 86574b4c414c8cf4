#!/usr/bin/env bash
# Makes a current Node.js LTS available and prints the directory holding its `node`
# binary. The machines ship Node 20 (end-of-life), on which npm silently resolves
# older @pulumi/* releases, so we install the pinned LTS from the npm registry into
# a cache outside the repository and reuse it on later runs.
#
# Usage: export PATH="$(bash scripts/setup-node.sh):$PATH"
#        bash scripts/setup-node.sh --check   print the directory only if such a Node is
#                                             already there; install nothing (else exit 1)
set -euo pipefail

CHECK_ONLY=false
case "${1:-}" in
  "") ;;
  --check) CHECK_ONLY=true ;;
  *) echo "setup-node: unknown argument '$1' (use --check or nothing)" >&2; exit 2 ;;
esac

NODE_VERSION="${NODE_VERSION:-26.10.0}"
NODE_MAJOR="${NODE_VERSION%%.*}"
CACHE_DIR="${REPLICATED_MYSQL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/replicated-mysql}"

current_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if [ "$(current_major)" -ge "$NODE_MAJOR" ]; then
  dirname "$(command -v node)"
  exit 0
fi

prefix="$CACHE_DIR/node-$NODE_VERSION"
bin="$prefix/node_modules/node/bin"
if [ ! -x "$bin/node" ] && $CHECK_ONLY; then
  echo "setup-node: no Node $NODE_MAJOR or newer on PATH, nor in $prefix (bash scripts/setup-node.sh installs it)" >&2
  exit 1
fi
if [ ! -x "$bin/node" ]; then
  command -v npm >/dev/null 2>&1 || { echo "setup-node: npm is needed to install Node $NODE_VERSION and was not found" >&2; exit 1; }
  mkdir -p "$prefix"
  echo "setup-node: installing Node $NODE_VERSION into $prefix" >&2
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$prefix" "node@$NODE_VERSION" >&2
fi
[ -x "$bin/node" ] || { echo "setup-node: Node $NODE_VERSION did not install to $bin" >&2; exit 1; }
echo "$bin"
