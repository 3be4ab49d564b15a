//! A zero-copy, sans-IO codec for Engine.IO v4 and Socket.IO v5, the wire protocols of
//! socket.io 3.x and 4.x. The focus is on speed and on never trusting the input.
//!
//! Bytes and `&str` go in, borrowed packet views come out, and encoders turn packets back into
//! text. The codec does no I/O, knows no runtime and keeps no clock. Decoding a text frame
//! performs no heap allocation: the namespace, the packet data and every string without
//! escapes borrow from the frame, and the JSON payload is validated in one pass without
//! building a tree.
//!
//! The trade-off: JSON values are handed out as [`RawJson`] spans rather than typed values.
//! Walking them ([`RawJson::event_name`], [`RawJson::args`], [`RawJson::get`]) is cheap and
//! lazy, and handing a span to serde (`serde_json::from_str(raw.as_str())`) gives typed data
//! when you need it. Wrong input is an error with a kind and a byte offset, never a panic, and
//! explicit [`Limits`] bound nesting, namespace length, ack ids and attachments.
//!
//! Validation is strict RFC 8259, the same language serde_json accepts (a property test holds
//! the two to it), and runs without recursion or allocation. Long escaped strings (rt-2 sends
//! each event as JSON stringified into a JSON string) are scanned 64 bytes at a time, with
//! SIMD compares and no branch per escape, so validating costs less than serde_json's
//! `&RawValue` validation of the same bytes (about half, on rt-2 frames);
//! routing on the header alone ([`decode_message_header`]) costs a few nanoseconds whatever
//! the payload's size.
//!
//! # Overview
//!
//! - [`engine`]: Engine.IO packets in WebSocket frames ([`engine::decode_text_frame`],
//!   [`engine::decode_binary_frame`], [`engine::encode_text_frame`]), the typed handshake
//!   ([`engine::Handshake`]) and long-polling payloads as iterators
//!   ([`engine::decode_polling_payload`], [`engine::encode_polling_payload`],
//!   [`engine::decode_polling_payload_v3`]).
//! - [`socket`]: Socket.IO packets ([`socket::decode_socket_packet`],
//!   [`socket::encode_socket_packet`], [`socket::decode_socket_header`]), their payload as a
//!   validated [`RawJson`] span, and [`socket::BinaryReassembler`] for packets with binary
//!   attachments.
//! - [`json`]: [`RawJson`] and its iterators, and [`json::write_json_str`] for building
//!   payloads.
//! - [`decode_message`]: both layers at once, for a text frame as a WebSocket carries it;
//!   [`decode_message_header`] stops before the payload, for routing.
//! - [`EngineError`], [`SocketError`] and [`WireError`]: small `Copy` errors with a kind and an
//!   offset.
//!
//! # Example
//!
//! ```
//! use sio_wire::{decode_message, DecodedFrame, socket::SocketPacketType};
//!
//! let frame = r#"42/chatomni,["on-events","{\"EventName\":\"chatomni.on-message\"}"]"#;
//! let DecodedFrame::Socket(packet) = decode_message(frame)? else {
//!     return Err("expected a Socket.IO packet".into());
//! };
//! assert_eq!(packet.kind, SocketPacketType::Event);
//! assert_eq!(packet.namespace, "/chatomni");
//! assert_eq!(packet.event_name()?, "on-events");
//!
//! // The argument is a JSON string whose content is JSON: decode the string, then read it.
//! let arg = packet.args().next().ok_or("no argument")?;
//! let inner = arg.as_json_str().ok_or("argument is not a string")?;
//! let event = sio_wire::RawJson::new(&inner)?;
//! assert_eq!(event.get("EventName").and_then(|v| v.as_json_str()).as_deref(), Some("chatomni.on-message"));
//!
//! // Encoding gives the same bytes back.
//! let mut out = String::new();
//! sio_wire::encode_message(&packet, &mut out);
//! assert_eq!(out, frame);
//!
//! // Wrong bytes are an error with a kind and an offset.
//! let err = decode_message(r#"42/chatomni,["on-events""#).err().ok_or("expected an error")?;
//! assert_eq!(err.offset(), 24);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Where this codec is stricter than socket.io-parser
//!
//! - JSON payloads are validated (socket.io-parser hands them to `JSON.parse`, which agrees),
//!   and nesting is bounded by [`Limits::max_json_depth`].
//! - A `[`, `{` or `"` before the comma that ends a namespace is refused
//!   ([`SocketErrorKind::NamespaceUnterminated`]): `2/chat["message"]` is a client that forgot
//!   the comma, and socket.io-parser would read the whole packet as a namespace named
//!   `/chat["message"]` with no payload. The price is that a namespace such as `/a[b`, legal for
//!   socket.io, cannot be used; [`socket::check_namespace`] tells which names can.
//!
//! # Layout
//!
//! - `src/engine/packet.rs`: Engine.IO packet types, text and binary frames.
//! - `src/engine/open.rs`: the handshake of the `open` packet.
//! - `src/engine/payload.rs`, `src/engine/payload_v3.rs`: long-polling payloads.
//! - `src/socket/packet.rs`: Socket.IO packets (header, namespace, ack id, payload).
//! - `src/socket/binary.rs`: placeholders and the binary reassembler.
//! - `src/json.rs`: the validating JSON scanner and [`RawJson`].
//! - `src/error.rs`, `src/limits.rs`, `src/status.rs`: errors, limits, [`Status`].
//! - `src/fuzzing.rs`: fuzz harness bodies (hidden, and compiled only with the `fuzzing`
//!   feature), driven from `fuzz/`.
//!
//! # Protocol versions
//!
//! The defaults follow Engine.IO v4 and Socket.IO v5 (socket.io 3.x and 4.x, `EIO=4`). Old
//! captures from socket.io 1.x and 2.x (`EIO=3`, Socket.IO protocol v4) differ in these ways,
//! and the codec decodes them with separate entry points:
//!
//! | What | v4 / v5 (current) | v3 / v4 (socket.io 1.x, 2.x) | Decode with |
//! |------|-------------------|------------------------------|-------------|
//! | Polling payload | records separated by `\x1e`, binary as `b<base64>` | `<length>:<packet>`, length in UTF-16 units, binary as `<length>:b4<base64>`; or bytes (XHR2) | [`engine::decode_polling_payload_v3`], [`engine::decode_polling_payload_v3_binary`] (and [`engine::encode_polling_payload_v3`]) |
//! | Binary WebSocket frame | the bytes as they are | a type byte `0x04`, then the bytes | [`engine::decode_binary_frame_v3`] |
//! | Handshake | has `maxPayload` | no `maxPayload` (hence `Option`) | [`engine::decode_text_frame`] |
//! | Heartbeat | the server pings, the client pongs | the client pings, the server pongs | (same packets) |
//! | CONNECT | always sent by the client, may carry an auth object | implicit for `/`; no payload; auth in the namespace's query (`/admin?token=1`) | [`socket::decode_socket_packet_eio3`] |
//! | Namespace | followed by `,` (may run to the end of a packet without one) | socket.io-parser 2.x wrote `0/admin` with no `,` | either decoder |
//! | Type 4 | CONNECT_ERROR, payload `{"message":...}` | ERROR, payload a plain JSON string `"Not authorized"` | [`socket::decode_socket_packet_eio3`] |
//!
//! The v3 binary (XHR2) polling encoding (`<0|1><length digits><0xff><packet>`) decodes with
//! [`engine::decode_polling_payload_v3_binary`]. The Engine.IO v2 protocol (Socket.IO 0.9) is
//! not supported.

