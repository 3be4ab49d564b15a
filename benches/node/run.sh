#!/usr/bin/env bash
# Times Node's reference socket.io-parser on the corpus the Rust benches use.
#
# Usage: benches/node/run.sh [CORPUS.jsonl] [SECONDS]
# Without CORPUS, it writes one with the dump-corpus example first (same frames, same seed as
# the criterion benches). Results: JSON Lines on stdout, a summary on stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
corpus="${1:-}"
seconds="${2:-3}"
if [ -z "$corpus" ]; then
  corpus="$root/target/rt2-mix.jsonl"
  (cd "$root" && cargo run --quiet -p sio-benches --example dump-corpus -- "$corpus")
fi
cd "$here"
npm ci --no-audit --no-fund --loglevel=error >&2
node decode.js "$corpus" "$seconds"
