// Writes crates/ws-passive/tests/fixtures/node-ws-*: the raw bytes that Node's `ws` (the
// WebSocket library under socket.io) sends with permessage-deflate, one direction per fixture,
// with the handshake heads that negotiated it (`.request`, `.response`, `.bin`), and the
// messages both sides were asked to send (`node-ws.messages`).
//
// Server to client: a `ws` server, read by a raw TCP client that offers permessage-deflate.
// Client to server: a `ws` client, answered by a raw TCP server that accepts it.
//
// usage: node interop/ws-deflate-fixtures.mjs   (after scripts/install-node-deps.sh)
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocket, WebSocketServer } from "ws";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "../crates/ws-passive/tests/fixtures");
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// What each side sends: [kind, data, fin]. fin=false makes a fragment of the next message.
function script() {
  const event = (i) =>
    `42/chatomni,["on-events","{\\"EventName\\":\\"chatomni.on-message\\",\\"Data\\":{\\"Message\\":{\\"Message\\":\\"Chào shop, còn hàng mã ${i} không ạ?\\"}}}"]`;
  const out = [];
  for (let i = 0; i < 8; i++) out.push(["t", event(i), true]);
  out.push(["b", Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]), true]);
  out.push(["t", "", true]);
  out.push(["t", "Xin chào! ".repeat(4000), true]);
  out.push(["t", '451-/chatomni,["upload",{"_placeholder":true,', false]);
  out.push(["t", '"num":0}]', true]);
  out.push(["b", Buffer.alloc(3000, 7), true]);
  return out;
}

// The messages, in `node-ws.messages`: per message a kind byte (`t` or `b`), a 4-byte
// big-endian length and the bytes.
function expected() {
  const parts = [];
  let pending = null;
  for (const [kind, data, fin] of script()) {
    const bytes = Buffer.from(data);
    pending = pending ? { kind: pending.kind, bytes: Buffer.concat([pending.bytes, bytes]) } : { kind, bytes };
    if (fin) {
      const head = Buffer.alloc(5);
      head.write(pending.kind, 0, "latin1");
      head.writeUInt32BE(pending.bytes.length, 1);
      parts.push(head, pending.bytes);
      pending = null;
    }
  }
  return Buffer.concat(parts);
}

async function send(ws) {
  for (const [kind, data, fin] of script()) {
    await new Promise((resolve, reject) =>
      ws.send(data, { binary: kind === "b", fin }, (err) => (err ? reject(err) : resolve())),
    );
  }
  ws.close(1000, "xong");
}

function write(name, request, response, frames) {
  writeFileSync(join(OUT, `${name}.request`), request);
  writeFileSync(join(OUT, `${name}.response`), response);
  writeFileSync(join(OUT, `${name}.bin`), frames);
  console.log(`${name}: ${frames.length} bytes of frames`);
}

// Splits raw bytes at the end of the HTTP head.
function splitHead(buf) {
  const end = buf.indexOf("\r\n\r\n");
  return [buf.subarray(0, end + 4).toString("latin1"), buf.subarray(end + 4)];
}

// Collects everything a socket sends until it has been quiet for a while.
function collect(socket, onFirst) {
  return new Promise((resolve) => {
    const chunks = [];
    let timer = null;
    socket.on("data", (d) => {
      if (chunks.length === 0 && onFirst) onFirst(d);
      chunks.push(d);
      clearTimeout(timer);
      timer = setTimeout(() => {
        socket.destroy();
        resolve(Buffer.concat(chunks));
      }, 400);
    });
  });
}

async function serverToClient(name, options) {
  const wss = new WebSocketServer({ port: 0, perMessageDeflate: { threshold: 0, ...options } });
  wss.on("connection", (ws) => send(ws));
  await new Promise((r) => wss.on("listening", r));
  const request =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
  const socket = net.connect(wss.address().port, "127.0.0.1", () => socket.write(request));
  const all = await collect(socket);
  const [response, frames] = splitHead(all);
  write(name, request, response, frames);
  wss.close();
}

async function clientToServer(name, accepted) {
  let request = "";
  let response = "";
  const server = net.createServer((socket) => {
    let head = Buffer.alloc(0);
    const done = collect(socket, null);
    socket.once("data", (d) => {
      head = d;
      const [text] = splitHead(head);
      request = text;
      const key = /sec-websocket-key: *(\S+)/i.exec(text)[1];
      const accept = createHash("sha1").update(key + GUID).digest("base64");
      response =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: ${accepted}\r\n\r\n`;
      socket.write(response);
    });
    done.then((all) => {
      const [, frames] = splitHead(all);
      write(name, request, response, frames);
      server.close();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const ws = new WebSocket(`ws://127.0.0.1:${server.address().port}/`, {
    perMessageDeflate: { threshold: 0 },
  });
  ws.on("open", () => send(ws));
  ws.on("error", (e) => console.error(name, e.message));
  await new Promise((r) => server.on("close", r));
}

writeFileSync(join(OUT, "node-ws.messages"), expected());
await serverToClient("node-ws-server-takeover", {});
await serverToClient("node-ws-server-no-takeover-w10", { serverNoContextTakeover: true, serverMaxWindowBits: 10 });
await clientToServer("node-ws-client-takeover", "permessage-deflate; client_max_window_bits=15");
await clientToServer(
  "node-ws-client-no-takeover-w9",
  "permessage-deflate; client_no_context_takeover; client_max_window_bits=9",
);
