#!/usr/bin/env bash
# Figures of the web view (docs/ui.md): the page over a 100,000-frame capture in headless
# Chromium (time to first render, JS heap, rows kept in the DOM), and the mock's fan-out at 100
# clients without the view, with a tab following it, and with a stalled tab (an event stream
# that is never read).
#
# Usage: benches/ui/run.sh          (from anywhere; about 2 minutes; needs a release build:
#                                    cargo build --release -p sio-replay)
# Environment:
#   FRAMES=100000    frames in the generated capture
#   CLIENTS=100      clients of each fan-out run
#   DURATION=10s     measuring window of each fan-out run
#   ROUNDS=2         fan-out runs of each kind (the table shows each)
#   OUT=target/bench-ui
#
# Every server listens on 127.0.0.1 with a free port, every run is bounded by `timeout`, and
# every server is stopped (by its pid) before the next starts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
BIN=${BIN:-target/release/sio-replay}
FRAMES=${FRAMES:-100000}
CLIENTS=${CLIENTS:-100}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
OUT=${OUT:-target/bench-ui}
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "run.sh: no $BIN: cargo build --release -p sio-replay" >&2; exit 2; }

# The capture: the bundled session's frames repeated, each repetition a new connection, until
# FRAMES frames.
python3 - "$FRAMES" "$OUT/frames.jsonl" <<'PY'
import json, sys
want, out = int(sys.argv[1]), sys.argv[2]
lines = open("captures/rt2-chatomni.jsonl", encoding="utf-8").read().splitlines()
header, frames = lines[0], [json.loads(l) for l in lines[1:] if '"type":"frame"' in l]
span = frames[-1]["t_ms"] + 1000
with open(out, "w", encoding="utf-8") as f:
    f.write(header + "\n")
    n = rep = 0
    while n < want:
        for fr in frames:
            if n == want:
                break
            fr = dict(fr, conn=rep + 1, t_ms=round(fr["t_ms"] + rep * span, 3))
            f.write(json.dumps(fr, ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
        rep += 1
PY
echo "capture: $OUT/frames.jsonl, $FRAMES frames, $(du -h "$OUT/frames.jsonl" | cut -f1)" >&2

SERVER_PID=''
start() { # OUTFILE COMMAND...
  local out=$1; shift
  : >"$out"
  timeout 600 "$@" --format json >"$out" 2>"$OUT/server.err" &
  local timeout_pid=$!
  for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
  SERVER_PID=$(pgrep -P "$timeout_pid" | head -1)
  [ -n "$SERVER_PID" ] || { cat "$OUT/server.err" >&2; exit 1; }
}
stop() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
cpu_ticks() { # PID: utime + stime in clock ticks
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}
field() { node -e 'const l = require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0];
  process.stdout.write(String(JSON.parse(l)[process.argv[2]]))' "$1" "$2"; }

# 1. The page over the capture.
start "$OUT/ui.out" "$BIN" ui "$OUT/frames.jsonl" --port 0
node interop/browser/ui.mjs file --ui-url "$(field "$OUT/ui.out" ui_url)" --records "$FRAMES" \
  --out "$OUT" --screenshot "$OUT/ui-100k.png" --timeout-ms 120000 >"$OUT/page.json" || true
stop
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
  console.log(`page: ${r.items} rows, first render ${Math.round(r.first_render_ms)} ms after navigation, all loaded ${Math.round(r.all_loaded_ms)} ms after, JS heap ${(r.js_heap_used_bytes / 1048576).toFixed(1)} MiB, ${r.rows_in_dom} rows in the DOM, filter ${r.filter_ms} ms (${r.filtered_shown})${r.ok ? "" : ", FAILED: " + r.reason}`)' "$OUT/page.json" | tee "$OUT/table.txt"

# 2. Fan-out: without the view, with a tab following it, with a stalled event stream.
fanout() { # NAME SERVE-FLAGS...
  local name=$1; shift
  start "$OUT/serve.out" "$BIN" serve --port 0 --speed 0 --loop "$@"
  local port token ui holder='' staller=''
  port=$(field "$OUT/serve.out" port)
  token=$(field "$OUT/serve.out" token)
  case $name in
    tab)
      ui=$(field "$OUT/serve.out" ui_url)
      node interop/browser/ui.mjs hold --ui-url "$ui" --seconds 16 --out "$OUT" >"$OUT/hold-$round.json" &
      holder=$!
      sleep 5 ;;
    stalled)
      ui=$(field "$OUT/serve.out" ui_url)
      # An event stream that is asked for and never read: its socket buffers fill and stay full.
      python3 -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(("GET /__ui/api/stream?" + sys.argv[2].split("?")[1] + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").encode())
time.sleep(60)' "$port" "$ui" &
      staller=$!
      sleep 1 ;;
  esac
  local ticks_before ticks_after
  ticks_before=$(cpu_ticks "$SERVER_PID")
  timeout 120 "$BIN" load "ws://127.0.0.1:$port" --room tomato.tpos.vn -n "$CLIENTS" \
    --duration "$DURATION" --token-insecure "$token" --format json -q >"$OUT/load-$name.json" || true
  ticks_after=$(cpu_ticks "$SERVER_PID")
  [ -n "$holder" ] && { wait "$holder" || true; }
  [ -n "$staller" ] && { kill "$staller" 2>/dev/null || true; }
  stop
  # Server CPU per delivered event: the mock's own cost, apart from what the browser (on the
  # same two cores) takes from it. Ramp-up and the tab's history download are in the ticks, so
  # this is an upper bound.
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const us = (Number(process.argv[3]) * 1e6 / Number(process.argv[4])) / r.events;
    console.log(`${process.argv[2]}: ${r.connected}/${r.clients} connected, ${Math.round(r.events_per_sec)} events/s, server CPU ${us.toFixed(2)} µs/event`)' \
    "$OUT/load-$name.json" "$name" "$((ticks_after - ticks_before))" "$(getconf CLK_TCK)" | tee -a "$OUT/table.txt"
}
for round in $(seq "$ROUNDS"); do
  fanout none
  fanout tab --ui
  fanout stalled --ui
done
