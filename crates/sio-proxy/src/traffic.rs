//! What the relaying tasks tell the recorder: owned, plain messages, in one neutral file that
//! both sides import (quinn-proto's `shared.rs`). Nothing here interprets Engine.IO: the
//! recorder hands these to `sio_capture::assemble`, the one place where traffic becomes
//! records.

use std::time::Instant;

/// The proxy's clock: milliseconds since the capture started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock(Instant);

impl Clock {
    pub(crate) fn start() -> Self {
        Clock(Instant::now())
    }

    /// Milliseconds since the start, with sub-millisecond precision.
    pub(crate) fn t_ms(&self) -> f64 {
        self.0.elapsed().as_secs_f64() * 1000.0
    }
}

/// One HTTP request and its response, as relayed.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    /// When the request arrived.
    pub(crate) t_ms: f64,
    pub(crate) method: String,
    /// The upstream URL (origin, path and query).
    pub(crate) url: String,
    pub(crate) request_headers: Vec<(String, String)>,
    pub(crate) request_body: Vec<u8>,
    /// When the response body ended.
    pub(crate) response_t_ms: f64,
    /// `502` when the proxy answered for an upstream it could not reach.
    pub(crate) status: u16,
    pub(crate) response_headers: Vec<(String, String)>,
    pub(crate) response_body: Vec<u8>,
    /// The client's address.
    pub(crate) remote: String,
}

/// A message from a relaying task to the recorder.
#[derive(Debug)]
pub(crate) enum Traffic {
    /// A finished HTTP exchange (a poll, a POST, a plain request, a refused upgrade).
    Http(Exchange),
    /// The upstream accepted a WebSocket upgrade; `id` names the connection from now on.
    WsOpen {
        id: u64,
        t_ms: f64,
        url: String,
        remote: String,
    },
    /// Something the passive observer read on WebSocket `id`.
    Ws {
        id: u64,
        t_ms: f64,
        event: ws_passive::WsEvent,
    },
    /// The extension headers of WebSocket `id`'s handshake could not be understood: its
    /// compressed frames will not decode.
    WsHandshakeError { id: u64, t_ms: f64, error: String },
    /// WebSocket `id` ended.
    WsClosed { id: u64, t_ms: f64, reason: String },
    /// The proxy stopped: finish the capture.
    Stop,
}

/// Header pairs as text (a value that is not UTF-8 is kept with replacement characters).
pub(crate) fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}
