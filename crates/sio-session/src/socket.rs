//! The Socket.IO layer shared by both roles: decoding incoming packets (with binary
//! reassembly) into owned values, encoding outgoing ones, and the per-connection bookkeeping
//! (namespaces joined, acks awaited) that [`SocketLayer`] keeps for either session.

use std::collections::{BTreeMap, BTreeSet};

use sio_wire::engine::Payload;
use sio_wire::json::JsonKind;
use sio_wire::socket::{
    BinaryReassembler, SocketPacket, SocketPacketType, decode_socket_packet_with,
    encode_socket_packet, is_reserved_event,
};
use sio_wire::{Limits, RawJson, SocketError, SocketErrorKind, Status};

use crate::char_boundary::floor_char_boundary;
use crate::config::Layer;
use crate::error::SessionError;
use crate::event::{EngineMessage, IncomingAck, IncomingEvent, Violation, ViolationKind};

/// One complete Socket.IO packet from the peer, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InboundPacket {
    /// CONNECT, with its payload (the client's auth, or the server's `{"sid":...}`).
    Connect {
        namespace: String,
        data: Option<String>,
    },
    Disconnect {
        namespace: String,
    },
    Event(IncomingEvent),
    /// ACK or BINARY_ACK. An ack without an id answers nothing; it is kept as `None` so the
    /// caller can report it.
    Ack {
        ack: IncomingAck,
        has_id: bool,
    },
    ConnectError {
        namespace: String,
        data: Option<String>,
    },
}

impl InboundPacket {
    pub(crate) fn namespace(&self) -> &str {
        match self {
            Self::Connect { namespace, .. }
            | Self::Disconnect { namespace }
            | Self::ConnectError { namespace, .. } => namespace,
            Self::Event(event) => &event.namespace,
            Self::Ack { ack, .. } => &ack.namespace,
        }
    }

    pub(crate) fn type_name(&self) -> &'static str {
        let kind = match self {
            Self::Connect { .. } => SocketPacketType::Connect,
            Self::Disconnect { .. } => SocketPacketType::Disconnect,
            Self::Event(event) if event.attachments.is_empty() => SocketPacketType::Event,
            Self::Event(_) => SocketPacketType::BinaryEvent,
            Self::Ack { ack, .. } if ack.attachments.is_empty() => SocketPacketType::Ack,
            Self::Ack { .. } => SocketPacketType::BinaryAck,
            Self::ConnectError { .. } => SocketPacketType::ConnectError,
        };
        kind.name()
    }
}

/// Decodes the Socket.IO packets of one connection, reassembling binary ones.
#[derive(Debug, Clone)]
pub(crate) struct Inbound {
    limits: Limits,
    reassembler: BinaryReassembler,
}

