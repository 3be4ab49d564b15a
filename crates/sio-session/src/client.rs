//! The client role over WebSocket: what the recorder and the load generator speak.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sio_wire::engine::{EnginePacket, Payload, decode_text_frame_with};
use sio_wire::socket::SocketPacketType;

use crate::config::{ClientConfig, Layer};
use crate::error::SessionError;
use crate::event::{ClientEvent, CloseReason, EngineMessage, OpenInfo, Violation, ViolationKind};
use crate::socket::{
    InboundPacket, NamespaceJoin, Outbound, SocketLayer, encode_packet, quote_excerpt,
};
use crate::transmit::{InboundFrame, Transmit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The WebSocket is open; the server's `open` packet is awaited.
    AwaitingOpen,
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NamespaceState {
    /// CONNECT sent, no answer yet.
    Connecting,
    Connected,
}

impl NamespaceJoin for NamespaceState {
    fn is_connected(&self) -> bool {
        *self == Self::Connected
    }
}

impl Outbound for VecDeque<Transmit> {
    fn push_text(&mut self, text: String) {
        self.push_back(Transmit::Text(text));
    }

    fn push_binary(&mut self, bytes: Vec<u8>) {
        self.push_back(Transmit::Binary(bytes));
    }
}

/// A client-role Engine.IO v4 session over WebSocket, with the Socket.IO v5 connection on top
/// (unless [`Layer::EngineIo`]).
///
/// The transport opens a WebSocket to `/socket.io/?EIO=4&transport=websocket`, creates the
/// session, feeds it every frame ([`handle_frame`](Self::handle_frame)) and drains
/// [`poll_transmit`](Self::poll_transmit) and [`poll_event`](Self::poll_event) after each
/// call. The session answers pings with pongs, and reports the server as gone when no ping
/// comes within `pingInterval + pingTimeout` (the engine.io-protocol README: "if the client
/// does not receive a `ping` packet within `pingInterval + pingTimeout`, then it SHOULD
/// consider that the connection is closed").
///
/// Commands given before the server's `open` packet (typically [`connect`](Self::connect))
/// are held and sent right after it, as socket.io-client does.
///
/// ```
/// use std::time::Instant;
/// use sio_session::{ClientConfig, ClientEvent, ClientSession, InboundFrame, Transmit};
///
/// let now = Instant::now();
/// let mut client = ClientSession::new(now, ClientConfig::default());
/// client.connect("/chatomni", Some(r#"{"token":"synthetic"}"#))?;
/// assert_eq!(client.poll_transmit(), None); // held until the server's open packet
///
/// client.handle_frame(now, InboundFrame::Text(
///     r#"0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":60000,"maxPayload":1000000}"#,
/// ));
/// assert_eq!(client.poll_transmit(),
///     Some(Transmit::Text(r#"40/chatomni,{"token":"synthetic"}"#.into())));
///
/// client.handle_frame(now, InboundFrame::Text(r#"40/chatomni,{"sid":"x"}"#));
/// client.handle_frame(now, InboundFrame::Text(r#"42/chatomni,["on-events","{}"]"#));
/// let events: Vec<_> = std::iter::from_fn(|| client.poll_event()).collect();
/// assert!(matches!(&events[1], ClientEvent::Connected { namespace, .. } if namespace == "/chatomni"));
/// assert!(matches!(&events[2], ClientEvent::Event(e) if e.name().as_deref() == Some("on-events")));
///
/// client.handle_frame(now, InboundFrame::Text("2"));
/// assert_eq!(client.poll_transmit(), Some(Transmit::Text("3".into())));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ClientSession {
    config: ClientConfig,
    state: State,
    open: Option<OpenInfo>,
    /// Frames to write, in order; held while the `open` packet is awaited.
    outbox: VecDeque<Transmit>,
    /// A close that goes out even before the `open` packet.
    close_now: bool,
    events: VecDeque<ClientEvent>,
    /// When the `open` packet (before it) or the next ping (after it) is overdue.
    deadline: Option<Instant>,
    socket: SocketLayer<NamespaceState>,
}

impl ClientSession {
    /// A session on a WebSocket that has just opened.
    pub fn new(now: Instant, config: ClientConfig) -> Self {
        let deadline = config.open_timeout.and_then(|t| now.checked_add(t));
        let socket = SocketLayer::new(config.layer, config.limits);
        Self {
            config,
            state: State::AwaitingOpen,
            open: None,
            outbox: VecDeque::new(),
            close_now: false,
            events: VecDeque::new(),
            deadline,
            socket,
        }
    }

