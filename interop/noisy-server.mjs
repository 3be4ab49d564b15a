// A Node socket.io v4 server whose every reply carries a fresh id and a fresh time, for the
// tests of `sio-replay check --baseline-runs` (learned noise). Nothing in its replies is
// something check's default normalisation recognises (no ObjectId, no UUID, no epoch or ISO
// time), so only learned noise makes two runs agree.
//
// Usage: node noisy-server.mjs            prints {"listening": <port>} and serves on 127.0.0.1
//
// Namespace /shop (a connect without {"token": ...} is refused):
//   on connection         emits  hello  {id, at, greeting, version}
//   create (with ack)     acks   {ok, id: <fresh room id>, at}
//   join <room id>        emits  joined {room, known, id, at}  (known: the id came from create)
//                         then   news   "<JSON text>" {Message: {Id, At, Text}, EventName}
//
// NOISY_MODE (environment) switches the behaviour a candidate server might break:
//   normal                the above (default)
//   type-change           hello's `id` is a number instead of a string
//   drop-event            join emits no `news`
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Server } from "socket.io";

const mode = process.env.NOISY_MODE ?? "normal";
if (!["normal", "type-change", "drop-event"].includes(mode)) {
  console.error(`NOISY_MODE=${mode} is not one of normal, type-change, drop-event`);
  process.exit(2);
}

const fresh = () => randomBytes(9).toString("base64url");
const now = () => performance.now();

const http = createServer();
const io = new Server(http, { pingInterval: 25000, pingTimeout: 20000 });
const shop = io.of("/shop");
const rooms = new Set();

shop.use((socket, next) => {
  const token = socket.handshake.auth?.token;
  if (typeof token !== "string" || token.length === 0) {
    next(new Error("no token in the connect payload"));
  } else {
    next();
  }
});

shop.on("connection", (socket) => {
  socket.emit("hello", {
    id: mode === "type-change" ? Math.floor(Math.random() * 1e9) : fresh(),
    at: now(),
    greeting: "xin chào",
    version: 2,
  });
  socket.on("create", (_options, ack) => {
    const id = `room-${fresh()}`;
    rooms.add(id);
    if (typeof ack === "function") ack({ ok: true, id, at: now() });
  });
  socket.on("join", (room) => {
    socket.emit("joined", { room, known: rooms.has(room), id: fresh(), at: now() });
    if (mode !== "drop-event") {
      const payload = { Message: { Id: fresh(), At: now(), Text: "Nu" }, EventName: "shop.news" };
      socket.emit("news", JSON.stringify(payload));
    }
  });
});

http.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ listening: http.address().port }));
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    io.close();
    process.exit(0);
  });
}
