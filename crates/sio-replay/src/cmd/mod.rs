//! One handler per subcommand: parse (already done by clap), convert, call, print.

mod asyncapi;
mod baseline;
mod ca;
mod check;
mod completions;
mod decode;
mod import;
mod load;
mod proxy;
mod record;
mod runtime;
mod serve;
mod ui;
mod validate;

use std::path::Path;

use sio_capture::CaptureError;

use crate::Outcome;
use crate::cli::{Cli, Command};
use crate::print::{Printer, stdout_printer};
use crate::progress::Progress;

/// What every handler gets besides its own flags.
pub(crate) struct Context {
    /// Where reports go.
    pub(crate) printer: Box<dyn Printer>,
    /// Progress bars, or none.
    pub(crate) progress: Progress,
    /// How many times `-v` was given.
    pub(crate) verbose: u8,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

/// Run the subcommand `cli` names.
pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let mut ctx = Context {
        printer: stdout_printer(cli.format, cli.color),
        progress: Progress::new(cli.quiet),
        verbose: cli.verbose,
    };
    let outcome = match cli.command {
        Command::Record(args) => record::run(args, &mut ctx),
        Command::Serve(args) => serve::run(args, &mut ctx),
        Command::Check(args) => check::run(args, &mut ctx),
        Command::Import(args) => import::run(args, &mut ctx),
        Command::Decode(args) => decode::run(args, &mut ctx),
        Command::Asyncapi(args) => asyncapi::run(args, &mut ctx),
        Command::Validate(args) => validate::run(args, &mut ctx),
        Command::Load(args) => load::run(args, &mut ctx),
        Command::Ui(args) => ui::run(args, &mut ctx),
        Command::Proxy(args) => proxy::run(args, &mut ctx),
        Command::Ca(args) => ca::run(args, &mut ctx),
        Command::Completions(args) => completions::run(args),
    }?;
    ctx.printer.flush()?;
    Ok(outcome)
}

/// The error of creating the output file `path` given with `flag`, saying what to do about it.
pub(crate) fn output_error(flag: &str, path: &Path, err: CaptureError) -> anyhow::Error {
    let place = format!("{flag} {}", path.display());
    match err {
        CaptureError::OutputExists => {
            anyhow::anyhow!("{place}: the file exists (pass --force to overwrite it)")
        }
        CaptureError::OutputIsSymlink => anyhow::anyhow!("{place}: {err}"),
        other => anyhow::Error::new(other).context(place),
    }
}