impl Inbound {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            reassembler: BinaryReassembler::new(limits),
        }
    }

    /// A text Engine.IO message: one Socket.IO packet. `Ok(None)` while attachments are
    /// awaited.
    pub(crate) fn on_text(&mut self, text: &str) -> Result<Option<InboundPacket>, Violation> {
        if let Some((received, expected)) = self.reassembler.progress() {
            self.reassembler.reset();
            return Err(Violation {
                kind: ViolationKind::UnexpectedPacket,
                detail: format!(
                    "text packet {} while a binary packet awaited attachments ({received} of \
                     {expected} received)",
                    quote_excerpt(text, 0)
                ),
            });
        }
        let malformed = |e: SocketError| Violation {
            kind: ViolationKind::MalformedPacket,
            detail: format!("Socket.IO: {e} in {}", quote_excerpt(text, e.offset)),
        };
        match decode_socket_packet_with(text, &self.limits) {
            Ok(packet) => self.on_packet(&packet, text),
            // socket.io-parser reads a namespace up to `,` *or the end of the packet*, so
            // `0/admin` is a CONNECT to `/admin` (the official test suite sends `40/custom`
            // and `41/custom`). sio-wire's v5 decoder insists on the `,`; decode the same
            // packet with it added.
            Err(e) if e.kind == SocketErrorKind::NamespaceUnterminated => {
                let terminated = format!("{text},");
                match decode_socket_packet_with(&terminated, &self.limits) {
                    Ok(packet) => self.on_packet(&packet, text),
                    Err(_) => Err(malformed(e)),
                }
            }
            Err(e) => Err(malformed(e)),
        }
    }

    fn on_packet(
        &mut self,
        packet: &SocketPacket<'_>,
        text: &str,
    ) -> Result<Option<InboundPacket>, Violation> {
        if matches!(
            packet.kind,
            SocketPacketType::Event | SocketPacketType::BinaryEvent
        ) {
            if let Ok(name) = packet.event_name() {
                // An EVENT carrying a name socket.io reserves for itself is invalid
                // (socket.io-parser's `RESERVED_EVENTS`, checked in `isPayloadValid`).
                if is_reserved_event(&name) {
                    return Err(Violation {
                        kind: ViolationKind::MalformedPacket,
                        detail: format!(
                            "Socket.IO: reserved event name {name:?} in {}",
                            quote_excerpt(text, 0)
                        ),
                    });
                }
            }
        }
        if !packet.kind.is_binary() || packet.attachments == 0 {
            return Ok(Some(to_inbound(packet, Vec::new())));
        }
        match self.reassembler.push_packet(packet) {
            Ok(Status::Partial) => Ok(None),
            Ok(Status::Complete(done)) => {
                let (packet, attachments) = done.into_parts();
                Ok(Some(to_inbound(&packet.as_packet(), attachments)))
            }
            Err(e) => Err(Violation {
                kind: ViolationKind::MalformedPacket,
                detail: format!("Socket.IO: {e} in {}", quote_excerpt(text, e.offset)),
            }),
        }
    }

    /// A binary Engine.IO message: an attachment of the pending binary packet.
    pub(crate) fn on_binary(&mut self, bytes: &[u8]) -> Result<Option<InboundPacket>, Violation> {
        match self.reassembler.push_attachment(bytes) {
            Ok(Status::Partial) => Ok(None),
            Ok(Status::Complete(done)) => {
                let (packet, attachments) = done.into_parts();
                Ok(Some(to_inbound(&packet.as_packet(), attachments)))
            }
            Err(e) if e.kind == SocketErrorKind::UnexpectedAttachment => Err(Violation {
                kind: ViolationKind::UnexpectedPacket,
                detail: format!(
                    "binary message of {} bytes while no binary packet awaited attachments",
                    bytes.len()
                ),
            }),
            Err(e) => Err(Violation {
                kind: ViolationKind::PayloadTooLarge,
                detail: format!("binary attachment: {e}"),
            }),
        }
    }
}

fn to_inbound(packet: &SocketPacket<'_>, attachments: Vec<Vec<u8>>) -> InboundPacket {
    let namespace = packet.namespace.to_owned();
    let data = packet.data.map(|d| d.as_str().to_owned());
    match packet.kind {
        SocketPacketType::Connect => InboundPacket::Connect { namespace, data },
        SocketPacketType::Disconnect => InboundPacket::Disconnect { namespace },
        SocketPacketType::ConnectError => InboundPacket::ConnectError { namespace, data },
        SocketPacketType::Event | SocketPacketType::BinaryEvent => {
            InboundPacket::Event(IncomingEvent {
                namespace,
                // The decoder guarantees an EVENT payload (a non-empty array).
                data: data.unwrap_or_default(),
                ack_id: packet.ack_id,
                attachments,
            })
        }
        SocketPacketType::Ack | SocketPacketType::BinaryAck => InboundPacket::Ack {
            ack: IncomingAck {
                namespace,
                ack_id: packet.ack_id.unwrap_or_default(),
                data: data.unwrap_or_default(),
                attachments,
            },
            has_id: packet.ack_id.is_some(),
        },
    }
}

/// Where a session queues the Engine.IO messages it sends, in order: the client's transmit
/// queue, or the server's outbox (which also counts the bytes held).
pub(crate) trait Outbound {
    /// A text Engine.IO packet, type digit included (`42["hey"]`).
    fn push_text(&mut self, text: String);

    /// A binary Engine.IO message.
    fn push_binary(&mut self, bytes: Vec<u8>);

    /// A plain Engine.IO message: `4` + text, or a binary message.
    fn push_message(&mut self, message: EngineMessage) {
        match message {
            EngineMessage::Text(text) => self.push_text(format!("4{text}")),
            EngineMessage::Binary(bytes) => self.push_binary(bytes),
        }
    }
}

/// What one role records about a namespace; each role has its own states (the client waits
/// for the server's answer, the server for the application's), but both need to know
/// whether packets may flow in it.
pub(crate) trait NamespaceJoin {
    /// `true` once the CONNECT is accepted.
    fn is_connected(&self) -> bool;
}

/// The Socket.IO connection of one session, whichever its role: the namespaces (in the
/// role's states `S`), the ack ids handed out and still awaited, and the decoder of incoming
/// packets. The session owns one and lends it its outgoing queue to build packets into.
#[derive(Debug)]
pub(crate) struct SocketLayer<S> {
    layer: Layer,
    namespaces: BTreeMap<String, S>,
    /// Ack ids of the session's own `emit_with_ack` calls not yet acknowledged.
    awaited_acks: BTreeSet<(String, u64)>,
    next_ack_id: u64,
    inbound: Inbound,
}

