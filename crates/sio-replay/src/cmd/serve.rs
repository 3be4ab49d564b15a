//! `sio-replay serve`.

use crate::Outcome;
use crate::cli::ServeArgs;

use super::Context;

/// Run `serve`.
pub(crate) fn run(_args: ServeArgs, _ctx: &mut Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("`serve` is not available in this build yet")
}
