// A tiny TPOS-style chat feed: the browser side of the sio-replay browser example.
//
// It does what a real rt-2 client does on page load, with nothing but the browser bundle of
// socket.io-client (the global `io`):
//   1. joins the `/chatomni` namespace of the server in `?url=` with `query: {room}` and
//      `auth: {token}`, and renders every `on-events` message into the list;
//   2. when `?pageid=` is given, pages through `GET /api/facebook-graph/livevideo` (with
//      `Authorization: Bearer <token>`, following `paging.next`) and renders how many videos
//      there are.
//
// Query string: url (required, e.g. http://127.0.0.1:3000), room, token, namespace (default
// /chatomni), transports ("websocket" for WebSocket only; default socket.io-client's polling
// then upgrade), pageid, limit (page size, default 25).
//
// Everything it saw is also kept in `window.chatFeed`, for tests (see run.mjs).
"use strict";

(function chatFeedApp() {
  const params = new URLSearchParams(window.location.search);
  const state = {
    status: "starting",
    connectError: null,
    disconnectReason: null,
    // The transport the connection opened with, the one it upgraded to (if any) and now.
    openedWith: null,
    upgradedTo: null,
    transport: null,
    // The Engine.IO session id (what the mock's admin API calls `sid`).
    engineId: null,
    // Every `on-events` message, in arrival order.
    events: [],
    // Events of other names, and `on-events` payloads that are not the expected JSON.
    otherEvents: [],
    badPayloads: [],
    liveVideos: { state: "off", count: 0, live: 0, pages: 0, error: null },
  };
  window.chatFeed = state;

  const byId = (id) => document.getElementById(id);
  const setStatus = (status) => {
    state.status = status;
    byId("status").textContent = status;
  };
  const setTransport = (name) => {
    state.transport = name;
    byId("transport").textContent = name;
  };

  const url = params.get("url");
  if (!url) {
    setStatus("no ?url= given");
    return;
  }
  const token = params.get("token");
  const room = params.get("room");
  const namespace = params.get("namespace") ?? "/chatomni";
  const transports = params.get("transports");

  // --- the socket ---------------------------------------------------------------------------
  const socket = io(url + namespace, {
    query: room === null ? {} : { room },
    auth: token === null ? undefined : { token },
    transports: transports ? transports.split(",") : undefined,
    reconnectionDelay: 200,
    reconnectionDelayMax: 1000,
  });

  socket.io.on("open", () => {
    const engine = socket.io.engine;
    state.openedWith = state.openedWith ?? engine.transport.name;
    state.engineId = engine.id;
    setTransport(engine.transport.name);
    engine.on("upgrade", (transport) => {
      state.upgradedTo = transport.name;
      setTransport(transport.name);
    });
  });

  // For tests: leave cleanly (a Socket.IO DISCONNECT, then the Engine.IO close), as a page
  // does when the user logs out.
  state.disconnect = () => socket.disconnect();

  socket.on("connect", () => setStatus("connected"));
  socket.on("connect_error", (err) => {
    state.connectError = err.message;
    setStatus("connect_error: " + err.message);
  });
  socket.on("disconnect", (reason) => {
    state.disconnectReason = reason;
    setStatus("disconnected: " + reason);
  });

  const feed = byId("feed");
  socket.on("on-events", (payload) => {
    // rt-2 sends the event's argument as a string holding JSON ({Conversation, Message}).
    let event;
    try {
      event = typeof payload === "string" ? JSON.parse(payload) : payload;
    } catch (err) {
      state.badPayloads.push(String(err));
      return;
    }
    // `chatomni.on-message` carries a Message; `chatomni.on-update` (a conversation changed)
    // carries only the Conversation.
    const message = event?.Message ?? null;
    const conversation = event?.Conversation ?? {};
    const entry = {
      eventName: event?.EventName ?? message?.EventName ?? null,
      messageId: message?.Id ?? null,
      conversationId: conversation.Id ?? null,
      from: conversation.Name ?? "",
      text: message === null ? "(conversation updated)" : (message.Message ?? ""),
    };
    state.events.push(entry);

    // textContent, never innerHTML: chat text comes from strangers.
    const item = document.createElement("li");
    if (entry.messageId !== null) item.dataset.messageId = entry.messageId;
    if (entry.eventName !== null) item.dataset.event = entry.eventName;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = entry.from;
    item.append(who, entry.text);
    feed.append(item);
  });
  socket.onAny((name) => {
    if (name !== "on-events") {
      state.otherEvents.push(name);
    }
  });

  // --- the live-video REST endpoint -----------------------------------------------------------
  const pageId = params.get("pageid");
  if (pageId !== null) {
    loadLiveVideos(pageId, params.get("limit") ?? "25");
  }

  async function loadLiveVideos(page, limit) {
    const shown = byId("live-videos");
    const videos = state.liveVideos;
    videos.state = "loading";
    shown.textContent = "loading";
    const query = new URLSearchParams({ pageid: page, limit, facebook_Type: "page" });
    let next = `${url}/api/facebook-graph/livevideo?${query}`;
    const seen = new Set();
    try {
      // Follow `paging.next` as Graph clients do; bounded so a server that loops cannot hang
      // the page.
      while (next && videos.pages < 50) {
        const response = await fetch(next, {
          headers: token === null ? {} : { Authorization: `Bearer ${token}` },
        });
        if (!response.ok) {
          throw new Error(`HTTP ${response.status} from ${next}`);
        }
        const body = await response.json();
        videos.pages += 1;
        for (const video of body.data ?? []) {
          if (!seen.has(video.id)) {
            seen.add(video.id);
            videos.count += 1;
            if (video.status === "LIVE") {
              videos.live += 1;
            }
          }
        }
        next = body.paging?.next ?? null;
      }
      videos.state = "done";
      shown.textContent = `${videos.count} (${videos.live} live)`;
    } catch (err) {
      videos.state = "error";
      videos.error = String(err);
      shown.textContent = "error: " + err;
    }
  }
})();
