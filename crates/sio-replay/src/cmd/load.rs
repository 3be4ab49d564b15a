//! `sio-replay load`: flags → [`rt2_client::load::LoadConfig`] →
//! [`rt2_client::load::load`] → one report.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;

use rt2_client::load::{
    AckProbe, LoadConfig, LoadReport, Percentiles, ReplayPlan, Threshold, ThresholdCheck, load,
};
use rt2_client::session::session_token;
use rt2_client::{Endpoint, Token, probe_mock};
use rt2_mock::ctrl_c_or_sigterm;
use serde_json::json;

use sio_capture::writer::{OutputOptions, create_output};

use super::runtime::{runtime, token};
use super::{Context, output_error};
use crate::Outcome;
use crate::cli::{LoadArgs, LoadCommand, LoadMergeArgs, LoadSubcommand, ThresholdArgs};
use crate::print::{Palette, Report, Role, write_json_value};

/// Run `load` or `load merge`.
pub(crate) fn run(command: LoadCommand, ctx: &mut Context) -> anyhow::Result<Outcome> {
    match command.command {
        Some(LoadSubcommand::Merge(args)) => merge(args, ctx),
        None => run_load(command.run, ctx),
    }
}

/// `load merge`: read every report, merge, judge.
fn merge(args: LoadMergeArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let mut reports = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading report {}", path.display()))?;
        let report = LoadReport::from_file_json(&text)
            .with_context(|| format!("report {}", path.display()))?;
        reports.push((path.display().to_string(), report));
    }
    let merged = LoadReport::merge(&reports)?;
    let checks = judge(&merged, &args.thresholds);
    finish(ctx, merged, checks)
}

/// The threshold verdicts of `report`.
fn judge(report: &LoadReport, args: &ThresholdArgs) -> Vec<ThresholdCheck> {
    let thresholds = args
        .max_p99
        .map(Threshold::MaxP99)
        .into_iter()
        .chain(args.min_rate.map(Threshold::MinRate));
    thresholds.map(|t| t.check(report)).collect()
}

/// Prints the report and its verdicts; a failed threshold is exit status 1.
fn finish(
    ctx: &mut Context,
    report: LoadReport,
    checks: Vec<ThresholdCheck>,
) -> anyhow::Result<Outcome> {
    let passed = checks.iter().all(|c| c.passed);
    ctx.printer.print(&LoadSummary { report, checks })?;
    Ok(if passed {
        Outcome::Success
    } else {
        Outcome::Mismatch
    })
}

/// Run `load`.
fn run_load(args: LoadArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    // Required by clap unless `merge` is given, which does not come here.
    let url = args.url.clone().context("load needs a URL")?;
    let mut endpoint = Endpoint::new(&url);
    endpoint.room = args.room.clone();
    endpoint.namespace = args.namespace.clone();
    endpoint.token = token(&args.token)?;
    endpoint.ca = args.ca.clone();
    // Open the report file first: an existing one is refused before a long run, not after.
    let report_file = args
        .report
        .as_ref()
        .map(|path| {
            create_output(path, OutputOptions::default().overwrite(args.force))
                .map_err(|err| output_error("--report", path, err))
        })
        .transpose()?;
    let replay = args
        .replay
        .as_ref()
        .map(|path| -> anyhow::Result<_> {
            let capture = rt2_mock::Capture::open(path)
                .with_context(|| format!("--replay {}", path.display()))?;
            for warning in &capture.warnings {
                tracing::warn!("--replay {}: {warning}", path.display());
            }
            let plan = ReplayPlan::from_capture(&capture, &endpoint.namespace)
                .with_context(|| format!("--replay {}", path.display()))?;
            Ok(Arc::new(plan))
        })
        .transpose()?;
    let runtime = runtime()?;
    if endpoint.token.is_none() {
        endpoint.token = token_for_mock(&runtime, &endpoint)?;
    }
    let mut config = LoadConfig::new(endpoint, args.clients);
    config.duration = args.duration;
    config.connect_timeout = args.connect_timeout;
    config.concurrency = args.concurrency;
    config.server_pid = args.server_pid;
    config.ack_probe = args
        .ack_event
        .as_ref()
        .map(|event| AckProbe::new(event.clone(), args.ack_rate));
    config.stamps = !args.no_stamps;
    config.segment = args.segment;
    config.start_at = args
        .start_at
        .map(|ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms));
    config.replay = replay;
    let share = args
        .segment
        .map_or(args.clients, |s| s.share(args.clients).len() as u32);

    let bar = ctx.progress.bar(u64::from(share), "clients");
    let report = runtime
        .block_on(load(config, ctrl_c_or_sigterm(), |progress| {
            if progress.waiting {
                bar.set_message("waiting for --start-at");
            } else {
                bar.set_position(u64::from(progress.connected + progress.failed));
            }
            if progress.measuring {
                bar.set_message(format!("measuring: {} events", progress.events));
            }
        }))
        .with_context(|| format!("load test of {url}"))?;
    bar.finish_and_clear();
    if let (Some(mut file), Some(path)) = (report_file, &args.report) {
        serde_json::to_writer(&mut file, &report.to_file_json())
            .map_err(io::Error::from)
            .and_then(|()| file.write_all(b"\n"))
            .with_context(|| format!("writing --report {}", path.display()))?;
    }
    let checks = judge(&report, &args.thresholds);
    finish(ctx, report, checks)
}

