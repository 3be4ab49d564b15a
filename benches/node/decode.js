// Times Node's reference parsers on the same frames the criterion benches decode.
//
// Usage: node decode.js CORPUS.jsonl [SECONDS]
//
// CORPUS.jsonl holds one frame per line, each written as a JSON string (so frames containing
// newlines survive); `cargo run -p sio-benches --example dump-corpus` writes it. Each variant
// runs whole passes over the corpus for about SECONDS (default 3) after a one-second warm-up,
// and reports the median pass. Throughput is UTF-8 bytes of frame text per second, the same
// measure as the Rust benches' `Throughput::Bytes`, although V8 holds the strings as UTF-16.
//
// Output: one JSON object per line on stdout, then a human summary on stderr.
"use strict";

const fs = require("fs");
const { decodePacket, decodePayload } = require("engine.io-parser");
const { Decoder } = require("socket.io-parser");

const corpusPath = process.argv[2];
const seconds = Number(process.argv[3] || 3);
if (!corpusPath) {
  console.error("usage: node decode.js CORPUS.jsonl [SECONDS]");
  process.exit(2);
}

const frames = fs
  .readFileSync(corpusPath, "utf8")
  .split("\n")
  .filter((line) => line.length > 0)
  .map((line) => JSON.parse(line));
const utf8Bytes = (list) => list.reduce((sum, f) => sum + Buffer.byteLength(f, "utf8"), 0);
// The same selections as the Rust benches: the on-events frames alone, and the mix batched
// 16 frames to a v4 polling payload.
const onEvents = frames.filter((f) => f.startsWith('42/chatomni,["on-events"'));
const FRAMES_PER_PAYLOAD = 16;
const payloads = [];
for (let i = 0; i < frames.length; i += FRAMES_PER_PAYLOAD) {
  payloads.push(frames.slice(i, i + FRAMES_PER_PAYLOAD).join("\x1e"));
}

// What a Node socket.io client does with a text frame: engine.io-parser splits off the Engine.IO
// type, and socket.io-parser decodes the Socket.IO header and JSON.parse()s the whole payload
// (it is eager: there is no lazy mode). A binary-event header leaves the decoder waiting for
// attachments, which never come in this corpus, so the decoder is reset after it.
function makeEagerPass(list, secondLevel) {
  const decoder = new Decoder();
  let sink = 0;
  decoder.on("decoded", (packet) => {
    const data = packet.data;
    if (secondLevel && Array.isArray(data) && data[0] === "on-events" && typeof data[1] === "string") {
      // Both JSON levels: the on-events argument is itself a JSON document.
      const inner = JSON.parse(data[1]);
      sink += inner === null ? 0 : 1;
    } else {
      sink += packet.type;
    }
  });
  return function pass() {
    for (let i = 0; i < list.length; i++) {
      const eio = decodePacket(list[i]);
      if (eio.type === "message" && typeof eio.data === "string") {
        decoder.add(eio.data);
        if (decoder.reconstructor) {
          decoder.destroy();
        }
      } else {
        sink += eio.type.length;
      }
    }
    return sink;
  };
}

// engine.io-parser's decodePayload: split on \x1e and decode each record (what a polling
// client does with a GET's body).
function payloadPass() {
  let sink = 0;
  for (let i = 0; i < payloads.length; i++) {
    sink += decodePayload(payloads[i]).length;
  }
  return sink;
}

// The practical ceiling in Node: touch every frame once with a native scan that finds nothing.
function scanPass() {
  let sink = 0;
  for (let i = 0; i < frames.length; i++) {
    sink += frames[i].indexOf("\x1e");
  }
  return sink;
}

function measure(id, group, work, list, pass) {
  const bytes = utf8Bytes(list);
  let sink = 0;
  const warmUntil = process.hrtime.bigint() + 1_000_000_000n;
  while (process.hrtime.bigint() < warmUntil) {
    sink += pass();
  }
  const times = [];
  const until = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < until || times.length < 5) {
    const start = process.hrtime.bigint();
    sink += pass();
    times.push(Number(process.hrtime.bigint() - start));
  }
  times.sort((a, b) => a - b);
  const medianNs = times[Math.floor(times.length / 2)];
  const result = {
    id,
    group,
    work,
    frames: list === payloads ? frames.length : list.length,
    bytes,
    passes: times.length,
    median_ns_per_pass: medianNs,
    mb_per_s: (bytes / medianNs) * 1e3,
    frames_per_s: ((list === payloads ? frames.length : list.length) / medianNs) * 1e9,
    sink: sink % 1000,
  };
  console.log(JSON.stringify(result));
  console.error(
    `${id.padEnd(40)} ${result.mb_per_s.toFixed(1).padStart(9)} MB/s ${(result.frames_per_s / 1e3).toFixed(1).padStart(9)} kframes/s  (${result.passes} passes)`,
  );
}

console.error(`node ${process.version}: ${frames.length} frames, ${utf8Bytes(frames)} bytes from ${corpusPath}`);
measure(
  "node/socket.io-parser",
  "decode_socket_packet/rt2-mix",
  "engine.io-parser decodePacket + socket.io-parser Decoder.add (header + outer JSON.parse)",
  frames,
  makeEagerPass(frames, false),
);
measure(
  "node/indexOf-scan",
  "decode_socket_packet/rt2-mix",
  "String.prototype.indexOf of an absent character over every frame",
  frames,
  scanPass,
);
measure(
  "node/socket.io-parser+JSON.parse",
  "decode_on_events/rt2-on-events",
  "as node/socket.io-parser, plus JSON.parse of the on-events argument (both JSON levels)",
  onEvents,
  makeEagerPass(onEvents, true),
);
measure(
  "node/engine.io-parser",
  "decode_polling_payload/rt2-mix",
  "engine.io-parser decodePayload (split on \\x1e, decode each record)",
  payloads,
  payloadPass,
);
