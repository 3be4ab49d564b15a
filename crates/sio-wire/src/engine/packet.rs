//! One Engine.IO packet in one WebSocket frame.

use crate::engine::open::Handshake;
use crate::error::{EngineError, EngineErrorKind};
use crate::limits::Limits;

/// The seven Engine.IO packet types.
///
/// | Type    | ID  | Usage                                            |
/// |---------|-----|--------------------------------------------------|
/// | open    | 0   | Used during the handshake.                       |
/// | close   | 1   | Used to indicate that a transport can be closed. |
/// | ping    | 2   | Used in the heartbeat mechanism.                 |
/// | pong    | 3   | Used in the heartbeat mechanism.                 |
/// | message | 4   | Used to send a payload to the other side.        |
/// | upgrade | 5   | Used during the upgrade process.                 |
/// | noop    | 6   | Used during the upgrade process.                 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnginePacketType {
    /// `0`: the server's handshake.
    Open,
    /// `1`: the transport can be closed.
    Close,
    /// `2`: heartbeat request (sent by the server in v4), or the client's `2probe`.
    Ping,
    /// `3`: heartbeat answer, or the server's `3probe`.
    Pong,
    /// `4`: a message, which carries a Socket.IO packet when Socket.IO is on top.
    Message,
    /// `5`: completes an upgrade from polling to WebSocket.
    Upgrade,
    /// `6`: no operation, used to close a pending poll during an upgrade.
    Noop,
}

impl EnginePacketType {
    /// The ASCII digit of the type (`b'0'`..`b'6'`).
    pub const fn as_digit(self) -> u8 {
        b'0' + self.as_number()
    }

    /// The type as a number (`0`..`6`), as in a v3 binary frame's first byte.
    pub const fn as_number(self) -> u8 {
        match self {
            Self::Open => 0,
            Self::Close => 1,
            Self::Ping => 2,
            Self::Pong => 3,
            Self::Message => 4,
            Self::Upgrade => 5,
            Self::Noop => 6,
        }
    }

    /// The type's name as the Engine.IO protocol writes it: `open`, `close`, `ping`, `pong`,
    /// `message`, `upgrade`, `noop`. Transcripts and decoded views print these.
    ///
    /// ```
    /// assert_eq!(sio_wire::EnginePacketType::Message.name(), "message");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Close => "close",
            Self::Ping => "ping",
            Self::Pong => "pong",
            Self::Message => "message",
            Self::Upgrade => "upgrade",
            Self::Noop => "noop",
        }
    }

    /// The type of an ASCII digit, or `None`.
    pub const fn from_digit(digit: u8) -> Option<Self> {
        match digit.checked_sub(b'0') {
            Some(n) => Self::from_number(n),
            None => None,
        }
    }

    /// The type of a number `0`..`6`, or `None`.
    pub const fn from_number(n: u8) -> Option<Self> {
        Some(match n {
            0 => Self::Open,
            1 => Self::Close,
            2 => Self::Ping,
            3 => Self::Pong,
            4 => Self::Message,
            5 => Self::Upgrade,
            6 => Self::Noop,
            _ => return None,
        })
    }
}

/// The data of a `message` packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payload<'a> {
    /// From a text frame (or a text polling record): everything after the `4`.
    Text(&'a str),
    /// From a binary frame: the whole frame.
    Binary(&'a [u8]),
}

/// One Engine.IO packet, borrowing from the frame it was decoded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnginePacket<'a> {
    /// `0{...}`: the server's handshake.
    Open(Handshake<'a>),
    /// `1`
    Close,
    /// `2` or `2probe`: the data after the digit (`""` or `"probe"`).
    Ping(&'a str),
    /// `3` or `3probe`: the data after the digit.
    Pong(&'a str),
    /// `4...` (text frame) or a binary frame.
    Message(Payload<'a>),
    /// `5`
    Upgrade,
    /// `6`
    Noop,
}

impl<'a> EnginePacket<'a> {
    /// The packet's type.
    pub const fn packet_type(&self) -> EnginePacketType {
        match self {
            Self::Open(_) => EnginePacketType::Open,
            Self::Close => EnginePacketType::Close,
            Self::Ping(_) => EnginePacketType::Ping,
            Self::Pong(_) => EnginePacketType::Pong,
            Self::Message(_) => EnginePacketType::Message,
            Self::Upgrade => EnginePacketType::Upgrade,
            Self::Noop => EnginePacketType::Noop,
        }
    }

    /// A text message packet.
    pub const fn text(text: &'a str) -> Self {
        Self::Message(Payload::Text(text))
    }

    /// A binary message packet.
    pub const fn binary(bytes: &'a [u8]) -> Self {
        Self::Message(Payload::Binary(bytes))
    }
}

/// Decodes one Engine.IO packet from a WebSocket text frame.
///
/// Never allocates: the packet borrows from `frame`.
///
/// # Errors
/// [`EngineErrorKind::Empty`] for an empty frame, [`EngineErrorKind::UnknownPacketType`] when
/// the first byte is not `0`..`6`, [`EngineErrorKind::UnexpectedData`] when a `close`,
/// `upgrade` or `noop` packet carries data, and handshake errors for `open`.
///
/// ```
/// use sio_wire::engine::{decode_text_frame, EnginePacket, Payload};
/// assert_eq!(decode_text_frame("2probe")?, EnginePacket::Ping("probe"));
/// assert_eq!(decode_text_frame("4hello")?, EnginePacket::Message(Payload::Text("hello")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_text_frame(frame: &str) -> Result<EnginePacket<'_>, EngineError> {
    decode_text_frame_with(frame, &Limits::default())
}

/// [`decode_text_frame`] with explicit limits (they bound the handshake JSON's depth).
///
/// # Errors
/// As [`decode_text_frame`].
pub fn decode_text_frame_with<'a>(
    frame: &'a str,
    limits: &Limits,
) -> Result<EnginePacket<'a>, EngineError> {
    let Some(&first) = frame.as_bytes().first() else {
        return Err(EngineError::new(EngineErrorKind::Empty, 0));
    };
    let Some(kind) = EnginePacketType::from_digit(first) else {
        return Err(EngineError::new(EngineErrorKind::UnknownPacketType, 0));
    };
    // The first byte is an ASCII digit, so index 1 is a character boundary.
    let data = crate::json::str_from(frame, 1);
    let no_data = |packet: EnginePacket<'a>| {
        if data.is_empty() {
            Ok(packet)
        } else {
            Err(EngineError::new(EngineErrorKind::UnexpectedData, 1))
        }
    };
    match kind {
        EnginePacketType::Open => Handshake::decode_with(data, limits)
            .map(EnginePacket::Open)
            .map_err(|e| EngineError::new(e.kind, e.offset + 1)),
        EnginePacketType::Close => no_data(EnginePacket::Close),
        EnginePacketType::Ping => Ok(EnginePacket::Ping(data)),
        EnginePacketType::Pong => Ok(EnginePacket::Pong(data)),
        EnginePacketType::Message => Ok(EnginePacket::Message(Payload::Text(data))),
        EnginePacketType::Upgrade => no_data(EnginePacket::Upgrade),
        EnginePacketType::Noop => no_data(EnginePacket::Noop),
    }
}

