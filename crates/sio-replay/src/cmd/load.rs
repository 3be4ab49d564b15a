//! `sio-replay load`.

use crate::Outcome;
use crate::cli::LoadArgs;

use super::Context;

/// Run `load`.
pub(crate) fn run(_args: LoadArgs, _ctx: &mut Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("`load` is not available in this build yet")
}
