//! The one error type of this crate.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything that can stop the mock from starting or serving.
///
/// Errors that concern one client (a malformed frame, a refused token, a slow reader) never
/// surface here: they close that client's session and are recorded for the admin API instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockError {
    /// The address could not be bound, usually because another process listens on it.
    #[error("cannot listen on {addr}: {source}{hint}", hint = bind_hint(source))]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The capture file could not be opened or read.
    #[error("cannot read capture {}: {source}", path.display())]
    CaptureIo {
        /// The file that was asked for.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A line of the capture file is not a valid capture record.
    #[error("{}:{line}: {message}", path.display())]
    CaptureFormat {
        /// The capture file.
        path: PathBuf,
        /// The line number, starting at 1.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// A file that is not a native capture (a HAR file, a DevTools text log) could not be
    /// imported.
    #[error("cannot import {}: {source}", path.display())]
    CaptureImport {
        /// The file.
        path: PathBuf,
        /// The importer's error, naming a line or a JSON path.
        source: sio_capture::CaptureError,
    },
    /// An option has a value the mock cannot use.
    #[error("invalid option `{option}`: {message}")]
    Config {
        /// The option's name, as in [`MockConfig`](crate::MockConfig) (`ping_interval`, ...).
        option: &'static str,
        /// Why the value is refused.
        message: String,
    },
    /// The listening socket failed in a way that is not one client's fault.
    #[error("the listening socket failed: {0}")]
    Listener(#[source] std::io::Error),
}

fn bind_hint(err: &std::io::Error) -> &'static str {
    match err.kind() {
        std::io::ErrorKind::AddrInUse => {
            " (the port is in use: stop the other server or choose another port, e.g. 0 for any free port)"
        }
        std::io::ErrorKind::PermissionDenied => {
            " (ports below 1024 need privileges: choose a port above 1024)"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_error_says_what_to_do_when_the_port_is_in_use() {
        let err = MockError::Bind {
            addr: "127.0.0.1:3000".parse().unwrap(),
            source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
        };
        let text = err.to_string();
        assert!(
            text.starts_with("cannot listen on 127.0.0.1:3000: "),
            "{text}"
        );
        assert!(text.contains("the port is in use"), "{text}");
    }

    #[test]
    fn capture_format_error_names_file_and_line() {
        let err = MockError::CaptureFormat {
            path: PathBuf::from("captures/x.jsonl"),
            line: 7,
            message: "expected `,`".into(),
        };
        assert_eq!(err.to_string(), "captures/x.jsonl:7: expected `,`");
    }
}
