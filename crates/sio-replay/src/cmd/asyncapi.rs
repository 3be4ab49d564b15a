//! `sio-replay asyncapi`: captures (native, HAR, DevTools) → records, redacted on the way in →
//! [`sio_contract::Inference`] → an AsyncAPI 3.0 document, written pretty to `-o` or printed.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::{Value, json};
use sio_capture::import::{ImportOptions, open_file};
use sio_contract::{InferOptions, Inference};

use super::Context;
use sio_capture::writer::{OutputOptions, create_output};

use super::import::input_kind;
use super::output_error;
use crate::Outcome;
use crate::cli::{AsyncapiArgs, InputFormatArg};
use crate::print::{Palette, Report, Role, write_json_value};

/// Run `asyncapi`.
pub(crate) fn run(args: AsyncapiArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let options = InferOptions {
        enum_max: args.enum_max,
        enum_min_count: args.enum_min_count,
    };
    let mut inference = Inference::new(options);
    for path in &args.captures {
        inference.begin_source(&path.display().to_string());
        for record in records(path, args.from)? {
            inference.observe(&record?);
        }
    }
    let (frames, undecodable) = inference.frames();
    if undecodable > 0 {
        tracing::warn!(
            "{undecodable} of {frames} frames did not decode and were left out (see `sio-replay decode`)"
        );
    }
    let document = inference.document();
    match &args.output {
        None => ctx.printer.print(&Document(document))?,
        Some(path) => {
            let mut file = create_output(path, OutputOptions::default().overwrite(args.force))
                .map_err(|err| output_error("-o/--output", path, err))?;
            serde_json::to_writer_pretty(&mut file, &document)
                .map_err(io::Error::from)
                .and_then(|()| file.write_all(b"\n"))
                .with_context(|| format!("writing {}", path.display()))?;
            ctx.printer.print(&Written {
                output: path.clone(),
                document,
                frames,
                undecodable,
            })?;
        }
    }
    Ok(Outcome::Success)
}

/// The records of one input, opened as whatever it is (tokens redacted in imports; native
/// captures were redacted by their writer); an error names the file and, from the reader, the
/// line.
pub(crate) fn records(
    path: &Path,
    from: InputFormatArg,
) -> anyhow::Result<impl Iterator<Item = anyhow::Result<sio_capture::Record>>> {
    let mut options = ImportOptions::default();
    if let Some(kind) = input_kind(from) {
        options = options.kind(kind);
    }
    let name = path.display().to_string();
    let file = open_file(path, &options).with_context(|| format!("reading {name}"))?;
    let mut records = file.into_records();
    let mut warned = false;
    // Once the records are read, what the reader should know (a torn last line, import
    // warnings) goes to stderr.
    Ok(std::iter::from_fn(move || match records.next() {
        Some(record) => Some(record.with_context(|| format!("reading {name}"))),
        None => {
            if !std::mem::replace(&mut warned, true) {
                for warning in records.warnings() {
                    tracing::warn!("{name}: {warning}");
                }
            }
            None
        }
    }))
}

/// The document itself, when no `-o` is given: pretty for a person, one line in a pipe.
struct Document(Value);

impl Report for Document {
    fn write_human(&self, out: &mut dyn Write, _palette: &Palette) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &self.0).map_err(io::Error::from)?;
        writeln!(out)
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        write_json_value(out, &self.0)
    }
}

/// `1 channel`, `2 channels`.
pub(crate) fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// What `asyncapi -o` prints.
struct Written {
    output: PathBuf,
    document: Value,
    frames: u64,
    undecodable: u64,
}

impl Written {
    fn count(&self, member: &str) -> usize {
        match member {
            "messages" => self.document["components"]["messages"]
                .as_object()
                .map_or(0, |m| m.len()),
            other => self.document[other].as_object().map_or(0, |m| m.len()),
        }
    }
}

impl Report for Written {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        writeln!(
            out,
            "{} {}: {}, {}, {}, {}, from {}",
            palette.paint(Role::Good, "wrote"),
            self.output.display(),
            counted(self.count("channels") as u64, "channel"),
            counted(self.count("messages") as u64, "message"),
            counted(self.count("operations") as u64, "operation"),
            counted(self.count("servers") as u64, "server"),
            counted(self.frames, "frame"),
        )?;
        if self.undecodable > 0 {
            writeln!(
                out,
                "  {} frames did not decode and were left out",
                self.undecodable
            )?;
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        write_json_value(
            out,
            &json!({
                "output": self.output,
                "channels": self.count("channels"),
                "messages": self.count("messages"),
                "operations": self.count("operations"),
                "servers": self.count("servers"),
                "frames": self.frames,
                "undecodable_frames": self.undecodable,
            }),
        )
    }
}