/// Decodes a text frame given as bytes, checking UTF-8 first.
///
/// # Errors
/// [`EngineErrorKind::InvalidUtf8`] at the first invalid byte, then as
/// [`decode_text_frame`].
///
/// ```
/// use sio_wire::{engine::decode_text_frame_bytes, EngineErrorKind};
/// let err = decode_text_frame_bytes(b"42[\"a\xff\"]").err().ok_or("expected an error")?;
/// assert_eq!((err.kind(), err.offset()), (EngineErrorKind::InvalidUtf8, 5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_text_frame_bytes(frame: &[u8]) -> Result<EnginePacket<'_>, EngineError> {
    match std::str::from_utf8(frame) {
        Ok(text) => decode_text_frame(text),
        Err(e) => Err(EngineError::new(
            EngineErrorKind::InvalidUtf8,
            e.valid_up_to(),
        )),
    }
}

/// Decodes a WebSocket binary frame (Engine.IO v4): the whole frame is a binary message.
pub const fn decode_binary_frame(frame: &[u8]) -> EnginePacket<'_> {
    EnginePacket::Message(Payload::Binary(frame))
}

/// Decodes a WebSocket binary frame from an Engine.IO v3 peer, whose first byte is the packet
/// type as a number (`0x04` for a message), followed by the data.
///
/// # Errors
/// [`EngineErrorKind::Empty`] for an empty frame, [`EngineErrorKind::BinaryNotMessage`] when
/// the first byte is not `4`.
pub fn decode_binary_frame_v3(frame: &[u8]) -> Result<EnginePacket<'_>, EngineError> {
    match frame.split_first() {
        None => Err(EngineError::new(EngineErrorKind::Empty, 0)),
        Some((&4, data)) => Ok(EnginePacket::Message(Payload::Binary(data))),
        Some(_) => Err(EngineError::new(EngineErrorKind::BinaryNotMessage, 0)),
    }
}

/// Encodes a binary message for an Engine.IO v3 peer (type byte `0x04`, then the data).
pub fn encode_binary_frame_v3(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len() + 1);
    out.push(4);
    out.extend_from_slice(data);
}

/// Appends the text-frame encoding of `packet` to `out`.
///
/// `encode_text_frame(&decode_text_frame(x)?, &mut out)` reproduces `x` byte for byte for
/// every frame a conforming peer sends (for `open`, when the handshake's keys are in the
/// reference order and it has no unknown fields).
///
/// # Errors
/// [`EngineErrorKind::BinaryInTextFrame`] for a binary message, which belongs in a binary
/// frame (send the bytes as they are) or a polling payload
/// ([`encode_polling_payload`](crate::engine::encode_polling_payload) base64-encodes it).
/// Nothing is appended then.
pub fn encode_text_frame(packet: &EnginePacket<'_>, out: &mut String) -> Result<(), EngineError> {
    match packet {
        EnginePacket::Open(handshake) => {
            out.push('0');
            handshake.encode(out);
        }
        EnginePacket::Close => out.push('1'),
        EnginePacket::Ping(data) => {
            out.push('2');
            out.push_str(data);
        }
        EnginePacket::Pong(data) => {
            out.push('3');
            out.push_str(data);
        }
        EnginePacket::Message(Payload::Text(text)) => {
            out.reserve(text.len() + 1);
            out.push('4');
            out.push_str(text);
        }
        EnginePacket::Message(Payload::Binary(_)) => {
            return Err(EngineError::new(EngineErrorKind::BinaryInTextFrame, 0));
        }
        EnginePacket::Upgrade => out.push('5'),
        EnginePacket::Noop => out.push('6'),
    }
    Ok(())
}
