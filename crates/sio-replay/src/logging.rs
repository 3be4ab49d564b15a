//! Logging on stderr: the level from `-v`/`-q` or `RUST_LOG`, dependencies kept quiet about
//! frames and headers, and every line redacted on its way out.
//!
//! Two layers keep tokens out of a log. First, the crates that log what goes over the wire at
//! debug or trace level (tungstenite prints every frame, hyper and h2 print headers, rustls
//! prints TLS records) are capped at `info` unless the user names them in `RUST_LOG`: `-vvv`
//! asks for our trace output, not theirs. Second, each formatted line goes through
//! `sio_capture`'s redactor ([`redact_anywhere`]) before it reaches stderr, so a token in a
//! frame, a URL or a protocol-violation detail is replaced whoever logged it.

use std::io::{self, Write};

use sio_capture::redact::redact_anywhere;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Dependencies whose debug and trace output shows frames, headers or TLS records.
const CAPPED_TARGETS: &[&str] = &[
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
    "tokio_rustls",
];

/// The most those dependencies log unless `RUST_LOG` names them.
const CAP: LevelFilter = LevelFilter::INFO;

/// Installs the subscriber: filter from [`filter_directives`], output through the redactor.
pub(crate) fn init(verbose: u8, quiet: bool) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let directives = filter_directives(verbose, quiet, rust_log.as_deref());
    let filter = EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| EnvFilter::new(filter_directives(verbose, quiet, None)));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingStderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// The filter: `RUST_LOG` when it is set and valid (it wins over `-v`/`-q`), else the level
/// `-v`/`-q` choose; then, for each of [`CAPPED_TARGETS`] the user did not name, a directive
/// that keeps it at [`CAP`] or below.
pub(crate) fn filter_directives(verbose: u8, quiet: bool, rust_log: Option<&str>) -> String {
    let level = match (quiet, verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::WARN,
        (false, 1) => LevelFilter::INFO,
        (false, 2) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let user = rust_log
        .map(str::trim)
        .filter(|text| !text.is_empty() && EnvFilter::try_new(text).is_ok());
    let (mut directives, default) = match user {
        Some(text) => (text.to_owned(), bare_level(text)),
        None => (level.to_string(), Some(level)),
    };
    // Without a bare level, a target nobody names is not logged at all: nothing to cap.
    let Some(default) = default else {
        return directives;
    };
    if default <= CAP {
        return directives;
    }
    for target in CAPPED_TARGETS {
        if !user.is_some_and(|text| names_target(text, target)) {
            directives.push_str(&format!(",{target}={CAP}"));
        }
    }
    directives
}

/// The most verbose level a `RUST_LOG` gives every target: its directives without a target.
fn bare_level(directives: &str) -> Option<LevelFilter> {
    directives
        .split(',')
        .map(str::trim)
        .filter(|d| !d.contains('=') && !d.contains('['))
        .filter_map(|d| d.parse::<LevelFilter>().ok())
        .max()
}

/// True when a directive of `RUST_LOG` is about `target` or one of its modules.
fn names_target(directives: &str, target: &str) -> bool {
    directives.split(',').any(|directive| {
        let name = directive
            .trim()
            .split(['=', '['])
            .next()
            .unwrap_or_default();
        name == target
            || name
                .strip_prefix(target)
                .is_some_and(|rest| rest.starts_with("::"))
    })
}

/// Where log lines go: stderr, one redacted line at a time.
struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactedLine;

    fn make_writer(&'a self) -> Self::Writer {
        RedactedLine(Vec::with_capacity(256))
    }
}

/// One event's text, written to stderr redacted when the formatter is done with it.
struct RedactedLine(Vec<u8>);

impl Write for RedactedLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactedLine {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        // A log line that cannot be written has nowhere else to go.
        let _ = io::stderr()
            .lock()
            .write_all(redact_anywhere(&text).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_levels_cap_the_wire_crates_at_info() {
        assert_eq!(filter_directives(0, false, None), "warn");
        assert_eq!(filter_directives(1, false, None), "info");
        assert_eq!(filter_directives(0, true, None), "error");
        let trace = filter_directives(3, false, None);
        assert!(trace.starts_with("trace,tungstenite=info,"), "{trace}");
        for target in CAPPED_TARGETS {
            assert!(trace.contains(&format!(",{target}=info")), "{trace}");
        }
        assert!(filter_directives(2, false, None).contains(",hyper=info"));
    }

    #[test]
    fn rust_log_wins_and_names_lift_the_cap() {
        let all = filter_directives(0, false, Some("trace"));
        assert!(all.contains(",tungstenite=info,"), "{all}");
        let named = filter_directives(0, false, Some("debug,tungstenite::protocol=trace"));
        assert!(!named.contains(",tungstenite=info"), "{named}");
        assert!(named.contains(",tokio_tungstenite=info"), "{named}");
        assert!(named.contains(",rustls=info"), "{named}");
        // Only our crates asked for: nothing else is logged, nothing to cap.
        assert_eq!(
            filter_directives(3, false, Some("rt2_mock=trace")),
            "rt2_mock=trace"
        );
        assert_eq!(filter_directives(3, false, Some("info")), "info");
        // An unreadable RUST_LOG falls back to the flags.
        assert!(filter_directives(3, false, Some("=[")).starts_with("trace,"));
    }

    #[test]
    fn the_directives_parse() {
        for (verbose, quiet, rust_log) in [
            (3, false, None),
            (0, false, Some("trace")),
            (0, false, Some("debug,hyper=trace,rt2_mock[conn]=trace")),
        ] {
            let directives = filter_directives(verbose, quiet, rust_log);
            assert!(EnvFilter::try_new(&directives).is_ok(), "{directives}");
        }
    }
}