/// The token of a run that was given none. sio-replay's mock takes a synthetic one (signed
/// with the documented test secret) when its auth mode lets it in, and the run says so; a mock
/// that accepts any connect needs none without a room to name; any other server needs a real
/// one, which is an error before any connection.
fn token_for_mock(
    runtime: &tokio::runtime::Runtime,
    endpoint: &Endpoint,
) -> anyhow::Result<Option<Token>> {
    let hint = "set SIO_TOKEN (or --token-env NAME) to a JWT for the room";
    let info = runtime.block_on(probe_mock(endpoint, Duration::from_secs(2)));
    match (info, &endpoint.room) {
        (Some(info), Some(room)) if info.synthetic_tokens => {
            tracing::warn!(
                "no token given: {} is sio-replay's mock (auth {}), so this run uses a synthetic token for room {room}",
                endpoint.url,
                info.auth
            );
            Ok(Some(Token::new(session_token(room))))
        }
        (Some(info), None) if info.auth == "any" => Ok(None),
        (Some(info), None) if info.synthetic_tokens => anyhow::bail!(
            "no token given and no --room: the synthetic token for sio-replay's mock (auth {}) names the room, e.g. --room tomato.tpos.vn",
            info.auth
        ),
        (Some(info), _) => anyhow::bail!(
            "no token given, and this mock checks signatures with a secret of its own (auth {}): {hint}",
            info.auth
        ),
        (None, _) => anyhow::bail!(
            "no token given: {hint} (only sio-replay's own mock gets a synthetic one, and {} did not answer as one)",
            endpoint.url
        ),
    }
}

/// What `load` and `load merge` print: the report and the thresholds' verdicts.
struct LoadSummary {
    report: LoadReport,
    checks: Vec<ThresholdCheck>,
}

fn percentiles_json(p: &Percentiles) -> serde_json::Value {
    json!({
        "count": p.count,
        "min": p.min_ms,
        "p50": p.p50_ms,
        "p90": p.p90_ms,
        "p99": p.p99_ms,
        "max": p.max_ms,
        "mean": p.mean_ms,
    })
}

fn percentiles_line(p: &Percentiles) -> String {
    if p.count == 0 {
        return "no samples".to_owned();
    }
    format!(
        "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples)",
        p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms, p.count
    )
}

/// A threshold as its flag reads.
fn threshold_text(threshold: Threshold) -> String {
    match threshold {
        Threshold::MaxP99(limit) => format!(
            "--max-p99 {} ms (emit-to-receive p99)",
            limit.as_secs_f64() * 1000.0
        ),
        Threshold::MinRate(rate) => format!("--min-rate {rate} events/s"),
        _ => format!("{threshold:?}"),
    }
}

fn observed_text(check: &ThresholdCheck) -> String {
    match (check.threshold, check.observed) {
        (_, None) => "no stamped events to judge by".to_owned(),
        (Threshold::MaxP99(_), Some(ms)) => format!("{ms:.2} ms"),
        (_, Some(value)) => format!("{value:.0} events/s"),
    }
}

