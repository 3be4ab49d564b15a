//! What a session reports to the application, pulled with `poll_event`.

use std::fmt;

/// An Engine.IO message, as received or to send, in [`Layer::EngineIo`](crate::Layer) mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineMessage {
    /// A text message (the data after the `4` packet type).
    Text(String),
    /// A binary message (a WebSocket binary frame, or a `b<base64>` polling record).
    Binary(Vec<u8>),
}

impl EngineMessage {
    /// An Engine.IO message as received, owned.
    pub(crate) fn from_payload(payload: sio_wire::engine::Payload<'_>) -> Self {
        match payload {
            sio_wire::engine::Payload::Text(text) => Self::Text(text.to_owned()),
            sio_wire::engine::Payload::Binary(bytes) => Self::Binary(bytes.to_vec()),
        }
    }
}

/// A Socket.IO EVENT or BINARY_EVENT received from the peer, with its attachments put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingEvent {
    /// The namespace (`/` for the main one).
    pub namespace: String,
    /// The payload: a JSON array whose first element is the event name, exactly as received.
    /// For a BINARY_EVENT the `{"_placeholder":true,"num":k}` objects are kept in place;
    /// attachment `k` is `attachments[k]`.
    pub data: String,
    /// The ack id, when the peer asks for an acknowledgement: answer it with the session's
    /// `ack` method.
    pub ack_id: Option<u64>,
    /// The binary attachments, in `num` order (empty for a plain EVENT).
    pub attachments: Vec<Vec<u8>>,
}

impl IncomingEvent {
    /// The event name, unescaped (`None` when the first element is not a string; socket.io
    /// also allows a number there).
    pub fn name(&self) -> Option<String> {
        let data = sio_wire::RawJson::new(&self.data).ok()?;
        data.event_name().ok().map(|name| name.into_owned())
    }

    /// The arguments after the event name, as the JSON text between the brackets (e.g.
    /// `1,"2",{"3":[true]}` for `["message",1,"2",{"3":[true]}]`; empty when there are
    /// none). Useful to build a reply with the same arguments:
    /// `format!("[\"message-back\"{}{}]", if args.is_empty() { "" } else { "," }, args)`.
    pub fn args_json(&self) -> &str {
        args_after_first(&self.data)
    }
}

/// A Socket.IO ACK or BINARY_ACK received from the peer for one of the session's own
/// `emit_with_ack` calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingAck {
    /// The namespace (`/` for the main one).
    pub namespace: String,
    /// The ack id, as returned by `emit_with_ack`.
    pub ack_id: u64,
    /// The payload: a JSON array (possibly empty), placeholders kept in place.
    pub data: String,
    /// The binary attachments, in `num` order (empty for a plain ACK).
    pub attachments: Vec<Vec<u8>>,
}

/// The JSON text between the brackets of an array, after its first element.
fn args_after_first(data: &str) -> &str {
    let Ok(raw) = sio_wire::RawJson::new(data) else {
        return "";
    };
    let Some(second) = raw.elements().nth(1) else {
        return "";
    };
    let start = raw.offset_of(&second);
    // A validated array ends with `]` once trailing whitespace is cut off.
    let end = data.trim_end().len().saturating_sub(1);
    data.get(start..end).map_or("", str::trim_end)
}

/// The kind of a protocol violation seen from the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ViolationKind {
    /// A frame or polling payload that does not decode (Engine.IO or Socket.IO). Closes the
    /// session.
    MalformedPacket,
    /// A message (WebSocket frame or polling `POST` body) longer than `maxPayload`. Closes the
    /// session.
    PayloadTooLarge,
    /// No pong within `pingTimeout` of a ping (server role), or no ping within `pingInterval +
    /// pingTimeout` (client role). Closes the session.
    MissedPong,
    /// A second long-polling `GET` while one was pending. Closes the session.
    DuplicatePoll,
    /// A well-formed packet that is not allowed now: a ping from the client, a binary
    /// attachment nobody waits for, text while attachments are awaited, a packet for a
    /// namespace the client has not joined, a second CONNECT to a namespace, a CONNECT_ERROR
    /// from a client. Closes the session.
    UnexpectedPacket,
    /// No Socket.IO CONNECT accepted within `connectTimeout`. Closes the session.
    ConnectTimeout,
    /// A CONNECT to a namespace that does not exist; refused with CONNECT_ERROR, the session
    /// stays open.
    UnknownNamespace,
    /// An ACK whose id the session never asked for; ignored.
    UnknownAck,
    /// A probing WebSocket that sent something other than `2probe` then `5`, or did not
    /// finish in `upgradeTimeout`; it is closed and the session stays on long-polling.
    UpgradeFailed,
}

