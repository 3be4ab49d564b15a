//! The server role: one Engine.IO session (and the Socket.IO connection on top of it), as the
//! mock serves it.

use std::collections::VecDeque;
use std::time::Instant;

use sio_wire::engine::{
    EnginePacket, Handshake, Payload, PollingPacket, Upgrades, decode_polling_payload_with,
    decode_text_frame_with, encode_polling_payload,
};
use sio_wire::socket::SocketPacketType;

use crate::TransportKind;
use crate::config::{Layer, ServerConfig};
use crate::error::SessionError;
use crate::event::{CloseReason, EngineMessage, ServerEvent, Violation, ViolationKind};
use crate::request::RequestError;
use crate::socket::{InboundPacket, NamespaceJoin, Outbound, SocketLayer, quote_excerpt};
use crate::transmit::{InboundFrame, Transmit};

/// One Engine.IO packet waiting for the main transport.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outgoing {
    /// A text packet, type digit included (`42["hey"]`, `2`).
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// The end of a server-initiated close: a `close` packet on long-polling, closing the
    /// WebSocket otherwise. Nothing after it is sent.
    Close,
    /// The end of a close the client asked for by `POST` while no `GET` of its was pending: a
    /// `noop` answers the `GET` it sent alongside (see [`ServerConfig::peer_close_grace`]).
    /// Nothing after it is sent.
    PeerCloseNoop,
}

impl Outgoing {
    fn len(&self) -> usize {
        match self {
            Self::Text(text) => text.len(),
            Self::Binary(bytes) => bytes.len(),
            Self::Close | Self::PeerCloseNoop => 1,
        }
    }
}

/// The packets waiting for the main transport, with their total size so that the transport
/// can bound what a slow client makes it hold (see [`ServerSession::queued_bytes`]).
#[derive(Debug, Default)]
struct Outbox {
    queue: VecDeque<Outgoing>,
    bytes: usize,
}

impl Outbox {
    fn push_back(&mut self, outgoing: Outgoing) {
        self.bytes += outgoing.len();
        self.queue.push_back(outgoing);
    }

    fn pop_front(&mut self) -> Option<Outgoing> {
        let outgoing = self.queue.pop_front()?;
        self.bytes -= outgoing.len();
        Some(outgoing)
    }

    fn clear(&mut self) {
        self.queue.clear();
        self.bytes = 0;
    }

    fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

impl Outbound for Outbox {
    fn push_text(&mut self, text: String) {
        self.push_back(Outgoing::Text(text));
    }

    fn push_binary(&mut self, bytes: Vec<u8>) {
        self.push_back(Outgoing::Binary(bytes));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// A server-initiated close waits for the outgoing queue (and the `close` packet, on
    /// long-polling) to go out, until `deadline`; or the client's own `close` waits for the
    /// `GET` it raced, on long-polling.
    Closing {
        deadline: Instant,
        reason: CloseReason,
    },
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upgrade {
    /// No WebSocket beside the long-polling transport.
    None,
    /// A WebSocket for this session is open; `2probe` is awaited.
    Probing { deadline: Instant },
    /// `3probe` was sent; `5` is awaited.
    Probed { deadline: Instant },
}

/// What the session knows about one namespace of the Socket.IO connection.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NamespaceState {
    /// The client sent CONNECT; the application has not answered yet.
    Pending,
    /// The application accepted the CONNECT with this Socket.IO session id.
    Connected { sid: String },
}

impl NamespaceJoin for NamespaceState {
    fn is_connected(&self) -> bool {
        matches!(self, Self::Connected { .. })
    }
}

/// A server-role Engine.IO v4 session, with the Socket.IO v5 connection on top of it (unless
/// [`Layer::EngineIo`]).
///
/// Sans-IO: the transport feeds it requests and frames with the current time, and pulls what
/// to send ([`poll_transmit`](Self::poll_transmit)), what happened
/// ([`poll_event`](Self::poll_event)) and when to wake it up next
/// ([`poll_timeout`](Self::poll_timeout), then [`handle_timeout`](Self::handle_timeout)).
/// Every entry point first runs the timers that are due at its `now`, so a late wake-up never
/// lets a dead session serve one more request.
///
/// See the [crate documentation](crate) for the driving loop.
#[derive(Debug)]
pub struct ServerSession {
    config: ServerConfig,
    sid: String,
    /// The transport that carries the session's packets (changes once, on upgrade).
    transport: TransportKind,
    state: State,
    upgrade: Upgrade,
    /// A long-polling `GET` is waiting for an answer.
    poll_pending: bool,
    /// A long-polling `POST` body is being read (see [`Self::begin_polling_post`]).
    post_in_progress: bool,
    /// Packets for the main transport, in order.
    outbox: Outbox,
    /// Transmits that bypass the outbox: probe answers, `noop`/`close` answers to a pending
    /// poll, and closing a WebSocket at once.
    direct: VecDeque<Transmit>,
    events: VecDeque<ServerEvent>,
    /// When the next ping is due (none while one is unanswered).
    next_ping: Option<Instant>,
    /// When an unanswered ping times out.
    pong_deadline: Option<Instant>,
    /// Whether the server sends pings (off only for fault injection).
    pinging: bool,
    /// When the client must have joined a namespace (cleared once one is accepted).
    connect_deadline: Option<Instant>,
    socket: SocketLayer<NamespaceState>,
}

impl ServerSession {
    /// Opens a session on `transport` with the Engine.IO session id `sid` (the caller
    /// generates it, so tests can make it deterministic; the reference server uses 20
    /// base64url characters). The `open` packet is queued at once: on a WebSocket it is the
    /// first [`Transmit::Text`]; on long-polling it answers the handshake `GET`, which the
    /// caller hands to [`handle_poll_request`](Self::handle_poll_request) like any other poll.
    ///
    /// The engine.io-protocol README: "If the server accepts the connection, then it MUST
    /// respond with an `open` packet with the following JSON-encoded payload: `sid`,
    /// `upgrades`, `pingInterval`, `pingTimeout`, `maxPayload`."
    pub fn new(
        now: Instant,
        transport: TransportKind,
        sid: impl Into<String>,
        config: ServerConfig,
    ) -> Self {
        let sid = sid.into();
        let upgrades = if transport == TransportKind::Polling && config.allow_upgrades {
            Upgrades::websocket()
        } else {
            Upgrades::none()
        };
        let handshake = Handshake::new(
            sid.as_str(),
            upgrades,
            millis(config.ping_interval),
            millis(config.ping_timeout),
            Some(config.max_payload),
        );
        let mut open = String::from("0");
        handshake.encode(&mut open);
        let connect_deadline = match config.layer {
            Layer::SocketIo => config.connect_timeout.and_then(|t| now.checked_add(t)),
            Layer::EngineIo => None,
        };
        let socket = SocketLayer::new(config.layer, config.limits);
        let mut outbox = Outbox::default();
        outbox.push_back(Outgoing::Text(open));
        Self {
            next_ping: now.checked_add(config.ping_interval),
            config,
            sid,
            transport,
            state: State::Open,
            upgrade: Upgrade::None,
            poll_pending: false,
            post_in_progress: false,
            outbox,
            direct: VecDeque::new(),
            events: VecDeque::new(),
            pong_deadline: None,
            pinging: true,
            connect_deadline,
            socket,
        }
    }

