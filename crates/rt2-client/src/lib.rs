//! rt2-client: the client side of sio-replay, the recorder ([`record`]), scripted sessions ([`session`], what
//! `sio-replay check` runs) and the load generator ([`load`]).
//!
//! All three dial an [`Endpoint`] (a `ws://`/`wss://` or `http(s)://` URL, a room, a namespace,
//! a token and optional extra CA certificates) over tokio-tungstenite with rustls, and speak
//! through `sio-session`'s client machine: the handshake, the namespace CONNECT with
//! `{"token": ...}`, pongs and heartbeat deadlines are its rules, not this module's. What this
//! module adds is I/O and policy: writing frames to a capture as they arrive, reconnecting
//! with backoff, stopping on limits or a signal, timing connects, events and acks.
//!
//! `check --serve` runs its scripted session against a mock started for the occasion, so this
//! crate depends on `rt2-mock`; the mock does not depend on it.
//!
//! ```no_run
//! use std::time::Duration;
//! use rt2_client::{Endpoint, Token};
//! use rt2_client::record::{RecordConfig, record};
//!
//! # async fn run() -> Result<(), rt2_client::ClientError> {
//! let mut endpoint = Endpoint::new("wss://rt-2.tpos.app");
//! endpoint.room = Some("tomato.tpos.vn".to_owned());
//! endpoint.token = std::env::var("SIO_TOKEN").ok().map(Token::new);
//! let mut config = RecordConfig::new(endpoint, "session.jsonl");
//! config.max_events = Some(100);
//! config.max_duration = Some(Duration::from_secs(600));
//! let summary = record(config, rt2_mock::ctrl_c_or_sigterm(), |_| {}).await?;
//! println!("{} frames, {} events", summary.stats.frames, summary.stats.events);
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - `dial.rs`: [`Endpoint`], [`Token`], the Engine.IO URL and the TLS roots.
//! - `connection.rs`: one WebSocket driven by the session machine, as a stream of happenings.
//! - `record.rs`, `session.rs`, `load/`: the three uses (`load/` also holds segments, report
//!   files and their merge, and replayed sessions); `http_get.rs`: `--http-get`.
//! - `probe.rs`: [`probe_mock`], telling sio-replay's mock from another server.
//! - `error.rs`: [`ClientError`].

mod connection;
mod dial;
mod error;
mod http_get;
pub mod load;
mod probe;
pub mod record;
pub mod session;

pub use dial::{Endpoint, Token};
pub use error::ClientError;
pub use probe::{MockInfo, probe_mock};