#![forbid(unsafe_code)]

pub mod engine;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod json;
mod limits;
pub mod socket;
mod status;

pub use engine::{
    EnginePacket, EnginePacketType, Handshake, Payload, decode_binary_frame, decode_text_frame,
    decode_text_frame_bytes, encode_text_frame,
};
pub use error::{
    EngineError, EngineErrorKind, HandshakeField, JsonErrorKind, SocketError, SocketErrorKind,
    WireError,
};
pub use json::RawJson;
pub use limits::{Limits, MAX_JSON_DEPTH_CAP};
pub use socket::{
    SocketPacket, SocketPacketType, decode_socket_packet, decode_socket_packet_with,
    encode_socket_packet,
};
pub use status::Status;

/// A decoded text frame: an Engine.IO packet, or the Socket.IO packet inside a message. What
/// [`decode_message`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodedFrame<'a> {
    /// Any Engine.IO packet other than a message (open, close, ping, pong, upgrade, noop).
    Engine(EnginePacket<'a>),
    /// An Engine.IO message, decoded as a Socket.IO packet.
    Socket(SocketPacket<'a>),
}

/// The old name of [`DecodedFrame`].
#[deprecated(note = "renamed to DecodedFrame")]
pub type Frame<'a> = DecodedFrame<'a>;

/// Decodes a WebSocket text frame through both layers: the Engine.IO packet, and when it is a
/// message, the Socket.IO packet inside.
///
/// Never allocates. Error offsets count from the start of the frame.
///
/// # Errors
/// [`WireError::Engine`] when the Engine.IO packet is malformed, [`WireError::Socket`] when
/// the message is not a valid Socket.IO packet.
pub fn decode_message(frame: &str) -> Result<DecodedFrame<'_>, WireError> {
    decode_message_with(frame, &Limits::default())
}

/// [`decode_message`] for a frame given as bytes, checking UTF-8 first.
///
/// # Errors
/// [`EngineErrorKind::InvalidUtf8`] at the first invalid byte, then as [`decode_message`].
pub fn decode_message_bytes(frame: &[u8]) -> Result<DecodedFrame<'_>, WireError> {
    match std::str::from_utf8(frame) {
        Ok(text) => decode_message(text),
        Err(e) => Err(WireError::Engine(EngineError::new(
            EngineErrorKind::InvalidUtf8,
            e.valid_up_to(),
        ))),
    }
}

