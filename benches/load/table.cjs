// Turns the JSON reports of benches/load/run.sh into markdown tables.
//
// Usage: node table.cjs OUT_DIR "1 10 100 1000" IDLE_CLIENTS
//
// For each run OUT_DIR holds NAME-N.json (the `sio-replay load` report), NAME-N.start (when the
// load generator started, Unix seconds), NAME-N.cpu (the server's CPU clock ticks sampled ten
// times a second) and NAME-N.time (the load generator's user and system CPU seconds).
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const [dir, clientList, idleClients] = process.argv.slice(2);
const clients = clientList.trim().split(/\s+/);
// Linux's USER_HZ; /proc/PID/stat counts in these.
const TICKS_PER_SECOND = 100;

function read(name) {
  const file = path.join(dir, name);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
}

/** The run's report, plus the server's CPU seconds inside the measuring window. */
function run(name, n) {
  const json = read(`${name}-${n}.json`);
  if (!json) return null;
  const report = JSON.parse(json);
  const start = Number(read(`${name}-${n}.start`));
  const samples = (read(`${name}-${n}.cpu`) || "")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" ").map(Number));
  const from = start + report.ramp_up_s;
  const to = from + report.measured_s;
  // The last sample at or before each edge of the window, and the first after the end.
  const before = samples.filter(([t]) => t <= from).pop();
  const after = samples.find(([t]) => t >= to) || samples[samples.length - 1];
  if (before && after && after[0] > before[0]) {
    const cpu = (after[1] - before[1]) / TICKS_PER_SECOND;
    report.server_cpu_share = cpu / (after[0] - before[0]);
  }
  const time = read(`${name}-${n}.time`);
  if (time) {
    const [user, system] = time.trim().split(/\s+/).map(Number);
    const wall = report.ramp_up_s + report.measured_s;
    report.load_cpu_share = (user + system) / Math.max(wall, 1e-9);
  }
  return report;
}

const fmt = (x, digits = 0) =>
  x === undefined || x === null || Number.isNaN(x) ? "–" : x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
const pct = (x) => (x === undefined ? "–" : `${Math.round(x * 100)} %`);
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : "–");
const conn = (r) => (r.connected === r.clients ? "" : ` (${r.connected}/${r.clients} connected)`);

const SERVERS = [
  ["mock", "mock"],
  ["Node", "node"],
  ["socketioxide", "sox"],
];
const pp = (p) => (p && p.count ? `${fmt(p.p50, 2)} / ${fmt(p.p99, 2)} ms` : "–");

const lines = [];
lines.push("### Max speed: events/s delivered (per-connection replay, looping, as fast as clients read; no stamps)");
lines.push("");
lines.push("| Clients | mock events/s | Node events/s | socketioxide events/s | mock / Node | mock / socketioxide | server CPU (mock / Node / socketioxide) | load generator CPU (mock / Node / socketioxide) |");
lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const n of clients) {
  const [m, s, x] = SERVERS.map(([, key]) => run(`${key}-max`, n));
  if (!m || !s || !x) continue;
  lines.push(
    `| ${n} | ${fmt(m.events_per_sec)}${conn(m)} | ${fmt(s.events_per_sec)}${conn(s)} | ` +
      `${fmt(x.events_per_sec)}${conn(x)} | ${ratio(m.events_per_sec, s.events_per_sec)} | ` +
      `${ratio(m.events_per_sec, x.events_per_sec)} | ` +
      `${pct(m.server_cpu_share)} / ${pct(s.server_cpu_share)} / ${pct(x.server_cpu_share)} | ` +
      `${pct(m.load_cpu_share)} / ${pct(s.load_cpu_share)} / ${pct(x.load_cpu_share)} |`,
  );
}
lines.push("");
lines.push("### Fixed rate: latency (live mode, one room timeline broadcast to every client with its send-time stamp, plus acked probes)");
lines.push("");
lines.push("p50 / p99 of each; emit→receive is the client's receive time minus the server's stamp.");
lines.push("");
lines.push("| Clients | Server | events/s delivered | emit→receive | fan-out skew | ack round trip |");
lines.push("|---:|---|---:|---:|---:|---:|");
for (const n of clients) {
  for (const [label, key] of SERVERS) {
    const r = run(`${key}-rate`, n);
    if (!r) continue;
    lines.push(
      `| ${n} | ${label} | ${fmt(r.events_per_sec)}${conn(r)} | ${pp(r.emit_to_receive_ms)} | ` +
        `${pp(r.delivery_skew_ms)} | ${pp(r.ack_round_trip_ms)} |`,
    );
  }
}
const floors = clients
  .map((n) => [n, read(`floor-${n}.json`)])
  .filter(([, json]) => json)
  .map(([n, json]) => [n, JSON.parse(json)]);
if (floors.length) {
  lines.push("");
  lines.push(
    "Floor (`benches/examples/loopback-floor.rs`): one pass of plain `write(2)` calls of one " +
      "event-sized frame to each of N loopback connections from the server's core, no framework. " +
      "The last client cannot receive a broadcast sooner after the first than this pass takes, " +
      "so it bounds every server's fan-out skew from below.",
  );
  lines.push("");
  lines.push("| Clients | one pass p50 / p99 | per write at p50 |");
  lines.push("|---:|---:|---:|");
  for (const [n, f] of floors) {
    lines.push(
      `| ${n} | ${f.pass_ms_p50.toFixed(2)} / ${f.pass_ms_p99.toFixed(2)} ms | ${f.write_us_p50.toFixed(1)} µs |`,
    );
  }
}
lines.push("");
lines.push(`### Memory: server RSS per idle connection (${idleClients} clients joined to /chatomni, no events)`);
lines.push("");
lines.push("| Server | RSS before | RSS with the clients | per connection |");
lines.push("|---|---:|---:|---:|");
for (const [label, name] of [["mock", "mock-idle"], ["Node socket.io", "node-idle"], ["socketioxide", "sox-idle"]]) {
  const r = run(name, idleClients);
  if (!r) continue;
  lines.push(
    `| ${label}${conn(r)} | ${fmt(r.server_rss_before_kib)} KiB | ${fmt(r.server_rss_connected_kib)} KiB | ` +
      `${fmt(r.server_rss_per_client_bytes / 1024, 1)} KiB |`,
  );
}
process.stdout.write(`${lines.join("\n")}\n`);