fn segments_text(segments: &[rt2_client::load::Segment]) -> String {
    segments
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Report for LoadSummary {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        let r = &self.report;
        let good = r.failed == 0 && r.dropped == 0 && self.checks.iter().all(|c| c.passed);
        let verdict = palette.paint(if good { Role::Good } else { Role::Bad }, "load");
        writeln!(
            out,
            "{verdict} {} of {} clients connected in {:.2} s, measured {:.2} s{}",
            r.connected,
            r.clients,
            r.ramp_up.as_secs_f64(),
            r.measured.as_secs_f64(),
            if r.interrupted { " (interrupted)" } else { "" },
        )?;
        if !r.segments.is_empty() {
            writeln!(out, "  segments:      {}", segments_text(&r.segments))?;
        }
        let missing = r.missing_segments();
        if !missing.is_empty() {
            writeln!(
                out,
                "  missing:       {} (their clients are not in these figures)",
                palette.paint(Role::Bad, segments_text(&missing))
            )?;
        }
        writeln!(out, "  connect time:  {}", percentiles_line(&r.connect))?;
        writeln!(
            out,
            "  events:        {} ({:.0} events/s)",
            r.events, r.events_per_sec
        )?;
        writeln!(
            out,
            "  emit→receive:  {}",
            percentiles_line(&r.emit_to_receive)
        )?;
        if r.stamps_ahead > 0 {
            writeln!(
                out,
                "  clock skew:    {} events arrived before their send-time stamp (keep the clocks in step)",
                r.stamps_ahead
            )?;
        }
        writeln!(
            out,
            "  delivery skew: {}",
            percentiles_line(&r.delivery_skew)
        )?;
        if r.acks_sent > 0 {
            writeln!(
                out,
                "  ack round trip: {} ({} of {} acked)",
                percentiles_line(&r.ack_round_trip),
                r.acks_received,
                r.acks_sent
            )?;
        }
        if r.replay_emits > 0 {
            writeln!(out, "  replayed:      {} emits", r.replay_emits)?;
        }
        if r.dropped > 0 {
            writeln!(
                out,
                "  dropped:       {} clients lost their connection",
                r.dropped
            )?;
        }
        if let Some(error) = &r.first_error {
            writeln!(out, "  first failure: {}", palette.paint(Role::Bad, error))?;
        }
        if let (Some(before), Some(after)) = (r.server_rss_before_kib, r.server_rss_connected_kib) {
            write!(out, "  server RSS:    {before} KiB → {after} KiB")?;
            if let Some(per) = r.server_rss_per_client_bytes() {
                write!(out, " ({:.1} KiB per client)", per / 1024.0)?;
            }
            writeln!(out)?;
        }
        for check in &self.checks {
            let (role, word) = if check.passed {
                (Role::Good, "pass")
            } else {
                (Role::Bad, "FAIL")
            };
            writeln!(
                out,
                "  {} {}: {}",
                palette.paint(role, word),
                threshold_text(check.threshold),
                observed_text(check)
            )?;
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let r = &self.report;
        let checks: Vec<_> = self
            .checks
            .iter()
            .map(|c| {
                let (name, limit) = match c.threshold {
                    Threshold::MaxP99(limit) => ("max_p99_ms", limit.as_secs_f64() * 1000.0),
                    Threshold::MinRate(rate) => ("min_rate", rate),
                    _ => ("unknown", 0.0),
                };
                json!({"threshold": name, "limit": limit, "observed": c.observed, "passed": c.passed})
            })
            .collect();
        write_json_value(
            out,
            &json!({
                "segments": r.segments.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "missing_segments": r.missing_segments().iter().map(ToString::to_string).collect::<Vec<_>>(),
                "clients": r.clients,
                "connected": r.connected,
                "failed": r.failed,
                "first_error": r.first_error,
                "dropped": r.dropped,
                "interrupted": r.interrupted,
                "ramp_up_s": r.ramp_up.as_secs_f64(),
                "measured_s": r.measured.as_secs_f64(),
                "events": r.events,
                "events_per_sec": r.events_per_sec,
                "connect_ms": percentiles_json(&r.connect),
                "emit_to_receive_ms": percentiles_json(&r.emit_to_receive),
                "stamps_ahead": r.stamps_ahead,
                "delivery_skew_ms": percentiles_json(&r.delivery_skew),
                "acks_sent": r.acks_sent,
                "acks_received": r.acks_received,
                "ack_round_trip_ms": percentiles_json(&r.ack_round_trip),
                "replay_emits": r.replay_emits,
                "server_rss_before_kib": r.server_rss_before_kib,
                "server_rss_connected_kib": r.server_rss_connected_kib,
                "server_rss_per_client_bytes": r.server_rss_per_client_bytes(),
                "thresholds": checks,
            }),
        )
    }
}