impl<S: NamespaceJoin> SocketLayer<S> {
    pub(crate) fn new(layer: Layer, limits: Limits) -> Self {
        Self {
            layer,
            namespaces: BTreeMap::new(),
            awaited_acks: BTreeSet::new(),
            next_ack_id: 0,
            inbound: Inbound::new(limits),
        }
    }

    /// The state of `namespace`, `None` when the peer has not asked to join it.
    pub(crate) fn namespace(&self, namespace: &str) -> Option<&S> {
        self.namespaces.get(namespace)
    }

    /// Every namespace asked for, in name order, with its state.
    pub(crate) fn namespaces(&self) -> impl Iterator<Item = (&str, &S)> + '_ {
        self.namespaces
            .iter()
            .map(|(nsp, state)| (nsp.as_str(), state))
    }

    pub(crate) fn set_namespace(&mut self, namespace: String, state: S) {
        self.namespaces.insert(namespace, state);
    }

    /// Forgets a namespace whose CONNECT was refused (no ack can be awaited in it).
    pub(crate) fn remove_namespace(&mut self, namespace: &str) {
        self.namespaces.remove(namespace);
    }

    /// Leaves a joined namespace: the acks awaited in it will never come.
    pub(crate) fn leave(&mut self, namespace: &str) {
        self.namespaces.remove(namespace);
        self.awaited_acks.retain(|(nsp, _)| nsp != namespace);
    }

    pub(crate) fn is_connected(&self, namespace: &str) -> bool {
        self.namespaces
            .get(namespace)
            .is_some_and(NamespaceJoin::is_connected)
    }

    /// `true` when `ack` answers one of the session's own `emit_with_ack` calls, which then
    /// no longer awaits an answer.
    pub(crate) fn settle_ack(&mut self, ack: &IncomingAck, has_id: bool) -> bool {
        has_id
            && self
                .awaited_acks
                .remove(&(ack.namespace.clone(), ack.ack_id))
    }

    /// Decodes one Engine.IO message as (part of) a Socket.IO packet: `Ok(None)` while a
    /// binary packet awaits attachments.
    pub(crate) fn decode(
        &mut self,
        payload: Payload<'_>,
    ) -> Result<Option<InboundPacket>, Violation> {
        match payload {
            Payload::Text(text) => self.inbound.on_text(text),
            Payload::Binary(bytes) => self.inbound.on_binary(bytes),
        }
    }

    /// Refuses Socket.IO commands on a plain Engine.IO session.
    pub(crate) fn ensure_socket_io(&self) -> Result<(), SessionError> {
        if self.layer == Layer::EngineIo {
            Err(SessionError::EngineIoLayer)
        } else {
            Ok(())
        }
    }

    fn ensure_connected(&self, namespace: &str) -> Result<(), SessionError> {
        self.ensure_socket_io()?;
        if self.is_connected(namespace) {
            Ok(())
        } else {
            Err(SessionError::NotConnected(namespace.to_owned()))
        }
    }

    /// Encodes a packet into `out`, its attachments right after it.
    pub(crate) fn queue(
        &self,
        out: &mut impl Outbound,
        kind: SocketPacketType,
        namespace: &str,
        data: Option<&str>,
        ack_id: Option<u64>,
        attachments: &[Vec<u8>],
    ) -> Result<(), SessionError> {
        let text = encode_packet(kind, namespace, data, ack_id, attachments, "data")?;
        out.push_text(text);
        for attachment in attachments {
            out.push_binary(attachment.clone());
        }
        Ok(())
    }

    /// [`queue`](Self::queue) in a namespace the peer has joined.
    fn queue_joined(
        &self,
        out: &mut impl Outbound,
        kind: SocketPacketType,
        namespace: &str,
        data: Option<&str>,
        ack_id: Option<u64>,
        attachments: &[Vec<u8>],
    ) -> Result<(), SessionError> {
        self.ensure_connected(namespace)?;
        self.queue(out, kind, namespace, data, ack_id, attachments)
    }

    /// EVENT (or BINARY_EVENT) in a joined namespace.
    pub(crate) fn emit(
        &self,
        out: &mut impl Outbound,
        namespace: &str,
        data: &str,
        attachments: &[Vec<u8>],
    ) -> Result<(), SessionError> {
        self.queue_joined(
            out,
            SocketPacketType::Event,
            namespace,
            Some(data),
            None,
            attachments,
        )
    }

    /// EVENT with the next ack id, which is then awaited; returns the id.
    pub(crate) fn emit_with_ack(
        &mut self,
        out: &mut impl Outbound,
        namespace: &str,
        data: &str,
        attachments: &[Vec<u8>],
    ) -> Result<u64, SessionError> {
        let id = self.next_ack_id;
        self.queue_joined(
            out,
            SocketPacketType::Event,
            namespace,
            Some(data),
            Some(id),
            attachments,
        )?;
        self.next_ack_id += 1;
        self.awaited_acks.insert((namespace.to_owned(), id));
        Ok(id)
    }

    /// Awaits the ack of an EVENT the caller wrote itself (a raw frame replayed from a
    /// capture), and keeps the session's own ids clear of `ack_id`.
    pub(crate) fn await_ack(&mut self, namespace: &str, ack_id: u64) {
        self.awaited_acks.insert((namespace.to_owned(), ack_id));
        self.next_ack_id = self.next_ack_id.max(ack_id.saturating_add(1));
    }

    /// ACK (or BINARY_ACK) answering the peer's event `ack_id`.
    pub(crate) fn ack(
        &self,
        out: &mut impl Outbound,
        namespace: &str,
        ack_id: u64,
        data: &str,
        attachments: &[Vec<u8>],
    ) -> Result<(), SessionError> {
        self.queue_joined(
            out,
            SocketPacketType::Ack,
            namespace,
            Some(data),
            Some(ack_id),
            attachments,
        )
    }

    /// DISCONNECT from a joined namespace, which is left at once.
    pub(crate) fn disconnect(
        &mut self,
        out: &mut impl Outbound,
        namespace: &str,
    ) -> Result<(), SessionError> {
        self.ensure_connected(namespace)?;
        self.leave(namespace);
        self.queue(
            out,
            SocketPacketType::Disconnect,
            namespace,
            None,
            None,
            &[],
        )
    }
}

