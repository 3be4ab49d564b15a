// The web view of sio-replay: sessions, a virtualised frame timeline, a chart of events per
// second, a filter, export, and (on `serve --ui`) buttons that call the mock's admin API.
// Plain JavaScript, no build step; the server inlines this file into the page.
"use strict";
(() => {
  const TOKEN = new URLSearchParams(location.search).get("token") || "";
  const withToken = (path) => path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN);
  const $ = (id) => document.getElementById(id);
  const ROW = 22;
  const MAX_PENDING = 200000;
  // A tab following a busy mock for hours would grow without end: past this many rows the
  // oldest half is let go (and a marker says so). A file view is never trimmed.
  const MAX_LIVE_ITEMS = 400000;
  const EIO = { 0: "open", 1: "close", 2: "ping", 3: "pong", 4: "message", 5: "upgrade", 6: "noop" };
  const SIO = { 0: "CONNECT", 1: "DISCONNECT", 2: "EVENT", 3: "ACK", 4: "CONNECT_ERROR", 5: "BINARY_EVENT", 6: "BINARY_ACK" };
  const CHANNELS = { 1: "Facebook", 4: "Zalo" };

  const items = [];            // every row: frames, connection events, gaps, HTTP, skip markers
  const sessions = new Map();  // conn number -> session summary
  const waitingEvents = new Map(); // conn|nsp|from|id -> index of an EVENT waiting for its ACK
  let view = [];               // indices of items shown, in order
  let info = { live: false, admin: null, title: "" };
  let header = null;
  let selectedConn = null;
  let selectedItem = -1;
  let filter = parseFilter("");
  let showPings = false;
  let paused = false;
  let pending = [];
  let lastSeq = 0;
  let skippedTotal = 0;
  let scheduled = false;
  let sessionsDirty = true;
  let chartDirty = true;
  let lastChart = 0;
  let firstRenderAt = null;
  let loaded = false;

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  // ---------------------------------------------------------------------------------------
  // Decoding one frame: enough for a row (types, namespace, event name, ack id) without
  // parsing the payload, which is parsed only when a row is shown or opened.

  function decodeText(s, d) {
    if (s.length === 0) { d.eio = "empty"; d.error = true; return; }
    const c = s[0];
    if (c === "b") { d.eio = "message"; d.sio = "binary (base64)"; d.att = 1; return; }
    d.eio = EIO[c];
    if (!d.eio) { d.eio = "? " + c; d.error = true; return; }
    if (c !== "4") { d.payloadAt = 1; return; }
    let i = 1;
    const t = s[i++];
    d.sio = SIO[t];
    if (!d.sio) { d.sio = "? " + (t || ""); d.error = true; return; }
    if (t === "5" || t === "6") {
      let j = i;
      while (j < s.length && s[j] >= "0" && s[j] <= "9") j++;
      if (s[j] === "-") { d.att = Number(s.slice(i, j)); i = j + 1; }
    }
    d.nsp = "/";
    if (s[i] === "/") {
      let j = s.indexOf(",", i);
      if (j < 0) j = s.length;
      d.nsp = s.slice(i, j);
      i = Math.min(j + 1, s.length);
    }
    let j = i;
    while (j < s.length && s[j] >= "0" && s[j] <= "9") j++;
    if (j > i) { d.ack = Number(s.slice(i, j)); i = j; }
    d.payloadAt = i;
    if (t === "2" || t === "5") {
      const m = /^\["((?:[^"\\]|\\.)*)"/.exec(s.slice(i, i + 200));
      d.event = m ? m[1] : "";
    }
    if (t === "4") d.error = true;
  }

  function payloadOf(it) {
    if (it.payload !== undefined) return it.payload;
    const text = it.rec.data.slice(it.payloadAt || 0);
    try { it.payload = text === "" ? null : JSON.parse(text); } catch (e) { it.payload = text; it.badJson = true; }
    return it.payload;
  }

  // The rt-2 `on-events` payload as a chat line: channel, customer, message text.
  function chatOf(it) {
    if (it.chat !== undefined) return it.chat;
    it.chat = null;
    if (it.event !== "on-events") return null;
    const args = payloadOf(it);
    if (!Array.isArray(args) || args.length < 2) return null;
    let body = args[1];
    if (typeof body === "string") { try { body = JSON.parse(body); } catch (e) { return null; } }
    if (!body || typeof body !== "object") return null;
    const conv = body.Conversation || {};
    const msg = body.Message || {};
    const channel = CHANNELS[conv.ChannelType] || (conv.ChannelType !== undefined ? "channel " + conv.ChannelType : "");
    const who = conv.Name || (msg.Data && msg.Data.from && msg.Data.from.name) || "";
    const text = msg.Message !== undefined ? msg.Message : (body.EventName || "");
    it.chat = { channel, who, text: String(text) };
    return it.chat;
  }

  function session(conn) {
    let s = sessions.get(conn);
    if (!s) {
      s = { conn, sid: "", transport: "", upgraded: false, nsps: new Set(), tenant: "", user: "", remote: "", url: "", opened: null, closed: null, reason: "", fromClient: 0, fromServer: 0, events: 0 };
      sessions.set(conn, s);
    }
    return s;
  }

  // ---------------------------------------------------------------------------------------
  // Taking records in.

  function ingest(seq, rec) {
    const index = items.length;
    const it = { seq, rec, t: rec.t_ms || 0, conn: rec.conn, from: rec.from || "", eio: "", sio: "", nsp: "", event: "", ack: null, att: 0, error: false, pair: -1, label: "" };
    switch (rec.type) {
      case "header":
        header = header || rec;
        return;
      case "frame": {
        const s = session(rec.conn);
        if (rec.from === "client") s.fromClient++; else s.fromServer++;
        if (rec.kind === "binary") {
          it.eio = "binary"; it.sio = "attachment"; it.att = 1;
          it.label = "binary, " + Math.floor(rec.data.length * 3 / 4) + " bytes";
        } else {
          decodeText(rec.data, it);
          learnFromFrame(s, it);
        }
        if (it.sio === "EVENT" || it.sio === "BINARY_EVENT") s.events++;
        pairAck(index, it);
        break;
      }
      case "conn": {
        const s = session(rec.conn);
        it.eio = "conn " + rec.event;
        if (rec.event === "open") {
          s.sid = rec.sid || s.sid; s.transport = rec.transport || s.transport; s.remote = rec.remote || ""; s.url = rec.url || ""; s.opened = it.t;
          it.label = [rec.transport, rec.remote, rec.url].filter(Boolean).join("  ");
        } else if (rec.event === "upgrade") {
          s.upgraded = true; s.transport = rec.transport || "websocket";
          it.label = "upgraded to " + (rec.transport || "websocket");
        } else {
          s.closed = it.t; s.reason = rec.reason || "";
          it.label = rec.reason || "";
          if (/error|slow_client|fault|internal/i.test(it.label)) it.error = true;
        }
        break;
      }
      case "gap":
        it.eio = "gap"; it.error = true; it.gap = true;
        it.label = (rec.reason || "recorder disconnected") + (rec.missing_bytes ? ", " + rec.missing_bytes + " bytes missing" : "");
        break;
      case "http":
        it.eio = "http"; it.conn = undefined;
        it.label = rec.method + " " + rec.url + " → " + rec.status;
        if (rec.status >= 400) it.error = true;
        break;
      default:
        return;
    }
    items.push(it);
    sessionsDirty = true;
    chartDirty = true;
    if (matches(it)) view.push(index);
  }

  function learnFromFrame(s, it) {
    const data = it.rec.data;
    if (it.eio === "open" && it.from === "server" && !s.sid) {
      try { s.sid = JSON.parse(data.slice(1)).sid || ""; } catch (e) { /* a malformed open shows in its row */ }
    }
    if (it.eio === "upgrade" && it.from === "client") { s.upgraded = true; s.transport = "websocket"; }
    if (it.sio === "CONNECT" && it.from === "client") {
      s.nsps.add(it.nsp);
      const tenant = /TenantId=([^\s\]"\\]+)/.exec(data);
      const user = /UserId=([^\s\]"\\]+)/.exec(data);
      if (tenant) s.tenant = tenant[1];
      if (user) s.user = user[1];
    }
  }

  // An EVENT that asks for an ack waits for the ACK with its id, from the other side.
  function pairAck(index, it) {
    if (it.ack === null) return;
    if (it.sio === "EVENT" || it.sio === "BINARY_EVENT") {
      waitingEvents.set(it.conn + "|" + it.nsp + "|" + it.from + "|" + it.ack, index);
    } else if (it.sio === "ACK" || it.sio === "BINARY_ACK") {
      const other = it.from === "client" ? "server" : "client";
      const key = it.conn + "|" + it.nsp + "|" + other + "|" + it.ack;
      const event = waitingEvents.get(key);
      if (event !== undefined) {
        waitingEvents.delete(key);
        it.pair = event;
        items[event].pair = index;
      }
    }
  }

  function skipMarker(n, why) {
    skippedTotal += n;
    const it = { seq: 0, rec: null, t: items.length ? items[items.length - 1].t : 0, conn: undefined, from: "", eio: "skipped", sio: "", nsp: "", event: "", ack: null, att: 0, error: true, pair: -1, skip: true, label: n + " records skipped" + (why ? " (" + why + ")" : "") };
    items.push(it);
    view.push(items.length - 1);
    const badge = $("skipped");
    badge.hidden = false;
    badge.textContent = skippedTotal + " records skipped";
  }

  function incoming(seq, rec) {
    if (paused) {
      if (pending.length >= MAX_PENDING) { pending.shift(); pending.push(["skip", 1]); }
      pending.push([seq, rec]);
      $("status").textContent = "paused (" + pending.length + " waiting)";
      return;
    }
    ingest(seq, rec);
    if (items.length > MAX_LIVE_ITEMS) trim(Math.floor(MAX_LIVE_ITEMS / 2));
    schedule();
  }

  // Lets go of the oldest `n` rows, keeping every index (pairs, waiting events, selection)
  // pointing at the same rows.
  function trim(n) {
    items.splice(0, n);
    for (const it of items) it.pair = it.pair >= n ? it.pair - n : -1;
    for (const [key, index] of waitingEvents) {
      if (index >= n) waitingEvents.set(key, index - n); else waitingEvents.delete(key);
    }
    selectedItem = selectedItem >= n ? selectedItem - n : -1;
    skipMarker(n, "the oldest rows were let go to bound this tab's memory");
    refilter();
  }

  // ---------------------------------------------------------------------------------------
  // Filtering.

  function parseFilter(text) {
    const f = { ns: null, ev: null, dir: null, text: [] };
    for (const word of text.trim().split(/\s+/).filter(Boolean)) {
      const [key, ...rest] = word.split(":");
      const value = rest.join(":");
      if (rest.length && key === "ns") f.ns = value;
      else if (rest.length && (key === "ev" || key === "event")) f.ev = value.toLowerCase();
      else if (rest.length && key === "dir") f.dir = ({ in: "server", out: "client", client: "client", server: "server" })[value] || value;
      else f.text.push(word.toLowerCase());
    }
    return f;
  }

  function matches(it) {
    if (it.skip) return true;
    if (selectedConn !== null && it.conn !== selectedConn) return false;
    if (!showPings && (it.eio === "ping" || it.eio === "pong")) return false;
    if (filter.ns !== null && it.nsp !== filter.ns) return false;
    if (filter.ev !== null && !it.event.toLowerCase().includes(filter.ev)) return false;
    if (filter.dir !== null && it.from !== filter.dir) return false;
    if (filter.text.length) {
      if (it.lower === undefined) it.lower = ((it.rec && it.rec.data) || it.label || "").toLowerCase() + " " + it.event.toLowerCase();
      for (const word of filter.text) if (!it.lower.includes(word)) return false;
    }
    return true;
  }

  function refilter() {
    view = [];
    for (let i = 0; i < items.length; i++) if (matches(items[i])) view.push(i);
    chartDirty = true;
    schedule();
  }

  // ---------------------------------------------------------------------------------------
  // Rendering: only the rows in sight.

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; render(); });
  }

  function fmtTime(ms) { return (ms / 1000).toFixed(3) + "s"; }

  function rowHtml(index) {
    const it = items[index];
    if (it.skip) return `<div class="row skip-row" data-i="${index}"><span class="s">⚠ ${esc(it.label)}</span></div>`;
    const dir = it.from === "client" ? '<span class="out" title="client → server">→</span>' : it.from === "server" ? '<span class="in" title="server → client">←</span>' : "";
    const kind = esc(it.eio) + (it.sio ? " " + esc(it.sio) : "");
    let ack = "";
    if (it.ack !== null) {
      ack = it.pair >= 0
        ? `<a class="ack" data-go="${it.pair}" title="go to the paired ${it.sio.endsWith("ACK") ? "event" : "ack"}">#${it.ack} ↔</a>`
        : `#${it.ack}`;
    }
    let summary;
    const chat = it.rec && it.event === "on-events" ? chatOf(it) : null;
    if (chat) {
      summary = `<span class="chat"><span class="chan">${esc(chat.channel)}</span><span class="who">${esc(chat.who)}</span><span class="msg">${esc(chat.text)}</span></span>`;
    } else if (it.label) {
      summary = esc(it.label);
    } else {
      summary = esc(it.rec.data.slice(it.payloadAt || 0, (it.payloadAt || 0) + 300));
    }
    if (it.att) summary += `<span class="att">${it.att} attachment${it.att > 1 ? "s" : ""}</span>`;
    const cls = "row" + (it.error ? " error" : "") + (index === selectedItem ? " selected" : "");
    return `<div class="${cls}" data-i="${index}" data-seq="${it.seq}"><span class="t">${fmtTime(it.t)}</span><span class="d">${dir}</span><span class="k">${kind}</span><span class="n">${esc(it.nsp)}</span><span class="e">${esc(it.event)}</span><span class="a">${ack}</span><span class="s">${summary}</span></div>`;
  }

  function render() {
    const list = $("list");
    $("spacer").style.height = view.length * ROW + "px";
    if ($("follow").checked) list.scrollTop = list.scrollHeight;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
    const last = Math.min(view.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW) + 5);
    let html = "";
    for (let k = first; k < last; k++) html += rowHtml(view[k]);
    const rows = $("rows");
    rows.style.transform = `translateY(${first * ROW}px)`;
    rows.innerHTML = html;
    $("shown").textContent = view.length + " of " + items.length + " shown";
    $("counts").textContent = sessions.size + " sessions, " + items.length + " records";
    if (sessionsDirty) renderSessions();
    const now = performance.now();
    if (chartDirty && now - lastChart > 300) { renderChart(); lastChart = now; chartDirty = false; }
    else if (chartDirty) schedule();
    if (firstRenderAt === null && items.length) {
      firstRenderAt = now;
      window.__sioFirstRenderMs = now;
    }
  }

  function renderSessions() {
    sessionsDirty = false;
    const rows = [`<tr data-conn="" class="${selectedConn === null ? "selected" : ""}"><td colspan="6">All sessions</td></tr>`];
    for (const s of sessions.values()) {
      const state = s.closed !== null ? "closed " + fmtTime(s.closed) : "open";
      rows.push(`<tr data-conn="${s.conn}" data-sid="${esc(s.sid)}" class="${selectedConn === s.conn ? "selected" : ""}">` +
        `<td>${s.conn}</td>` +
        `<td title="${esc(s.sid)}">${esc(s.sid.slice(0, 10))}<br><span class="small">${esc(s.remote)}</span></td>` +
        `<td>${esc(s.transport || "?")}${s.upgraded ? " ↑" : ""}<br><span class="small">${esc([...s.nsps].join(" "))}</span></td>` +
        `<td class="tenant">${esc(s.tenant)}<br><span class="small user">${esc(s.user.slice(0, 12))}</span></td>` +
        `<td>${s.fromClient}/${s.fromServer}<br><span class="small">${s.events} events</span></td>` +
        `<td>${s.opened !== null ? "opened " + fmtTime(s.opened) : ""}<br><span class="small">${esc(state)}</span> <span class="reason">${esc(s.reason)}</span></td></tr>`);
    }
    $("sessions").tBodies[0].innerHTML = rows.join("");
  }

  // Events per second over what is shown; gaps and errors marked in red.
  function renderChart() {
    const canvas = $("chart");
    const width = canvas.clientWidth || 600;
    canvas.width = width;
    const height = canvas.height;
    const g = canvas.getContext("2d");
    g.clearRect(0, 0, width, height);
    if (!view.length) return;
    const t0 = items[view[0]].t, t1 = Math.max(items[view[view.length - 1]].t, t0 + 1000);
    const seconds = Math.ceil((t1 - t0) / 1000) + 1;
    const bins = Math.min(seconds, width);
    const perBin = seconds / bins;
    const counts = new Float64Array(bins);
    const marks = [];
    for (const i of view) {
      const it = items[i];
      const b = Math.min(bins - 1, Math.floor((it.t - t0) / 1000 / perBin));
      if (it.sio === "EVENT" || it.sio === "BINARY_EVENT") counts[b] += 1 / perBin;
      if (it.error) marks.push(b);
    }
    let max = 1;
    for (const c of counts) if (c > max) max = c;
    const w = width / bins;
    g.fillStyle = "#4a90d9";
    for (let b = 0; b < bins; b++) {
      const h = (counts[b] / max) * (height - 14);
      g.fillRect(b * w, height - h, Math.max(1, w - 1), h);
    }
    g.fillStyle = "#d00";
    for (const b of marks) g.fillRect(b * w, 0, Math.max(2, w), 10);
    g.fillStyle = "#567";
    g.font = "10px sans-serif";
    g.fillText(`max ${max.toFixed(1)} events/s, ${fmtTime(t0)}–${fmtTime(t1)}; red: gaps and errors`, 4, 22);
    canvas.dataset.t0 = t0;
    canvas.dataset.perBin = perBin;
    canvas.dataset.w = w;
  }

  // ---------------------------------------------------------------------------------------
  // Interaction.

  function scrollToItem(index, flash) {
    let k = view.indexOf(index);
    if (k < 0) {
      // The paired row is filtered out: clear the filter so that it can be shown.
      $("filter").value = ""; filter = parseFilter(""); showPings = true; $("pings").checked = true;
      refilter();
      k = view.indexOf(index);
      if (k < 0) return;
    }
    $("follow").checked = false;
    selectItem(index);
    const list = $("list");
    $("spacer").style.height = view.length * ROW + "px";
    list.scrollTop = Math.max(0, k * ROW - list.clientHeight / 2);
    render();
    if (flash) {
      const row = document.querySelector(`#rows .row[data-i="${index}"]`);
      if (row) { row.classList.add("flash"); setTimeout(() => row.classList.remove("flash"), 1200); }
    }
  }

  function selectItem(index) {
    selectedItem = index;
    const it = items[index];
    const detail = $("detail");
    detail.hidden = false;
    const shown = { seq: it.seq, record: it.rec };
    if (it.rec && it.rec.type === "frame" && it.rec.kind === "text") {
      shown.decoded = { engine_io: it.eio, socket_io: it.sio || undefined, namespace: it.nsp || undefined, event: it.event || undefined, ack_id: it.ack === null ? undefined : it.ack, attachments: it.att || undefined, payload: payloadOf(it) };
      const chat = chatOf(it);
      if (chat) {
        const args = payloadOf(it);
        let body = args[1];
        try { body = JSON.parse(body); } catch (e) { /* shown as the string it is */ }
        shown.decoded.on_events = body;
      }
    }
    $("detail-body").textContent = JSON.stringify(shown, null, 2);
  }

  $("rows").addEventListener("click", (e) => {
    const go = e.target.closest("a.ack");
    if (go) { e.preventDefault(); scrollToItem(Number(go.dataset.go), true); return; }
    const row = e.target.closest(".row");
    if (row && row.dataset.i !== undefined) { selectItem(Number(row.dataset.i)); render(); }
  });
  $("detail-close").addEventListener("click", () => { $("detail").hidden = true; selectedItem = -1; render(); });
  $("list").addEventListener("scroll", () => {
    const list = $("list");
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - ROW;
    if ($("follow").checked !== atBottom && !scheduled) $("follow").checked = atBottom;
    schedule();
  });
  $("follow").addEventListener("change", schedule);
  $("filter").addEventListener("input", () => { filter = parseFilter($("filter").value); refilter(); });
  $("pings").addEventListener("change", () => { showPings = $("pings").checked; refilter(); });
  $("pause").addEventListener("click", () => {
    paused = !paused;
    $("pause").textContent = paused ? "Resume" : "Pause";
    $("status").classList.toggle("paused", paused);
    if (!paused) {
      const waiting = pending;
      pending = [];
      for (const [seq, rec] of waiting) { if (seq === "skip") skipMarker(rec, "paused too long"); else ingest(seq, rec); }
      $("status").textContent = info.live ? "live" : "file";
      schedule();
    } else {
      $("status").textContent = "paused";
    }
  });
  $("sessions").addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-conn]");
    if (!tr) return;
    selectedConn = tr.dataset.conn === "" ? null : Number(tr.dataset.conn);
    sessionsDirty = true;
    refilter();
  });
  $("chart").addEventListener("click", (e) => {
    const c = $("chart");
    if (!c.dataset.w || !view.length) return;
    const bin = Math.floor(e.offsetX / Number(c.dataset.w));
    const t = Number(c.dataset.t0) + bin * Number(c.dataset.perBin) * 1000;
    let lo = 0, hi = view.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (items[view[mid]].t < t) lo = mid + 1; else hi = mid; }
    scrollToItem(view[lo], true);
  });

  // ---------------------------------------------------------------------------------------
  // Export of what is shown.

  function download(name, type, text) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function selection() { return view.map((i) => items[i]).filter((it) => it.rec); }

  function exportJsonl() {
    const head = { type: "header", format: "sio-replay-capture", version: 1, source: "sio-replay ui export" };
    if (header && header.url) head.url = header.url;
    if (header && header.room) head.room = header.room;
    if (header && header.started_at) head.started_at = header.started_at;
    const lines = [JSON.stringify(head)];
    for (const it of selection()) lines.push(JSON.stringify(it.rec));
    return lines.join("\n") + "\n";
  }

  function exportHar() {
    const start = header && header.started_at ? Date.parse(header.started_at) : Date.now();
    const iso = (ms) => new Date(start + ms).toISOString();
    const entries = [];
    const sockets = new Map();
    const empty = { method: "GET", httpVersion: "HTTP/1.1", headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0 };
    for (const it of selection()) {
      const rec = it.rec;
      if (rec.type === "http") {
        entries.push({ startedDateTime: iso(rec.t_ms), time: 0, request: { ...empty, method: rec.method, url: rec.url }, response: { status: rec.status, statusText: "", httpVersion: "HTTP/1.1", headers: [], cookies: [], content: { size: rec.body.length, mimeType: "application/json", text: rec.body }, redirectURL: "", headersSize: -1, bodySize: -1 }, cache: {}, timings: { send: 0, wait: 0, receive: 0 } });
      } else if (rec.type === "frame") {
        let entry = sockets.get(rec.conn);
        if (!entry) {
          const s = sessions.get(rec.conn);
          const url = (s && s.url && /^wss?:/.test(s.url) ? s.url : null) || (header && header.url) || "ws://127.0.0.1/socket.io/?EIO=4&transport=websocket";
          entry = { startedDateTime: iso(rec.t_ms), time: 0, request: { ...empty, url }, response: { status: 101, statusText: "Switching Protocols", httpVersion: "HTTP/1.1", headers: [], cookies: [], content: { size: 0, mimeType: "" }, redirectURL: "", headersSize: -1, bodySize: 0 }, cache: {}, timings: { send: 0, wait: 0, receive: 0 }, _resourceType: "websocket", _webSocketMessages: [] };
          sockets.set(rec.conn, entry);
          entries.push(entry);
        }
        entry._webSocketMessages.push({ type: rec.from === "client" ? "send" : "receive", time: (start + rec.t_ms) / 1000, opcode: rec.kind === "binary" ? 2 : 1, data: rec.data });
      }
    }
    return JSON.stringify({ log: { version: "1.2", creator: { name: "sio-replay ui", version: "1" }, pages: [], entries } }, null, 1);
  }

  $("export-jsonl").addEventListener("click", () => download("selection.jsonl", "application/x-ndjson", exportJsonl()));
  $("export-har").addEventListener("click", () => download("selection.har", "application/json", exportHar()));

  // ---------------------------------------------------------------------------------------
  // Acting on the mock, through its admin API (same origin, the page's token as bearer).

  async function admin(method, path, body) {
    const out = $("act-result");
    try {
      const res = await fetch(info.admin + path, { method, headers: { "Authorization": "Bearer " + TOKEN, "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      out.textContent = res.status + " " + text;
      out.dataset.status = String(res.status);
    } catch (e) {
      out.textContent = "failed: " + e;
    }
  }

  function selectedSid() {
    const s = selectedConn === null ? null : sessions.get(selectedConn);
    if (!s || !s.sid) { $("act-result").textContent = "select a session first"; return null; }
    return s.sid;
  }

  $("act-emit").addEventListener("click", () => {
    let args;
    try { args = JSON.parse($("act-args").value || "[]"); } catch (e) { $("act-result").textContent = "arguments: " + e.message; return; }
    if (!Array.isArray(args)) args = [args];
    const body = { event: $("act-event").value, args, stringify_args: $("act-stringify").checked };
    const target = $("act-target").value;
    if (target === "all") admin("POST", "/emit", body);
    else if (target === "room") admin("POST", "/rooms/" + encodeURIComponent($("act-room").value) + "/emit", body);
    else { const sid = selectedSid(); if (sid) admin("POST", "/sessions/" + encodeURIComponent(sid) + "/emit", body); }
  });
  $("act-disconnect").addEventListener("click", () => {
    const sid = selectedSid();
    if (sid) admin("POST", "/sessions/" + encodeURIComponent(sid) + "/disconnect", { reason: "disconnected from the web view" });
  });
  $("act-faults-set").addEventListener("click", () => {
    let plan;
    try { plan = JSON.parse($("act-faults").value || "{}"); } catch (e) { $("act-result").textContent = "faults: " + e.message; return; }
    const s = selectedConn === null ? null : sessions.get(selectedConn);
    admin("PUT", s && s.sid ? "/sessions/" + encodeURIComponent(s.sid) + "/faults" : "/faults", plan);
  });

  // ---------------------------------------------------------------------------------------
  // Loading: what is kept, then (live) the stream from there.

  async function load() {
    const infoRes = await fetch(withToken("api/info"));
    if (!infoRes.ok) { $("status").textContent = "refused: " + infoRes.status; return; }
    info = await infoRes.json();
    $("title").textContent = info.title;
    document.title = "sio-replay: " + info.title;
    $("act").hidden = !info.admin;
    // Read as it arrives: the first screen renders after the first chunk, not the last.
    const res = await fetch(withToken("api/records?after=0"));
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    let head = null;
    for (;;) {
      const { value, done } = await reader.read();
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let start = 0;
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n", start)) {
        const line = buffered.slice(start, nl);
        start = nl + 1;
        if (!line) continue;
        if (head === null) {
          head = JSON.parse(line);
          if (head.skipped) skipMarker(head.skipped, "older than the kept history");
          continue;
        }
        const [seq, rec] = JSON.parse(line);
        ingest(seq, rec);
      }
      buffered = buffered.slice(start);
      if (firstRenderAt === null && items.length) render(); else schedule();
      if (done) break;
    }
    lastSeq = head ? head.last : 0;
    loaded = true;
    $("status").textContent = info.live ? "live" : "file";
    render();
    if (!info.live) return;
    const stream = new EventSource(withToken("api/stream?after=" + lastSeq));
    stream.onmessage = (e) => {
      const [seq, rec] = JSON.parse(e.data);
      if (seq <= lastSeq) return;
      lastSeq = seq;
      incoming(seq, rec);
    };
    stream.addEventListener("skipped", (e) => { skipMarker(Number(e.data), "this tab fell behind"); schedule(); });
    stream.addEventListener("end", () => { stream.close(); $("status").textContent = "ended"; });
    stream.onerror = () => { if (!paused) $("status").textContent = "reconnecting"; };
    stream.onopen = () => { if (!paused) $("status").textContent = "live"; };
  }

  // What the browser tests read.
  window.__sio = { items, sessions, view: () => view, exportJsonl, exportHar, loaded: () => loaded };
  load().catch((e) => { $("status").textContent = "error: " + e.message; });
})();
