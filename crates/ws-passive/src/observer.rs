//! [`Observer`]: both directions of one connection, and the queue of events they produce.

use std::collections::VecDeque;

use crate::config::Config;
use crate::error::HandshakeError;
use crate::event::{Direction, WsEvent};
use crate::extensions::Extensions;
use crate::stream::StreamDecoder;

/// The header that negotiates extensions (RFC 6455 section 9.1).
const EXTENSIONS_HEADER: &str = "sec-websocket-extensions";

/// A passive observer of one WebSocket connection: fed the raw bytes of each direction after
/// the handshake, in any chunks, it reports messages, control frames and errors, and never
/// produces bytes of its own.
///
/// Negotiate extensions first ([`Observer::handshake`] or [`Observer::set_extensions`]), then
/// call [`Observer::feed`] as bytes arrive and drain [`Observer::poll_event`] after each
/// call: the queue holds what the fed bytes completed, and is the caller's to keep short.
#[derive(Debug)]
pub struct Observer {
    config: Config,
    extensions: Extensions,
    streams: [StreamDecoder; 2],
    events: VecDeque<WsEvent>,
}

impl Observer {
    /// An observer with no extension negotiated.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            extensions: Extensions::default(),
            streams: Self::streams(config, Extensions::default()),
            events: VecDeque::new(),
        }
    }

    fn streams(config: Config, extensions: Extensions) -> [StreamDecoder; 2] {
        Direction::BOTH
            .map(|d| StreamDecoder::new(d, config.max_message_size, extensions.permessage_deflate))
    }

    /// Negotiates extensions from the handshake: every header of the client's upgrade request
    /// and of the server's 101 response, as `(name, value)` pairs (names in any case). Only
    /// `Sec-WebSocket-Extensions` is read.
    ///
    /// Call it before feeding any byte: it starts both directions afresh. On an error no
    /// extension is in force (frames that use one are then reported as errors).
    ///
    /// # Errors
    ///
    /// As [`Extensions::negotiate`]; a header value that is not UTF-8 is
    /// [`HandshakeError::Malformed`].
    pub fn handshake<'a>(
        &mut self,
        request: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        response: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<Extensions, HandshakeError> {
        let result = extension_values(request).and_then(|offered| {
            let accepted = extension_values(response)?;
            Extensions::negotiate(&offered, &accepted)
        });
        self.set_extensions(result.clone().unwrap_or_default());
        result
    }

    /// Sets the extensions in force, as negotiated elsewhere. Starts both directions afresh.
    pub fn set_extensions(&mut self, extensions: Extensions) {
        self.extensions = extensions;
        self.streams = Self::streams(self.config, extensions);
        self.events.clear();
    }

    /// The extensions in force.
    pub const fn extensions(&self) -> Extensions {
        self.extensions
    }

    /// Decodes the next bytes of one direction. Events go to the queue; bytes after a fatal
    /// error in that direction are counted and ignored.
    pub fn feed(&mut self, direction: Direction, bytes: &[u8]) {
        self.streams[direction.index()].feed(bytes, &mut self.events);
    }

    /// The end of one direction's stream (its sender closed the connection): reports an
    /// [`ErrorKind::Truncated`](crate::ErrorKind::Truncated) frame or an
    /// [`ErrorKind::EndedMidMessage`](crate::ErrorKind::EndedMidMessage) fragmented message,
    /// and stops that direction. Calling it twice reports nothing more.
    pub fn finish(&mut self, direction: Direction) {
        self.streams[direction.index()].finish(&mut self.events);
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<WsEvent> {
        self.events.pop_front()
    }

    /// How many bytes of `direction` were fed.
    pub const fn offset(&self, direction: Direction) -> u64 {
        self.streams[direction.index()].offset()
    }

    /// `false` once `direction` stopped decoding (a fatal error, or [`Observer::finish`]).
    pub fn is_decoding(&self, direction: Direction) -> bool {
        self.streams[direction.index()].is_decoding()
    }
}

/// The values of the `Sec-WebSocket-Extensions` headers among `headers`.
fn extension_values<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<&'a str>, HandshakeError> {
    headers
        .into_iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case(EXTENSIONS_HEADER))
        .map(|(_, value)| {
            std::str::from_utf8(value)
                .map_err(|_| HandshakeError::Malformed(String::from_utf8_lossy(value).into()))
        })
        .collect()
}
