//! Sans-IO Engine.IO v4 and Socket.IO v5 session state machines, for the server role (the
//! mock) and the client role (the recorder and the load generator).
//!
//! A session owns the protocol state of one connection (handshake, heartbeat deadlines, the
//! upgrade from long-polling to WebSocket, `maxPayload`, close, namespace CONNECT and
//! CONNECT_ERROR, ack ids, binary attachments) and nothing else: no sockets, no clock, no
//! runtime. As in quinn-proto, time is an argument (`now: Instant`) and output is pulled:
//!
//! - input: `handle_frame(now, frame)` for WebSocket frames, and on the server
//!   `handle_poll_request` / `handle_polling_post` / `handle_websocket_upgrade` for HTTP;
//!   `handle_timeout(now)` when the deadline from `poll_timeout()` passes;
//! - output: `poll_transmit()` (frames to write, poll answers, closes), `poll_event()` (what
//!   happened: a CONNECT to decide on, events, acks, violations, the close) and
//!   `poll_timeout()` (when to call `handle_timeout` next).
//!
//! The trade-off: the caller must drain `poll_transmit` and `poll_event` after every call, and
//! keep one timer per session. In exchange, every protocol rule is tested in memory, without
//! sockets or sleeps, by advancing an `Instant`, and the same machine runs under any runtime.
//!
//! Peer misbehaviour is never an error of the caller: it is reported as a
//! [`Violation`] event (malformed packet, missed pong, duplicate poll, ...) and, where the
//! reference implementation does, it closes the session. Application commands that cannot
//! be done (emit to a namespace the client has not joined, ...) return a [`SessionError`].
//!
//! # Overview
//!
//! - [`ServerSession`]: one Engine.IO session as a server sees it, with the Socket.IO
//!   connection on top ([`Layer::SocketIo`]) or plain Engine.IO messages
//!   ([`Layer::EngineIo`]). Configured by [`ServerConfig`]; reports [`ServerEvent`]s.
//! - [`ClientSession`]: a WebSocket client; reports [`ClientEvent`]s.
//! - [`InboundFrame`] in, [`Transmit`] out.
//! - [`validate_request`]: the HTTP-level checks of a request (`EIO`, `transport`, method,
//!   `sid`), answering the Engine.IO error code and message ([`RequestError`]) for HTTP 400.
//!
//! # Example: the server's driving loop
//!
//! A transport task owns a session and, after every input, drains it. This one plays both the
//! transport and a client over WebSocket, in memory:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sio_session::{
//!     InboundFrame, ServerConfig, ServerEvent, ServerSession, Transmit, TransportKind,
//! };
//!
//! let start = Instant::now();
//! let mut session =
//!     ServerSession::new(start, TransportKind::WebSocket, "sid-1", ServerConfig::default());
//!
//! // Drains what the session wants written; a real transport writes each to its socket.
//! fn drain(session: &mut ServerSession) -> Vec<Transmit> {
//!     std::iter::from_fn(|| session.poll_transmit()).collect()
//! }
//!
//! let sent = drain(&mut session);
//! assert_eq!(
//!     sent,
//!     [Transmit::Text(
//!         r#"0{"sid":"sid-1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
//!             .into()
//!     )]
//! );
//!
//! // The client joins /chatomni with a token; the application decides.
//! session.handle_frame(start, InboundFrame::Text(r#"40/chatomni,{"token":"synthetic"}"#));
//! while let Some(event) = session.poll_event() {
//!     if let ServerEvent::ConnectRequest { namespace, auth } = event {
//!         assert_eq!(auth.as_deref(), Some(r#"{"token":"synthetic"}"#));
//!         session.accept_connect(&namespace, "socket-1")?;
//!     }
//! }
//! session.emit("/chatomni", r#"["on-events","{}"]"#, &[])?;
//! assert_eq!(
//!     drain(&mut session),
//!     [
//!         Transmit::Text(r#"40/chatomni,{"sid":"socket-1"}"#.into()),
//!         Transmit::Text(r#"42/chatomni,["on-events","{}"]"#.into()),
//!     ]
//! );
//!
//! // Time passes: the transport sleeps until poll_timeout, then calls handle_timeout.
//! let wake = session.poll_timeout().ok_or("a ping is scheduled")?;
//! assert_eq!(wake, start + Duration::from_millis(25_000));
//! session.handle_timeout(wake);
//! assert_eq!(drain(&mut session), [Transmit::Text("2".into())]);
//! session.handle_frame(wake, InboundFrame::Text("3"));
//!
//! // No pong for the next ping: the session closes itself.
//! let wake = session.poll_timeout().ok_or("a ping is scheduled")?;
//! session.handle_timeout(wake);
//! assert_eq!(drain(&mut session), [Transmit::Text("2".into())]);
//! let deadline = session.poll_timeout().ok_or("a pong is awaited")?;
//! assert_eq!(deadline, wake + Duration::from_millis(20_000));
//! session.handle_timeout(deadline);
//! assert!(session.is_closed());
//! assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
//! let events: Vec<_> = std::iter::from_fn(|| session.poll_event()).collect();
//! assert!(matches!(events.as_slice(), [
//!     ServerEvent::Violation(v),
//!     ServerEvent::Closed(sio_session::CloseReason::PingTimeout),
//! ] if v.kind == sio_session::ViolationKind::MissedPong));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Driving a server session from a transport
//!
//! 1. Validate each HTTP request with [`validate_request`]. A handshake creates a session
//!    ([`ServerSession::new`]) under a fresh sid; other requests look the sid up (unknown:
//!    [`RequestError::UnknownSid`]).
//! 2. Long-polling `GET`: [`ServerSession::handle_poll_request`]; on `Ok`, park the request.
//!    It is answered by the next [`Transmit::PollResponse`] (the handshake `GET` at once,
//!    with the `open` packet). `POST`: [`ServerSession::handle_polling_post`] and answer
//!    `ok`. A refusal is HTTP [`RequestError::http_status`] with
//!    [`RequestError::json_body`].
//! 3. WebSocket: a handshake WebSocket feeds every frame to [`ServerSession::handle_frame`];
//!    an upgrade WebSocket (with `sid`) first calls
//!    [`ServerSession::handle_websocket_upgrade`] and is closed if refused. When the socket
//!    closes, call [`ServerSession::handle_websocket_closed`].
//! 4. After every call: write each [`Transmit`] (text and binary frames on the WebSocket,
//!    `PollResponse` to the parked `GET`, `CloseWebSocket` closes it), handle each
//!    [`ServerEvent`], and re-arm one timer at [`ServerSession::poll_timeout`] that calls
//!    [`ServerSession::handle_timeout`]. Once [`ServerSession::is_closed`] is true and the
//!    transmits are drained, drop the session.
//! 5. To end a session, [`ServerSession::close`] lets the client collect what is queued;
//!    a server that stops taking requests calls [`ServerSession::close_now`] instead, which
//!    waits for no further poll.
//!
//! # Conformance
//!
//! The server role behaves as the reference servers (`engine.io` 6, `socket.io` 4) do in
//! every case their official protocol test suites check; `tests/session/engineio_suite.rs`
//! and `tests/session/socketio_suite.rs` hold one test per case. Where this crate differs on
//! purpose:
//!
//! - a duplicate poll is refused with HTTP 400 (the suite accepts 400 or Node's 500);
//! - a polling `POST` longer than `maxPayload` is refused with 413 *and* closes the session
//!   (the reference answers 413 and leaves the session to the client, which then gives up);
//! - `EIO=4` is checked on every request, not only on the handshake;
//! - a namespace without its `,` (`40/custom`) is read to the end of the packet, as
//!   socket.io-parser does, although sio-wire's strict v5 decoder refuses it;
//! - when the client's `close` arrives by `POST` while no `GET` is pending, a `GET` arriving
//!   within [`ServerConfig::peer_close_grace`] is answered with `noop` (`6`), as a `GET`
//!   pending at the `close` is. engine.io forgets the session at once and answers that late
//!   `GET` with 400, so the suites' close test, which sends the `GET` and the `POST`
//!   together, passes against it only when the `GET` is handled first;
//! - a `close` packet over WebSocket closes the session at once. engine.io ignores it there
//!   (engine.io-client closes the WebSocket instead of sending one); against it, the suites'
//!   WebSocket close tests pass because the session then misses its heartbeat (500 ms);
//! - a server-initiated close on long-polling sends `close` alone, in the answer to the
//!   `GET` after the one that carried the packets queued before it (to the next `GET` when
//!   none were), as engine.io does; but where engine.io writes that answer `6\x1e1` (the
//!   `noop` it sends the `close` behind), this writes `1`. Both answer `1` to a `GET` pending
//!   at the close with nothing queued.
//!
//! As in socket.io, any packet for a namespace whose CONNECT the application has not yet
//! accepted closes the connection ("invalid state"). socket.io-client never sends one (it
//! buffers emits until the CONNECT is acknowledged); a transport that answers
//! [`ServerEvent::ConnectRequest`] in the same drain loop never hits it over WebSocket.
//!
//! # Layout
//!
//! - `src/server.rs`: [`ServerSession`].
//! - `src/client.rs`: [`ClientSession`].
//! - `src/socket.rs`: the Socket.IO layer both roles share: decoding with binary reassembly,
//!   encoding, and `SocketLayer`, the namespaces and awaited acks each session keeps and
//!   builds its emits, acks and disconnects through.
//! - `src/request.rs`: [`validate_request`] and [`RequestError`].
//! - `src/config.rs`, `src/event.rs`, `src/transmit.rs`, `src/error.rs`: settings, events,
//!   frames and transmits, errors.
//! - `src/char_boundary.rs`: [`floor_char_boundary`], for cutting text at a byte limit.
//! - `src/fuzzing.rs`: fuzz harness bodies (hidden, and compiled only with the `fuzzing`
//!   feature), for `fuzz/fuzz_targets/session_*.rs`.