/// [`decode_message`] with explicit limits.
///
/// # Errors
/// As [`decode_message`].
pub fn decode_message_with<'a>(
    frame: &'a str,
    limits: &Limits,
) -> Result<DecodedFrame<'a>, WireError> {
    match engine::decode_text_frame_with(frame, limits)? {
        EnginePacket::Message(Payload::Text(text)) => {
            match socket::decode_socket_packet_with(text, limits) {
                Ok(packet) => Ok(DecodedFrame::Socket(packet)),
                // The Socket.IO packet starts after the one-byte Engine.IO type.
                Err(e) => Err(WireError::Socket(SocketError::new(e.kind, e.offset + 1))),
            }
        }
        other => Ok(DecodedFrame::Engine(other)),
    }
}

/// A text frame decoded as far as the Socket.IO header: see [`decode_message_header`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameHeader<'a> {
    /// Any Engine.IO packet other than a message.
    Engine(EnginePacket<'a>),
    /// An Engine.IO message: the Socket.IO header, payload not yet validated.
    Socket(socket::SocketHeader<'a>),
}

/// Decodes a WebSocket text frame through the Engine.IO packet and the Socket.IO header
/// (type, attachments, namespace, ack id), leaving the payload unvalidated: the cheapest way
/// to route frames. [`socket::SocketHeader::validate`] finishes a packet when it is needed.
///
/// Offsets in errors count from the start of the frame (also those of
/// [`socket::SocketHeader::validate`], which count from the start of the Socket.IO packet,
/// one byte later: add one).
///
/// # Errors
/// As [`decode_message`], without the payload's JSON and shape errors.
///
/// ```
/// use sio_wire::{decode_message_header, FrameHeader};
/// let FrameHeader::Socket(header) = decode_message_header(r#"42/chatomni,["on-events","{}"]"#)? else {
///     return Err("expected a Socket.IO packet".into());
/// };
/// assert_eq!(header.namespace, "/chatomni");
/// assert_eq!(header.data, r#"["on-events","{}"]"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_message_header(frame: &str) -> Result<FrameHeader<'_>, WireError> {
    decode_message_header_with(frame, &Limits::default())
}

/// [`decode_message_header`] with explicit limits.
///
/// # Errors
/// As [`decode_message_header`].
pub fn decode_message_header_with<'a>(
    frame: &'a str,
    limits: &Limits,
) -> Result<FrameHeader<'a>, WireError> {
    match engine::decode_text_frame_with(frame, limits)? {
        EnginePacket::Message(Payload::Text(text)) => {
            match socket::decode_socket_header_with(text, limits) {
                Ok(header) => Ok(FrameHeader::Socket(header)),
                Err(e) => Err(WireError::Socket(SocketError::new(e.kind, e.offset + 1))),
            }
        }
        other => Ok(FrameHeader::Engine(other)),
    }
}

/// Decodes a text frame from a Socket.IO 1.x/2.x peer (`EIO=3`): as [`decode_message_with`],
/// with the Socket.IO packet decoded by [`socket::decode_socket_packet_eio3`].
///
/// # Errors
/// As [`decode_message`].
pub fn decode_message_eio3<'a>(
    frame: &'a str,
    limits: &Limits,
) -> Result<DecodedFrame<'a>, WireError> {
    match engine::decode_text_frame_with(frame, limits)? {
        EnginePacket::Message(Payload::Text(text)) => {
            match socket::decode_socket_packet_eio3(text, limits) {
                Ok(packet) => Ok(DecodedFrame::Socket(packet)),
                Err(e) => Err(WireError::Socket(SocketError::new(e.kind, e.offset + 1))),
            }
        }
        other => Ok(DecodedFrame::Engine(other)),
    }
}

/// The old name of [`decode_message_eio3`].
///
/// # Errors
/// As [`decode_message_eio3`].
#[deprecated(note = "renamed to decode_message_eio3: it reads the EIO=3 protocol")]
pub fn decode_message_v4<'a>(
    frame: &'a str,
    limits: &Limits,
) -> Result<DecodedFrame<'a>, WireError> {
    decode_message_eio3(frame, limits)
}

/// Appends a Socket.IO packet wrapped in an Engine.IO message (`4` + packet) to `out`: a
/// WebSocket text frame.
pub fn encode_message(packet: &SocketPacket<'_>, out: &mut String) {
    out.push('4');
    socket::encode_socket_packet(packet, out);
}

/// Appends any decoded [`DecodedFrame`] back as a text frame.
///
/// # Errors
/// As [`engine::encode_text_frame`] (a binary message cannot be a text frame).
pub fn encode_frame(frame: &DecodedFrame<'_>, out: &mut String) -> Result<(), EngineError> {
    match frame {
        DecodedFrame::Engine(packet) => engine::encode_text_frame(packet, out),
        DecodedFrame::Socket(packet) => {
            encode_message(packet, out);
            Ok(())
        }
    }
}
