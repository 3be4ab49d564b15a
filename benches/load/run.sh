#!/usr/bin/env bash
# Fan-out benchmark: the mock (`sio-replay serve`) against a Node socket.io v4 server
# (benches/load/node-server.cjs) and a socketioxide server (benches/examples/
# socketioxide-server.rs) doing the same emits, all measured by `sio-replay load` in one run.
# Max-speed rows run without send-time stamps (throughput as before); fixed-rate rows ask for
# them, and every server stamps, giving emit-to-receive latency (docs/load.md).
#
# Usage: benches/load/run.sh            (from anywhere; about 6 minutes)
# Environment:
#   CLIENTS="1 10 100 1000"   client counts for the max-speed and fixed-rate rows
#   MAX_DURATION=5s           measuring window of each max-speed run
#   RATE_DURATION=10s         measuring window of each fixed-rate run
#   RATE_SPEED=20             fixed rate: the capture's own timing times this factor, broadcast
#                             to the room (live mode), about 10 events/s
#   ACK_RATE=1                fixed-rate runs: acked `latency-probe` emits per client per second
#   IDLE_CLIENTS=1000         idle connections for the RSS row
#   SERVER_CPU=0 LOAD_CPU=1   taskset CPUs: server and load generator on separate cores
#   NICE=-10                  nice level of both, and of their autogroup (root only; 0 to leave
#                             priorities alone)
#   OUT=target/bench-load     where the JSON of every run and table.md go
#
# Last, benches/examples/loopback-floor.rs measures the floor under every server's fan-out skew:
# one pass of plain writes of an event-sized frame to N loopback connections from one core.
#
# Every server listens on 127.0.0.1 with a free port, every run is bounded by `timeout`, and
# every server is stopped before the next starts. The token is synthetic (claims checked, not
# the signature: `serve --auth claims`, and the same check in node-server.cjs).
set -euo pipefail

# With the kernel's autogroup scheduling (sched_autogroup_enabled), `nice` only ranks processes
# inside one session's group, and other sessions (builds, fuzzers) share the cores group by
# group. As root, the benchmark runs in its own session whose group gets the NICE level, so that
# the servers and the load generator are not starved by neighbours.
if [ "$(id -u)" = 0 ] && [ -z "${RUN_SH_SESSION:-}" ] && [ -w /proc/self/autogroup ] \
  && command -v setsid >/dev/null; then
  RUN_SH_SESSION=1 exec setsid -w "$0" "$@"
fi
if [ -n "${RUN_SH_SESSION:-}" ]; then
  echo "${NICE:--10}" >/proc/self/autogroup 2>/dev/null || true
fi

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
HERE=benches/load
CAPTURE=captures/rt2-chatomni.jsonl
ROOM=tomato.tpos.vn
CLIENTS=${CLIENTS:-"1 10 100 1000"}
MAX_DURATION=${MAX_DURATION:-5s}
RATE_DURATION=${RATE_DURATION:-10s}
RATE_SPEED=${RATE_SPEED:-20}
ACK_RATE=${ACK_RATE:-1}
IDLE_CLIENTS=${IDLE_CLIENTS:-1000}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-target/bench-load}
if [ "$(id -u)" = 0 ]; then NICE=${NICE:--10}; else NICE=${NICE:-0}; fi

