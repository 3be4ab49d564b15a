// Runs the chat-feed page (index.html + app.js) in headless Chromium against a server (the
// sio-replay mock, or rt-2 itself) and prints what the page saw as one JSON line.
//
// Usage:
//   node run.mjs --url http://127.0.0.1:3000 --token "$TOKEN" [--room tomato.tpos.vn]
//                [--transports default|websocket|polling] [--events 20] [--page-id ID] [--limit 3]
//                [--timeout-ms 30000] [--chromium /usr/bin/chromium] [--mock-report]
//                [--admin-token TOKEN] [--proxy-server http://127.0.0.1:PORT --spki-pin PIN]
//
// The page is served by a small static server of its own on 127.0.0.1 (another port, so another
// origin than the mock: the socket's polling requests and the live-video fetch are cross-origin
// and go through CORS as in production). Chromium is the system one (Debian's package, see
// scripts/install-browser-deps.sh), driven by playwright-core; nothing is downloaded.
//
// It waits until the page has rendered --events messages, has finished the transport upgrade
// (default transports) and, with --page-id, has loaded every page of live videos. Then it prints
//   {"ok":true,"events":N,"message_ids":[...],"opened_with":"polling","transport":"websocket",
//    "upgraded_to":"websocket","live_videos":{...},"console_errors":[],...}
// where message_ids are the `Message.Id` of each rendered event in page order (null for an
// event without a Message, such as chatomni.on-update),
// and exits 0. It exits 1, printing the same line with "ok":false and a "reason", when the page
// did not get there within --timeout-ms, was refused, or logged an error; 2 on bad usage or when
// Chromium or playwright-core is missing. --mock-report adds "mock_sessions", the mock's own view
// of the page's session from its admin API (transport, protocol violations, close reason); the
// admin API wants the token `sio-replay serve` printed, from --admin-token or SIO_ADMIN_TOKEN.
// --proxy-server sends every request of the browser (loopback included) through that HTTP proxy
// (`sio-replay proxy --mode forward`); --spki-pin makes Chromium accept certificates carrying
// that key (`sio-replay ca export --pin`) without installing the CA.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const INSTALL_HINT =
  "run scripts/install-node-deps.sh (playwright-core) and scripts/install-browser-deps.sh (Chromium)";

function usage(message) {
  process.stderr.write(`run.mjs: ${message}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      url: { type: "string" },
      token: { type: "string" },
      room: { type: "string", default: "tomato.tpos.vn" },
      transports: { type: "string", default: "default" },
      events: { type: "string", default: "20" },
      "page-id": { type: "string" },
      limit: { type: "string", default: "3" },
      "timeout-ms": { type: "string", default: "30000" },
      chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
      "mock-report": { type: "boolean", default: false },
      "admin-token": { type: "string", default: process.env.SIO_ADMIN_TOKEN },
      "proxy-server": { type: "string" },
      "spki-pin": { type: "string" },
    },
    strict: true,
  }));
} catch (err) {
  usage(err.message);
}
if (!args.url) {
  usage("--url is required (the mock's URL, as `sio-replay serve` prints it)");
}
if (!["default", "websocket", "polling"].includes(args.transports)) {
  usage(`--transports must be "default" (polling, then upgrade), "websocket" or "polling", not ${JSON.stringify(args.transports)}`);
}
const wanted = Number(args.events);
const timeoutMs = Number(args["timeout-ms"]);
if (!Number.isInteger(wanted) || wanted < 0) {
  usage(`--events must be a whole number, not ${JSON.stringify(args.events)}`);
}
if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
  usage(`--timeout-ms must be a positive whole number, not ${JSON.stringify(args["timeout-ms"])}`);
}
if (!existsSync(args.chromium)) {
  usage(`no Chromium at ${args.chromium}: ${INSTALL_HINT}`);
}

let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch (err) {
  usage(`cannot load playwright-core (${err.message}): ${INSTALL_HINT}`);
}

// --- the static server: interop/browser/ and socket.io-client's browser bundle only ----------
const interopDir = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));
const served = [join(interopDir, "browser") + sep, join(interopDir, "node_modules", "socket.io-client", "dist") + sep];
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".map": "application/json" };

const pageServer = createServer(async (request, response) => {
  try {
    const path = decodeURIComponent(new URL(request.url, "http://page").pathname);
    const file = normalize(join(interopDir, path));
    if (request.method !== "GET" || !served.some((dir) => file.startsWith(dir))) {
      response.writeHead(404).end();
      return;
    }
    const body = await readFile(file);
    response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    response.end(body);
  } catch {
    response.writeHead(404).end();
  }
});
await new Promise((resolve) => pageServer.listen(0, "127.0.0.1", resolve));
const pageOrigin = `http://127.0.0.1:${pageServer.address().port}`;

// --- the browser ----------------------------------------------------------------------------
const started = Date.now();
const consoleErrors = [];
const pageErrors = [];
const failedRequests = [];

// Whatever happens below, never outlive the time asked for by much (a wedged browser included).
setTimeout(() => {
  process.stderr.write(`run.mjs: still running ${timeoutMs + 20000} ms after the start; giving up\n`);
  process.exit(1);
}, timeoutMs + 20000).unref();

// The flags that keep Chromium off the network (this runs offline and in CI); playwright adds
// --headless and a fresh --user-data-dir itself. --no-sandbox: CI runs as root.
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
    ...(args["proxy-server"] === undefined
      ? []
      : [`--proxy-server=${args["proxy-server"]}`, "--proxy-bypass-list=<-loopback>"]),
    ...(args["spki-pin"] === undefined ? [] : [`--ignore-certificate-errors-spki-list=${args["spki-pin"]}`]),
  ],
}).catch((err) => usage(`cannot start Chromium at ${args.chromium}: ${err.message.split("\n")[0]}`));

