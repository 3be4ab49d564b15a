// Drives the web view of sio-replay (`serve --ui`, `sio-replay ui`) in headless Chromium and
// prints what it saw as one JSON line.
//
// Usage:
//   node ui.mjs live --ui-url URL --mock-url URL --token JWT [--room tomato.tpos.vn]
//                    --out DIR [--timeout-ms 40000] [--chromium /usr/bin/chromium]
//   node ui.mjs file --ui-url URL --records N --out DIR [--screenshot FILE]
//   node ui.mjs hold --ui-url URL --seconds S --out DIR
//
// live: a real socket.io-client (Node) joins /chatomni on the mock; the page must list its
// session, show its decoded frames and an rt-2 chat line, filter them, pair the client's event
// with the ack the mock sent, inject an event through the admin API (the client must receive
// it), and export the session as JSON Lines (written to DIR/export.jsonl). Screenshots of each
// view go to DIR/*.png.
// file: the page over a capture of N records: time to first render, the tab's JS heap, and
// how many rows the list keeps in the DOM after scrolling to the middle (virtualised).
// hold: the page open and following a live mock for S seconds (a benchmark's "tab open"); how
// many records it took in and how many it was told it skipped.
//
// Exits 0 with {"ok":true,...}; 1 with {"ok":false,"reason":...} when a step failed; 2 on
// bad usage or when Chromium or playwright-core is missing.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const INSTALL_HINT =
  "run scripts/install-node-deps.sh (playwright-core, socket.io-client) and scripts/install-browser-deps.sh (Chromium)";

function usage(message) {
  process.stderr.write(`ui.mjs: ${message}\n`);
  process.exit(2);
}

let args, positionals;
try {
  ({ values: args, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "ui-url": { type: "string" },
      "mock-url": { type: "string" },
      token: { type: "string" },
      room: { type: "string", default: "tomato.tpos.vn" },
      records: { type: "string" },
      seconds: { type: "string" },
      out: { type: "string" },
      screenshot: { type: "string" },
      "timeout-ms": { type: "string", default: "40000" },
      chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
    },
    strict: true,
  }));
} catch (err) {
  usage(err.message);
}
const mode = positionals[0];
if (!["live", "file", "hold"].includes(mode)) usage("the first argument is `live`, `file` or `hold`");
if (!args["ui-url"] || !args.out) usage("--ui-url and --out are required");
if (mode === "live" && (!args["mock-url"] || !args.token)) usage("live needs --mock-url and --token");
if (mode === "file" && !args.records) usage("file needs --records");
if (mode === "hold" && !args.seconds) usage("hold needs --seconds");
if (!existsSync(args.chromium)) usage(`no Chromium at ${args.chromium}: ${INSTALL_HINT}`);
const timeoutMs = Number(args["timeout-ms"]);
mkdirSync(args.out, { recursive: true });

let chromium, io;
try {
  ({ chromium } = await import("playwright-core"));
  ({ io } = await import("socket.io-client"));
} catch (err) {
  usage(`${err.message.split("\n")[0]}: ${INSTALL_HINT}`);
}

setTimeout(() => {
  process.stdout.write(JSON.stringify({ ok: false, reason: "ui.mjs overran its timeout" }) + "\n");
  process.exit(1);
}, timeoutMs + 20000 + Number(args.seconds ?? 0) * 1000).unref();

const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  timeout: timeoutMs,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
}).catch((err) => usage(`cannot start Chromium at ${args.chromium}: ${err.message.split("\n")[0]}`));

const result = { ok: false, mode, steps: [], console_errors: [] };
let step = "start";
const shot = async (page, name) => {
  const path = join(args.out, name + ".png");
  await page.screenshot({ path });
  result.screenshots = [...(result.screenshots ?? []), path];
};
const waitFor = (page, fn, arg) => page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 50 });

