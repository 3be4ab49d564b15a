//! [`ProxyError`]: what can stop the proxy from starting or recording.

use std::path::PathBuf;

use thiserror::Error;

/// Why the proxy could not start, or could not go on recording.
///
/// Errors of single requests (an upstream that refuses, a client that sends garbage) never
/// stop the proxy: they are answered (a 502 naming the cause), recorded, and logged.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The `--upstream` value is not an `http://` or `https://` origin.
    #[error("upstream {url:?}: {message}")]
    Upstream {
        /// The value given.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// The extra CA file for upstream TLS could not be read or holds no certificate.
    #[error("upstream CA {path}: {message}")]
    UpstreamCa {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The local CA of forward mode could not be created or read.
    #[error("CA {path}: {message}")]
    Ca {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A forward-mode setting is wrong (`--intercept`, `--upstream-proxy`).
    #[error("{flag}: {message}")]
    Forward {
        /// The flag.
        flag: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The capture could not be created or written.
    #[error("capture: {0}")]
    Capture(#[from] sio_capture::CaptureError),
    /// A socket operation of the listener failed.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
}
