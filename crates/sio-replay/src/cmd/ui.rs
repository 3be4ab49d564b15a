//! `sio-replay ui CAPTURE…`: reads the files (any input `decode` reads), publishes their
//! records, redacted, into an observer that keeps them all, and serves the web view on
//! 127.0.0.1 ([`sio_ui::serve`]) until Ctrl-C.

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};

use anyhow::Context as _;
use serde_json::json;
use sio_capture::{Record, RedactionReport, Redactor};
use sio_ui::{Observer, UiConfig, UiServer, UiToken};

use super::Context;
use super::asyncapi::records;
use super::runtime::runtime;
use crate::Outcome;
use crate::cli::{InputFormatArg, UiArgs};
use crate::print::{Palette, Report, Role, write_json_value};

/// The history of an offline view keeps every record of its files: it is bounded by what
/// the files hold, not by this.
const OFFLINE_HISTORY_BYTES: usize = usize::MAX;

/// Run `ui`.
pub(crate) fn run(args: UiArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let observer = Observer::with_history(1, OFFLINE_HISTORY_BYTES);
    let published = publish_files(&args.captures, &observer)?;
    let token = UiToken::random();
    let title = args
        .captures
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let config = UiConfig {
        observer,
        token,
        allowed_hosts: args.allow_host.clone(),
        admin: None,
        live: false,
        title,
    };
    let server = UiServer::new(config.clone());
    let runtime = runtime()?;
    runtime.block_on(async {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("--port {}: cannot listen on {addr}", args.port))?;
        let local = listener
            .local_addr()
            .context("reading the listening address")?;
        ctx.printer.print(&Banner {
            url: server.url(local),
            files: args.captures.len(),
            records: published,
        })?;
        ctx.printer.flush()?;
        sio_ui::serve(listener, config, rt2_mock::ctrl_c_or_sigterm())
            .await
            .context("serving the web view")
    })?;
    Ok(Outcome::Success)
}

/// Publishes every record of `paths`, redacted, each file's connections numbered after the
/// previous file's; returns how many.
fn publish_files(paths: &[std::path::PathBuf], observer: &Observer) -> anyhow::Result<u64> {
    let redactor = Redactor::default();
    let mut report = RedactionReport::default();
    let mut offset = 0u32;
    let mut published = 0;
    for path in paths {
        let mut highest = 0u32;
        for record in records(path, InputFormatArg::Auto)? {
            let mut record = record?;
            if let Some(conn) = conn_of(&mut record) {
                highest = highest.max(*conn);
                *conn = conn.saturating_add(offset);
            }
            // A native capture was redacted by its writer, unless it was told not to: the
            // page never shows a token either way.
            redactor.redact_record(&mut record, &mut report);
            observer.publish(record);
            published += 1;
        }
        offset = offset.saturating_add(highest);
    }
    Ok(published)
}

fn conn_of(record: &mut Record) -> Option<&mut u32> {
    match record {
        Record::Frame(frame) => Some(&mut frame.conn),
        Record::Gap(gap) => Some(&mut gap.conn),
        Record::Conn(conn) => Some(&mut conn.conn),
        Record::Header(_) | Record::Http(_) => None,
    }
}

/// What `ui` prints before it serves.
struct Banner {
    url: String,
    files: usize,
    records: u64,
}

impl Report for Banner {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        writeln!(
            out,
            "{} {} records from {} file{}",
            palette.paint(Role::Good, "viewing"),
            self.records,
            self.files,
            if self.files == 1 { "" } else { "s" }
        )?;
        writeln!(out, "  ui: {}", palette.paint(Role::Accent, &self.url))?;
        writeln!(out, "  {}", palette.paint(Role::Dim, "stop with Ctrl-C"))
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        write_json_value(
            out,
            &json!({ "ui_url": self.url, "files": self.files, "records": self.records }),
        )
    }
}