/// Checks a namespace given by the application.
pub(crate) fn check_namespace(namespace: &str) -> Result<(), SessionError> {
    if namespace.starts_with('/') && !namespace.contains([',', '\x1e']) {
        Ok(())
    } else {
        Err(SessionError::InvalidNamespace(namespace.to_owned()))
    }
}

/// The Engine.IO text message of an EVENT in `namespace` with the payload array `data`
/// (`42["hey"]`, `42/chat,["hey"]`): exactly what [`ServerSession::emit`] queues for a session
/// joined to `namespace`, for a server that sends one event to many sessions and encodes it
/// once.
///
/// [`ServerSession::emit`]: crate::ServerSession::emit
///
/// # Errors
///
/// As [`ServerSession::emit`] for its arguments: [`SessionError::InvalidNamespace`], or
/// [`SessionError::InvalidPayload`] when `data` is not a JSON array starting with the event
/// name.
pub fn encode_event(namespace: &str, data: &str) -> Result<String, SessionError> {
    encode_packet(
        SocketPacketType::Event,
        namespace,
        Some(data),
        None,
        &[],
        "data",
    )
}

/// Encodes one outgoing Socket.IO packet as the text of an Engine.IO message (`4` included).
/// With attachments, EVENT becomes BINARY_EVENT and ACK becomes BINARY_ACK; the caller sends
/// the attachments as binary messages right after.
pub(crate) fn encode_packet(
    kind: SocketPacketType,
    namespace: &str,
    data: Option<&str>,
    ack_id: Option<u64>,
    attachments: &[Vec<u8>],
    field: &'static str,
) -> Result<String, SessionError> {
    check_namespace(namespace)?;
    let invalid = |detail: String| SessionError::InvalidPayload { field, detail };
    let data = match data {
        Some(text) => Some(
            RawJson::new(text)
                .map_err(|e| invalid(format!("{e} in {}", quote_excerpt(text, e.offset))))?,
        ),
        None => None,
    };
    let expected = match kind {
        SocketPacketType::Event | SocketPacketType::BinaryEvent => {
            let named = data.is_some_and(|d| {
                d.elements()
                    .next()
                    .is_some_and(|name| matches!(name.kind(), JsonKind::String | JsonKind::Number))
            });
            if !named {
                return Err(invalid(
                    "an event must be a JSON array starting with the event name".to_owned(),
                ));
            }
            None
        }
        SocketPacketType::Ack | SocketPacketType::BinaryAck => Some(JsonKind::Array),
        SocketPacketType::Connect | SocketPacketType::ConnectError => Some(JsonKind::Object),
        SocketPacketType::Disconnect => None,
    };
    if let (Some(expected), Some(d)) = (expected, data) {
        if d.kind() != expected {
            return Err(invalid(format!(
                "expected a JSON {expected:?}, got {:?}",
                d.kind()
            )));
        }
    }
    let count =
        u32::try_from(attachments.len()).map_err(|_| invalid("too many attachments".to_owned()))?;
    let kind = match (kind, count) {
        (SocketPacketType::Event, 1..) => SocketPacketType::BinaryEvent,
        (SocketPacketType::Ack, 1..) => SocketPacketType::BinaryAck,
        (kind, _) => kind,
    };
    let packet = SocketPacket {
        kind,
        namespace,
        ack_id,
        attachments: count,
        data,
    };
    if count > 0 {
        // Every placeholder must name an attachment that is sent (the peer's reassembler
        // refuses the packet otherwise); the codec's own reassembler checks exactly that.
        BinaryReassembler::new(Limits::permissive())
            .push_packet(&packet)
            .map_err(|e| invalid(format!("{e}")))?;
    }
    let mut out =
        String::with_capacity(data.map_or(0, |d| d.as_str().len()) + namespace.len() + 16);
    out.push('4');
    encode_socket_packet(&packet, &mut out);
    Ok(out)
}

