//! One Socket.IO packet, as carried in an Engine.IO message.
//!
//! From the socket.io-protocol README (v5), "Format":
//!
//! > `<packet type>[<# of binary attachments>-][<namespace>,][<acknowledgment id>][JSON-stringified payload without binary]`
//! >
//! > Note: the namespace is only included if it is different from the main namespace (`/`)

use std::fmt::Write as _;

use crate::error::{SocketError, SocketErrorKind};
use crate::json::{JsonKind, RawJson, str_from, validate, write_json_str};
use crate::limits::Limits;

/// The seven Socket.IO packet types.
///
/// | Type          | ID  | Usage                                                    |
/// |---------------|-----|----------------------------------------------------------|
/// | CONNECT       | 0   | Used during the connection to a namespace.               |
/// | DISCONNECT    | 1   | Used when disconnecting from a namespace.                |
/// | EVENT         | 2   | Used to send data to the other side.                     |
/// | ACK           | 3   | Used to acknowledge an event.                            |
/// | CONNECT_ERROR | 4   | Used during the connection to a namespace.               |
/// | BINARY_EVENT  | 5   | Used to send binary data to the other side.              |
/// | BINARY_ACK    | 6   | Used to acknowledge an event (the response includes binary data). |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocketPacketType {
    /// `0`: connect to a namespace (client), or accept the connection (server).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event: `["name", ...args]`.
    Event,
    /// `3`: the answer to an event with an ack id.
    Ack,
    /// `4`: the server refuses a namespace connection (`ERROR` in protocol v4).
    ConnectError,
    /// `5`: an event with binary attachments.
    BinaryEvent,
    /// `6`: an ack with binary attachments.
    BinaryAck,
}

impl SocketPacketType {
    /// The ASCII digit of the type (`b'0'`..`b'6'`).
    pub const fn as_digit(self) -> u8 {
        b'0' + match self {
            Self::Connect => 0,
            Self::Disconnect => 1,
            Self::Event => 2,
            Self::Ack => 3,
            Self::ConnectError => 4,
            Self::BinaryEvent => 5,
            Self::BinaryAck => 6,
        }
    }

    /// The type's name as the Socket.IO protocol writes it: `CONNECT`, `DISCONNECT`, `EVENT`,
    /// `ACK`, `CONNECT_ERROR`, `BINARY_EVENT`, `BINARY_ACK`. Transcripts, decoded views and
    /// session violations print these.
    ///
    /// ```
    /// assert_eq!(sio_wire::SocketPacketType::BinaryEvent.name(), "BINARY_EVENT");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Self::Connect => "CONNECT",
            Self::Disconnect => "DISCONNECT",
            Self::Event => "EVENT",
            Self::Ack => "ACK",
            Self::ConnectError => "CONNECT_ERROR",
            Self::BinaryEvent => "BINARY_EVENT",
            Self::BinaryAck => "BINARY_ACK",
        }
    }

    /// The type of an ASCII digit, or `None`.
    pub const fn from_digit(digit: u8) -> Option<Self> {
        Some(match digit {
            b'0' => Self::Connect,
            b'1' => Self::Disconnect,
            b'2' => Self::Event,
            b'3' => Self::Ack,
            b'4' => Self::ConnectError,
            b'5' => Self::BinaryEvent,
            b'6' => Self::BinaryAck,
            _ => return None,
        })
    }

    /// `true` for BINARY_EVENT and BINARY_ACK, which carry an attachment count.
    pub const fn is_binary(self) -> bool {
        matches!(self, Self::BinaryEvent | Self::BinaryAck)
    }
}

/// One Socket.IO packet, borrowing from the text it was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketPacket<'a> {
    /// The packet type.
    pub kind: SocketPacketType,
    /// The namespace, `"/"` when the packet names none.
    pub namespace: &'a str,
    /// The acknowledgement id, if any.
    pub ack_id: Option<u64>,
    /// The number of binary attachments that follow (binary types only; 0 otherwise).
    pub attachments: u32,
    /// The JSON payload, if any.
    pub data: Option<RawJson<'a>>,
}

impl<'a> SocketPacket<'a> {
    const fn base(kind: SocketPacketType, namespace: &'a str, data: Option<RawJson<'a>>) -> Self {
        Self {
            kind,
            namespace,
            ack_id: None,
            attachments: 0,
            data,
        }
    }