impl ViolationKind {
    /// A short name, stable for logs and the admin API (`malformed_packet`, `missed_pong`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MalformedPacket => "malformed_packet",
            Self::PayloadTooLarge => "payload_too_large",
            Self::MissedPong => "missed_pong",
            Self::DuplicatePoll => "duplicate_poll",
            Self::UnexpectedPacket => "unexpected_packet",
            Self::ConnectTimeout => "connect_timeout",
            Self::UnknownNamespace => "unknown_namespace",
            Self::UnknownAck => "unknown_ack",
            Self::UpgradeFailed => "upgrade_failed",
        }
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol violation seen from the peer: what kind, and a human detail naming the place
/// (byte offset, packet type, namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What kind of violation.
    pub kind: ViolationKind,
    /// What exactly was wrong, e.g. `unknown Engine.IO packet type at byte 0 in "abc"`.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)
    }
}

/// Why a session ended. Reported once, as the last event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer sent an Engine.IO `close` packet (`1`). On long-polling with no `GET` pending,
    /// reported once the `GET` sent alongside it is answered, or after
    /// [`ServerConfig::peer_close_grace`](crate::ServerConfig::peer_close_grace).
    PeerClose,
    /// The WebSocket closed (with or without a close frame): `transport close`, as engine.io
    /// words it.
    TransportClosed,
    /// A pending long-polling `GET` was aborted by the client: `transport error` ("poll
    /// connection closed prematurely" in engine.io).
    PollAborted,
    /// The heartbeat failed (see [`ViolationKind::MissedPong`]).
    PingTimeout,
    /// The peer broke the protocol; a [`Violation`] of this kind was reported just before.
    ProtocolViolation(ViolationKind),
    /// The application closed the session (`close`).
    Requested,
}

impl CloseReason {
    /// The reason as the reference server words it in its `close` / `disconnect` events
    /// (`transport close`, `transport error`, `ping timeout`, `parse error`, `forced close`,
    /// `forced server close`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PeerClose => "transport close",
            Self::TransportClosed => "transport close",
            Self::PollAborted => "transport error",
            Self::PingTimeout => "ping timeout",
            Self::ProtocolViolation(ViolationKind::ConnectTimeout) => "forced server close",
            Self::ProtocolViolation(
                ViolationKind::DuplicatePoll
                | ViolationKind::PayloadTooLarge
                | ViolationKind::UnexpectedPacket,
            ) => "transport error",
            Self::ProtocolViolation(_) => "parse error",
            Self::Requested => "forced close",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProtocolViolation(kind) => write!(f, "{} ({kind})", self.as_str()),
            _ => f.write_str(self.as_str()),
        }
    }
}

/// What a server-role session reports, pulled with
/// [`ServerSession::poll_event`](crate::ServerSession::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// The client asks to join a namespace. Answer with
    /// [`ServerSession::accept_connect`](crate::ServerSession::accept_connect) or
    /// [`ServerSession::refuse_connect`](crate::ServerSession::refuse_connect).
    ConnectRequest {
        /// The namespace (`/` for the main one).
        namespace: String,
        /// The CONNECT payload as JSON text (an object, e.g. `{"token":"..."}`), or `None`
        /// when the client sent none (socket.io then sees `{}`).
        auth: Option<String>,
    },
    /// The client emitted an event in a namespace it joined.
    Event(IncomingEvent),
    /// The client acknowledged one of the session's `emit_with_ack` calls.
    Ack(IncomingAck),
    /// The client left a namespace (DISCONNECT).
    Disconnect {
        /// The namespace it left.
        namespace: String,
    },
    /// [`Layer::EngineIo`](crate::Layer::EngineIo) only: an Engine.IO message.
    Message(EngineMessage),
    /// The session moved from long-polling to WebSocket.
    Upgraded,
    /// The client broke the protocol. Violations that close the session are followed by
    /// [`ServerEvent::Closed`].
    Violation(Violation),
    /// The session is over. Nothing else follows; drain `poll_transmit` (the last frames and
    /// the close), then drop the session.
    Closed(CloseReason),
}

