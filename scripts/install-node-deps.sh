#!/usr/bin/env bash
# Installs the Node packages that the interop tests and benchmarks drive (the real
# socket.io-client and socket.io v4, pinned by interop/package-lock.json).
#
# Idempotent: does nothing when interop/node_modules already matches the lock file.
# Run it once after cloning; .ci/run calls it before the tests.
set -euo pipefail
# Test processes call this too (crates/interop-deps), several at once under cargo-nextest: one
# installs while the others wait for it.
exec 9>"${TMPDIR:-/tmp}/sio-replay-install-node.lock"
command -v flock >/dev/null 2>&1 && flock 9
cd "$(dirname "$0")/../interop"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-node-deps: node and npm are required for the interop tests (Node 20 or newer)" >&2
  exit 1
fi

# npm writes node_modules/.package-lock.json after a successful install; if it is newer than the
# committed lock file, the installed tree is current.
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
  && [ -d node_modules/socket.io-client ] && [ -d node_modules/socket.io ] && [ -d node_modules/playwright-core ] \
  && [ -d node_modules/@asyncapi/parser ]; then
  echo "install-node-deps: interop/node_modules is up to date"
  exit 0
fi

npm ci --no-audit --no-fund
echo "install-node-deps: installed $(node -p 'require("./node_modules/socket.io-client/package.json").version') socket.io-client and $(node -p 'require("./node_modules/socket.io/package.json").version') socket.io"