    /// A CONNECT packet, with an optional payload (the client's auth object, or the server's
    /// `{"sid":...}`).
    pub const fn connect(namespace: &'a str, data: Option<RawJson<'a>>) -> Self {
        Self::base(SocketPacketType::Connect, namespace, data)
    }

    /// A DISCONNECT packet.
    pub const fn disconnect(namespace: &'a str) -> Self {
        Self::base(SocketPacketType::Disconnect, namespace, None)
    }

    /// An EVENT packet; `data` is the array `["name", ...args]`.
    pub const fn event(namespace: &'a str, data: RawJson<'a>) -> Self {
        Self::base(SocketPacketType::Event, namespace, Some(data))
    }

    /// An ACK packet answering the event with `ack_id`; `data` is an array.
    pub const fn ack(namespace: &'a str, ack_id: u64, data: RawJson<'a>) -> Self {
        Self::base(SocketPacketType::Ack, namespace, Some(data)).with_ack_id(ack_id)
    }

    /// A CONNECT_ERROR packet; `data` is usually `{"message":"..."}` (see
    /// [`encode_connect_error`] to build one from a message).
    pub const fn connect_error(namespace: &'a str, data: RawJson<'a>) -> Self {
        Self::base(SocketPacketType::ConnectError, namespace, Some(data))
    }

    /// A BINARY_EVENT packet announcing `attachments` binary frames.
    pub const fn binary_event(namespace: &'a str, attachments: u32, data: RawJson<'a>) -> Self {
        let mut packet = Self::base(SocketPacketType::BinaryEvent, namespace, Some(data));
        packet.attachments = attachments;
        packet
    }

    /// A BINARY_ACK packet announcing `attachments` binary frames.
    pub const fn binary_ack(
        namespace: &'a str,
        ack_id: u64,
        attachments: u32,
        data: RawJson<'a>,
    ) -> Self {
        let mut packet = Self::base(SocketPacketType::BinaryAck, namespace, Some(data));
        packet.attachments = attachments;
        packet.with_ack_id(ack_id)
    }

    /// The same packet with an ack id.
    pub const fn with_ack_id(mut self, ack_id: u64) -> Self {
        self.ack_id = Some(ack_id);
        self
    }

    /// The event name of an EVENT or BINARY_EVENT packet.
    ///
    /// # Errors
    /// [`SocketErrorKind::NotAnArray`] when there is no array payload, else as
    /// [`RawJson::event_name`] (offsets within the payload).
    pub fn event_name(&self) -> Result<std::borrow::Cow<'a, str>, SocketError> {
        match self.data {
            Some(data) => data.event_name(),
            None => Err(SocketError::new(SocketErrorKind::NotAnArray, 0)),
        }
    }

    /// The event arguments (payload array elements after the name); empty without payload.
    pub fn args(&self) -> crate::json::Args<'a> {
        match self.data {
            Some(data) => data.args(),
            None => RawJson::new_unchecked("[]").args(),
        }
    }

    /// An owned copy that no longer borrows from the input.
    pub fn to_owned_packet(&self) -> OwnedSocketPacket {
        OwnedSocketPacket {
            kind: self.kind,
            namespace: self.namespace.to_owned(),
            ack_id: self.ack_id,
            attachments: self.attachments,
            data: self.data.map(|d| d.as_str().to_owned()),
        }
    }
}

/// An owned Socket.IO packet, for queues and for packets built at run time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnedSocketPacket {
    /// The packet type.
    pub kind: SocketPacketType,
    /// The namespace.
    pub namespace: String,
    /// The acknowledgement id, if any.
    pub ack_id: Option<u64>,
    /// The number of binary attachments (binary types only).
    pub attachments: u32,
    /// The JSON payload, validated when this value was made from a [`SocketPacket`].
    data: Option<String>,
}

impl OwnedSocketPacket {
    /// Builds an owned packet, validating `data` as JSON.
    ///
    /// # Errors
    /// [`SocketErrorKind::Json`] when `data` is not valid JSON (offsets within `data`).
    pub fn new(
        kind: SocketPacketType,
        namespace: impl Into<String>,
        ack_id: Option<u64>,
        attachments: u32,
        data: Option<String>,
    ) -> Result<Self, SocketError> {
        if let Some(data) = &data {
            RawJson::new(data)?;
        }
        Ok(Self {
            kind,
            namespace: namespace.into(),
            ack_id,
            attachments,
            data,
        })
    }

