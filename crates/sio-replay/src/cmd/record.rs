//! `sio-replay record`.

use crate::Outcome;
use crate::cli::RecordArgs;

use super::Context;

/// Run `record`.
pub(crate) fn run(_args: RecordArgs, _ctx: &mut Context) -> anyhow::Result<Outcome> {
    anyhow::bail!("`record` is not available in this build yet")
}
