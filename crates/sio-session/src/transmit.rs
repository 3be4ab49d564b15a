//! What goes in (frames) and what comes out (transmits) at the transport boundary.

/// A WebSocket data frame received by the transport, handed to a session's `handle_frame`.
///
/// Text frames are `&str` because WebSocket text frames are UTF-8 by definition (the
/// WebSocket library rejects others); binary frames carry raw Engine.IO message bytes (no
/// packet type byte), as the engine.io-protocol README says: "Binary payloads are sent as is,
/// without modification."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundFrame<'a> {
    /// A text frame: one Engine.IO packet (`4hello`, `2`, `3probe`, ...).
    Text(&'a str),
    /// A binary frame: the data of one binary Engine.IO message.
    Binary(&'a [u8]),
}

/// One thing for the transport to do, pulled with a session's `poll_transmit`.
///
/// Drain `poll_transmit` after every call into the session (input or timeout): the session
/// queues, the transport writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Send a WebSocket text frame.
    Text(String),
    /// Send a WebSocket binary frame.
    Binary(Vec<u8>),
    /// Answer the pending long-polling `GET` with HTTP 200 and this body
    /// (`Content-Type: text/plain; charset=UTF-8`). Only the server role emits it, and only
    /// while a `GET` is pending (see
    /// [`ServerSession::handle_poll_request`](crate::ServerSession::handle_poll_request)).
    PollResponse(String),
    /// Close the WebSocket, after the frames transmitted before this one. For a session on
    /// long-polling that is probing an upgrade, this closes the probing WebSocket only.
    CloseWebSocket,
}
