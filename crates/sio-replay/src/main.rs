//! `sio-replay`: record, replay and test Socket.IO traffic.
//!
//! This binary is glue. Each subcommand parses its flags ([`cli`]), converts them to a library
//! configuration, calls one library function (in `sio-capture` or `rt2-mock`), and prints the
//! result through a [`print::Printer`]. Protocol logic lives in the libraries.
//!
//! Exit status: 0 on success, 1 when `check` or `validate` finds a difference, 2 on any error. A closed
//! stdout (`sio-replay decode big.jsonl | head`) is a success, as Unix tools have it.

mod cli;
mod cmd;
mod logging;
mod print;
mod progress;
mod tls;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

/// What a successful run concluded; errors are the `Err` side of [`cmd::run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Everything as expected.
    Success,
    /// `check` ran fine and found a difference from the golden, `validate` a frame that
    /// breaks the contract, or `load` a threshold its report fails.
    Mismatch,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose, cli.quiet);
    match cmd::run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Mismatch) => ExitCode::from(1),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // An error can quote what a server or a file said: tokens never reach the screen.
            eprintln!(
                "error: {}",
                sio_capture::redact::redact_anywhere(&render_chain(&err))
            );
            ExitCode::from(2)
        }
    }
}

/// The whole context chain on one line ("reading x.har: line 3: ..."), as `{:#}` prints it,
/// but without repeating a cause whose text the message before it already holds: library
/// errors that show their source in their own message (`cannot read x: Is a directory`, or
/// `cannot listen on ...: Address already in use (os error 98) (the port is in use: ...)`
/// with a hint after it) would otherwise print it twice.
fn render_chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) || out.contains(&format!(": {text}")) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// True when the error chain bottoms out in a write to a closed pipe.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::render_chain;

    /// An error that, like many library errors, shows its source in its own message.
    #[derive(Debug)]
    struct ShowsItsSource(std::io::Error);

    impl std::fmt::Display for ShowsItsSource {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot read capture x: {}", self.0)
        }
    }

    impl std::error::Error for ShowsItsSource {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::other("Is a directory");
        let err = anyhow::Error::new(ShowsItsSource(io)).context("loading capture x");
        assert_eq!(
            render_chain(&err),
            "loading capture x: cannot read capture x: Is a directory"
        );
    }

    /// As `MockError::Bind` shows it: the cause, then a hint.
    #[derive(Debug)]
    struct ShowsItsSourceThenAHint(std::io::Error);

    impl std::fmt::Display for ShowsItsSourceThenAHint {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot listen on x: {} (choose another port)", self.0)
        }
    }

    impl std::error::Error for ShowsItsSourceThenAHint {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_already_in_the_message_before_a_hint_is_not_repeated() {
        let io = std::io::Error::other("Address already in use (os error 98)");
        let err = anyhow::Error::new(ShowsItsSourceThenAHint(io)).context("--port 3000");
        assert_eq!(
            render_chain(&err),
            "--port 3000: cannot listen on x: Address already in use (os error 98) (choose \
             another port)"
        );
    }

    #[test]
    fn distinct_causes_are_all_printed() {
        let err = anyhow::anyhow!("line 3: bad frame").context("reading x.har");
        assert_eq!(render_chain(&err), "reading x.har: line 3: bad frame");
    }
}
