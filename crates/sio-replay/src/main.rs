//! `sio-replay`: record, replay and test Socket.IO traffic.
//!
//! This binary is glue. Each subcommand parses its flags ([`cli`]), converts them to a library
//! configuration, calls one library function (in `sio-capture` or `rt2-mock`), and prints the
//! result through a [`print::Printer`]. Protocol logic lives in the libraries.
//!
//! Exit status: 0 on success, 1 when `check` finds a difference, 2 on any error. A closed
//! stdout (`sio-replay decode big.jsonl | head`) is a success, as Unix tools have it.

mod cli;
mod cmd;
mod golden;
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
    /// `check` ran fine and found a difference from the golden.
    Mismatch,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose, cli.quiet);
    match cmd::run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Mismatch) => ExitCode::from(1),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` prints the whole context chain on one line: "reading x.har: line 3: ...".
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr so they never mix with the data on stdout. `RUST_LOG`, when set, overrides
/// the level chosen with `-v`/`-q`.
fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// True when the error chain bottoms out in a write to a closed pipe.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