    /// The payload.
    pub fn data(&self) -> Option<RawJson<'_>> {
        self.data.as_deref().map(RawJson::new_unchecked)
    }

    /// A borrowed view of this packet.
    pub fn as_packet(&self) -> SocketPacket<'_> {
        SocketPacket {
            kind: self.kind,
            namespace: &self.namespace,
            ack_id: self.ack_id,
            attachments: self.attachments,
            data: self.data(),
        }
    }
}

impl From<SocketPacket<'_>> for OwnedSocketPacket {
    fn from(packet: SocketPacket<'_>) -> Self {
        packet.to_owned_packet()
    }
}

/// Which version of the Socket.IO protocol a decoder follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// Socket.IO 3.x and later (protocol 5, Engine.IO 4).
    V5,
    /// Socket.IO 1.x and 2.x (protocol 4, Engine.IO 3).
    V4,
}

/// Decodes a Socket.IO v5 packet (the text of an Engine.IO message, without its `4`) under
/// the default [`Limits`].
///
/// Never allocates: the namespace and the payload borrow from `text`, and the payload is
/// validated as JSON without building a tree.
///
/// # Errors
/// A [`SocketError`] with the kind and the byte offset (into `text`) of the first fault; see
/// [`SocketErrorKind`].
///
/// ```
/// use sio_wire::socket::{decode_socket_packet, SocketPacketType};
/// let packet = decode_socket_packet(r#"2/admin,13["bar",1]"#)?;
/// assert_eq!(packet.kind, SocketPacketType::Event);
/// assert_eq!(packet.namespace, "/admin");
/// assert_eq!(packet.ack_id, Some(13));
/// assert_eq!(packet.event_name()?, "bar");
/// assert_eq!(packet.args().map(|a| a.as_str()).collect::<Vec<_>>(), ["1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_socket_packet(text: &str) -> Result<SocketPacket<'_>, SocketError> {
    decode(text, &Limits::default(), Protocol::V5)
}

/// [`decode_socket_packet`] with explicit limits.
///
/// # Errors
/// As [`decode_socket_packet`], plus the limit kinds ([`SocketErrorKind::TooManyAttachments`],
/// [`SocketErrorKind::NamespaceTooLong`], [`SocketErrorKind::AckIdOutOfRange`],
/// [`JsonErrorKind::TooDeep`](crate::JsonErrorKind::TooDeep)).
pub fn decode_socket_packet_with<'a>(
    text: &'a str,
    limits: &Limits,
) -> Result<SocketPacket<'a>, SocketError> {
    decode(text, limits, Protocol::V5)
}

/// Decodes a Socket.IO protocol v4 packet (Socket.IO 1.x/2.x, Engine.IO 3), for old captures.
/// Named after `EIO=3`, the query parameter that tells the old protocol on the wire: the
/// Socket.IO protocol's own number, 4, reads as newer than the current v5 decoder's
/// namesake Engine.IO v4.
///
/// It differs from [`decode_socket_packet`] where the old protocol does: the payload's shape
/// is not checked per type. In protocol v4, CONNECT carries no payload and its auth travels
/// in the namespace's query (`0/admin?token=1234,`), ERROR (type 4) carries a plain JSON
/// string (`4"Not authorized"`) rather than an object, and ACK may carry binary placeholders.
/// socket.io-parser 2.x also wrote CONNECT and DISCONNECT without the `,` after the
/// namespace (`0/admin`); both decoders accept that, since the current reference parser
/// still does.
///
/// # Errors
/// As [`decode_socket_packet_with`].
pub fn decode_socket_packet_eio3<'a>(
    text: &'a str,
    limits: &Limits,
) -> Result<SocketPacket<'a>, SocketError> {
    decode(text, limits, Protocol::V4)
}

/// The old name of [`decode_socket_packet_eio3`].
#[deprecated(note = "renamed to decode_socket_packet_eio3: it reads the EIO=3 protocol")]
pub fn decode_socket_packet_v4<'a>(
    text: &'a str,
    limits: &Limits,
) -> Result<SocketPacket<'a>, SocketError> {
    decode_socket_packet_eio3(text, limits)
}

