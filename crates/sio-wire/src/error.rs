//! Error types: one per layer, each a small `Copy` value with a kind and a byte offset.
//!
//! Decoding never allocates on the error path either: an error is two machine words plus a
//! tag, so a decoder that rejects a frame costs no more than one that accepts it.

use std::fmt;

/// What was wrong with a JSON value span.
///
/// Shared by [`EngineErrorKind::Json`] (the handshake in an `open` packet) and
/// [`SocketErrorKind::Json`] (the payload of a Socket.IO packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The input ended inside a value (truncated JSON), or there was no value at all.
    UnexpectedEnd,
    /// A byte that cannot start or continue a value at this point.
    UnexpectedByte,
    /// A number that RFC 8259 does not allow (`01`, `1.`, `-`, `1e`).
    InvalidNumber,
    /// A backslash escape other than `\" \\ \/ \b \f \n \r \t \uXXXX`.
    InvalidEscape,
    /// A raw control character (U+0000 to U+001F) inside a string.
    ControlCharacter,
    /// More bytes after a complete value (only whitespace may follow).
    TrailingCharacters,
    /// Arrays and objects nested deeper than [`Limits::max_json_depth`](crate::Limits).
    TooDeep,
}

impl JsonErrorKind {
    /// A short human description.
    pub const fn description(self) -> &'static str {
        match self {
            Self::UnexpectedEnd => "JSON ends too early",
            Self::UnexpectedByte => "unexpected character in JSON",
            Self::InvalidNumber => "invalid JSON number",
            Self::InvalidEscape => "invalid escape in JSON string",
            Self::ControlCharacter => "control character in JSON string",
            Self::TrailingCharacters => "trailing characters after JSON value",
            Self::TooDeep => "JSON nested too deeply",
        }
    }
}

/// A field of the Engine.IO handshake (`open` packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandshakeField {
    /// `sid`: the session id, a string.
    Sid,
    /// `upgrades`: an array of transport names.
    Upgrades,
    /// `pingInterval`: milliseconds, a non-negative integer.
    PingInterval,
    /// `pingTimeout`: milliseconds, a non-negative integer.
    PingTimeout,
    /// `maxPayload`: bytes, a non-negative integer.
    MaxPayload,
}

impl HandshakeField {
    /// The JSON key of the field, as on the wire.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Sid => "sid",
            Self::Upgrades => "upgrades",
            Self::PingInterval => "pingInterval",
            Self::PingTimeout => "pingTimeout",
            Self::MaxPayload => "maxPayload",
        }
    }
}

/// What was wrong with an Engine.IO frame or payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EngineErrorKind {
    /// The frame (or a polling record) is empty: there is no packet type.
    Empty,
    /// The first byte is not a packet type digit `0`..`6`.
    UnknownPacketType,
    /// A text frame is not valid UTF-8 (offset: first invalid byte).
    InvalidUtf8,
    /// `close`, `upgrade` and `noop` packets carry no data, but this one does.
    UnexpectedData,
    /// The handshake JSON of an `open` packet is malformed.
    Json(JsonErrorKind),
    /// The handshake is not a JSON object.
    HandshakeNotObject,
    /// A required handshake field is missing (offset: start of the handshake).
    HandshakeMissingField(HandshakeField),
    /// A handshake field has the wrong type or range (offset: start of its value).
    HandshakeInvalidField(HandshakeField),
    /// A binary payload cannot be sent in a text frame; use a binary frame (WebSocket) or a
    /// polling payload, which base64-encodes it.
    BinaryInTextFrame,
    /// A polling record after `b` is not valid base64 (standard alphabet, padded).
    InvalidBase64,
    /// A text packet contains the record separator `\x1e`, so it cannot be put in a v4
    /// polling payload.
    RecordSeparatorInData,
    /// A v3 polling record does not start with `<decimal length>:`.
    InvalidLength,
    /// A v3 polling record's length is longer than what is left of the payload.
    LengthExceedsPayload,
    /// A v3 length ends in the middle of a UTF-16 surrogate pair (a character outside the
    /// Basic Multilingual Plane).
    LengthSplitsCharacter,
    /// A v3 binary frame or base64 record has a packet type other than `message`.
    BinaryNotMessage,
}

