//! The error type of the client side (`record`, `load`).

use std::path::PathBuf;

/// Why a recording or a load run could not start or had to stop.
///
/// A dropped connection during a recording is not an error (the recorder writes a gap record
/// and reconnects); it becomes [`ClientError::GaveUp`] only after the reconnect budget is spent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server URL cannot be used.
    #[error("invalid server URL `{url}`: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The CA certificate file could not be read or holds no certificate.
    #[error("cannot use CA file {}: {reason}", path.display())]
    CaFile {
        /// The file given with `--ca`.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The TCP, TLS or WebSocket handshake failed.
    #[error("cannot connect to {url}: {reason}{hint}", hint = connect_hint(reason))]
    Connect {
        /// The WebSocket URL that was dialled (without any token).
        url: String,
        /// What the WebSocket layer said, as text: tungstenite's errors repeat their cause in
        /// their own message, so a source chain would print it twice.
        reason: String,
    },
    /// No handshake within the time limit.
    #[error("no Engine.IO handshake from {url} within {seconds} s")]
    HandshakeTimeout {
        /// The WebSocket URL.
        url: String,
        /// The limit.
        seconds: u64,
    },
    /// The server refused the namespace connect (`44/nsp,{"message":...}`), e.g. a bad token.
    #[error("the server refused to connect to namespace {namespace}: {message}")]
    Refused {
        /// The namespace.
        namespace: String,
        /// The server's message.
        message: String,
    },
    /// The server broke the protocol.
    #[error("protocol error from the server: {0}")]
    Protocol(String),
    /// The connection kept dropping.
    #[error("gave up after {attempts} reconnect attempts; last error: {last}")]
    GaveUp {
        /// How many reconnects were tried.
        attempts: u32,
        /// The last reason.
        last: String,
    },
    /// An HTTP exchange (`--http-get`) failed.
    #[error("HTTP GET {url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The capture file could not be written.
    #[error("cannot write capture {}: {source}", path.display())]
    Capture {
        /// The output file.
        path: PathBuf,
        /// The capture writer's error.
        #[source]
        source: sio_capture::CaptureError,
    },
    /// A script file's line is not a frame.
    #[error("line {line}: {message}")]
    Script {
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The in-process mock of a scripted session could not start.
    #[error("the mock could not start")]
    Mock(#[source] rt2_mock::MockError),
    /// An option has a value the client cannot use.
    #[error("invalid option `{option}`: {message}")]
    Config {
        /// The option's name.
        option: &'static str,
        /// Why.
        message: String,
    },
}

/// Advice for the connect failures people can fix themselves.
fn connect_hint(reason: &str) -> &'static str {
    if reason.contains("UnknownIssuer") {
        " (the server's certificate is not trusted: pass --ca FILE with its CA certificate)"
    } else if reason.contains("Connection refused") {
        " (nothing listens there: check the host and port)"
    } else {
        ""
    }
}
