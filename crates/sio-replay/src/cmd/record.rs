//! `sio-replay record`: flags → [`rt2_client::record::RecordConfig`] →
//! [`rt2_client::record::record`] → a summary.

use std::io::{self, Write};

use rt2_client::record::{RecordConfig, RecordSummary, StopReason, record};
use rt2_client::{ClientError, Endpoint};
use rt2_mock::ctrl_c_or_sigterm;
use serde_json::json;
use sio_capture::CaptureError;

use super::runtime::{runtime, token};
use super::{Context, output_error};
use crate::Outcome;
use crate::cli::RecordArgs;
use crate::print::{Palette, Report, Role, write_json_value};

/// Run `record`.
pub(crate) fn run(args: RecordArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let mut endpoint = Endpoint::new(&args.url);
    endpoint.room = args.room.clone();
    endpoint.namespace = args.namespace.clone();
    endpoint.token = token(&args.token)?;
    endpoint.ca = args.ca.clone();
    if endpoint.token.is_none() {
        tracing::warn!(
            "no token: set SIO_TOKEN or use --token-env NAME (rt-2 refuses clients without one)"
        );
    }
    let mut config = RecordConfig::new(endpoint, &args.output);
    // The file is created before dialling, never through a symbolic link, `0600` with
    // --no-redact; an existing one is refused without --force.
    config.overwrite = args.force;
    config.max_events = args.events;
    config.max_duration = args.duration;
    config.http_get = args.http_get.clone();
    config.max_reconnects = args.max_reconnects;
    config.redact = !args.no_redact;

    let spinner = ctx.progress.spinner("frames");
    let summary = runtime()?
        .block_on(record(config, ctrl_c_or_sigterm(), |stats| {
            spinner.set_position(stats.frames);
            spinner.set_message(format!(
                "{} events, {} connections",
                stats.events, stats.connections
            ));
        }))
        .map_err(|err| match err {
            ClientError::Capture {
                source: source @ (CaptureError::OutputExists | CaptureError::OutputIsSymlink),
                ..
            } => output_error("-o/--output", &args.output, source),
            other => anyhow::Error::new(other).context(format!(
                "recording {} into {}",
                args.url,
                args.output.display()
            )),
        })?;
    spinner.finish_and_clear();
    ctx.printer.print(&RecordReport(summary))?;
    Ok(Outcome::Success)
}

/// What a finished recording reports.
struct RecordReport(RecordSummary);

fn stop_reason(reason: StopReason) -> &'static str {
    match reason {
        StopReason::Events => "events",
        StopReason::Duration => "duration",
        StopReason::Shutdown => "signal",
        StopReason::ConnectionLost => "connection-lost",
        _ => "other",
    }
}

impl Report for RecordReport {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        let s = &self.0;
        writeln!(
            out,
            "{} {} frames ({} events) from {} connection(s), {} gap(s), {} HTTP exchange(s) in {:.1} s",
            palette.paint(Role::Good, "recorded"),
            s.stats.frames,
            s.stats.events,
            s.stats.connections,
            s.stats.gaps,
            s.stats.http_exchanges,
            s.elapsed.as_secs_f64(),
        )?;
        writeln!(
            out,
            "  capture:  {}",
            palette.paint(Role::Accent, s.output.display())
        )?;
        writeln!(out, "  stopped:  {}", stop_reason(s.stopped_by))?;
        writeln!(out, "  redacted: {}", s.redaction)
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let s = &self.0;
        write_json_value(
            out,
            &json!({
                "output": s.output,
                "frames": s.stats.frames,
                "events": s.stats.events,
                "connections": s.stats.connections,
                "gaps": s.stats.gaps,
                "http_exchanges": s.stats.http_exchanges,
                "elapsed_s": s.elapsed.as_secs_f64(),
                "stopped_by": stop_reason(s.stopped_by),
                "redacted": {
                    "jwts": s.redaction.jwts,
                    "token_fields": s.redaction.token_fields,
                    "headers": s.redaction.headers,
                    "query_params": s.redaction.query_params,
                },
            }),
        )
    }
}
