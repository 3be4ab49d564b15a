#!/usr/bin/env bash
# The sans-IO crates must never pull in an async runtime, an HTTP stack or a WebSocket stack:
# that is what makes them usable from any runtime and testable without sockets.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
# The crates ARCHITECTURE.md calls sans-IO: bytes and time in, values and bytes out.
for crate in sio-wire sio-session tpos-chat sio-capture sio-contract rt2-corpus ws-passive tcp-reassembly; do
  tree=$(cargo tree -p "$crate" -e normal --prefix none --locked 2>/dev/null | awk '{print $1}' | sort -u)
  for banned in tokio hyper tungstenite tokio-tungstenite mio; do
    if grep -qx "$banned" <<<"$tree"; then
      echo "layering: $crate depends on $banned (only rt2-mock, rt2-client and sio-replay may)" >&2
      status=1
    fi
  done
done
[ $status -eq 0 ] && echo "layering ok"
exit $status