fn decode<'a>(
    text: &'a str,
    limits: &Limits,
    protocol: Protocol,
) -> Result<SocketPacket<'a>, SocketError> {
    decode_header(text, limits)?.validate_as(limits, protocol)
}

/// Decodes everything before the payload: type, attachment count, namespace, ack id.
fn decode_header<'a>(text: &'a str, limits: &Limits) -> Result<SocketHeader<'a>, SocketError> {
    let b = text.as_bytes();
    let Some(&first) = b.first() else {
        return Err(SocketError::new(SocketErrorKind::Empty, 0));
    };
    let Some(kind) = SocketPacketType::from_digit(first) else {
        return Err(SocketError::new(SocketErrorKind::UnknownPacketType, 0));
    };
    let mut i = 1;

    let mut attachments = 0u32;
    if kind.is_binary() {
        let digits = crate::json::tail(b, i)
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return Err(SocketError::new(SocketErrorKind::MissingAttachmentCount, i));
        }
        let mut count = 0u64;
        for &c in crate::json::tail(b, i).iter().take(digits) {
            count = count.saturating_mul(10).saturating_add(u64::from(c - b'0'));
        }
        attachments = match u32::try_from(count) {
            Ok(n) if n <= limits.max_attachments => n,
            _ => return Err(SocketError::new(SocketErrorKind::TooManyAttachments, i)),
        };
        i += digits;
        if b.get(i) != Some(&b'-') {
            return Err(SocketError::new(
                SocketErrorKind::AttachmentCountUnterminated,
                i,
            ));
        }
        i += 1;
    }

    let mut namespace = "/";
    if b.get(i) == Some(&b'/') {
        let rest = crate::json::tail(b, i);
        let max = limits.max_namespace_len;
        // Only the first `max + 1` bytes can hold the terminating comma of a namespace that
        // is within the limit, so the scan stops there.
        let window = match rest.get(..max.saturating_add(1)) {
            Some(window) => window,
            None => rest,
        };
        let end = match memchr::memchr(b',', window) {
            Some(len) => len,
            None if rest.len() > max => {
                return Err(SocketError::new(SocketErrorKind::NamespaceTooLong, i));
            }
            // No comma: socket.io-parser lets the namespace run to the end of the packet, and
            // peers rely on it (the official test suite sends `40/custom`).
            None => rest.len(),
        };
        // A byte that starts a JSON payload means the comma was forgotten before it (the
        // reference parser would swallow the payload into the namespace instead).
        if let Some(k) = memchr::memchr3(b'[', b'{', b'"', crate::json::head(rest, end)) {
            return Err(SocketError::new(
                SocketErrorKind::NamespaceUnterminated,
                i + k,
            ));
        }
        namespace = crate::json::str_range(text, i, i + end);
        i = (i + end + 1).min(b.len());
    }

    let digits = crate::json::tail(b, i)
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let mut ack_id = None;
    if digits > 0 {
        let mut id = 0u64;
        for &c in crate::json::tail(b, i).iter().take(digits) {
            id = match id
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
            {
                Some(v) => v,
                None => return Err(SocketError::new(SocketErrorKind::AckIdOverflow, i)),
            };
        }
        if id > limits.max_ack_id {
            return Err(SocketError::new(SocketErrorKind::AckIdOutOfRange, i));
        }
        ack_id = Some(id);
        i += digits;
    }

    Ok(SocketHeader {
        kind,
        namespace,
        ack_id,
        attachments,
        data: str_from(text, i),
        data_offset: i,
    })
}

/// A Socket.IO packet whose payload has not been looked at yet: what
/// [`decode_socket_header`] returns.
///
/// The header (type, attachment count, namespace, ack id) is decoded and checked; the payload
/// is the rest of the packet, unvalidated. Routing on the header costs a few nanoseconds
/// whatever the payload's size; [`SocketHeader::validate`] finishes the job when the payload
/// is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketHeader<'a> {
    /// The packet type.
    pub kind: SocketPacketType,
    /// The namespace, `"/"` when the packet names none.
    pub namespace: &'a str,
    /// The acknowledgement id, if any.
    pub ack_id: Option<u64>,
    /// The number of binary attachments that follow (binary types only; 0 otherwise).
    pub attachments: u32,
    /// The rest of the packet: the payload text, not yet validated (`""` when there is none).
    pub data: &'a str,
    data_offset: usize,
}

