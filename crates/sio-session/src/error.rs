//! The crate's error type: what the application asked for that the session cannot do.
//!
//! Problems with what the *peer* sends are not errors of the caller; they are reported as
//! [`Violation`](crate::Violation) events.

/// An application command a session refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The session is closing or closed.
    #[error("the session is closed")]
    Closed,
    /// The peer has not joined this namespace (or has left it).
    #[error("namespace {0:?} is not connected")]
    NotConnected(String),
    /// No CONNECT to this namespace awaits an answer.
    #[error("no CONNECT to namespace {0:?} awaits an answer")]
    NoPendingConnect(String),
    /// This namespace is already connected, or a CONNECT to it is pending.
    #[error("namespace {0:?} is already connected or connecting")]
    AlreadyConnected(String),
    /// A namespace must start with `/` and may not contain `,` (which ends it on the wire).
    #[error("invalid namespace {0:?}: it must start with '/' and contain no ','")]
    InvalidNamespace(String),
    /// The payload handed in is not valid JSON, or not of the shape the packet needs.
    #[error("invalid {field}: {detail}")]
    InvalidPayload {
        /// Which argument (`data`, `auth`).
        field: &'static str,
        /// What is wrong, with the byte offset.
        detail: String,
    },
    /// A Socket.IO command on a session configured as [`Layer::EngineIo`](crate::Layer).
    #[error("the session speaks plain Engine.IO (Layer::EngineIo), not Socket.IO")]
    EngineIoLayer,
}
