//! `sio-replay import`: flags → [`sio_capture::import::ImportOptions`] →
//! [`sio_capture::import::import_capture`] → the native capture and a summary.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::json;
use sio_capture::Redactor;
use sio_capture::import::{ImportOptions, ImportSummary, InputKind, import_capture};
use sio_capture::writer::OutputOptions;

use super::{Context, output_error};
use crate::Outcome;
use crate::cli::{ImportArgs, InputFormatArg};
use crate::print::{Palette, Report, Role, write_json_value};

/// The importer's input kind for `--from`, or `None` to detect it.
pub(crate) fn input_kind(from: InputFormatArg) -> Option<InputKind> {
    match from {
        InputFormatArg::Auto => None,
        InputFormatArg::Capture => Some(InputKind::Native),
        InputFormatArg::Har => Some(InputKind::Har),
        InputFormatArg::Devtools => Some(InputKind::DevtoolsText),
        InputFormatArg::Text => Some(InputKind::PlainText),
        InputFormatArg::Pcap => Some(InputKind::Pcap),
    }
}

/// Run `import`.
pub(crate) fn run(args: ImportArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let input =
        std::fs::read(&args.input).with_context(|| format!("reading {}", args.input.display()))?;
    let mut options = ImportOptions::default();
    if let Some(kind) = input_kind(args.from) {
        options = options.kind(kind);
    }
    if args.no_redact {
        options = options.redactor(Redactor::disabled());
    }
    let mut imported = import_capture(&input, &options)
        .with_context(|| format!("importing {}", args.input.display()))?;
    for warning in &imported.summary.warnings {
        tracing::warn!("{}: {warning}", args.input.display());
    }
    if let Some(room) = &args.room {
        imported.header.room = Some(room.clone());
    }
    // Never through a symbolic link; `0600` when the tokens were kept (--no-redact).
    imported
        .write_file(&args.output, OutputOptions::default().overwrite(args.force))
        .map_err(|err| output_error("-o/--output", &args.output, err))?;
    ctx.printer.print(&ImportReport {
        input: args.input,
        output: args.output,
        summary: imported.summary,
    })?;
    Ok(Outcome::Success)
}

/// What `import` prints.
struct ImportReport {
    input: PathBuf,
    output: PathBuf,
    summary: ImportSummary,
}

impl Report for ImportReport {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        let s = &self.summary;
        writeln!(
            out,
            "{} {} ({}) → {}",
            palette.paint(Role::Good, "imported"),
            self.input.display(),
            s.kind,
            palette.paint(Role::Accent, self.output.display()),
        )?;
        writeln!(out, "  connections:    {}", s.connections)?;
        writeln!(
            out,
            "  frames:         {} ({} binary, {} Socket.IO events)",
            s.frames, s.binary_frames, s.events
        )?;
        writeln!(out, "  HTTP exchanges: {}", s.http_exchanges)?;
        writeln!(out, "  time span:      {:.3} s", s.span_ms / 1000.0)?;
        if s.inferred_directions > 0 {
            writeln!(
                out,
                "  inferred:       direction of {} frames",
                s.inferred_directions
            )?;
        }
        if s.websocket_errors > 0 {
            writeln!(
                out,
                "  skipped:        {} WebSocket error records",
                s.websocket_errors
            )?;
        }
        if s.gaps > 0 {
            writeln!(
                out,
                "  gaps:           {} holes in TCP streams (gap records; see warnings)",
                s.gaps
            )?;
        }
        if s.skipped_streams > 0 {
            writeln!(
                out,
                "  skipped:        {} TCP streams (named in the notes)",
                s.skipped_streams
            )?;
        }
        writeln!(out, "  redacted:       {}", s.redaction)?;
        for note in &s.notes {
            writeln!(out, "  {} {note}", palette.paint(Role::Dim, "note:"))?;
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.summary;
        write_json_value(
            out,
            &json!({
                "input": self.input,
                "output": self.output,
                "kind": s.kind.name(),
                "connections": s.connections,
                "frames": s.frames,
                "binary_frames": s.binary_frames,
                "events": s.events,
                "http_exchanges": s.http_exchanges,
                "inferred_directions": s.inferred_directions,
                "websocket_errors": s.websocket_errors,
                "gaps": s.gaps,
                "skipped_streams": s.skipped_streams,
                "span_ms": s.span_ms,
                "redacted": {
                    "jwts": s.redaction.jwts,
                    "token_fields": s.redaction.token_fields,
                    "headers": s.redaction.headers,
                    "query_params": s.redaction.query_params,
                },
                "notes": s.notes,
                "warnings": s.warnings,
            }),
        )
    }
}
