#!/usr/bin/env bash
# Proxy benchmark: `sio-replay proxy` against mitmproxy's reverse mode (installed from PyPI into
# a venv under target/), relaying the same WebSocket traffic in one run, with no proxy as the
# baseline. The driver and the upstream echo server are benches/examples/proxy-bench.rs.
#
# Usage: benches/proxy/run.sh            (from anywhere; about 2 minutes after the builds)
# Environment:
#   CONNECTIONS="1 10 100"   connection counts of the throughput rows
#   SECONDS_EACH=5           measuring window of each throughput run (after 1 s of warm-up)
#   RATE=1000                messages per second of the latency run (one connection)
#   LATENCY_SECONDS=10       length of the latency run
#   OUT=target/bench-proxy   where the JSON of every run, the captures and table.md go
#   PROXY_CPU=0 DRIVER_CPU=1 taskset CPUs: both proxies on one core, the echo server and the
#                            driver on the other
#   NICE=-10                 nice level of everything, and of its autogroup (root only; 0 to
#                            leave priorities alone)
#
# Both proxies write what they see (sio-replay: a capture with -o; mitmdump: its flows to a
# file with -w), listen on 127.0.0.1 with a free port, and are stopped before the next starts.
# Every message is a Socket.IO EVENT frame of about 600 bytes, echoed by the upstream.
set -euo pipefail

# As benches/load/run.sh: with autogroup scheduling, `nice` ranks processes only inside one
# session's group, so as root the benchmark runs in its own session whose group gets NICE.
if [ "$(id -u)" = 0 ] && [ -z "${RUN_SH_SESSION:-}" ] && [ -w /proc/self/autogroup ] \
  && command -v setsid >/dev/null; then
  RUN_SH_SESSION=1 exec setsid -w "$0" "$@"
fi
if [ -n "${RUN_SH_SESSION:-}" ]; then
  echo "${NICE:--10}" >/proc/self/autogroup 2>/dev/null || true
fi

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
CONNECTIONS=${CONNECTIONS:-"1 10 100"}
SECONDS_EACH=${SECONDS_EACH:-5}
RATE=${RATE:-1000}
LATENCY_SECONDS=${LATENCY_SECONDS:-10}
OUT=${OUT:-target/bench-proxy}
VENV=$OUT/venv
PROXY_CPU=${PROXY_CPU:-0}
DRIVER_CPU=${DRIVER_CPU:-1}
if [ "$(id -u)" = 0 ]; then NICE=${NICE:--10}; else NICE=${NICE:-0}; fi
on() { # cpu command...: pinned and niced. Only as `on ... &`: the exec makes $! the command's
  # own PID (a subshell would ignore the SIGINT that stops it, as background jobs do).
  local cpu=$1
  shift
  exec taskset -c "$cpu" nice -n "$NICE" "$@"
}

cargo build --release -p sio-replay -p sio-benches --example proxy-bench
BIN=target/release/sio-replay
DRIVER=target/release/examples/proxy-bench
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.jsonl "$OUT"/*.flows

if [ ! -x "$VENV/bin/mitmdump" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet mitmproxy
fi
MITM_VERSION=$("$VENV/bin/mitmdump" --version | sed -n 1p)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until something accepts on 127.0.0.1:$1.
wait_port() {
  for _ in $(seq 1 200); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  echo "nothing listens on $1" >&2
  return 1
}

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

on "$DRIVER_CPU" "$DRIVER" echo >"$OUT/echo.port" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$OUT/echo.port" ] && break; sleep 0.05; done
ECHO_PORT=$(python3 -c "import json; print(json.load(open('$OUT/echo.port'))['listening'])")
UPSTREAM=http://127.0.0.1:$ECHO_PORT
PATH_Q="/socket.io/?EIO=4&transport=websocket"

# Both proxies run for the whole benchmark and each row measures the three paths back to back,
# so that a machine whose load drifts (a shared CI box) treats them alike.
SIO_PORT=$(free_port)
on "$PROXY_CPU" "$BIN" proxy --upstream "$UPSTREAM" --port "$SIO_PORT" -o "$OUT/sio-replay.jsonl" --force \
  --format json >/dev/null 2>"$OUT/sio-replay.stderr" &
SIO_PID=$!
PIDS+=($SIO_PID)
MITM_PORT=$(free_port)
on "$PROXY_CPU" "$VENV/bin/mitmdump" --mode "reverse:$UPSTREAM" --listen-host 127.0.0.1 --listen-port "$MITM_PORT" \
  -w "$OUT/mitmproxy.flows" -q >/dev/null 2>"$OUT/mitmproxy.stderr" &
MITM_PID=$!
PIDS+=($MITM_PID)
wait_port "$SIO_PORT"
wait_port "$MITM_PORT"

url() { echo "ws://127.0.0.1:$1$PATH_Q"; }
for c in $CONNECTIONS; do
  for path in "direct $ECHO_PORT" "sio-replay $SIO_PORT" "mitmproxy $MITM_PORT"; do
    set -- $path
    timeout 120 taskset -c "$DRIVER_CPU" nice -n "$NICE" "$DRIVER" throughput "$(url "$2")" "$c" "$SECONDS_EACH" >"$OUT/$1-throughput-$c.json"
    echo "$1 throughput $c: $(cat "$OUT/$1-throughput-$c.json")"
  done
done
for path in "direct $ECHO_PORT" "sio-replay $SIO_PORT" "mitmproxy $MITM_PORT"; do
  set -- $path
  timeout 120 taskset -c "$DRIVER_CPU" nice -n "$NICE" "$DRIVER" latency "$(url "$2")" "$RATE" "$LATENCY_SECONDS" >"$OUT/$1-latency.json"
  echo "$1 latency: $(cat "$OUT/$1-latency.json")"
done
kill -INT "$SIO_PID" "$MITM_PID"
wait "$SIO_PID" || true
wait "$MITM_PID" || true
uptime | sed 's/^/load after the run: /'

python3 - "$OUT" "$CONNECTIONS" "$MITM_VERSION" <<'PY' | tee "$OUT/table.md"
import json, sys
out, connections, mitm = sys.argv[1], sys.argv[2].split(), sys.argv[3]
def load(name): return json.load(open(f"{out}/{name}.json"))
print(f"peer: {mitm}\n")
print("| messages/s through | " + " | ".join(f"{c} conn" for c in connections) + " |")
print("|---|" + "---:|" * len(connections))
rates = {}
for name in ["direct", "sio-replay", "mitmproxy"]:
    rates[name] = [load(f"{name}-throughput-{c}")["messages_per_s"] for c in connections]
    print(f"| {name} | " + " | ".join(f"{r:,.0f}" for r in rates[name]) + " |")
print("| **sio-replay / mitmproxy** | " + " | ".join(
    f"**{a / b:.1f}x**" for a, b in zip(rates["sio-replay"], rates["mitmproxy"])) + " |")
print()
base = load("direct-latency")
print("| round trip at %d msg/s, µs | p50 | p99 | p99.9 | max | added p50 | added p99 | received |" % base["rate"])
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name in ["direct", "sio-replay", "mitmproxy"]:
    l = load(f"{name}-latency")
    print(f"| {name} | {l['p50_us']} | {l['p99_us']} | {l['p999_us']} | {l['max_us']} | "
          f"{l['p50_us'] - base['p50_us']} | {l['p99_us'] - base['p99_us']} | {l['received']}/{l['sent']} |")
PY