impl EngineErrorKind {
    /// A short human description.
    pub const fn description(self) -> &'static str {
        match self {
            Self::Empty => "empty Engine.IO packet",
            Self::UnknownPacketType => "unknown Engine.IO packet type",
            Self::InvalidUtf8 => "invalid UTF-8 in text frame",
            Self::UnexpectedData => "unexpected data after packet type",
            Self::Json(kind) => kind.description(),
            Self::HandshakeNotObject => "handshake is not a JSON object",
            Self::HandshakeMissingField(_) => "handshake field missing",
            Self::HandshakeInvalidField(_) => "invalid handshake field",
            Self::BinaryInTextFrame => "binary payload in a text frame",
            Self::InvalidBase64 => "invalid base64 in binary polling record",
            Self::RecordSeparatorInData => "record separator (0x1e) inside a packet",
            Self::InvalidLength => "invalid v3 record length",
            Self::LengthExceedsPayload => "v3 record length longer than the payload",
            Self::LengthSplitsCharacter => "v3 record length splits a character",
            Self::BinaryNotMessage => "binary packet that is not a message",
        }
    }
}

/// An Engine.IO decoding or encoding error: what went wrong and at which byte.
///
/// The offset counts bytes from the start of the frame (or polling payload) that was passed
/// in, so `offset <= input.len()` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EngineError {
    /// What went wrong.
    pub kind: EngineErrorKind,
    /// Byte offset into the input where decoding failed.
    pub offset: usize,
}

impl EngineError {
    pub(crate) const fn new(kind: EngineErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// What went wrong.
    pub const fn kind(&self) -> EngineErrorKind {
        self.kind
    }

    /// Byte offset into the input where decoding failed.
    pub const fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.description())?;
        match self.kind {
            EngineErrorKind::HandshakeMissingField(field)
            | EngineErrorKind::HandshakeInvalidField(field) => {
                write!(f, " `{}`", field.key())?;
            }
            _ => {}
        }
        write!(f, " at byte {}", self.offset)
    }
}

impl std::error::Error for EngineError {}

/// What was wrong with a Socket.IO packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketErrorKind {
    /// The packet is empty: there is no packet type.
    Empty,
    /// The first byte is not a packet type digit `0`..`6`.
    UnknownPacketType,
    /// A binary packet (types 5 and 6) has no decimal attachment count after its type.
    MissingAttachmentCount,
    /// The attachment count is not followed by `-`.
    AttachmentCountUnterminated,
    /// The attachment count is above [`Limits::max_attachments`](crate::Limits) (or overflows).
    TooManyAttachments,
    /// A namespace (starting with `/`) is not terminated by `,` before its payload (offset:
    /// the byte where the comma is missing). A namespace that runs to the end of the packet
    /// (`40/admin`) is accepted, as the reference parser does.
    NamespaceUnterminated,
    /// The namespace is longer than [`Limits::max_namespace_len`](crate::Limits).
    NamespaceTooLong,
    /// A namespace given to [`check_namespace`](crate::socket::check_namespace) would not
    /// decode back as itself: it does not start with `/`, or it holds a `,` (which ends a
    /// namespace on the wire) or a `[`, `{` or `"` (which the decoders take for a payload
    /// whose comma was forgotten). The offset is that of the offending byte.
    InvalidNamespace,
    /// The ack id does not fit in a `u64`.
    AckIdOverflow,
    /// The ack id is above [`Limits::max_ack_id`](crate::Limits).
    AckIdOutOfRange,
    /// The payload is malformed JSON.
    Json(JsonErrorKind),
    /// The payload is valid JSON of the wrong shape for this packet type (for example an
    /// EVENT whose payload is not a non-empty array, or a DISCONNECT with a payload).
    InvalidPayload,
    /// The payload is not a JSON array (asked for an event name or arguments).
    NotAnArray,
    /// The payload array is empty: there is no event name.
    MissingEventName,
    /// The first element of the payload array is not a string.
    EventNameNotString,
    /// A binary attachment arrived while no binary packet was waiting for one.
    UnexpectedAttachment,
    /// A packet arrived while the attachments of the previous binary packet were still
    /// missing.
    MissingAttachments,
    /// A `{"_placeholder":true,"num":k}` refers to an attachment that does not exist, or an
    /// attachment is never referred to.
    InvalidPlaceholder,
    /// The attachments of one packet add up to more than
    /// [`Limits::max_binary_bytes`](crate::Limits).
    AttachmentsTooLarge,
}

