//! `sio-replay check`.

use crate::Outcome;
use crate::cli::CheckArgs;

use super::Context;

/// Run `check`.
pub(crate) fn run(_args: CheckArgs, _ctx: &mut Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("`check` is not available in this build yet")
}
