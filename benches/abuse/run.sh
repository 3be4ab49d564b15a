#!/usr/bin/env bash
# The abuse run of `sio-replay serve` (see abuse.py): builds the release binary, then runs the
# four scenarios against fresh servers on 127.0.0.1, one JSON line each. Bounded: about two
# minutes in all. Results of a run are in RESULTS.md beside this script.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --locked -p sio-replay
ulimit -n 4096 2>/dev/null || true
python3 benches/abuse/abuse.py --binary target/release/sio-replay "$@"
