// A Node socket.io v4 server for the pcap import tests (crates/sio-replay/tests/cli/pcap.rs):
// every WebSocket message compressed (permessage-deflate with threshold 0) and polling
// responses gzipped when the client accepts it, so that a packet capture of it exercises the
// importer's inflate paths.
//
// Usage: node pcap-server.mjs '<JSON options>'
//
// Options:
//   events      how many events to emit to each client on "/" after it connects (default 12)
//   interval_ms time between them (default 15): the first ones go out on long-polling before
//               a polling client upgrades, the later ones on the WebSocket
//   port        default 0 (any free port); host is always 127.0.0.1
//
// Each event is `tick` with a JSON string argument (rt-2's style) and an object argument.
// The server answers a client's `echo` event with an ack. On start it prints one line,
// {"listening": <port>}, and serves until SIGINT or SIGTERM.
import { createServer } from "node:http";
import { Server } from "socket.io";

const options = JSON.parse(process.argv[2] ?? "{}");
const count = options.events ?? 12;
const interval = options.interval_ms ?? 15;

const http = createServer();
const io = new Server(http, {
  perMessageDeflate: { threshold: 0 },
  httpCompression: { threshold: 0 },
  pingInterval: 25000,
  pingTimeout: 20000,
});

io.on("connection", (socket) => {
  let sent = 0;
  const timer = setInterval(() => {
    if (sent >= count) {
      clearInterval(timer);
      return;
    }
    sent += 1;
    const body = JSON.stringify({ seq: sent, text: `message ${sent} `.repeat(sent) });
    socket.emit("tick", body, { seq: sent, unicode: "héllo ✓" });
  }, interval);
  socket.on("echo", (value, ack) => {
    if (typeof ack === "function") ack({ echoed: value });
  });
  socket.on("disconnect", () => clearInterval(timer));
});

const shutdown = () => {
  io.close();
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

http.listen(options.port ?? 0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ listening: http.address().port }) + "\n");
});