mod char_boundary;
mod client;
mod config;
mod error;
mod event;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod request;
mod server;
mod socket;
mod transmit;

pub use char_boundary::floor_char_boundary;
pub use client::ClientSession;
pub use config::{ClientConfig, DEFAULT_SERVER_MAX_ATTACHMENTS, Layer, ServerConfig};
pub use error::SessionError;
pub use event::{
    ClientEvent, CloseReason, EngineMessage, IncomingAck, IncomingEvent, OpenInfo, ServerEvent,
    Violation, ViolationKind,
};
pub use request::{EngineQuery, RequestError, RequestKind, validate_request};
pub use server::ServerSession;
pub use socket::encode_event;
pub use transmit::{InboundFrame, Transmit};

/// The old name of [`InboundFrame`], kept for one release.
#[deprecated(note = "renamed InboundFrame: sio-wire's decoded frame is DecodedFrame")]
pub type Frame<'a> = InboundFrame<'a>;

/// The old name of [`EngineMessage`], kept for one release.
#[deprecated(note = "renamed EngineMessage: tpos-chat's Message is a chat message")]
pub type Message = EngineMessage;

/// The two Engine.IO transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// HTTP long-polling (`transport=polling`).
    Polling,
    /// WebSocket (`transport=websocket`).
    WebSocket,
}

impl TransportKind {
    /// The transport's name in the `transport` query parameter.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Polling => "polling",
            Self::WebSocket => "websocket",
        }
    }
}