let result;
try {
  const page = await browser.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") {
      consoleErrors.push(message.text());
    }
  });
  page.on("pageerror", (err) => pageErrors.push(String(err)));
  page.on("requestfailed", (request) => {
    failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
  });

  const query = new URLSearchParams({ url: args.url, room: args.room });
  if (args.token !== undefined) query.set("token", args.token);
  if (args.transports !== "default") query.set("transports", args.transports);
  if (args["page-id"] !== undefined) {
    query.set("pageid", args["page-id"]);
    query.set("limit", args.limit);
  }
  await page.goto(`${pageOrigin}/browser/index.html?${query}`, { timeout: timeoutMs });

  // Done when everything asked for is there, or at a connect error (socket.io-client does not
  // retry a refused CONNECT, so waiting longer would only hide the reason).
  const upgrade = args.transports === "default";
  const live = args["page-id"] !== undefined;
  let timedOut = false;
  try {
    await page.waitForFunction(
      ({ wanted, upgrade }) => {
        const feed = window.chatFeed;
        if (feed === undefined) return false;
        if (feed.connectError !== null && feed.status !== "connected") return true;
        return (
          document.querySelectorAll("#feed li").length >= wanted &&
          (!upgrade || feed.upgradedTo !== null) &&
          feed.liveVideos.state !== "loading"
        );
      },
      { wanted, upgrade },
      { timeout: Math.max(1, timeoutMs - (Date.now() - started)), polling: 50 },
    );
  } catch {
    timedOut = true;
  }

  const seen = await page.evaluate(() => ({
    feed: window.chatFeed ?? null,
    renderedIds: [...document.querySelectorAll("#feed li")].map((li) => li.dataset.messageId ?? null),
    shownLiveVideos: document.getElementById("live-videos")?.textContent ?? null,
  }));
  const feed = seen.feed ?? {};
  // Leave cleanly, then ask the mock how it saw this session end.
  await page.evaluate(() => window.chatFeed?.disconnect?.());
  const mockSession = args["mock-report"] ? await mockReport(args.url, feed.engineId) : undefined;

  // The first thing that went wrong, in the order a person would look for it.
  const missing = [
    seen.renderedIds.length < wanted ? `${wanted} rendered events (got ${seen.renderedIds.length})` : null,
    upgrade && !feed.upgradedTo ? "the upgrade to WebSocket" : null,
    live && feed.liveVideos?.state !== "done" ? "the live videos" : null,
  ].filter((what) => what !== null);
  const reason =
    seen.feed === null ? "the page did not start (window.chatFeed is missing)"
    : feed.connectError !== null && feed.status !== "connected" ? `connect error: ${feed.connectError}`
    : feed.liveVideos.state === "error" ? `live videos: ${feed.liveVideos.error}`
    : feed.badPayloads.length > 0 ? `unreadable on-events payloads: ${feed.badPayloads[0]}`
    : pageErrors.length + consoleErrors.length > 0 ? `the page logged errors: ${[...pageErrors, ...consoleErrors].join("; ")}`
    : missing.length > 0 ? `${timedOut ? `timed out after ${timeoutMs} ms ` : ""}waiting for ${missing.join(", ")}`
    : null;

  result = {
    ok: reason === null,
    ...(reason === null ? {} : { reason }),
    page_origin: pageOrigin,
    mock_url: args.url,
    transports: args.transports,
    status: feed.status ?? null,
    connect_error: feed.connectError ?? null,
    events: seen.renderedIds.length,
    message_ids: seen.renderedIds,
    other_events: feed.otherEvents ?? [],
    engine_id: feed.engineId ?? null,
    opened_with: feed.openedWith ?? null,
    upgraded_to: feed.upgradedTo ?? null,
    transport: feed.transport ?? null,
    live_videos: feed.liveVideos ? { ...feed.liveVideos, shown: seen.shownLiveVideos } : null,
    console_errors: consoleErrors,
    page_errors: pageErrors,
    failed_requests: failedRequests,
    browser: `Chromium ${browser.version()}`,
    ...(mockSession === undefined ? {} : { mock_session: mockSession }),
    elapsed_ms: Date.now() - started,
  };
} catch (err) {
  // A navigation or evaluation that failed (the page crashed, the static server died...).
  result = {
    ok: false,
    reason: `driving the page failed: ${err.message.split("\n")[0]}`,
    page_origin: pageOrigin,
    mock_url: args.url,
    transports: args.transports,
    console_errors: consoleErrors,
    page_errors: pageErrors,
    failed_requests: failedRequests,
    elapsed_ms: Date.now() - started,
  };
} finally {
  await browser.close();
  pageServer.close();
}

// The mock's own view of the page's session, from its admin API (loopback only, with the run's
// token): the transport it ended on, the protocol violations it saw and why it closed. Waits up
// to 3 s for the close the page just started. Null when the server has no admin API, refuses
// the token or does not know the session.
async function mockReport(base, sid) {
  if (!sid) return null;
  const headers = args["admin-token"] ? { authorization: `Bearer ${args["admin-token"]}` } : {};
  const deadline = Date.now() + 3000;
  let session = null;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${base}/__admin/sessions/${encodeURIComponent(sid)}`, {
        headers,
        signal: AbortSignal.timeout(2000),
      });
      if (!response.ok) return null;
      session = await response.json();
    } catch {
      return null;
    }
    if (session.closed !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    sid: session.sid,
    transport: session.transport,
    namespaces: session.namespaces,
    token_present: session.token_present,
    events_sent: session.events_sent,
    violations: session.violations,
    received: session.received,
    closed: session.closed,
  };
}

// stdout may be a pipe: exit only once the line is flushed.
process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(result.ok ? 0 : 1));
