//! `sio-replay import`.

use crate::Outcome;
use crate::cli::ImportArgs;

use super::Context;

/// Run `import`.
pub(crate) fn run(_args: ImportArgs, _ctx: &mut Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("`import` is not available in this build yet")
}