/// The server's handshake, as the client role received it in the `open` packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInfo {
    /// The Engine.IO session id.
    pub sid: String,
    /// Transports the session may upgrade to.
    pub upgrades: Vec<String>,
    /// `pingInterval`, in milliseconds.
    pub ping_interval_ms: u64,
    /// `pingTimeout`, in milliseconds.
    pub ping_timeout_ms: u64,
    /// `maxPayload`, in bytes.
    pub max_payload: u64,
}

/// What a client-role session reports, pulled with
/// [`ClientSession::poll_event`](crate::ClientSession::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server's `open` packet arrived.
    Opened(OpenInfo),
    /// The server accepted a namespace CONNECT.
    Connected {
        /// The namespace.
        namespace: String,
        /// The CONNECT reply payload as JSON text (`{"sid":"..."}`), if any.
        data: Option<String>,
    },
    /// The server refused a namespace CONNECT (CONNECT_ERROR).
    ConnectError {
        /// The namespace.
        namespace: String,
        /// The CONNECT_ERROR payload as JSON text (usually `{"message":"..."}`).
        data: Option<String>,
    },
    /// The server emitted an event in a joined namespace.
    Event(IncomingEvent),
    /// The server acknowledged one of the session's `emit_with_ack` calls.
    Ack(IncomingAck),
    /// The server disconnected the client from a namespace (DISCONNECT).
    Disconnect {
        /// The namespace.
        namespace: String,
    },
    /// [`Layer::EngineIo`](crate::Layer::EngineIo) only: an Engine.IO message.
    Message(EngineMessage),
    /// The server broke the protocol.
    Violation(Violation),
    /// The session is over. Nothing else follows.
    Closed(CloseReason),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(data: &str) -> IncomingEvent {
        IncomingEvent {
            namespace: "/".into(),
            data: data.into(),
            ack_id: None,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn close_reasons_are_worded_like_the_reference_server() {
        let cases = [
            (CloseReason::PeerClose, "transport close"),
            (CloseReason::TransportClosed, "transport close"),
            (CloseReason::PollAborted, "transport error"),
            (CloseReason::PingTimeout, "ping timeout"),
            (
                CloseReason::ProtocolViolation(ViolationKind::MalformedPacket),
                "parse error (malformed_packet)",
            ),
            (
                CloseReason::ProtocolViolation(ViolationKind::DuplicatePoll),
                "transport error (duplicate_poll)",
            ),
            (
                CloseReason::ProtocolViolation(ViolationKind::ConnectTimeout),
                "forced server close (connect_timeout)",
            ),
            (CloseReason::Requested, "forced close"),
        ];
        for (reason, text) in cases {
            assert_eq!(reason.to_string(), text);
        }
    }

    #[test]
    fn event_name_and_args() {
        let e = event(r#"["message",1,"2",{"3":[true]}]"#);
        assert_eq!(e.name().as_deref(), Some("message"));
        assert_eq!(e.args_json(), r#"1,"2",{"3":[true]}"#);
        let e = event(r#"[ "on-\u0065vents" , "x" ] "#);
        assert_eq!(e.name().as_deref(), Some("on-events"));
        assert_eq!(e.args_json(), r#""x""#);
        let e = event(r#"["only"]"#);
        assert_eq!(e.args_json(), "");
        let e = event(r#"[1,2]"#);
        assert_eq!(e.name(), None);
        assert_eq!(e.args_json(), "2");
    }
}