async function live(page) {
  step = "socket.io-client connects";
  const socket = io(args["mock-url"] + "/chatomni", {
    query: { room: args.room },
    auth: { token: args.token },
    transports: ["websocket"],
    reconnection: false,
  });
  const injected = new Promise((resolve) => socket.on("from-the-page", (...a) => resolve(a)));
  await new Promise((resolve, reject) => {
    socket.on("connect", resolve);
    socket.on("connect_error", (err) => reject(new Error("connect_error: " + err.message)));
  });
  const sid = socket.io.engine.id;
  result.sid = sid;
  result.steps.push(step);

  step = "the page lists the session";
  await page.goto(args["ui-url"]);
  await page.waitForSelector(`#sessions tr[data-sid="${sid}"]`, { timeout: timeoutMs });
  await page.click(`#sessions tr[data-sid="${sid}"]`);
  result.session_row = await page.textContent(`#sessions tr[data-sid="${sid}"]`);
  result.steps.push(step);

  step = "decoded frames and the chat line";
  await page.waitForSelector("#rows .chat", { timeout: timeoutMs });
  result.chat_line = await page.textContent("#rows .chat");
  result.first_row_kinds = await page.$$eval("#rows .row .k", (els) => els.slice(0, 5).map((e) => e.textContent));
  await shot(page, "ui-timeline");
  result.steps.push(step);

  step = "an ack is paired with its event";
  const ack = await socket.timeout(timeoutMs).emitWithAck("ask-the-mock", { n: 7 });
  result.ack_received = ack;
  await page.fill("#filter", "ev:ask-the-mock");
  await page.waitForSelector("#rows a.ack", { timeout: timeoutMs });
  result.filtered_events = await page.$$eval("#rows .row .e", (els) => els.map((e) => e.textContent));
  result.filtered_shown = await page.textContent("#shown");
  await shot(page, "ui-filtered");
  await page.click("#rows a.ack");
  await page.waitForSelector("#rows .row.selected", { timeout: timeoutMs });
  result.paired_row = await page.textContent("#rows .row.selected");
  result.paired_detail = JSON.parse(await page.textContent("#detail-body"));
  await shot(page, "ui-ack-pair");
  result.steps.push(step);

  step = "the page injects an event the client receives";
  await page.fill("#filter", "");
  await page.selectOption("#act-target", "session");
  await page.fill("#act-event", "from-the-page");
  await page.fill("#act-args", '["hello from the web view", {"k": 1}]');
  await page.click("#act-emit");
  result.client_received = await Promise.race([
    injected,
    new Promise((_, reject) => setTimeout(() => reject(new Error("the client got no event")), timeoutMs)),
  ]);
  result.act_result = await page.textContent("#act-result");
  await waitFor(page, () => window.__sio.items.some((it) => it.event === "from-the-page"));
  await shot(page, "ui-injected");
  result.steps.push(step);

  step = "export the session as JSON Lines";
  const download = page.waitForEvent("download", { timeout: timeoutMs });
  await page.click("#export-jsonl");
  const file = await download;
  const path = join(args.out, "export.jsonl");
  await file.saveAs(path);
  result.export = path;
  const har = page.waitForEvent("download", { timeout: timeoutMs });
  await page.click("#export-har");
  await (await har).saveAs(join(args.out, "export.har"));
  result.export_har = join(args.out, "export.har");
  result.steps.push(step);
  socket.close();
}

async function file(page) {
  step = "first render of the capture";
  const records = Number(args.records);
  const started = Date.now();
  await page.goto(args["ui-url"]);
  await waitFor(page, () => window.__sioFirstRenderMs);
  result.wall_ms_to_first_render = Date.now() - started;
  await waitFor(page, (n) => window.__sio.loaded() && window.__sio.items.length >= n, records);
  result.wall_ms_to_all_loaded = Date.now() - started;
  result.all_loaded_ms = await page.evaluate(() => performance.now());
  result.first_render_ms = await page.evaluate(() => window.__sioFirstRenderMs);
  result.items = await page.evaluate(() => window.__sio.items.length);
  result.steps.push(step);
  step = "memory and the virtualised list";
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("Performance.enable");
  const { metrics } = await cdp.send("Performance.getMetrics");
  const metric = (name) => metrics.find((m) => m.name === name)?.value;
  result.js_heap_used_bytes = metric("JSHeapUsedSize");
  result.dom_nodes = metric("Nodes");
  await page.$eval("#list", (el) => { el.scrollTop = el.scrollHeight / 2; });
  await page.waitForTimeout(200);
  result.rows_in_dom = await page.$$eval("#rows .row", (els) => els.length);
  result.middle_row = await page.textContent("#rows .row:nth-child(10)");
  const filterStarted = Date.now();
  await page.fill("#filter", "ev:on-events shop");
  await waitFor(page, () => document.querySelector("#shown").textContent.includes(" of "));
  result.filter_ms = Date.now() - filterStarted;
  result.filtered_shown = await page.textContent("#shown");
  await page.fill("#filter", "");
  await page.click("#rows .row:nth-child(12)");
  if (args.screenshot) {
    await page.screenshot({ path: args.screenshot });
    result.screenshot = args.screenshot;
  }
  result.steps.push(step);
}

async function hold(page) {
  step = "the page follows the live stream";
  await page.goto(args["ui-url"]);
  await waitFor(page, () => window.__sio && document.querySelector("#status").textContent === "live");
  await page.waitForTimeout(Number(args.seconds) * 1000);
  result.items = await page.evaluate(() => window.__sio.items.length);
  result.skipped = await page.evaluate(() => document.querySelector("#skipped").hidden ? 0 : document.querySelector("#skipped").textContent);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const { metrics } = await cdp.send("Performance.getMetrics");
  result.js_heap_used_bytes = metrics.find((m) => m.name === "JSHeapUsedSize")?.value;
  result.steps.push(step);
}

try {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1400, height: 800 } });
  page.on("console", (msg) => { if (msg.type() === "error") result.console_errors.push(msg.text()); });
  page.on("pageerror", (err) => result.console_errors.push(String(err)));
  if (mode === "live") await live(page);
  else if (mode === "hold") await hold(page);
  else await file(page);
  result.ok = result.console_errors.length === 0;
  if (!result.ok) result.reason = "the page logged errors";
} catch (err) {
  result.reason = `${step}: ${err.message.split("\n")[0]}`;
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(result.ok ? 0 : 1);
