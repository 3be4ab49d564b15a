//! `sio-replay completions SHELL`: a completion script generated from the clap definition, so it
//! can never drift from the real flags.

use clap::CommandFactory;

use crate::Outcome;
use crate::cli::{Cli, CompletionsArgs};

/// Write the completion script for `args.shell` to stdout.
pub(crate) fn run(args: CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "sio-replay", &mut out);
    Ok(Outcome::Success)
}
