//! The observer stream and the web view of sio-replay.
//!
//! Live sources (the mock's sessions, the recording proxy) publish what they see as capture
//! [`Record`](sio_capture::Record)s into one [`Observer`]; views subscribe to it. The stream is
//! the capture format itself, so a view of a live session and a view of a file read the same
//! values.
//!
//! Publishing never waits for a subscriber: each subscriber reads from a bounded buffer, and one
//! that falls behind (a slow or closed browser tab) loses the oldest records and is told how
//! many with [`Observed::Skipped`]. The lossless consumer of a source (its capture file) is
//! written by the source itself, not through this stream.

pub mod access;
pub mod observer;
mod page;
pub mod server;

pub use observer::{Catchup, Numbered, NumberedObserved, Observed, Observer, Subscription};
pub use server::{UI_PREFIX, UiBody, UiConfig, UiServer, UiToken, serve};