    /// The Engine.IO session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The transport currently carrying the session's packets.
    pub fn transport(&self) -> TransportKind {
        self.transport
    }

    /// The session's settings.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// `true` once the session has ended. Drain [`poll_transmit`](Self::poll_transmit) (the
    /// last frames and closes), then drop it; requests naming its sid are then answered with
    /// [`RequestError::UnknownSid`].
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// `true` while the session is open: neither closing nor closed, so that
    /// [`emit`](Self::emit) queues events.
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// `true` while a long-polling `GET` waits for its answer.
    pub fn is_poll_pending(&self) -> bool {
        self.poll_pending
    }

    /// How many bytes of packets wait for the client (on long-polling, until its next poll).
    /// A transport that bounds per-client memory checks it after queueing, and closes (or
    /// stops feeding) a session whose client does not keep up.
    pub fn queued_bytes(&self) -> usize {
        self.outbox.bytes
    }

    /// The namespaces the client has joined (accepted CONNECTs), with their Socket.IO session
    /// ids.
    pub fn connected_namespaces(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.socket
            .namespaces()
            .filter_map(|(nsp, state)| match state {
                NamespaceState::Connected { sid } => Some((nsp, sid.as_str())),
                NamespaceState::Pending => None,
            })
    }

    /// `true` when the client has joined `namespace`.
    pub fn is_connected(&self, namespace: &str) -> bool {
        self.socket.is_connected(namespace)
    }

    // ----------------------------------------------------------------------------------------
    // Output.

    /// The next thing for the transport to do, or `None` when there is nothing to send now.
    ///
    /// On long-polling, queued packets come out as one [`Transmit::PollResponse`] only while a
    /// `GET` is pending; otherwise they wait for the next poll.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if let Some(transmit) = self.direct.pop_front() {
            return Some(transmit);
        }
        if self.state == State::Closed {
            return None;
        }
        match self.transport {
            TransportKind::WebSocket => match self.outbox.pop_front()? {
                Outgoing::Text(text) => Some(Transmit::Text(text)),
                Outgoing::Binary(bytes) => Some(Transmit::Binary(bytes)),
                Outgoing::Close | Outgoing::PeerCloseNoop => {
                    self.finish_close();
                    Some(Transmit::CloseWebSocket)
                }
            },
            TransportKind::Polling => {
                if !self.poll_pending || self.outbox.is_empty() {
                    return None;
                }
                self.poll_pending = false;
                Some(Transmit::PollResponse(self.take_polling_payload()))
            }
        }
    }

    /// Encodes the outbox (up to a close, and at most [`ServerConfig::max_packets_per_poll`]
    /// packets) as one polling payload.
    ///
    /// A text packet is written as it is (a polling record is the text frame), a binary one
    /// as `b<base64>`. A close goes out alone, in the answer after the packets queued before
    /// it, as engine.io sends it: socket.io-client handles the Socket.IO packets of an answer
    /// on the next tick but a `close` in it at once, so a DISCONNECT sharing its answer would
    /// reach the application after the close ("transport close", and a reconnection, instead
    /// of "io server disconnect").
    fn take_polling_payload(&mut self) -> String {
        let mut body = String::with_capacity(self.outbox.bytes + self.outbox.queue.len());
        let max = match self.config.max_packets_per_poll {
            0 => usize::MAX,
            n => n,
        };
        let mut packets = 0;
        while packets < max {
            let closes_next = matches!(
                self.outbox.queue.front(),
                Some(Outgoing::Close | Outgoing::PeerCloseNoop)
            );
            if closes_next && !body.is_empty() {
                break;
            }
            let Some(outgoing) = self.outbox.pop_front() else {
                break;
            };
            packets += 1;
            let start = body.len();
            if start > 0 {
                body.push('\x1e');
            }
            match &outgoing {
                // A text packet holding the record separator cannot travel in a v4 payload
                // (the README: "this assumes the record separator is not used in the data").
                // Only a raw frame from `send_raw_text` can hold one (validated JSON cannot):
                // it is dropped rather than corrupting the packets around it.
                Outgoing::Text(text) if text.contains('\x1e') => body.truncate(start),
                Outgoing::Text(text) => body.push_str(text),
                Outgoing::Binary(bytes) => {
                    // Binary messages are base64-encoded, which cannot fail.
                    let _ = encode_polling_payload([EnginePacket::binary(bytes)], &mut body);
                }
                Outgoing::Close => {
                    body.push('1');
                    self.finish_close();
                    break;
                }
                Outgoing::PeerCloseNoop => {
                    body.push('6');
                    self.finish_close();
                    break;
                }
            }
        }
        body
    }

