// The Node side of the fan-out benchmark: a socket.io v4 server that does what
// `sio-replay serve` does in the benchmark, so that both can be measured by the same
// `sio-replay load` run.
//
// - Namespace /chatomni; the same frames as the mock: every server-to-client
//   `42/chatomni,["on-events", ...]` frame of the capture, re-emitted with socket.io's own
//   encoder (which gives back the captured text byte for byte: one string argument).
// - The same auth acceptance as `serve --auth claims`: the handshake auth's `token` is a JWT
//   whose payload (not its signature) is decoded; `TenantId` must equal the `room` query
//   parameter and `exp` must be in the future; otherwise CONNECT_ERROR with a message.
// - `ack_event`: an event acknowledged with its own arguments (the mock does the same through
//   benches/load/ack.toml), which the load generator's ack probe times.
// - Send-time stamps (docs/load.md): a client whose handshake query has `stamp=1` gets each
//   event with one more, last argument, the emit time in microseconds since the Unix epoch. A
//   live room is broadcast once to all its members, so its events are stamped when the client
//   that started the room asked (in the benchmark every client asks).
//
// Usage: node node-server.cjs '<JSON options>'
//   capture     the native capture (JSON Lines) whose /chatomni events are sent
//   mode        "per-connection" (each client gets the capture from its start), "live" (one
//               timeline per room, broadcast to the room), or "idle" (connect, send nothing)
//   speed       a factor of the captured timing (live and per-connection), or "max"
//               (per-connection only: as fast as the client reads)
//   ack_event   the event to acknowledge (default "latency-probe")
//   port        default 0 (a free port); the host is always 127.0.0.1
//
// Every replay loops (like `serve --loop`). On start it prints {"listening": PORT, "pid": PID}
// and serves until SIGINT or SIGTERM.
"use strict";

const path = require("node:path");
const { createServer } = require("node:http");
const { readFileSync } = require("node:fs");
// The pinned socket.io of interop/ (scripts/install-node-deps.sh installs it).
const { Server } = require(path.join(__dirname, "..", "..", "interop", "node_modules", "socket.io"));

const options = JSON.parse(process.argv[2] || "{}");
const NAMESPACE = "/chatomni";
const mode = options.mode || "per-connection";
const speed = options.speed === undefined ? 1 : options.speed;
const ackEvent = options.ack_event || "latency-probe";
// Pause between passes, at original speed, as the mock's default (1 s).
const PASS_GAP_MS = 1000;
// Per-connection max speed: emit while the WebSocket has less than this buffered, so that the
// server's memory stays bounded the way the mock's send queue (4 MiB) bounds it.
const MAX_BUFFERED = 1 << 20;

if (!["per-connection", "live", "idle"].includes(mode)) {
  throw new Error(`mode: ${mode} is not per-connection, live or idle`);
}
if (speed === "max" ? mode === "live" : !(typeof speed === "number" && speed > 0)) {
  throw new Error(`speed: ${speed} must be a number above 0, or "max" without live mode`);
}

/** The /chatomni server-to-client events of a capture, timed from the namespace's connect. */
function loadEvents(file) {
  const events = [];
  let origin = null;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const record = JSON.parse(line);
    if (record.type !== "frame" || record.from !== "server" || record.kind !== "text") continue;
    if (origin === null && record.data.startsWith(`40${NAMESPACE},`)) origin = record.t_ms;
    if (!record.data.startsWith(`42${NAMESPACE},`)) continue;
    const json = record.data.slice(`42${NAMESPACE},`.length);
    events.push({ t_ms: record.t_ms, args: JSON.parse(json) });
  }
  const start = origin === null ? (events.length ? events[0].t_ms : 0) : origin;
  return events.map((e) => ({ offset: Math.max(0, e.t_ms - start), args: e.args }));
}

const events = options.capture ? loadEvents(options.capture) : [];

