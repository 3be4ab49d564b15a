//! What the observer reports: messages, control frames and errors, each with its direction.

use crate::error::ErrorKind;

/// Which way bytes travel on the observed connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// From the client (which must mask its frames) to the server.
    ClientToServer,
    /// From the server (which must not mask its frames) to the client.
    ServerToClient,
}

impl Direction {
    /// Both directions, client to server first.
    pub const BOTH: [Direction; 2] = [Direction::ClientToServer, Direction::ServerToClient];

    /// 0 for client to server, 1 for server to client: an index into per-direction state.
    pub(crate) const fn index(self) -> usize {
        match self {
            Self::ClientToServer => 0,
            Self::ServerToClient => 1,
        }
    }
}

/// The kind of a data message, from the opcode of its first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// Opcode 0x1: UTF-8 text (checked; see [`ErrorKind::InvalidUtf8`]).
    Text,
    /// Opcode 0x2: bytes (Socket.IO binary attachments travel in these).
    Binary,
}

/// One thing the observer saw, pulled with [`Observer::poll_event`](crate::Observer::poll_event).
///
/// Offsets count bytes of one direction's stream from the first byte fed for it (the first
/// byte after the handshake), and point at the first byte of the frame header concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsEvent {
    /// A complete data message, reassembled from its frames and inflated when compressed.
    Message {
        /// Who sent it.
        direction: Direction,
        /// Text or binary.
        kind: MessageKind,
        /// The payload, unmasked and inflated. Text that is not UTF-8 is kept as it came, after
        /// an [`ErrorKind::InvalidUtf8`] error.
        data: Vec<u8>,
        /// `true` when the message was sent compressed (RSV1 on its first frame).
        compressed: bool,
        /// How many frames carried it (1 when unfragmented); interleaved control frames are
        /// not counted.
        frames: usize,
        /// The offset of its first frame.
        offset: u64,
    },
    /// A ping frame.
    Ping {
        /// Who sent it.
        direction: Direction,
        /// Its payload (at most 125 bytes).
        data: Vec<u8>,
    },
    /// A pong frame.
    Pong {
        /// Who sent it.
        direction: Direction,
        /// Its payload (at most 125 bytes).
        data: Vec<u8>,
    },
    /// A close frame.
    Close {
        /// Who sent it.
        direction: Direction,
        /// The status code, when the payload had one.
        code: Option<u16>,
        /// The reason, UTF-8 (replacement characters where it was not, after an
        /// [`ErrorKind::InvalidCloseReason`] error).
        reason: String,
    },
    /// Something wrong in the bytes of one direction. Decoding of that direction goes on,
    /// unless [`ErrorKind::is_fatal`].
    Error {
        /// Whose bytes.
        direction: Direction,
        /// The offset of the frame the error was found in: for message-level errors
        /// ([`ErrorKind::MessageTooLarge`], [`ErrorKind::InflateFailed`]) the frame that
        /// crossed the line, for [`ErrorKind::InvalidUtf8`] and
        /// [`ErrorKind::EndedMidMessage`] the message's first frame, for
        /// [`ErrorKind::Truncated`] the frame that was cut.
        offset: u64,
        /// What was wrong.
        kind: ErrorKind,
    },
}

impl WsEvent {
    /// The direction the event belongs to.
    pub const fn direction(&self) -> Direction {
        match self {
            Self::Message { direction, .. }
            | Self::Ping { direction, .. }
            | Self::Pong { direction, .. }
            | Self::Close { direction, .. }
            | Self::Error { direction, .. } => *direction,
        }
    }
}