    /// The next event for the application, or `None`.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next (the next ping, a
    /// pong deadline, the connect, upgrade or close timeout), or `None` when no timer runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed => None,
            State::Closing { deadline, .. } => Some(deadline),
            State::Open => {
                let upgrade = match self.upgrade {
                    Upgrade::None => None,
                    Upgrade::Probing { deadline } | Upgrade::Probed { deadline } => Some(deadline),
                };
                [
                    self.next_ping,
                    self.pong_deadline,
                    self.connect_deadline,
                    upgrade,
                ]
                .into_iter()
                .flatten()
                .min()
            }
        }
    }

    /// Runs the timers due at `now`: sends a ping every `pingInterval`, closes the session
    /// when a pong is more than `pingTimeout` late or when no namespace was joined within
    /// `connectTimeout`, and abandons an upgrade that took longer than `upgradeTimeout`.
    ///
    /// The engine.io-protocol README: "At a given interval (the `pingInterval` value sent in
    /// the handshake) the server sends a `ping` packet and the client has a few seconds (the
    /// `pingTimeout` value) to send a `pong` packet back. If the server does not receive a
    /// `pong` packet back, then it SHOULD consider that the connection is closed."
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Closed => {}
            State::Closing { deadline, reason } => {
                if now >= deadline {
                    self.outbox.clear();
                    self.finish_close_with(reason);
                }
            }
            State::Open => {
                if self.pong_deadline.is_some_and(|d| now >= d) {
                    self.violation(
                        ViolationKind::MissedPong,
                        format!(
                            "no pong within pingTimeout ({} ms) of the last ping",
                            millis(self.config.ping_timeout)
                        ),
                    );
                    self.terminate(CloseReason::PingTimeout, false);
                    return;
                }
                if let Some(due) = self.next_ping.filter(|&t| now >= t) {
                    // Timers run as if they had fired on time: a late wake-up (or a request
                    // arriving before the transport's timer fires) sees the ping sent at
                    // `due`, and its pong deadline counted from there.
                    self.next_ping = None;
                    self.pong_deadline = due.checked_add(self.config.ping_timeout);
                    self.outbox.push_back(Outgoing::Text("2".to_owned()));
                    if self.pong_deadline.is_some_and(|d| now >= d) {
                        self.handle_timeout(now);
                        return;
                    }
                }
                if self.connect_deadline.is_some_and(|d| now >= d) {
                    self.connect_deadline = None;
                    self.violation(
                        ViolationKind::ConnectTimeout,
                        format!(
                            "no Socket.IO CONNECT accepted within connectTimeout ({} ms)",
                            self.config.connect_timeout.map_or(0, millis)
                        ),
                    );
                    self.begin_close(
                        now,
                        CloseReason::ProtocolViolation(ViolationKind::ConnectTimeout),
                    );
                    return;
                }
                match self.upgrade {
                    Upgrade::Probing { deadline } | Upgrade::Probed { deadline }
                        if now >= deadline =>
                    {
                        self.abandon_upgrade("the upgrade was not completed within upgradeTimeout");
                    }
                    _ => {}
                }
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // Transport input.

    /// A long-polling `GET` arrived (the handshake `GET` included). On `Ok`, the request is
    /// pending: hold it until [`poll_transmit`](Self::poll_transmit) yields the
    /// [`Transmit::PollResponse`] that answers it (at once when packets are queued).
    ///
    /// The engine.io-protocol README: "To ensure packet ordering, a client MUST NOT have more
    /// than one active `GET` request. Should it happen, the server MUST return an HTTP 400
    /// error status and close the session." The pending `GET` is then answered with a
    /// `close` packet (`1`).
    ///
    /// # Errors
    ///
    /// The refusal to send back: [`RequestError::UnknownSid`] once the session is closed,
    /// [`RequestError::BadRequest`] after the upgrade to WebSocket (the session carries on) or
    /// for a duplicate poll (the session closes).
    pub fn handle_poll_request(&mut self, now: Instant) -> Result<(), RequestError> {
        self.check_polling_request(now)?;
        if self.poll_pending {
            self.fail(
                ViolationKind::DuplicatePoll,
                "a second long-polling GET arrived while one was pending".to_owned(),
            );
            return Err(RequestError::BadRequest);
        }
        self.poll_pending = true;
        if matches!(self.upgrade, Upgrade::Probed { .. }) && self.outbox.is_empty() {
            // The client is upgrading and has paused polling: end this poll at once so it
            // can switch (engine.io sends the `noop` within 100 ms).
            self.answer_pending_poll("6");
        }
        Ok(())
    }

    /// The pending long-polling `GET` went away before it was answered (the client closed
    /// the connection). The reference server closes the session ("poll connection closed
    /// prematurely"), and so does this.
    pub fn handle_poll_aborted(&mut self, now: Instant) {
        self.handle_timeout(now);
        if self.poll_pending && self.state != State::Closed {
            self.poll_pending = false;
            self.terminate(CloseReason::PollAborted, false);
        }
    }

    /// A long-polling `POST` started (its headers arrived). Optional: call it before reading
    /// the body to enforce the one-`POST`-at-a-time rule; [`handle_polling_post`] ends it.
    ///
    /// The engine.io-protocol README: "a client MUST NOT have more than one active `POST`
    /// request. Should it happen, the server MUST return an HTTP 400 error status and close
    /// the session."
    ///
    /// [`handle_polling_post`]: Self::handle_polling_post
    ///
    /// # Errors
    ///
    /// [`RequestError::UnknownSid`] once the session is closed, [`RequestError::BadRequest`]
    /// after the upgrade or for a second concurrent `POST` (the session then closes).
    pub fn begin_polling_post(&mut self, now: Instant) -> Result<(), RequestError> {
        self.check_polling_request(now)?;
        if self.post_in_progress {
            self.fail(
                ViolationKind::UnexpectedPacket,
                "a second long-polling POST arrived while one was in progress".to_owned(),
            );
            return Err(RequestError::BadRequest);
        }
        self.post_in_progress = true;
        Ok(())
    }

    /// The body of a long-polling `POST`: one or more packets separated by `\x1e`, binary ones
    /// as `b<base64>`. On `Ok`, answer HTTP 200 with the body `ok`.
    ///
    /// A `close` packet ends the session, and what is queued for the client is dropped. A
    /// pending `GET` is answered with `noop` (`6`) at once, as engine.io answers it. Without
    /// one, the session waits up to [`ServerConfig::peer_close_grace`] for a `GET` the client
    /// sent alongside the `close`, answers it with `noop` too, and only then reports
    /// [`CloseReason::PeerClose`].
    ///
    /// # Errors
    ///
    /// [`RequestError::UnknownSid`] once the session is closed, [`RequestError::BadRequest`]
    /// after the upgrade (the session carries on) or for a payload that does not decode (the
    /// packets before the bad one are handled, then the session closes), and
    /// [`RequestError::PayloadTooLarge`] for a body longer than `maxPayload` (the session
    /// closes).
    pub fn handle_polling_post(&mut self, now: Instant, body: &[u8]) -> Result<(), RequestError> {
        self.post_in_progress = false;
        self.check_polling_request(now)?;
        if self.state != State::Open {
            // Closing: the packets are ignored, as on a WebSocket.
            return Ok(());
        }
        if body.len() as u64 > self.config.max_payload {
            self.fail(
                ViolationKind::PayloadTooLarge,
                format!(
                    "POST body of {} bytes exceeds maxPayload ({})",
                    body.len(),
                    self.config.max_payload
                ),
            );
            return Err(RequestError::PayloadTooLarge);
        }
        let text = match std::str::from_utf8(body) {
            Ok(text) => text,
            Err(e) => {
                self.malformed(format!(
                    "polling payload is not UTF-8 (byte {})",
                    e.valid_up_to()
                ));
                return Err(RequestError::BadRequest);
            }
        };
        for record in decode_polling_payload_with(text, &self.config.limits) {
            if self.state != State::Open {
                break;
            }
            match record {
                Ok(PollingPacket::Packet(packet)) => self.handle_packet(now, packet),
                Ok(PollingPacket::Base64(data)) => {
                    let mut bytes = Vec::with_capacity(data.decoded_len());
                    if data.decode_into(&mut bytes).is_ok() {
                        self.handle_message(now, Payload::Binary(&bytes));
                    }
                }
                Err(e) => {
                    self.malformed(format!(
                        "polling payload: {e} in {}",
                        quote_excerpt(text, e.offset)
                    ));
                    return Err(RequestError::BadRequest);
                }
            }
        }
        Ok(())
    }

    /// A WebSocket naming this session's sid was opened (an upgrade from long-polling).
    ///
    /// On `Ok`, feed its frames to [`handle_frame`](Self::handle_frame): the session expects
    /// `2probe`, answers `3probe` (and ends a pending poll with `noop`), then takes `5` as the
    /// switch. Anything else, or no `5` within `upgradeTimeout`, ends the upgrade with
    /// [`Transmit::CloseWebSocket`] and the session stays on long-polling.
    ///
    /// The engine.io-protocol README: "A client MUST NOT open more than one WebSocket
    /// connection per session. Should it happen, the server MUST close the WebSocket
    /// connection."
    ///
    /// # Errors
    ///
    /// [`RequestError::UnknownSid`] once the session is closed, [`RequestError::BadRequest`]
    /// when the session already has a WebSocket (upgraded, upgrading, or opened on one), when
    /// upgrades are disabled, or while it is closing: close (or refuse) that WebSocket; the
    /// session carries on.
    pub fn handle_websocket_upgrade(&mut self, now: Instant) -> Result<(), RequestError> {
        self.handle_timeout(now);
        match self.state {
            State::Closed => Err(RequestError::UnknownSid),
            State::Closing { .. } => Err(RequestError::BadRequest),
            State::Open => {
                if self.transport != TransportKind::Polling
                    || self.upgrade != Upgrade::None
                    || !self.config.allow_upgrades
                {
                    return Err(RequestError::BadRequest);
                }
                let deadline = now.checked_add(self.config.upgrade_timeout).unwrap_or(now);
                self.upgrade = Upgrade::Probing { deadline };
                Ok(())
            }
        }
    }

    /// The session's WebSocket closed (the peer closed it, or it failed). A session on
    /// WebSocket ends ([`CloseReason::TransportClosed`]); an upgrade in progress is
    /// abandoned and the session stays on long-polling.
    pub fn handle_websocket_closed(&mut self, now: Instant) {
        self.handle_timeout(now);
        if self.state == State::Closed {
            return;
        }
        if self.transport == TransportKind::WebSocket {
            // The socket is gone: nothing can be sent on it any more. A close already under
            // way keeps its reason.
            let reason = match self.state {
                State::Closing { reason, .. } => reason,
                _ => CloseReason::TransportClosed,
            };
            self.outbox.clear();
            self.terminate_without_transmit(reason);
        } else {
            self.upgrade = Upgrade::None;
        }
    }

    /// A WebSocket frame arrived on the session's WebSocket (the main transport, or the one
    /// probing an upgrade).
    ///
    /// A frame longer than `maxPayload`, a frame that does not decode, a ping from the client
    /// (pings go server to client in v4) and any Socket.IO packet the protocol forbids here
    /// close the session after reporting a [`ServerEvent::Violation`].
    pub fn handle_frame(&mut self, now: Instant, frame: InboundFrame<'_>) {
        self.handle_timeout(now);
        // The reference server ignores packets once it is closing ("packet received with
        // closed socket").
        if self.state != State::Open {
            return;
        }
        let len = match frame {
            InboundFrame::Text(text) => text.len(),
            InboundFrame::Binary(bytes) => bytes.len(),
        };
        if len as u64 > self.config.max_payload {
            self.fail(
                ViolationKind::PayloadTooLarge,
                format!(
                    "frame of {len} bytes exceeds maxPayload ({})",
                    self.config.max_payload
                ),
            );
            return;
        }
        if self.transport == TransportKind::Polling {
            self.handle_probe_frame(frame);
            return;
        }
        match frame {
            InboundFrame::Binary(bytes) => self.handle_message(now, Payload::Binary(bytes)),
            InboundFrame::Text(text) => match decode_text_frame_with(text, &self.config.limits) {
                Ok(packet) => self.handle_packet(now, packet),
                Err(e) => self.malformed(format!("{e} in {}", quote_excerpt(text, e.offset))),
            },
        }
    }

    /// A frame from the WebSocket probing an upgrade.
    ///
    /// The engine.io-protocol README, "Upgrade": the client MUST "send a `ping` packet with
    /// the string `probe` in the payload"; the server MUST "send a `noop` packet to any
    /// pending `GET` request (if applicable) to cleanly close HTTP long-polling transport" and
    /// "respond with a `pong` packet with the string `probe` in the payload"; "Finally, the
    /// client MUST send a `upgrade` packet to complete the upgrade".
    fn handle_probe_frame(&mut self, frame: InboundFrame<'_>) {
        let deadline = match self.upgrade {
            Upgrade::None => return,
            Upgrade::Probing { deadline } | Upgrade::Probed { deadline } => deadline,
        };
        let packet = match frame {
            InboundFrame::Text(text) => decode_text_frame_with(text, &self.config.limits).ok(),
            InboundFrame::Binary(_) => None,
        };
        match packet {
            Some(EnginePacket::Ping("probe")) => {
                self.direct.push_back(Transmit::Text("3probe".to_owned()));
                self.upgrade = Upgrade::Probed { deadline };
                if self.poll_pending && self.outbox.is_empty() {
                    self.answer_pending_poll("6");
                }
            }
            Some(EnginePacket::Upgrade) if matches!(self.upgrade, Upgrade::Probed { .. }) => {
                self.upgrade = Upgrade::None;
                self.transport = TransportKind::WebSocket;
                if self.poll_pending {
                    self.answer_pending_poll("6");
                }
                self.events.push_back(ServerEvent::Upgraded);
            }
            _ => {
                let what = match frame {
                    InboundFrame::Text(text) => format!("frame {}", quote_excerpt(text, 0)),
                    InboundFrame::Binary(bytes) => {
                        format!("a binary frame of {} bytes", bytes.len())
                    }
                };
                self.abandon_upgrade(&format!(
                    "the probing WebSocket sent {what} instead of 2probe then 5"
                ));
            }
        }
    }

    fn abandon_upgrade(&mut self, detail: &str) {
        self.upgrade = Upgrade::None;
        self.violation(ViolationKind::UpgradeFailed, detail.to_owned());
        self.direct.push_back(Transmit::CloseWebSocket);
    }

    /// One decoded Engine.IO packet on the main transport.
    fn handle_packet(&mut self, now: Instant, packet: EnginePacket<'_>) {
        match packet {
            EnginePacket::Pong(_) => {
                // engine.io refreshes the ping interval on any pong, awaited or not.
                self.pong_deadline = None;
                if self.pinging {
                    self.next_ping = now.checked_add(self.config.ping_interval);
                }
            }
            EnginePacket::Ping(data) => {
                self.fail(
                    ViolationKind::UnexpectedPacket,
                    format!(
                        "ping {:?} from the client (in Engine.IO v4 the server pings)",
                        data
                    ),
                );
            }
            EnginePacket::Close
                if self.transport == TransportKind::Polling
                    && !self.poll_pending
                    && !self.config.peer_close_grace.is_zero() =>
            {
                // A client may send its `close` and a `GET` at once (the protocol test suites
                // do), and the `GET` may arrive second. engine.io answers a `GET` pending when
                // the `close` arrives with `noop`; this answers the late one the same way.
                self.outbox.clear();
                let deadline = now.checked_add(self.config.peer_close_grace).unwrap_or(now);
                self.start_closing(deadline, CloseReason::PeerClose, Outgoing::PeerCloseNoop);
            }
            EnginePacket::Close => self.terminate(CloseReason::PeerClose, true),
            EnginePacket::Message(payload) => self.handle_message(now, payload),
            // The reference server ignores `open`, `upgrade` and `noop` from the client.
            EnginePacket::Open(_) | EnginePacket::Upgrade | EnginePacket::Noop => {}
        }
    }

    /// One Engine.IO message, text or binary.
    fn handle_message(&mut self, now: Instant, payload: Payload<'_>) {
        match self.config.layer {
            Layer::EngineIo => {
                self.events
                    .push_back(ServerEvent::Message(EngineMessage::from_payload(payload)));
            }
            Layer::SocketIo => match self.socket.decode(payload) {
                Ok(Some(packet)) => self.handle_socket_packet(now, packet),
                Ok(None) => {}
                Err(violation) => {
                    let kind = violation.kind;
                    self.events.push_back(ServerEvent::Violation(violation));
                    self.begin_close(now, CloseReason::ProtocolViolation(kind));
                }
            },
        }
    }

    /// One complete Socket.IO packet from the client.
    ///
    /// socket.io's `Client.ondecoded`: a CONNECT for a namespace without a socket connects;
    /// any other packet for a namespace with a socket goes to it; anything else is an
    /// "invalid state" and closes the connection.
    fn handle_socket_packet(&mut self, now: Instant, packet: InboundPacket) {
        let state = self.socket.namespace(packet.namespace());
        match (packet, state) {
            (
                InboundPacket::Connect {
                    namespace,
                    data: auth,
                },
                None,
            ) => {
                let known = self
                    .config
                    .namespaces
                    .as_ref()
                    .is_none_or(|known| known.contains(&namespace));
                if known {
                    self.socket
                        .set_namespace(namespace.clone(), NamespaceState::Pending);
                    self.events
                        .push_back(ServerEvent::ConnectRequest { namespace, auth });
                } else {
                    self.violation(
                        ViolationKind::UnknownNamespace,
                        format!("CONNECT to unknown namespace {namespace:?}"),
                    );
                    self.queue_connect_error(&namespace, "Invalid namespace");
                }
            }
            (InboundPacket::Disconnect { namespace }, Some(NamespaceState::Connected { .. })) => {
                self.socket.leave(&namespace);
                self.events.push_back(ServerEvent::Disconnect { namespace });
            }
            (InboundPacket::Event(event), Some(NamespaceState::Connected { .. })) => {
                self.events.push_back(ServerEvent::Event(event));
            }
            (InboundPacket::Ack { ack, has_id }, Some(NamespaceState::Connected { .. })) => {
                if self.socket.settle_ack(&ack, has_id) {
                    self.events.push_back(ServerEvent::Ack(ack));
                } else {
                    // socket.io ignores an ack it did not ask for.
                    self.violation(
                        ViolationKind::UnknownAck,
                        if has_id {
                            format!("ACK {} in {:?} answers no emit", ack.ack_id, ack.namespace)
                        } else {
                            format!("ACK without an id in {:?}", ack.namespace)
                        },
                    );
                }
            }
            (packet, state) => {
                let detail = match state {
                    None => format!(
                        "{} for namespace {:?}, which the client has not joined",
                        packet.type_name(),
                        packet.namespace()
                    ),
                    Some(_) => format!(
                        "{} for namespace {:?} in the wrong state",
                        packet.type_name(),
                        packet.namespace()
                    ),
                };
                self.violation(ViolationKind::UnexpectedPacket, detail);
                self.begin_close(
                    now,
                    CloseReason::ProtocolViolation(ViolationKind::UnexpectedPacket),
                );
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // Application commands.

    /// Accepts the client's pending CONNECT to `namespace`, answering CONNECT with the
    /// Socket.IO session id `socket_sid` (`40/nsp,{"sid":"..."}`), and stops the connect
    /// timeout.
    ///
    /// # Errors
    ///
    /// [`SessionError::NoPendingConnect`] when no CONNECT to `namespace` awaits an answer,
    /// [`SessionError::Closed`] once the session is closing or closed.
    pub fn accept_connect(
        &mut self,
        namespace: &str,
        socket_sid: &str,
    ) -> Result<(), SessionError> {
        self.ensure_open()?;
        if self.socket.namespace(namespace) != Some(&NamespaceState::Pending) {
            return Err(SessionError::NoPendingConnect(namespace.to_owned()));
        }
        let mut data = String::from("{\"sid\":");
        sio_wire::json::write_json_str(socket_sid, &mut data);
        data.push('}');
        // Queue first: the namespace only counts as joined once its answer is on its way.
        self.queue_socket_packet(SocketPacketType::Connect, namespace, Some(&data), None, &[])?;
        self.socket.set_namespace(
            namespace.to_owned(),
            NamespaceState::Connected {
                sid: socket_sid.to_owned(),
            },
        );
        self.connect_deadline = None;
        Ok(())
    }

    /// Refuses the client's pending CONNECT to `namespace` with CONNECT_ERROR
    /// `{"message":...}` (`44/nsp,{"message":"Not authorized"}`). The session stays open.
    ///
    /// # Errors
    ///
    /// [`SessionError::NoPendingConnect`] when no CONNECT to `namespace` awaits an answer,
    /// [`SessionError::Closed`] once the session is closing or closed.
    pub fn refuse_connect(&mut self, namespace: &str, message: &str) -> Result<(), SessionError> {
        self.ensure_open()?;
        if self.socket.namespace(namespace) != Some(&NamespaceState::Pending) {
            return Err(SessionError::NoPendingConnect(namespace.to_owned()));
        }
        self.socket.remove_namespace(namespace);
        self.queue_connect_error(namespace, message);
        Ok(())
    }

    /// Refuses with a CONNECT_ERROR whose payload is the given JSON (an object such as
    /// `{"message":"Not authorized","data":{"code":401}}`), for refusals that carry more
    /// than a message.
    ///
    /// # Errors
    ///
    /// As [`refuse_connect`](Self::refuse_connect), and [`SessionError::InvalidPayload`] when
    /// `data` is not valid JSON.
    pub fn refuse_connect_with(&mut self, namespace: &str, data: &str) -> Result<(), SessionError> {
        self.ensure_open()?;
        if self.socket.namespace(namespace) != Some(&NamespaceState::Pending) {
            return Err(SessionError::NoPendingConnect(namespace.to_owned()));
        }
        self.queue_socket_packet(
            SocketPacketType::ConnectError,
            namespace,
            Some(data),
            None,
            &[],
        )?;
        self.socket.remove_namespace(namespace);
        Ok(())
    }

    fn queue_connect_error(&mut self, namespace: &str, message: &str) {
        let mut data = String::from("{\"message\":");
        sio_wire::json::write_json_str(message, &mut data);
        data.push('}');
        // The payload was just built as valid JSON, so this cannot fail.
        let _ = self.queue_socket_packet(
            SocketPacketType::ConnectError,
            namespace,
            Some(&data),
            None,
            &[],
        );
    }

    /// Emits an event to the client in `namespace`: `data` is the JSON array of the event name
    /// and its arguments (`["hey","Jude"]`). With `attachments`, the packet is a BINARY_EVENT
    /// and `data` must hold one `{"_placeholder":true,"num":k}` per attachment.
    ///
    /// # Errors
    ///
    /// [`SessionError::NotConnected`] when the client has not joined `namespace`,
    /// [`SessionError::InvalidPayload`] when `data` is not a JSON array,
    /// [`SessionError::Closed`] once the session is closing or closed.
    pub fn emit(
        &mut self,
        namespace: &str,
        data: &str,
        attachments: &[Vec<u8>],
    ) -> Result<(), SessionError> {
        self.ensure_open()?;
        self.socket
            .emit(&mut self.outbox, namespace, data, attachments)
    }

    /// Like [`emit`](Self::emit), asking the client for an acknowledgement; returns the ack
    /// id. The client's answer comes back as [`ServerEvent::Ack`] with this id.
    ///
    /// # Errors
    ///
    /// As [`emit`](Self::emit).
    pub fn emit_with_ack(
        &mut self,
        namespace: &str,
        data: &str,
        attachments: &[Vec<u8>],
    ) -> Result<u64, SessionError> {
        self.ensure_open()?;
        self.socket
            .emit_with_ack(&mut self.outbox, namespace, data, attachments)
    }

    /// Answers the client's event that carried `ack_id` in `namespace`: `data` is the JSON
    /// array of the answer's arguments (possibly `[]`). With `attachments`, the packet is a
    /// BINARY_ACK.
    ///
    /// The socket.io-protocol README: "The receiver MUST respond with an `ACK` packet with the
    /// same event ID."
    ///
    /// # Errors
    ///
    /// As [`emit`](Self::emit).
    pub fn ack(
        &mut self,
        namespace: &str,
        ack_id: u64,
        data: &str,
        attachments: &[Vec<u8>],
    ) -> Result<(), SessionError> {
        self.ensure_open()?;
        self.socket
            .ack(&mut self.outbox, namespace, ack_id, data, attachments)
    }

    /// Disconnects the client from `namespace` (DISCONNECT, `41/nsp,`). The Engine.IO
    /// session stays open.
    ///
    /// # Errors
    ///
    /// [`SessionError::NotConnected`] when the client has not joined `namespace`,
    /// [`SessionError::Closed`] once the session is closing or closed.
    pub fn disconnect(&mut self, namespace: &str) -> Result<(), SessionError> {
        self.ensure_open()?;
        self.socket.disconnect(&mut self.outbox, namespace)
    }

    /// Sends a plain Engine.IO message (`4` + text, or a binary message), whatever the layer:
    /// the Engine.IO echo server uses it, and so can fault injection.
    ///
    /// # Errors
    ///
    /// [`SessionError::Closed`] once the session is closing or closed.
    pub fn send_message(&mut self, message: EngineMessage) -> Result<(), SessionError> {
        self.ensure_open()?;
        self.outbox.push_message(message);
        Ok(())
    }

    /// Sends `frame` exactly as given as one Engine.IO text packet (a WebSocket text frame,
    /// or one record of a polling payload), without checking it: for fault injection
    /// ("send a malformed frame").
    ///
    /// # Errors
    ///
    /// [`SessionError::Closed`] once the session is closing or closed.
    pub fn send_raw_text(&mut self, frame: &str) -> Result<(), SessionError> {
        self.ensure_open()?;
        self.outbox.push_text(frame.to_owned());
        Ok(())
    }

    /// Stops (or restarts) the server's heartbeat, for fault injection ("stop pinging"): while
    /// stopped, no ping is sent and no pong is awaited, so only the client notices (it gives
    /// up after `pingInterval + pingTimeout`). Restarting schedules the next ping one
    /// `pingInterval` from `now`.
    pub fn set_pinging(&mut self, now: Instant, enabled: bool) {
        self.handle_timeout(now);
        if self.state != State::Open || self.pinging == enabled {
            return;
        }
        self.pinging = enabled;
        self.pong_deadline = None;
        self.next_ping = if enabled {
            now.checked_add(self.config.ping_interval)
        } else {
            None
        };
    }

    /// Closes the session from the server side: what is queued goes out first, then the
    /// WebSocket is closed, or (on long-polling) a `close` packet answers the poll after the
    /// one that carries what is queued (the pending poll at once when nothing is). If no poll
    /// comes within `closeTimeout`, the session ends anyway. Reported as
    /// [`CloseReason::Requested`].
    pub fn close(&mut self, now: Instant) {
        self.handle_timeout(now);
        self.begin_close(now, CloseReason::Requested);
    }

    /// Closes the session at once, for a server that takes no more requests (a graceful
    /// shutdown): as [`close`](Self::close), but nothing waits for the client. A WebSocket
    /// gets what is queued, then closes. On long-polling, a pending `GET` is answered with
    /// what is queued, or with `close` when nothing is (a `close` behind packets would wait
    /// for the next poll, which cannot come), and the session ends; what that answer cannot
    /// carry is dropped. A close already under way, the client's own included, ends now and
    /// keeps its reason.
    pub fn close_now(&mut self, now: Instant) {
        self.handle_timeout(now);
        self.begin_close(now, CloseReason::Requested);
        let State::Closing { reason, .. } = self.state else {
            return;
        };
        if self.transport != TransportKind::Polling {
            // The WebSocket takes the whole queue, close included, at the next drain.
            return;
        }
        if self.poll_pending {
            self.poll_pending = false;
            let body = self.take_polling_payload();
            self.direct.push_back(Transmit::PollResponse(body));
        }
        self.outbox.clear();
        self.finish_close_with(reason);
    }

    // ----------------------------------------------------------------------------------------
    // Internals.

    fn ensure_open(&self) -> Result<(), SessionError> {
        if self.state == State::Open {
            Ok(())
        } else {
            Err(SessionError::Closed)
        }
    }

    fn queue_socket_packet(
        &mut self,
        packet_type: SocketPacketType,
        namespace: &str,
        data: Option<&str>,
        ack_id: Option<u64>,
        attachments: &[Vec<u8>],
    ) -> Result<(), SessionError> {
        self.socket.queue(
            &mut self.outbox,
            packet_type,
            namespace,
            data,
            ack_id,
            attachments,
        )
    }

    fn violation(&mut self, kind: ViolationKind, detail: String) {
        self.events
            .push_back(ServerEvent::Violation(Violation { kind, detail }));
    }

    /// An Engine.IO packet that does not decode: the reference server closes at once
    /// (`onClose("parse error")`).
    fn malformed(&mut self, detail: String) {
        self.fail(ViolationKind::MalformedPacket, detail);
    }

    /// Reports a violation that ends the session at once.
    fn fail(&mut self, kind: ViolationKind, detail: String) {
        self.violation(kind, detail);
        self.terminate(CloseReason::ProtocolViolation(kind), false);
    }

    /// Runs the timers due at `now`, then refuses a long-polling request to a closed session
    /// or one that has moved to WebSocket.
    fn check_polling_request(&mut self, now: Instant) -> Result<(), RequestError> {
        self.handle_timeout(now);
        if self.state == State::Closed {
            return Err(RequestError::UnknownSid);
        }
        if self.transport != TransportKind::Polling {
            return Err(RequestError::BadRequest);
        }
        Ok(())
    }

    fn answer_pending_poll(&mut self, body: &str) {
        self.poll_pending = false;
        self.direct
            .push_back(Transmit::PollResponse(body.to_owned()));
    }

    /// Ends the session at once: queued packets are dropped, a pending poll is answered with
    /// `close` (`noop` when the client itself sent `close`, as the reference server does),
    /// and the WebSocket (main or probing) is closed.
    fn terminate(&mut self, reason: CloseReason, peer_closed: bool) {
        if self.state == State::Closed {
            return;
        }
        self.outbox.clear();
        if self.poll_pending {
            self.answer_pending_poll(if peer_closed { "6" } else { "1" });
        }
        if self.transport == TransportKind::WebSocket || self.upgrade != Upgrade::None {
            self.direct.push_back(Transmit::CloseWebSocket);
        }
        self.terminate_without_transmit(reason);
    }

    fn terminate_without_transmit(&mut self, reason: CloseReason) {
        self.upgrade = Upgrade::None;
        self.finish_close_with(reason);
    }

    /// Starts a server-initiated close that lets the queue drain first (socket.io's
    /// `conn.close()`).
    fn begin_close(&mut self, now: Instant, reason: CloseReason) {
        let deadline = now.checked_add(self.config.close_timeout).unwrap_or(now);
        self.start_closing(deadline, reason, Outgoing::Close);
    }

    /// Queues `last` behind what is queued; the session ends once it goes out, or at
    /// `deadline`. A probing WebSocket is closed at once.
    fn start_closing(&mut self, deadline: Instant, reason: CloseReason, last: Outgoing) {
        if self.state != State::Open {
            return;
        }
        if self.upgrade != Upgrade::None {
            self.upgrade = Upgrade::None;
            self.direct.push_back(Transmit::CloseWebSocket);
        }
        self.state = State::Closing { deadline, reason };
        self.outbox.push_back(last);
    }

    /// The last packet of a close (`close`, or the `noop` after the client's own) went out.
    fn finish_close(&mut self) {
        let reason = match self.state {
            State::Closing { reason, .. } => reason,
            _ => CloseReason::Requested,
        };
        self.finish_close_with(reason);
    }

    fn finish_close_with(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.next_ping = None;
        self.pong_deadline = None;
        self.connect_deadline = None;
        self.poll_pending = false;
        self.events.push_back(ServerEvent::Closed(reason));
    }
}

/// A duration in whole milliseconds, saturating (the handshake carries milliseconds).
fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