/** Now, in microseconds since the Unix epoch. */
const unixMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
/** The event's arguments, with the send-time stamp when asked. */
const withStamp = (args, stamp) => (stamp ? [...args, unixMicros()] : args);
const span = events.length ? events[events.length - 1].offset + PASS_GAP_MS : 0;

/** Calls `emit(args)` for each event on the captured timeline scaled by `speed`, looping. */
function paced(emit, isStopped) {
  if (events.length === 0) return;
  const started = Date.now();
  let index = 0;
  let pass = 0;
  const step = () => {
    if (isStopped()) return;
    // Everything already due goes out now, in order, like the mock's cursor.
    let due = started + (pass * span + events[index].offset) / speed;
    while (due <= Date.now()) {
      emit(events[index].args);
      index += 1;
      if (index === events.length) {
        index = 0;
        pass += 1;
      }
      due = started + (pass * span + events[index].offset) / speed;
    }
    setTimeout(step, due - Date.now());
  };
  step();
}

/** Decodes a JWT's payload without checking its signature, as `serve --auth claims` does. */
function checkClaims(token, room) {
  if (typeof token !== "string" || token.length === 0) {
    return "Authentication error: no token in the connect payload";
  }
  const bare = token.startsWith("Bearer ") ? token.slice(7) : token;
  const parts = bare.split(".");
  if (parts.length !== 3) return "Authentication error: the token is not a JWT";
  let claims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch (err) {
    return `Authentication error: unreadable token payload: ${err.message}`;
  }
  if (claims.TenantId !== room) {
    return `Authentication error: TenantId ${JSON.stringify(claims.TenantId)} does not match room ${JSON.stringify(room)}`;
  }
  if (typeof claims.exp !== "number") return "Authentication error: token has no exp claim";
  const now = Math.floor(Date.now() / 1000);
  if (claims.exp <= now) return `Authentication error: token expired at ${claims.exp} (now ${now})`;
  return null;
}

const http = createServer();
const io = new Server(http, {
  // rt-2's settings, as the mock's defaults.
  pingInterval: 25000,
  pingTimeout: 60000,
  maxHttpBufferSize: 1e6,
  serveClient: false,
});
const nsp = io.of(NAMESPACE);

nsp.use((socket, next) => {
  const room = socket.handshake.query.room || "";
  const refusal = checkClaims(socket.handshake.auth && socket.handshake.auth.token, room);
  next(refusal === null ? undefined : new Error(refusal));
});

const liveRooms = new Set();

nsp.on("connection", (socket) => {
  let stopped = false;
  socket.on("disconnect", () => {
    stopped = true;
  });
  socket.on(ackEvent, (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  if (mode === "idle" || events.length === 0) return;
  const stamp = socket.handshake.query.stamp === "1";
  if (mode === "live") {
    const room = String(socket.handshake.query.room || "");
    socket.join(room);
    // One timeline per room, started by its first client, as the mock's live mode does.
    if (!liveRooms.has(room)) {
      liveRooms.add(room);
      paced((args) => nsp.to(room).emit(...withStamp(args, stamp)), () => false);
    }
    return;
  }
  if (speed !== "max") {
    paced((args) => socket.emit(...withStamp(args, stamp)), () => stopped);
    return;
  }
  // As fast as the client reads: emit while the socket's unsent bytes stay under the bound,
  // then look again on the next turn of the event loop.
  let index = 0;
  const ws = () => socket.conn.transport && socket.conn.transport.socket;
  const batch = () => {
    if (stopped) return;
    const raw = ws();
    let sent = 0;
    while (sent < 64 && !(raw && raw.bufferedAmount > MAX_BUFFERED) && socket.conn.writeBuffer.length < 1024) {
      socket.emit(...withStamp(events[index].args, stamp));
      index = (index + 1) % events.length;
      sent += 1;
    }
    if (sent === 0) setTimeout(batch, 1);
    else setImmediate(batch);
  };
  batch();
});

http.listen(options.port || 0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ listening: http.address().port, pid: process.pid })}\n`);
});

const stop = () => {
  io.close();
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