/// A short, quoted excerpt of `text` around byte `offset`, for violation details.
pub(crate) fn quote_excerpt(text: &str, offset: usize) -> String {
    const MAX: usize = 48;
    if text.len() <= MAX {
        return format!("{text:?}");
    }
    let start = floor_char_boundary(text, offset.saturating_sub(MAX / 2));
    let end = floor_char_boundary(text, start + MAX);
    let excerpt = text.get(start..end).unwrap_or_default();
    format!(
        "{}{excerpt:?}{} (bytes {start}..{end} of {})",
        if start > 0 { "…" } else { "" },
        if end < text.len() { "…" } else { "" },
        text.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_without_comma_is_read_to_the_end() {
        let mut inbound = Inbound::new(Limits::default());
        assert_eq!(
            inbound.on_text("0/custom"),
            Ok(Some(InboundPacket::Connect {
                namespace: "/custom".into(),
                data: None
            }))
        );
        assert_eq!(
            inbound.on_text("1/custom"),
            Ok(Some(InboundPacket::Disconnect {
                namespace: "/custom".into()
            }))
        );
    }

    #[test]
    fn reserved_event_names_are_malformed() {
        let mut inbound = Inbound::new(Limits::default());
        let err = inbound.on_text(r#"2["disconnect"]"#).unwrap_err();
        assert_eq!(err.kind, ViolationKind::MalformedPacket);
        assert!(err.detail.contains("reserved"), "{}", err.detail);
    }

    #[test]
    fn encode_checks_shapes_and_switches_to_binary_types() {
        let text = encode_packet(
            SocketPacketType::Event,
            "/",
            Some(r#"["a",{"_placeholder":true,"num":0}]"#),
            Some(7),
            &[vec![1]],
            "data",
        );
        assert_eq!(
            text.as_deref(),
            Ok(r#"451-7["a",{"_placeholder":true,"num":0}]"#)
        );
        let text = encode_packet(
            SocketPacketType::Ack,
            "/x",
            Some("[]"),
            Some(3),
            &[],
            "data",
        );
        assert_eq!(text.as_deref(), Ok("43/x,3[]"));
        assert!(matches!(
            encode_packet(
                SocketPacketType::Event,
                "/",
                Some(r#"["a",{"_placeholder":true,"num":1}]"#),
                None,
                &[vec![1]],
                "data"
            ),
            Err(SessionError::InvalidPayload { field: "data", .. })
        ));
        assert!(matches!(
            encode_packet(SocketPacketType::Event, "/", Some("{}"), None, &[], "data"),
            Err(SessionError::InvalidPayload { field: "data", .. })
        ));
        assert!(matches!(
            encode_packet(
                SocketPacketType::Event,
                "/",
                Some("[\"a\""),
                None,
                &[],
                "data"
            ),
            Err(SessionError::InvalidPayload { .. })
        ));
        assert_eq!(
            encode_packet(
                SocketPacketType::Event,
                "nsp",
                Some("[\"a\"]"),
                None,
                &[],
                "data"
            ),
            Err(SessionError::InvalidNamespace("nsp".into()))
        );
    }

    #[test]
    fn excerpts_stay_on_char_boundaries() {
        let long = "é".repeat(100);
        for offset in 0..long.len() + 3 {
            let excerpt = quote_excerpt(&long, offset);
            assert!(excerpt.contains("bytes"), "{excerpt}");
        }
        assert_eq!(quote_excerpt("abc", 1), "\"abc\"");
    }
}
