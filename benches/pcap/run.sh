#!/usr/bin/env bash
# The pcap importer against tshark on the same files: `sio-replay import` (release build) and
# `tshark -r FILE -T json` (Debian's, installed by install-tshark.sh), each the best of five
# wall-clock runs, on the bench's generated captures (sio_benches::pcap: four WebSocket
# sessions of the rt-2 mix, plain and permessage-deflate). tshark dissects and prints every
# packet as JSON, inflating permessage-deflate; `sio-replay import` reassembles, decodes and
# writes the native capture. Results go in BENCHMARKS.md.
#
# Usage: benches/pcap/run.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
benches/pcap/install-tshark.sh
cargo build --release -q -p sio-replay --bin sio-replay
cargo build --release -q -p sio-benches --example write-pcap
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

best_of_5() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
best = None
for _ in range(5):
    start = time.perf_counter()
    subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    best = elapsed if best is None else min(best, elapsed)
print(f"{best:.4f}")
PY
}

for kind in plain deflate; do
  pcap="$dir/rt2-$kind.pcap"
  target/release/examples/write-pcap "$pcap" "$kind" >/dev/null
  bytes=$(stat -c %s "$pcap")
  ours=$(best_of_5 target/release/sio-replay import "$pcap" -o "$dir/out.jsonl" --force)
  theirs=$(best_of_5 tshark -r "$pcap" -T json)
  python3 - "$kind" "$bytes" "$ours" "$theirs" <<'PY'
import sys
kind, size, ours, theirs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
mb = size / 1e6
print(f"{kind}: {mb:.1f} MB pcap; sio-replay import {ours*1000:.0f} ms ({mb/ours:.0f} MB/s), "
      f"tshark -T json {theirs*1000:.0f} ms ({mb/theirs:.1f} MB/s): {theirs/ours:.0f}x")
PY
done
