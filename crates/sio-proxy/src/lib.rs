//! A recording reverse proxy for Socket.IO: a client talks to it instead of the server, it
//! relays every byte both ways unchanged, and it writes what passed as a native capture that
//! `serve`, `check`, `decode` and `import` read like any other.
//!
//! Both transports are relayed: long-polling requests and responses stream through (a held
//! poll is never buffered before it is relayed; a bounded copy is kept for the capture), and a
//! WebSocket upgrade is forwarded first, the upstream's 101 returned unchanged, and the raw
//! bytes relayed both ways while a passive observer ([`ws_passive`], permessage-deflate
//! included) reads a copy. Everything seen goes to `sio_capture::assemble`, which makes one
//! `conn` per Engine.IO session across polling and WebSocket. Records are redacted as
//! `record` redacts them, written with a flush per line, and published to a
//! [`sio_ui::Observer`] for live views.
//!
//! The trade-off: relaying comes first. Decoding happens after the bytes were written on, and
//! a decode error never changes what the peers see: it becomes a gap record in the capture.
//!
//! # Example
//!
//! ```no_run
//! # async fn run() -> Result<(), sio_proxy::ProxyError> {
//! use sio_proxy::{ProxyConfig, Upstream};
//!
//! let mut config = ProxyConfig::new(Upstream::parse("http://127.0.0.1:3001")?);
//! config.output = Some("session.jsonl".into());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! let proxy = sio_proxy::start(listener, config, sio_ui::Observer::default()).await?;
//! // ... clients connect to http://127.0.0.1:3000 ...
//! let summary = proxy.stop().await?;
//! println!("{} frames", summary.frames);
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - `listener.rs`: [`start`], the accept loop, [`RunningProxy`].
//! - `service.rs`: one request: the `Host` check (`sio_ui::access`, shared with the mock and
//!   the web view), then a plain relay or `websocket.rs` (the upgrade), whose upgraded
//!   streams go to `relay.rs` (the byte relay and the passive observer).
//! - `respond.rs`: bodies, hop-by-hop headers, the proxy's own 403 and 502, relayed
//!   responses; `tee.rs`: the streaming body with a bounded copy.
//! - `upstream.rs`: dialling, TLS with the system's roots.
//! - `traffic.rs`: the messages to the recorder; `state.rs`: what the tasks share (a leaf).
//! - `recorder.rs`: traffic to the assembler, records to the capture and the observer.

pub mod ca;
mod config;
mod error;
mod forward;
mod listener;
mod recorder;
mod relay;
mod respond;
mod service;
mod state;
mod tee;
mod traffic;
mod upstream;
mod websocket;

pub use ca::LocalCa;
pub use config::{DEFAULT_MAX_BODY_COPY, Forward, Mode, ProxyConfig, Upstream};
pub use error::ProxyError;
pub use listener::{RunningProxy, start};
pub use recorder::ProxySummary;
