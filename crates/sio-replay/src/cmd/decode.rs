//! `sio-replay decode`: any input the importers read (capture, HAR, DevTools text, or one frame
//! per line on stdin) → records → [`sio_capture::view`], each record decoded and printed: the
//! human view is `sio-capture`'s transcript (nothing normalised, times shown), the JSON view
//! one object per record.

use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::Context as _;
use sio_capture::import::{ImportOptions, import_capture};
use sio_capture::view::{LineTone, RecordView, view_records};
use sio_capture::{Direction, Redactor};

use super::Context;
use super::import::input_kind;
use crate::Outcome;
use crate::cli::{DecodeArgs, DirectionArg};
use crate::print::{Palette, Report, Role};

/// Run `decode`.
pub(crate) fn run(args: DecodeArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let (name, input) = read_input(&args.input)?;
    // A viewer shows what is there: redaction is for files that get shared, not for the screen.
    let mut options = ImportOptions::default().redactor(Redactor::disabled());
    if let Some(kind) = input_kind(args.from) {
        options = options.kind(kind);
    }
    let imported = import_capture(&input, &options).with_context(|| format!("reading {name}"))?;
    for warning in &imported.summary.warnings {
        tracing::warn!("{name}: {warning}");
    }
    let only = args.only.map(|d| match d {
        DirectionArg::Client => Direction::Client,
        DirectionArg::Server => Direction::Server,
    });
    for view in view_records(imported.all_records(), only) {
        ctx.printer.print(&DecodedRecord(view))?;
    }
    Ok(Outcome::Success)
}

/// The input's bytes and a name for messages; `-` is stdin.
fn read_input(path: &Path) -> anyhow::Result<(String, Vec<u8>)> {
    if path == Path::new("-") {
        let mut input = Vec::new();
        io::stdin()
            .read_to_end(&mut input)
            .context("reading stdin")?;
        return Ok(("stdin".to_owned(), input));
    }
    let input = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok((path.display().to_string(), input))
}

/// One record of the input, decoded for printing.
pub(super) struct DecodedRecord(pub(super) RecordView);

impl Report for DecodedRecord {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        for line in self.0.human_lines() {
            // Frame lines are coloured by who sent the frame, and frames that did not decode
            // as errors.
            let role = match line.tone {
                LineTone::Client => Some(Role::Client),
                LineTone::Server => Some(Role::Server),
                LineTone::Undecodable => Some(Role::Bad),
                LineTone::Plain => None,
            };
            match role {
                Some(role) => writeln!(out, "{}", palette.paint(role, &line.text))?,
                None => writeln!(out, "{}", line.text)?,
            }
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer(out, &self.0).map_err(io::Error::from)
    }
}