    /// The server's handshake, once its `open` packet has arrived.
    pub fn open_info(&self) -> Option<&OpenInfo> {
        self.open.as_ref()
    }

    /// `true` once the session has ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// `true` when the server has accepted the CONNECT to `namespace`.
    pub fn is_connected(&self, namespace: &str) -> bool {
        self.socket.is_connected(namespace)
    }

    /// The next frame to write, or `None`.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if self.close_now {
            self.close_now = false;
            self.outbox.clear();
            return Some(Transmit::CloseWebSocket);
        }
        if self.state == State::AwaitingOpen {
            return None;
        }
        self.outbox.pop_front()
    }

    /// The next event for the application, or `None`.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed => None,
            _ => self.deadline,
        }
    }

    /// Runs the timers due at `now`: gives up when the `open` packet, or a ping, is overdue.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Closed || self.deadline.is_none_or(|d| now < d) {
            return;
        }
        let detail = match &self.open {
            None => "no open packet within the open timeout".to_owned(),
            Some(open) => format!(
                "no ping within pingInterval + pingTimeout ({} ms)",
                open.ping_interval_ms.saturating_add(open.ping_timeout_ms)
            ),
        };
        self.violation(ViolationKind::MissedPong, detail);
        self.terminate(CloseReason::PingTimeout);
    }

    /// The WebSocket closed.
    pub fn handle_websocket_closed(&mut self, now: Instant) {
        self.handle_timeout(now);
        if self.state != State::Closed {
            self.outbox.clear();
            self.finish(CloseReason::TransportClosed);
        }
    }

    /// A WebSocket frame from the server.
    pub fn handle_frame(&mut self, now: Instant, frame: InboundFrame<'_>) {
        self.handle_timeout(now);
        match self.state {
            State::Closed => {}
            State::AwaitingOpen => self.handle_first_frame(now, frame),
            State::Open => match frame {
                InboundFrame::Binary(bytes) => self.handle_message(Payload::Binary(bytes)),
                InboundFrame::Text(text) => match decode_text_frame_with(text, &self.config.limits)
                {
                    Ok(packet) => self.handle_packet(now, packet),
                    Err(e) => {
                        self.violation(
                            ViolationKind::MalformedPacket,
                            format!("{e} in {}", quote_excerpt(text, e.offset)),
                        );
                        self.terminate(CloseReason::ProtocolViolation(
                            ViolationKind::MalformedPacket,
                        ));
                    }
                },
            },
        }
    }

    fn handle_first_frame(&mut self, now: Instant, frame: InboundFrame<'_>) {
        let handshake = match frame {
            InboundFrame::Text(text) => match decode_text_frame_with(text, &self.config.limits) {
                Ok(EnginePacket::Open(handshake)) => Ok(handshake),
                Ok(other) => Err(format!(
                    "first frame is a {:?} packet, not open",
                    other.packet_type()
                )),
                Err(e) => Err(format!("{e} in {}", quote_excerpt(text, e.offset))),
            },
            InboundFrame::Binary(bytes) => Err(format!(
                "first frame is binary ({} bytes), not an open packet",
                bytes.len()
            )),
        };
        let handshake = match handshake {
            Ok(handshake) => handshake,
            Err(detail) => {
                self.violation(ViolationKind::MalformedPacket, detail);
                self.terminate(CloseReason::ProtocolViolation(
                    ViolationKind::MalformedPacket,
                ));
                return;
            }
        };
        let info = OpenInfo {
            sid: handshake.sid.into_owned(),
            upgrades: handshake.upgrades.iter().map(|u| u.into_owned()).collect(),
            ping_interval_ms: handshake.ping_interval,
            ping_timeout_ms: handshake.ping_timeout,
            max_payload: handshake.max_payload.unwrap_or(u64::MAX),
        };
        self.state = State::Open;
        self.arm_ping_deadline(now, &info);
        self.open = Some(info.clone());
        self.events.push_back(ClientEvent::Opened(info));
    }

    fn arm_ping_deadline(&mut self, now: Instant, info: &OpenInfo) {
        let wait =
            Duration::from_millis(info.ping_interval_ms.saturating_add(info.ping_timeout_ms));
        self.deadline = now.checked_add(wait);
    }

    fn handle_packet(&mut self, now: Instant, packet: EnginePacket<'_>) {
        match packet {
            EnginePacket::Ping(data) => {
                self.outbox.push_back(Transmit::Text(format!("3{data}")));
                if let Some(info) = self.open.clone() {
                    self.arm_ping_deadline(now, &info);
                }
            }
            EnginePacket::Close => {
                self.outbox.clear();
                self.terminate(CloseReason::PeerClose);
            }
            EnginePacket::Message(payload) => self.handle_message(payload),
            EnginePacket::Open(_) => self.violation(
                ViolationKind::UnexpectedPacket,
                "a second open packet".to_owned(),
            ),
            // A pong (the server answering nothing the client sent), upgrade and noop mean
            // nothing to a WebSocket client.
            EnginePacket::Pong(_) | EnginePacket::Upgrade | EnginePacket::Noop => {}
        }
    }

    fn handle_message(&mut self, payload: Payload<'_>) {
        if self.config.layer == Layer::EngineIo {
            self.events
                .push_back(ClientEvent::Message(EngineMessage::from_payload(payload)));
            return;
        }
        match self.socket.decode(payload) {
            Ok(Some(packet)) => self.handle_socket_packet(packet),
            Ok(None) => {}
            // socket.io-client's Manager closes the connection on a decoding error ("parse
            // error").
            Err(violation) => {
                let kind = violation.kind;
                self.events.push_back(ClientEvent::Violation(violation));
                self.terminate(CloseReason::ProtocolViolation(kind));
            }
        }
    }

    /// A packet for a namespace the client is not in is ignored (socket.io-client has no
    /// socket to give it to), but reported.
    fn handle_socket_packet(&mut self, packet: InboundPacket) {
        let state = self.socket.namespace(packet.namespace()).copied();
        match (packet, state) {
            (InboundPacket::Connect { namespace, data }, Some(NamespaceState::Connecting)) => {
                self.socket
                    .set_namespace(namespace.clone(), NamespaceState::Connected);
                self.events
                    .push_back(ClientEvent::Connected { namespace, data });
            }
            (InboundPacket::ConnectError { namespace, data }, Some(NamespaceState::Connecting)) => {
                self.socket.remove_namespace(&namespace);
                self.events
                    .push_back(ClientEvent::ConnectError { namespace, data });
            }
            (InboundPacket::Event(event), Some(NamespaceState::Connected)) => {
                self.events.push_back(ClientEvent::Event(event));
            }
            (InboundPacket::Ack { ack, has_id }, Some(NamespaceState::Connected)) => {
                if self.socket.settle_ack(&ack, has_id) {
                    self.events.push_back(ClientEvent::Ack(ack));
                } else {
                    self.violation(
                        ViolationKind::UnknownAck,
                        format!("ACK {} in {:?} answers no emit", ack.ack_id, ack.namespace),
                    );
                }
            }
            (InboundPacket::Disconnect { namespace }, Some(NamespaceState::Connected)) => {
                self.socket.leave(&namespace);
                self.events.push_back(ClientEvent::Disconnect { namespace });
            }
            (packet, state) => self.violation(
                ViolationKind::UnexpectedPacket,
                format!(
                    "{} for namespace {:?} ({})",
                    packet.type_name(),
                    packet.namespace(),
                    match state {
                        None => "not joined",
                        Some(NamespaceState::Connecting) => "CONNECT not answered yet",
                        Some(NamespaceState::Connected) => "already connected",
                    }
                ),
            ),
        }
    }

    // ----------------------------------------------------------------------------------------
    // Commands.

    /// Asks to join `namespace` (CONNECT), with an optional auth payload: a JSON object such
    /// as `{"token":"..."}`. The answer comes as [`ClientEvent::Connected`] or
    /// [`ClientEvent::ConnectError`].
    ///
    /// # Errors
    ///
    /// [`SessionError::AlreadyConnected`], [`SessionError::InvalidNamespace`],
    /// [`SessionError::InvalidPayload`] when `auth` is not a JSON object,
    /// [`SessionError::EngineIoLayer`], [`SessionError::Closed`].
    pub fn connect(&mut self, namespace: &str, auth: Option<&str>) -> Result<(), SessionError> {
        self.ensure_open()?;
        self.socket.ensure_socket_io()?;
        if self.socket.namespace(namespace).is_some() {
            return Err(SessionError::AlreadyConnected(namespace.to_owned()));
        }
        let text = encode_packet(
            SocketPacketType::Connect,
            namespace,
            auth,
            None,
            &[],
            "auth",
        )?;
        self.outbox.push_back(Transmit::Text(text));
        self.socket
            .set_namespace(namespace.to_owned(), NamespaceState::Connecting);
        Ok(())
    }

    /// Emits an event in `namespace`: `data` is the JSON array of the event name and its
    /// arguments. With `attachments`, a BINARY_EVENT whose `data` holds one placeholder per
    /// attachment.
    ///
    /// # Errors
    ///
    /// [`SessionError::NotConnected`], [`SessionError::InvalidPayload`],
    /// [`SessionError::EngineIoLayer`], [`SessionError::Closed`].
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

    /// Like [`emit`](Self::emit), asking the server for an acknowledgement; returns the ack
    /// id, which comes back in [`ClientEvent::Ack`].
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

    /// Answers a server event that carried `ack_id`; `data` is a JSON array.
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

    /// Leaves `namespace` (DISCONNECT). The WebSocket stays open.
    ///
    /// # Errors
    ///
    /// [`SessionError::NotConnected`], [`SessionError::EngineIoLayer`],
    /// [`SessionError::Closed`].
    pub fn disconnect(&mut self, namespace: &str) -> Result<(), SessionError> {
        self.ensure_open()?;
        self.socket.disconnect(&mut self.outbox, namespace)
    }

    /// Sends a plain Engine.IO message (`4` + text, or binary), whatever the layer.
    ///
    /// # Errors
    ///
    /// [`SessionError::Closed`].
    pub fn send_message(&mut self, message: EngineMessage) -> Result<(), SessionError> {
        self.ensure_open()?;
        self.outbox.push_message(message);
        Ok(())
    }

    /// Sends `frame` as one text frame exactly as given (for tests of a server's error
    /// handling, and for client frames replayed from a capture). When it is an EVENT asking
    /// for an ack (`42/nsp,7[...]`), the ack is awaited as for [`emit_with_ack`]
    /// (Self::emit_with_ack): the server's answer comes back as [`ClientEvent::Ack`], not as a
    /// violation, and later `emit_with_ack` ids start above it.
    ///
    /// # Errors
    ///
    /// [`SessionError::Closed`].
    pub fn send_raw_text(&mut self, frame: &str) -> Result<(), SessionError> {
        self.ensure_open()?;
        if let Ok(sio_wire::DecodedFrame::Socket(packet)) = sio_wire::decode_message(frame) {
            let asks = matches!(
                packet.kind,
                SocketPacketType::Event | SocketPacketType::BinaryEvent
            );
            if let (true, Some(id)) = (asks, packet.ack_id) {
                self.socket.await_ack(packet.namespace, id);
            }
        }
        self.outbox.push_text(frame.to_owned());
        Ok(())
    }

    /// Closes the session: what is queued goes out, then the WebSocket is closed (as
    /// socket.io-client's `disconnect()` does over WebSocket). Reported as
    /// [`CloseReason::Requested`].
    pub fn close(&mut self) {
        self.terminate(CloseReason::Requested);
    }

    // ----------------------------------------------------------------------------------------
    // Internals.

    fn ensure_open(&self) -> Result<(), SessionError> {
        if self.state == State::Closed {
            Err(SessionError::Closed)
        } else {
            Ok(())
        }
    }

    fn violation(&mut self, kind: ViolationKind, detail: String) {
        self.events
            .push_back(ClientEvent::Violation(Violation { kind, detail }));
    }

    /// Ends the session and closes the WebSocket after what is queued (callers that must
    /// send nothing more clear the queue first). Before the `open` packet nothing has been
    /// sent, so the WebSocket closes at once.
    fn terminate(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        if self.state == State::AwaitingOpen {
            self.close_now = true;
        } else {
            self.outbox.push_back(Transmit::CloseWebSocket);
        }
        self.finish(reason);
    }

    fn finish(&mut self, reason: CloseReason) {
        self.state = State::Closed;
        self.deadline = None;
        self.events.push_back(ClientEvent::Closed(reason));
    }
}
