//! `sio-replay load`: flags → [`rt2_client::load::LoadConfig`] →
//! [`rt2_client::load::load`] → one report.

use std::io::{self, Write};

use anyhow::Context as _;
use std::time::Duration;

use rt2_client::load::{AckProbe, LoadConfig, LoadReport, Percentiles, load};
use rt2_client::session::session_token;
use rt2_client::{Endpoint, Token, probe_mock};
use rt2_mock::ctrl_c_or_sigterm;
use serde_json::json;

use super::Context;
use super::runtime::{runtime, token};
use crate::Outcome;
use crate::cli::LoadArgs;
use crate::print::{Palette, Report, Role, write_json_value};

/// Run `load`.
pub(crate) fn run(args: LoadArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let mut endpoint = Endpoint::new(&args.url);
    endpoint.room = args.room.clone();
    endpoint.namespace = args.namespace.clone();
    endpoint.token = token(&args.token)?;
    endpoint.ca = args.ca.clone();
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

    let bar = ctx.progress.bar(u64::from(args.clients), "clients");
    let report = runtime
        .block_on(load(config, ctrl_c_or_sigterm(), |progress| {
            bar.set_position(u64::from(progress.connected + progress.failed));
            if progress.measuring {
                bar.set_message(format!("measuring: {} events", progress.events));
            }
        }))
        .with_context(|| format!("load test of {}", args.url))?;
    bar.finish_and_clear();
    ctx.printer.print(&LoadSummary(report))?;
    Ok(Outcome::Success)
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

/// What `load` prints.
struct LoadSummary(LoadReport);

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

impl Report for LoadSummary {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        let r = &self.0;
        let verdict = if r.failed == 0 && r.dropped == 0 {
            palette.paint(Role::Good, "load")
        } else {
            palette.paint(Role::Bad, "load")
        };
        writeln!(
            out,
            "{verdict} {} of {} clients connected in {:.2} s, measured {:.2} s{}",
            r.connected,
            r.clients,
            r.ramp_up.as_secs_f64(),
            r.measured.as_secs_f64(),
            if r.interrupted { " (interrupted)" } else { "" },
        )?;
        writeln!(out, "  connect time:  {}", percentiles_line(&r.connect))?;
        writeln!(
            out,
            "  events:        {} ({:.0} events/s)",
            r.events, r.events_per_sec
        )?;
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
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let r = &self.0;
        write_json_value(
            out,
            &json!({
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
                "delivery_skew_ms": percentiles_json(&r.delivery_skew),
                "acks_sent": r.acks_sent,
                "acks_received": r.acks_received,
                "ack_round_trip_ms": percentiles_json(&r.ack_round_trip),
                "server_rss_before_kib": r.server_rss_before_kib,
                "server_rss_connected_kib": r.server_rss_connected_kib,
                "server_rss_per_client_bytes": r.server_rss_per_client_bytes(),
            }),
        )
    }
}
