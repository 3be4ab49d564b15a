// A Node socket.io v4 server that behaves like rt-2 as far as a client can tell: it accepts
// `/chatomni` connects with a token and replays a capture's `on-events` to each client. It is
// the reference the Rust mock is compared with (load benchmarks) and a stand-in for the live
// server (record tests).
//
// Usage: node rt2-server.mjs '<JSON options>'
//
// Options:
//   capture        path of a native capture (JSON Lines); its server-to-client EVENTs of the
//                  namespace are replayed to each client after it joins (default: none)
//   namespace      default "/chatomni"
//   speed          a number (2 = twice as fast as captured) or "max" (no gaps; default 1)
//   repeat         start over after the last event (default false)
//   require_token  refuse a connect without {"token": ...} (default true), as rt-2 does
//   port           default 0 (any free port); host is always 127.0.0.1
//   ping_interval, ping_timeout   milliseconds (default 25000 and 60000, rt-2's)
//   per_message_deflate  compress every WebSocket message, however short (threshold 0), when
//                  the client offers permessage-deflate (default false, socket.io's default)
//
// On start it prints one line, {"listening": <port>}, and serves until SIGINT or SIGTERM.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { Server } from "socket.io";

const options = JSON.parse(process.argv[2] ?? "{}");
const namespace = options.namespace ?? "/chatomni";
const speed = options.speed ?? 1;
const requireToken = options.require_token ?? true;

/** The namespace's server-to-client EVENT payloads of a capture, timed from its connect ack. */
function loadEvents(path) {
  const events = [];
  let origin = null;
  const prefixEvent = `42${namespace === "/" ? "" : namespace + ","}`;
  const prefixConnect = `40${namespace === "/" ? "" : namespace + ","}`;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const record = JSON.parse(line);
    if (record.type !== "frame" || record.from !== "server" || record.kind !== "text") continue;
    if (origin === null && record.data.startsWith(prefixConnect)) origin = record.t_ms;
    if (!record.data.startsWith(prefixEvent)) continue;
    // An ack id (digits) may sit between the namespace and the array.
    const json = record.data.slice(prefixEvent.length).replace(/^\d+/, "");
    events.push({ t_ms: record.t_ms, args: JSON.parse(json) });
  }
  const start = origin ?? (events[0]?.t_ms ?? 0);
  return events.map((e) => ({ offset: Math.max(0, e.t_ms - start), args: e.args }));
}

const events = options.capture ? loadEvents(options.capture) : [];

const http = createServer();
const io = new Server(http, {
  pingInterval: options.ping_interval ?? 25000,
  pingTimeout: options.ping_timeout ?? 60000,
  maxHttpBufferSize: 1e6,
  perMessageDeflate: options.per_message_deflate ? { threshold: 0 } : false,
  cors: { origin: true, credentials: true },
});

io.of(namespace).use((socket, next) => {
  const token = socket.handshake.auth?.token;
  if (requireToken && (typeof token !== "string" || token.length === 0)) {
    next(new Error("Authentication error: no token in the connect payload"));
  } else {
    next();
  }
});

io.of(namespace).on("connection", (socket) => {
  let stopped = false;
  socket.on("disconnect", () => {
    stopped = true;
  });
  if (events.length === 0) return;
  if (speed === "max") {
    // No gaps, but yield between batches so that pings and other clients are served.
    let index = 0;
    const batch = () => {
      for (let n = 0; n < 64 && !stopped; n += 1) {
        if (index === events.length) {
          if (!options.repeat) return;
          index = 0;
        }
        socket.emit(...events[index].args);
        index += 1;
      }
      if (!stopped) setImmediate(batch);
    };
    batch();
    return;
  }
  const span = events[events.length - 1].offset + 1000;
  const started = Date.now();
  let index = 0;
  let pass = 0;
  const next = () => {
    if (stopped) return;
    if (index === events.length) {
      if (!options.repeat) return;
      index = 0;
      pass += 1;
    }
    const due = started + (pass * span + events[index].offset) / speed;
    setTimeout(() => {
      if (stopped) return;
      socket.emit(...events[index].args);
      index += 1;
      next();
    }, Math.max(0, due - Date.now()));
  };
  next();
});

http.listen(options.port ?? 0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ listening: http.address().port }) + "\n");
});

const stop = () => {
  io.close();
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