cargo build --release -p sio-replay
cargo build --release -p sio-benches --example socketioxide-server --example loopback-floor
scripts/install-node-deps.sh >/dev/null
BIN=target/release/sio-replay
SOX=target/release/examples/socketioxide-server
FLOOR=target/release/examples/loopback-floor
mkdir -p "$OUT"
rm -f "$OUT"/*.json

# 1000 clients need 1000 descriptors in the load generator and as many in the server.
need=$(( $(echo "$CLIENTS $IDLE_CLIENTS" | tr ' ' '\n' | sort -n | tail -1) * 2 + 256 ))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$need" || { echo "run.sh: ulimit -n $need refused (hard limit $(ulimit -Hn))" >&2; exit 1; }
fi

# A synthetic JWT for the room, valid for an hour; its signature is not checked.
SIO_TOKEN=$(node -e '
  const b = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  process.stdout.write([b({ alg: "HS256", typ: "JWT" }),
    b({ ClientId: "tmtWebApp", TenantId: process.argv[1], UserId: "bench-user", iat: now, exp: now + 3600 }),
    Buffer.from("synthetic-benchmark-signature").toString("base64url")].join("."));' "$ROOM")
export SIO_TOKEN

run_pinned() { # CPU COMMAND...: bounded, pinned, at the benchmark's nice level
  local cpu=$1; shift
  nice -n "$NICE" taskset -c "$cpu" "$@"
}

SERVER_PID='' PORT=''
start_mock() { # SCENARIO ARGS...
  local scenario=$1; shift
  # Not through run_pinned: nice and taskset exec, so $! is `timeout` and the server its child.
  nice -n "$NICE" taskset -c "$SERVER_CPU" timeout 600 "$BIN" serve "$CAPTURE" --port 0 \
    --auth claims --scenario "$scenario" --format json "$@" >"$OUT/server.out" 2>"$OUT/server.err" &
  wait_listening port
}
start_node() { # JSON options
  nice -n "$NICE" taskset -c "$SERVER_CPU" timeout 600 node "$HERE/node-server.cjs" "$1" \
    >"$OUT/server.out" 2>"$OUT/server.err" &
  wait_listening listening
}
start_sox() { # JSON options
  nice -n "$NICE" taskset -c "$SERVER_CPU" timeout 600 "$SOX" "$1" \
    >"$OUT/server.out" 2>"$OUT/server.err" &
  wait_listening listening
}
wait_listening() { # KEY of the port in the server's first line
  local timeout_pid=$! key=$1
  for _ in $(seq 100); do
    if [ -s "$OUT/server.out" ]; then break; fi
    sleep 0.1
  done
  PORT=$(node -e 'const l = require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0];
    process.stdout.write(String(JSON.parse(l)[process.argv[2]]))' "$OUT/server.out" "$key")
  # The server is the child of `timeout`.
  SERVER_PID=$(pgrep -P "$timeout_pid" | head -1)
  [ -n "$SERVER_PID" ] || { cat "$OUT/server.err" >&2; exit 1; }
}
stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}

# Samples the server's CPU time (clock ticks) ten times a second, with a wall clock, so that the
# table can take the CPU used inside the load generator's measuring window.
sample_cpu() { # FILE
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    printf '%s %s\n' "$(date +%s.%N)" "$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0)"
    sleep 0.1
  done >"$1"
}

run_load() { # NAME CLIENTS DURATION LOAD-ARGS...
  local name=$1 n=$2 duration=$3; shift 3
  local file="$OUT/$name-$n"
  sample_cpu "$file.cpu" &
  local sampler=$!
  date +%s.%N >"$file.start"
  run_pinned "$LOAD_CPU" /usr/bin/time -f '%U %S' -o "$file.time" timeout 300 \
    "$BIN" load "ws://127.0.0.1:$PORT" --room "$ROOM" -n "$n" --duration "$duration" \
    --connect-timeout 30s --server-pid "$SERVER_PID" --format json -q "$@" >"$file.json" \
    || echo "run.sh: load $name -n $n failed" >&2
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  echo "$name -n $n: $(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
    console.log(`${r.connected}/${r.clients} connected, ${Math.round(r.events_per_sec)} events/s`)' "$file.json")" >&2
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/machine.txt" >&2

for n in $CLIENTS; do
  # Max speed: every client gets the capture from its start, looping, as fast as it reads.
  start_mock "$HERE/ack.toml" --speed 0 --loop
  run_load mock-max "$n" "$MAX_DURATION" --no-stamps
  stop_server
  start_node "{\"capture\":\"$CAPTURE\",\"mode\":\"per-connection\",\"speed\":\"max\"}"
  run_load node-max "$n" "$MAX_DURATION" --no-stamps
  stop_server
  start_sox "{\"capture\":\"$CAPTURE\",\"mode\":\"per-connection\",\"speed\":\"max\"}"
  run_load sox-max "$n" "$MAX_DURATION" --no-stamps
  stop_server
  # Fixed rate: one timeline per room at RATE_SPEED times the captured pace, broadcast to every
  # client with its send-time stamp; each client also emits acked probes at ACK_RATE per second.
  start_mock "$HERE/ack.toml" --mode live --speed "$RATE_SPEED" --loop
  run_load mock-rate "$n" "$RATE_DURATION" --ack-event latency-probe --ack-rate "$ACK_RATE"
  stop_server
  start_node "{\"capture\":\"$CAPTURE\",\"mode\":\"live\",\"speed\":$RATE_SPEED}"
  run_load node-rate "$n" "$RATE_DURATION" --ack-event latency-probe --ack-rate "$ACK_RATE"
  stop_server
  start_sox "{\"capture\":\"$CAPTURE\",\"mode\":\"live\",\"speed\":$RATE_SPEED}"
  run_load sox-rate "$n" "$RATE_DURATION" --ack-event latency-probe --ack-rate "$ACK_RATE"
  stop_server
done

# Idle connections: a fresh server, clients that join /chatomni and receive nothing.
start_mock "$HERE/idle.toml"
run_load mock-idle "$IDLE_CLIENTS" 1s
stop_server
start_node "{\"capture\":\"$CAPTURE\",\"mode\":\"idle\"}"
run_load node-idle "$IDLE_CLIENTS" 1s
stop_server
start_sox "{\"capture\":\"$CAPTURE\",\"mode\":\"idle\"}"
run_load sox-idle "$IDLE_CLIENTS" 1s
stop_server

# The floor under every server's skew: one pass of plain write(2) calls of one event-sized frame
# to each of N loopback connections, from the server's core, readers on the load core.
for n in $CLIENTS; do
  run_pinned "$SERVER_CPU" timeout 120 "$FLOOR" "$n" 50 1214 "$LOAD_CPU" >"$OUT/floor-$n.json" \
    || echo "run.sh: loopback-floor $n failed" >&2
done

node "$HERE/table.cjs" "$OUT" "$CLIENTS" "$IDLE_CLIENTS" | tee "$OUT/table.md"