impl SocketErrorKind {
    /// A short human description.
    pub const fn description(self) -> &'static str {
        match self {
            Self::Empty => "empty Socket.IO packet",
            Self::UnknownPacketType => "unknown Socket.IO packet type",
            Self::MissingAttachmentCount => "missing attachment count",
            Self::AttachmentCountUnterminated => "attachment count not followed by '-'",
            Self::TooManyAttachments => "too many attachments",
            Self::NamespaceUnterminated => "namespace not terminated by ','",
            Self::NamespaceTooLong => "namespace too long",
            Self::InvalidNamespace => {
                "a namespace starts with '/' and holds no ',', '[', '{' or '\"'"
            }
            Self::AckIdOverflow => "ack id overflows",
            Self::AckIdOutOfRange => "ack id out of range",
            Self::Json(kind) => kind.description(),
            Self::InvalidPayload => "payload has the wrong shape for the packet type",
            Self::NotAnArray => "payload is not an array",
            Self::MissingEventName => "missing event name",
            Self::EventNameNotString => "event name is not a string",
            Self::UnexpectedAttachment => "binary attachment without a pending binary packet",
            Self::MissingAttachments => "packet arrived before the previous packet's attachments",
            Self::InvalidPlaceholder => "invalid attachment placeholder",
            Self::AttachmentsTooLarge => "attachments too large",
        }
    }
}

/// A Socket.IO decoding error: what went wrong and at which byte.
///
/// For [`decode_socket_packet`](crate::socket::decode_socket_packet) the offset counts bytes
/// from the start of the Socket.IO packet; for [`RawJson`](crate::RawJson) accessors, from the
/// start of the JSON span; for [`decode_message`](crate::decode_message), from the start of the
/// Engine.IO frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketError {
    /// What went wrong.
    pub kind: SocketErrorKind,
    /// Byte offset into the input where decoding failed.
    pub offset: usize,
}

impl SocketError {
    pub(crate) const fn new(kind: SocketErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// What went wrong.
    pub const fn kind(&self) -> SocketErrorKind {
        self.kind
    }

    /// Byte offset into the input where decoding failed.
    pub const fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for SocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.description(), self.offset)
    }
}

impl std::error::Error for SocketError {}

/// An error from [`decode_message`](crate::decode_message): either layer can fail.
///
/// Offsets are always relative to the start of the Engine.IO frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireError {
    /// The Engine.IO frame is malformed.
    Engine(EngineError),
    /// The Engine.IO frame is a message whose Socket.IO packet is malformed.
    Socket(SocketError),
}

impl WireError {
    /// Byte offset into the frame where decoding failed.
    pub const fn offset(&self) -> usize {
        match self {
            Self::Engine(e) => e.offset,
            Self::Socket(e) => e.offset,
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Engine(e) => write!(f, "Engine.IO: {e}"),
            Self::Socket(e) => write!(f, "Socket.IO: {e}"),
        }
    }
}

impl std::error::Error for WireError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Engine(e) => Some(e),
            Self::Socket(e) => Some(e),
        }
    }
}

impl From<EngineError> for WireError {
    fn from(e: EngineError) -> Self {
        Self::Engine(e)
    }
}

impl From<SocketError> for WireError {
    fn from(e: SocketError) -> Self {
        Self::Socket(e)
    }
}