impl<'a> SocketHeader<'a> {
    /// Byte offset of [`data`](Self::data) in the packet.
    pub const fn data_offset(&self) -> usize {
        self.data_offset
    }

    /// Validates the payload under the default [`Limits`], completing the packet.
    ///
    /// # Errors
    /// As [`decode_socket_packet`], with offsets into the packet.
    pub fn validate(&self) -> Result<SocketPacket<'a>, SocketError> {
        self.validate_as(&Limits::default(), Protocol::V5)
    }

    /// Validates the payload under `limits`, completing the packet.
    ///
    /// # Errors
    /// As [`decode_socket_packet_with`], with offsets into the packet.
    pub fn validate_with(&self, limits: &Limits) -> Result<SocketPacket<'a>, SocketError> {
        self.validate_as(limits, Protocol::V5)
    }

    fn validate_as(
        &self,
        limits: &Limits,
        protocol: Protocol,
    ) -> Result<SocketPacket<'a>, SocketError> {
        let data = if self.data.is_empty() {
            None
        } else {
            match validate(self.data, limits.max_json_depth) {
                Ok(last_element) => Some(RawJson::new_validated(self.data, last_element)),
                Err(e) => {
                    return Err(SocketError::new(
                        SocketErrorKind::Json(e.kind),
                        e.offset + self.data_offset,
                    ));
                }
            }
        };
        if protocol == Protocol::V5 && !payload_shape_ok(self.kind, data) {
            return Err(SocketError::new(
                SocketErrorKind::InvalidPayload,
                self.data_offset,
            ));
        }
        Ok(SocketPacket {
            kind: self.kind,
            namespace: self.namespace,
            ack_id: self.ack_id,
            attachments: self.attachments,
            data,
        })
    }
}

/// Decodes only the header of a Socket.IO packet (type, attachment count, namespace, ack id),
/// leaving the payload unvalidated: the cheapest way to route a packet.
///
/// # Errors
/// The header kinds of [`decode_socket_packet`] (never a JSON or payload-shape error).
///
/// ```
/// use sio_wire::socket::{decode_socket_header, SocketPacketType};
/// let header = decode_socket_header(r#"2/chatomni,["on-events","..."]"#)?;
/// assert_eq!((header.kind, header.namespace), (SocketPacketType::Event, "/chatomni"));
/// assert_eq!(header.data, r#"["on-events","..."]"#);
/// assert_eq!(header.validate()?.event_name()?, "on-events");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_socket_header(text: &str) -> Result<SocketHeader<'_>, SocketError> {
    decode_header(text, &Limits::default())
}

/// [`decode_socket_header`] with explicit limits (namespace length, ack-id range,
/// attachments).
///
/// # Errors
/// As [`decode_socket_header`].
pub fn decode_socket_header_with<'a>(
    text: &'a str,
    limits: &Limits,
) -> Result<SocketHeader<'a>, SocketError> {
    decode_header(text, limits)
}

/// Event names the reference implementation keeps for itself: socket.io-parser (4.x) refuses
/// an EVENT whose name is one of these, and a socket.io server closes the connection.
///
/// The decoders here accept them (a capture may hold them, and what to do is the session's
/// call); [`is_reserved_event`] lets a server role refuse them as Node does.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// `true` when `name` is one of [`RESERVED_EVENTS`].
///
/// ```
/// assert!(sio_wire::socket::is_reserved_event("disconnect"));
/// assert!(!sio_wire::socket::is_reserved_event("on-events"));
/// ```
pub fn is_reserved_event(name: &str) -> bool {
    RESERVED_EVENTS.contains(&name)
}

/// The payload shapes socket.io-parser (v4.x, `isPayloadValid`) accepts for each type.
fn payload_shape_ok(kind: SocketPacketType, data: Option<RawJson<'_>>) -> bool {
    let shape = data.map(|d| d.kind());
    match kind {
        SocketPacketType::Connect => matches!(shape, None | Some(JsonKind::Object)),
        SocketPacketType::Disconnect => shape.is_none(),
        SocketPacketType::ConnectError => {
            matches!(shape, Some(JsonKind::Object | JsonKind::String))
        }
        SocketPacketType::Event | SocketPacketType::BinaryEvent => {
            // A non-empty array whose first element (the event name) is a string or a number.
            data.is_some_and(|d| {
                d.kind() == JsonKind::Array
                    && d.elements().next().is_some_and(|name| {
                        matches!(name.kind(), JsonKind::String | JsonKind::Number)
                    })
            })
        }
        SocketPacketType::Ack | SocketPacketType::BinaryAck => shape == Some(JsonKind::Array),
    }
}

