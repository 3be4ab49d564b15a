//! `sio-replay decode`.

use crate::Outcome;
use crate::cli::DecodeArgs;

use super::Context;

/// Run `decode`.
pub(crate) fn run(_args: DecodeArgs, _ctx: &mut Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("`decode` is not available in this build yet")
}
