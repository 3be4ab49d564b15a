//! What can be wrong with the bytes of one direction, and with a handshake's extension headers.
//!
//! A [`ErrorKind`] is reported in a [`WsEvent::Error`](crate::WsEvent::Error) with the
//! direction and the byte offset; it never stops the observer as a whole. Fatal kinds
//! ([`ErrorKind::is_fatal`]) stop decoding that one direction, because after them the frame
//! boundaries can no longer be trusted; the others lose at most the message or frame at hand.

use thiserror::Error;

/// What was wrong with the bytes of one direction.
///
/// A small `Copy` value; the event that carries it says where (direction and offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// RSV2 or RSV3 set, or RSV1 set while permessage-deflate was not negotiated: no extension
    /// in use defines them, so the bytes are not a frame we can read. Fatal.
    #[error("reserved bits set in a frame header (no negotiated extension defines them)")]
    ReservedBits,
    /// An opcode RFC 6455 reserves (0x3 to 0x7, 0xB to 0xF). Fatal.
    #[error("reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// A close, ping or pong frame without FIN. Fatal.
    #[error("fragmented control frame")]
    FragmentedControlFrame,
    /// A close, ping or pong frame with a payload longer than 125 bytes. Fatal.
    #[error("control frame longer than 125 bytes")]
    ControlFrameTooLong,
    /// A 64-bit payload length with its most significant bit set. Fatal.
    #[error("64-bit payload length with the most significant bit set")]
    LengthOverflow,
    /// A payload length in more bytes than needed (RFC 6455 requires the minimal encoding).
    /// The frame is read all the same.
    #[error("payload length not minimally encoded")]
    NonMinimalLength,
    /// A client-to-server frame without a mask (RFC 6455 requires one). Read all the same.
    #[error("client frame not masked")]
    UnmaskedClientFrame,
    /// A server-to-client frame with a mask (RFC 6455 forbids it). Unmasked and read.
    #[error("server frame masked")]
    MaskedServerFrame,
    /// RSV1 (the permessage-deflate bit) on a continuation or control frame; the bit is
    /// ignored.
    #[error("compression bit on a continuation or control frame")]
    MisplacedCompressionBit,
    /// A continuation frame with no fragmented message open; the frame is skipped.
    #[error("continuation frame without a message to continue")]
    UnexpectedContinuation,
    /// A text or binary frame while a fragmented message was still open; the open message is
    /// dropped and the new one read.
    #[error("new message before the previous fragmented message ended")]
    UnfinishedMessage,
    /// A message longer than [`Config::max_message_size`](crate::Config::max_message_size),
    /// counted after inflating; the rest of the message is skipped without buffering it.
    #[error("message larger than the configured maximum")]
    MessageTooLarge,
    /// A text message that is not UTF-8. The message is still reported, as bytes.
    #[error("text message is not valid UTF-8")]
    InvalidUtf8,
    /// A compressed message that does not inflate; the rest of the message is skipped. (A
    /// frame that would also inflate past the limit may be reported as
    /// [`ErrorKind::MessageTooLarge`] instead, depending on how much of it was fed at once:
    /// the inflater reads ahead.)
    #[error("compressed message does not inflate")]
    InflateFailed,
    /// A compressed message in a direction that shares its inflate context between messages,
    /// after an earlier message left that context incomplete (too large, or not inflating):
    /// it cannot be inflated, and is skipped.
    #[error("compressed message after the inflate context was lost")]
    InflateContextLost,
    /// A close frame with a one-byte payload (a status code takes two). Reported without a
    /// code.
    #[error("close frame payload of one byte")]
    InvalidClosePayload,
    /// A close code that may not be sent on the wire (below 1000, 1004 to 1006, 1015, 1016 to
    /// 2999, or 5000 and above). Reported all the same.
    #[error("close code {0} may not be sent")]
    InvalidCloseCode(u16),
    /// A close reason that is not UTF-8. Reported with replacement characters.
    #[error("close reason is not valid UTF-8")]
    InvalidCloseReason,
    /// A data frame after this direction sent a close frame. Read all the same.
    #[error("data frame after a close frame")]
    FrameAfterClose,
    /// The stream ended inside a frame (a peer closed the connection mid-frame). Reported by
    /// [`Observer::finish`](crate::Observer::finish).
    #[error("stream ended inside a frame")]
    Truncated,
    /// The stream ended between the frames of a fragmented message. Reported by
    /// [`Observer::finish`](crate::Observer::finish).
    #[error("stream ended inside a fragmented message")]
    EndedMidMessage,
}

impl ErrorKind {
    /// `true` when this error stops decoding the direction it was found in: the frame
    /// boundaries after it cannot be trusted (or the stream ended).
    pub const fn is_fatal(self) -> bool {
        matches!(
            self,
            Self::ReservedBits
                | Self::ReservedOpcode(_)
                | Self::FragmentedControlFrame
                | Self::ControlFrameTooLong
                | Self::LengthOverflow
                | Self::Truncated
                | Self::EndedMidMessage
        )
    }
}

/// What was wrong with the `Sec-WebSocket-Extensions` headers of a handshake.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The header does not follow RFC 6455's grammar (`name *(";" param)`, comma separated).
    #[error("malformed Sec-WebSocket-Extensions header: {0:?}")]
    Malformed(String),
    /// The server accepted an extension this observer does not know; frames that use it
    /// cannot be read.
    #[error("unsupported extension {0:?} accepted by the server")]
    UnsupportedExtension(String),
    /// The server accepted permessage-deflate more than once.
    #[error("permessage-deflate accepted twice")]
    DuplicateExtension,
    /// A permessage-deflate parameter that RFC 7692 does not define, or given twice, or with a
    /// value where none is allowed (or none where one is required).
    #[error("invalid permessage-deflate parameter {0:?}")]
    InvalidParameter(String),
    /// A window-bits value outside 8 to 15.
    #[error("window bits {0:?} outside 8 to 15")]
    InvalidWindowBits(String),
    /// The server accepted permessage-deflate, or `client_max_window_bits`, which the client
    /// did not offer.
    #[error("the server accepted {0:?}, which the client did not offer")]
    NotOffered(&'static str),
}