/// Whether `namespace` can be sent: it decodes back as itself after
/// [`encode_socket_packet`], within `limits`.
///
/// A namespace is `/` or starts with `/`, and holds no `,` (the comma ends a namespace on the
/// wire) and no `[`, `{` or `"`: the decoders take those for the start of a payload whose
/// comma was forgotten (`2/chat["message"]`), which is a real client bug, rather than for part
/// of the name. socket.io-parser reads up to the first comma and so accepts `/a[b`; this
/// codec refuses it on both sides, so check names that come from users (command-line flags,
/// scenario files) with this function before sending them.
///
/// ```
/// use sio_wire::{Limits, SocketErrorKind, socket::check_namespace};
/// assert!(check_namespace("/chatomni", &Limits::default()).is_ok());
/// let err = check_namespace("/chat,omni", &Limits::default()).unwrap_err();
/// assert_eq!((err.kind, err.offset), (SocketErrorKind::InvalidNamespace, 5));
/// let err = check_namespace("chatomni", &Limits::default()).unwrap_err();
/// assert_eq!((err.kind, err.offset), (SocketErrorKind::InvalidNamespace, 0));
/// ```
///
/// # Errors
///
/// [`SocketErrorKind::InvalidNamespace`] at the offending byte, or
/// [`SocketErrorKind::NamespaceTooLong`] at byte 0.
pub fn check_namespace(namespace: &str, limits: &Limits) -> Result<(), SocketError> {
    let b = namespace.as_bytes();
    if b.first() != Some(&b'/') {
        return Err(SocketError::new(SocketErrorKind::InvalidNamespace, 0));
    }
    if let Some(k) = b
        .iter()
        .position(|c| matches!(c, b',' | b'[' | b'{' | b'"'))
    {
        return Err(SocketError::new(SocketErrorKind::InvalidNamespace, k));
    }
    if namespace.len() > limits.max_namespace_len {
        return Err(SocketError::new(SocketErrorKind::NamespaceTooLong, 0));
    }
    Ok(())
}

/// Appends the encoding of `packet` to `out`.
///
/// `encode_socket_packet(&decode_socket_packet(x)?, &mut out)` reproduces `x` byte for byte
/// for every canonical packet (no explicit `/,` namespace, no leading zeros in numbers).
/// The encoder writes the namespace as it is given; [`check_namespace`] tells whether it will
/// decode back.
///
/// ```
/// use sio_wire::{socket::{encode_socket_packet, SocketPacket}, RawJson};
/// let mut out = String::new();
/// encode_socket_packet(&SocketPacket::ack("/admin", 13, RawJson::new(r#"["bar"]"#)?), &mut out);
/// assert_eq!(out, r#"3/admin,13["bar"]"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_socket_packet(packet: &SocketPacket<'_>, out: &mut String) {
    let data = packet.data.map_or("", |d| d.as_str());
    out.reserve(data.len() + packet.namespace.len() + 24);
    out.push(char::from(packet.kind.as_digit()));
    if packet.kind.is_binary() {
        // Writing to a String cannot fail.
        let _ = write!(out, "{}-", packet.attachments);
    }
    if packet.namespace != "/" && !packet.namespace.is_empty() {
        out.push_str(packet.namespace);
        out.push(',');
    }
    if let Some(id) = packet.ack_id {
        let _ = write!(out, "{id}");
    }
    out.push_str(data);
}

/// Appends a CONNECT_ERROR packet `4[<namespace>,]{"message":"<message>"}` to `out`.
///
/// ```
/// let mut out = String::new();
/// sio_wire::socket::encode_connect_error("/chatomni", "Not authorized", &mut out);
/// assert_eq!(out, r#"4/chatomni,{"message":"Not authorized"}"#);
/// ```
pub fn encode_connect_error(namespace: &str, message: &str, out: &mut String) {
    out.push('4');
    if namespace != "/" && !namespace.is_empty() {
        out.push_str(namespace);
        out.push(',');
    }
    out.push_str("{\"message\":");
    write_json_str(message, out);
    out.push('}');
}
