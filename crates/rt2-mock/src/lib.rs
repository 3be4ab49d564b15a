//! rt2-mock: a mock of TPOS's rt-2 Socket.IO server that replays captures to real clients.
//! (The clients, `record`, `load` and `check`'s scripted sessions, are the `rt2-client` crate.)
//!
//! The mock stands in for `wss://rt-2.tpos.app` so that a browser client on the real
//! `socket.io-client`, or a CI job, runs with no network: it speaks Engine.IO v4 (WebSocket,
//! long-polling and the upgrade between them) and Socket.IO v5, checks the `/chatomni` token,
//! replays a capture's events on their original timeline (or faster, or as fast as the client
//! reads), serves the live-video REST endpoint from the capture, and misbehaves on request. It is
//! the only crate of the workspace with sockets and a clock; the protocol itself is
//! `sio-session`'s sans-IO state machine, which the transports here only feed and drain. It
//! trades throughput for observability: every session's traffic and violations are kept (bounded)
//! for the admin API.
//!
//! # Overview
//!
//! - [`serve`] / [`serve_with`] run the server on a listener the caller bound (see [`bind`]);
//!   [`RunningMock`] runs it on a background task for tests. [`ctrl_c_or_sigterm`] is the usual
//!   shutdown trigger. An [`Acceptor`] between TCP and HTTP is where TLS plugs in.
//! - [`MockConfig`]: session settings (`pingInterval`, `pingTimeout`, `maxPayload`, ...), the
//!   [`AuthMode`], the [`Capture`] and [`ReplaySettings`], the [`FaultPlan`], the per-client
//!   [`QueueLimits`] and [`SlowClientPolicy`], connection limits, who may reach the mock
//!   ([`AdminAccess`], [`AdminToken`], allowed `Host` names) and [`CorsPolicy`].
//! - [`replay`]: the pure timeline ([`replay::ReplayCursor`]) and timestamp shifting.
//! - [`http::admin`]: the admin API under `/__admin/` (documented with examples in
//!   `docs/admin-api.md`); [`replay::LiveVideoCatalog`]: what `GET /api/facebook-graph/livevideo` answers.
//! - [`scenario`]: rules that script the server's answers.
//!
//! The mock answers only requests whose `Host` names the machine itself (`localhost`, a
//! loopback address, the address it listens on, or [`MockConfig::allowed_hosts`]), and the
//! admin API wants the run's [`AdminToken`] as `Authorization: Bearer <token>`
//! ([`RunningMock::admin_token`]), so that web pages open in a browser cannot drive it.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = rt2_mock::MockConfig::default();
//! config.replay.pace = rt2_mock::Pace::Scaled(10.0);
//! let mock = rt2_mock::RunningMock::start("127.0.0.1:0".parse()?, config).await?;
//!
//! // An Engine.IO long-polling handshake, by hand.
//! let mut tcp = tokio::net::TcpStream::connect(mock.addr()).await?;
//! tcp.write_all(b"GET /socket.io/?EIO=4&transport=polling&room=tomato.tpos.vn HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n").await?;
//! let mut answer = String::new();
//! tcp.read_to_string(&mut answer).await?;
//! assert!(answer.starts_with("HTTP/1.1 200 OK"));
//! assert!(answer.contains(r#"0{"sid":""#));
//! assert!(answer.contains(r#""upgrades":["websocket"],"pingInterval":25000,"pingTimeout":60000"#));
//!
//! mock.shutdown().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! Each file reaches only files that do not reach it back (`scripts/check-structure.py`).
//!
//! - `listener.rs`: [`serve`], the accept loop, the connection limit (fitted to the open-files
//!   limit), handshake timeout, graceful shutdown, [`RunningMock`].
//! - `state.rs`: the state every handler and session shares (a leaf: it imports none of them).
//! - `access.rs`: the `Host` allow-list, the admin token, loopback peers.
//! - `http/`: `routes.rs` (which handler answers; the Host check), `cors.rs`, `admin.rs` (the
//!   admin API), `live_video.rs` (the REST endpoint), `response.rs`.
//! - `transport/`: `engine.rs` (the Engine.IO endpoint: handshakes, polls, posts, upgrades),
//!   `polling.rs` and `websocket.rs` (the thin transport layers, bounded writes and bodies).
//! - `session/`: one task per session driving `sio_session::ServerSession` (`mod.rs`), with
//!   what it owns as plain types: `connect.rs` (the CONNECT decision, a pure function),
//!   `faults.rs` (the fault state machine), `feed.rs` (replay / live room / nothing, and the
//!   send queue), `messages.rs` (the channel messages between the task, the transports and the
//!   hub), `inbound.rs` and `outbound.rs` (what the client did, what goes to it).
//! - `observe.rs`: what sessions publish to a `sio_ui::Observer` (redacted capture records).
//! - `hub.rs`: the session table, session reports (bounded in bytes), live rooms, counters.
//! - `replay/`: capture loading, the timeline and its cursor, timestamp shifting, the
//!   live-video catalog, live rooms' timeline task.
//! - `scenario/`: rules loaded from TOML (`load.rs`, `model.rs`) and evaluated without I/O
//!   (`respond.rs`, `schedule.rs`).
//! - `auth.rs`, `fault.rs`, `queue.rs`, `config.rs`, `error.rs`, `shutdown.rs`.

mod access;
pub mod auth;
pub mod config;
pub mod error;
pub mod fault;
pub mod http;
pub mod hub;
mod listener;
mod observe;
pub mod queue;
pub mod replay;
pub mod scenario;
mod session;
mod shutdown;
mod stamp;
mod state;
mod transport;

pub use access::AdminToken;
pub use auth::AuthMode;
pub use config::{AdminAccess, CorsPolicy, MockConfig, ReplayMode, ReplaySettings};
pub use error::MockError;
pub use fault::FaultPlan;
pub use listener::{Acceptor, PlainTcp, RunningMock, bind, serve, serve_with};
pub use queue::{QueueLimits, SlowClientPolicy};
pub use replay::{Capture, Pace};
pub use shutdown::ctrl_c_or_sigterm;
