// A real socket.io-client v4, driven by the Rust integration tests (crates/rt2-mock/tests).
//
// Usage: node client.mjs '<JSON options>'
//
// Options:
//   url          base URL of the server, e.g. "http://127.0.0.1:3000" (required)
//   namespace    namespace to join (default "/chatomni")
//   room         the `room` query parameter (rt-2's tenant)
//   token        sent as the CONNECT auth payload {"token": ...}; omitted when absent
//   transports   e.g. ["websocket"]; default socket.io-client's ["polling", "websocket"]
//   events       stop after this many events (default: no limit)
//   connects     stop after this many successful connects (for reconnect tests)
//   stay_ms      stop after being connected this long (heartbeat tests)
//   stop_on_connect_error  stop at the first connect_error (default true)
//   reconnection socket.io-client's `reconnection` (default true)
//   timeout_ms   give up (exit 2) after this long (default 10000)
//
// Every line on stdout is one JSON object: {"type":"connect","id":...},
// {"type":"event","name":...,"args":[...],"payload":<the first argument JSON-parsed when it is
// a string holding JSON>}, {"type":"connect_error","message":...},
// {"type":"disconnect","reason":...}, {"type":"upgrade","transport":...},
// {"type":"done","reason":...}. The process exits 0 when a stop condition was met.
import { io } from "socket.io-client";

const options = JSON.parse(process.argv[2] ?? "{}");
if (!options.url) {
  console.error("client.mjs: the `url` option is required");
  process.exit(64);
}

const emit = (record) => process.stdout.write(JSON.stringify(record) + "\n");
const namespace = options.namespace ?? "/chatomni";
const query = options.room === undefined ? {} : { room: options.room };
const socket = io(options.url + namespace, {
  query,
  auth: options.token === undefined ? undefined : { token: options.token },
  transports: options.transports,
  reconnection: options.reconnection ?? true,
  reconnectionDelay: 100,
  reconnectionDelayMax: 200,
  timeout: 5000,
});

let events = 0;
let connects = 0;

let finished = false;
const finish = (reason, code = 0) => {
  if (finished) {
    return;
  }
  finished = true;
  emit({ type: "done", reason });
  socket.disconnect();
  // stdout is asynchronous on a pipe: exit only once everything written so far is flushed
  // (the callback of a write runs after the writes before it).
  process.stdout.write("", () => process.exit(code));
};

setTimeout(() => finish("timeout", 2), options.timeout_ms ?? 10000);

socket.io.on("open", () => {
  socket.io.engine.on("upgrade", (transport) => emit({ type: "upgrade", transport: transport.name }));
});

socket.on("connect", () => {
  connects += 1;
  emit({ type: "connect", id: socket.id, transport: socket.io.engine.transport.name });
  if (options.connects !== undefined && connects >= options.connects) {
    finish("connects");
    return;
  }
  if (options.stay_ms !== undefined) {
    setTimeout(() => finish("stayed"), options.stay_ms);
  }
});

socket.on("connect_error", (err) => {
  emit({ type: "connect_error", message: err.message });
  if (options.stop_on_connect_error ?? true) {
    finish("connect_error");
  }
});

socket.on("disconnect", (reason) => emit({ type: "disconnect", reason }));

socket.onAny((name, ...args) => {
  if (finished) {
    return;
  }
  events += 1;
  let payload = null;
  if (typeof args[0] === "string") {
    try {
      payload = JSON.parse(args[0]);
    } catch {
      payload = null;
    }
  }
  emit({ type: "event", name, args, payload });
  if (options.events !== undefined && events >= options.events) {
    finish("events");
  }
});
