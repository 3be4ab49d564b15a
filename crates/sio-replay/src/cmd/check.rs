//! `sio-replay check`: a transcript (of an existing capture, or of a session run now against a
//! server) compared with a golden snapshot in insta's format.
//!
//! The session is [`rt2_client::session::run_session`]: one client driven by the client
//! frames of a capture or of a script (one frame per line), against `--url` or against a mock
//! started in-process with `--serve`. The transcript is `sio-capture`'s
//! ([`render_transcript`]) with the default normalisation (sids, timestamps and ids become
//! placeholders), so only real differences show; [`golden::check`] compares it with the
//! golden and writes what `--accept` or `INSTA_UPDATE` allows.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rt2_client::Endpoint;
use rt2_client::session::{Script, Session, SessionConfig, Target, run_session};
use rt2_mock::{Capture, ctrl_c_or_sigterm};
use serde_json::json;
use sio_capture::golden::{self, InstaUpdate, Snapshot, Verdict};
use sio_capture::import::{ImportOptions, open_file};
use sio_capture::junit::{self, TestCase};
use sio_capture::noise::render_masked;
use sio_capture::normalize::NormalizeConfig;
use sio_capture::replies::Replies;
use sio_capture::transcript::{escape_control, render_file, render_transcript};
use sio_capture::writer::{OutputOptions, create_output};

use super::asyncapi::records;
use super::baseline::LiveComparison;
use super::runtime::{runtime, token};
use super::validate::{ValidateReport, borrow_cases, load_contract};
use super::{Context, output_error};
use crate::Outcome;
use crate::cli::{CheckArgs, InputFormatArg};
use crate::print::{Palette, Report, Role, write_json_value};

/// The tenant when neither `--room` nor the capture names one.
const DEFAULT_ROOM: &str = "tomato.tpos.vn";

/// What wrote the golden (its header's `source`), and the JUnit suite's name.
const SOURCE: &str = "sio-replay check";

/// Run `check`.
pub(crate) fn run(args: CheckArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    // `--accept` is `INSTA_UPDATE=always`; otherwise insta's own switch decides what may be
    // written (CI sets `no`). Read first, so that a bad value fails before a session runs.
    let update = if args.accept {
        InstaUpdate::Always
    } else {
        InstaUpdate::from_env()?
    };
    // The document too: a bad one fails before a session runs.
    let contract = args.asyncapi.as_deref().map(load_contract).transpose()?;
    let config = NormalizeConfig::default();
    let mut live: Option<LiveComparison> = None;
    let mut masked: Option<String> = None;
    let (transcript, validation, subject) = match &args.offline {
        Some(path) => {
            let flag = format!("--offline {}", path.display());
            let text = match &args.golden {
                Some(_) => {
                    let (text, warnings) =
                        render_file(path, &config).with_context(|| flag.clone())?;
                    for warning in warnings {
                        tracing::warn!("{}: {warning}", path.display());
                    }
                    Some(text)
                }
                None => None,
            };
            let validation = match &contract {
                Some(contract) => {
                    let mut validation = contract.validation();
                    validation.begin_source(&path.display().to_string());
                    for record in records(path, InputFormatArg::Auto)? {
                        validation.check(&record.with_context(|| flag.clone())?);
                    }
                    Some(validation.finish())
                }
                None => None,
            };
            (
                text,
                validation,
                format!("transcript of {}", path.display()),
            )
        }
        None => {
            let (candidate_config, subject) = session_config(&args, args.url.as_deref())?;
            let runtime = runtime()?;
            // With --baseline-runs, the reference's runs come first.
            let mut baselines = Vec::new();
            let reference = args.baseline_url.as_deref().or(args.url.as_deref());
            if let (Some(runs), Some(reference)) = (args.baseline_runs, reference) {
                for run in 1..=runs {
                    let (config, _) = session_config(&args, Some(reference))?;
                    let session = runtime
                        .block_on(run_session(config, ctrl_c_or_sigterm(), |_| {}))
                        .with_context(|| {
                            format!("baseline run {run} of {runs} against {reference}")
                        })?;
                    warn_incomplete(&session, &format!("baseline run {run}"), args.duration);
                    baselines.push(Replies::from_records(&session.records));
                }
            }
            let spinner = ctx.progress.spinner("frames");
            let session = runtime
                .block_on(run_session(
                    candidate_config,
                    ctrl_c_or_sigterm(),
                    |stats| {
                        spinner.set_position(stats.frames);
                    },
                ))
                .context("running the session")?;
            spinner.finish_and_clear();
            if session.cut_short() && args.golden.is_some() && update == InstaUpdate::Always {
                // The error says what the warning would: no need for both.
                anyhow::bail!(
                    "--duration {}: the session received {} of the {} events the mock replays; \
                     an incomplete transcript is not accepted as the golden (raise --duration)",
                    humantime::format_duration(args.duration),
                    session.summary.stats.events,
                    session.expected_events.unwrap_or_default(),
                );
            }
            warn_incomplete(&session, "the session", args.duration);
            let text = match (&args.golden, args.baseline_runs) {
                (None, _) => None,
                (Some(_), None) => Some(render_transcript(&session.records, &config)),
                // Filled in below, once the noise is known.
                (Some(_), Some(_)) => None,
            };
            if args.baseline_runs.is_some() {
                let candidate = Replies::from_records(&session.records);
                let comparison = LiveComparison::new(
                    &baselines,
                    &candidate,
                    args.golden.as_deref(),
                    reference.unwrap_or_default().to_owned(),
                    args.url.clone().unwrap_or_default(),
                )?;
                masked = args
                    .golden
                    .as_ref()
                    .map(|_| render_masked(&candidate, &comparison.noise));
                live = Some(comparison);
            }
            let validation = contract.as_ref().map(|contract| {
                let mut validation = contract.validation();
                validation.begin_source(&subject);
                for record in &session.records {
                    validation.check(record);
                }
                validation.finish()
            });
            (text.or(masked.take()), validation, subject)
        }
    };
    let golden = match (&args.golden, transcript) {
        (Some(path), Some(transcript)) => {
            let run = Snapshot {
                source: SOURCE,
                expression: &subject,
                content: &transcript,
            };
            Some(GoldenOutcome {
                verdict: golden::check(path, &run, update)?,
                reviewable: golden::reviewable_with_cargo_insta(path),
                golden: path.clone(),
            })
        }
        _ => None,
    };
    let seconds = started.elapsed().as_secs_f64();
    let report = CheckReport {
        live,
        golden,
        contract: validation.map(|report| ValidateReport {
            asyncapi: args.asyncapi.clone().unwrap_or_default(),
            report,
            seconds,
        }),
        subject,
        seconds,
    };
    if let Some(path) = &args.junit {
        create_output(path, OutputOptions::default().overwrite(true))
            .map_err(|err| output_error("--junit", path, err))?
            .write_all(report.junit().as_bytes())
            .with_context(|| format!("--junit {}", path.display()))?;
    }
    ctx.printer.print(&report)?;
    Ok(if report.passed() {
        Outcome::Success
    } else {
        Outcome::Mismatch
    })
}

/// Warns when a session is incomplete: it ran out of time before the mock's events all
/// arrived, or it ended with scripted frames unsent (a carried value never came).
fn warn_incomplete(session: &Session, which: &str, duration: Duration) {
    let summary = &session.summary;
    if session.cut_short() {
        tracing::warn!(
            "{which} stopped at --duration {} after {} of the {} events the mock replays: \
             the transcript is incomplete (raise --duration on a slow machine)",
            humantime::format_duration(duration),
            summary.stats.events,
            session.expected_events.unwrap_or_default(),
        );
    }
    if summary.unsent_frames > 0 {
        tracing::warn!(
            "{which} ended with {} scripted client frame(s) unsent: waiting for {}",
            summary.unsent_frames,
            summary.waiting_for.as_deref().unwrap_or("a carried value")
        );
    }
}

/// The flags as a session configuration against `url` (or the mock of --serve), and what is
/// being checked, in words.
fn session_config(args: &CheckArgs, url: Option<&str>) -> anyhow::Result<(SessionConfig, String)> {
    let script_file = match (&args.script, &args.scenario) {
        (Some(path), _) => Some(("--script", path)),
        (None, Some(path)) => {
            tracing::warn!(
                "check --scenario is now --script (a scenario is serve's file of server rules); \
                 the old name goes away in the next release"
            );
            Some(("--scenario", path))
        }
        (None, None) => None,
    };
    let script = match (script_file, args.capture.as_ref().or(args.serve.as_ref())) {
        (Some((flag, path)), _) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{flag} {}", path.display()))?;
            Script::parse(&text).with_context(|| format!("{flag} {}", path.display()))?
        }
        (None, Some(path)) => {
            let flag = if args.capture.is_some() {
                "--capture"
            } else {
                "--serve"
            };
            let mut reader = open_file(path, &ImportOptions::default())
                .with_context(|| format!("{flag} {}", path.display()))?
                .into_records();
            let records = reader
                .by_ref()
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("{flag} {}", path.display()))?;
            for warning in reader.warnings() {
                tracing::warn!("{flag} {}: {warning}", path.display());
            }
            Script::from_records(&records)
        }
        (None, None) => Script::new(tpos_chat::NAMESPACE),
    };
    let (target, subject) = match (&args.serve, url) {
        (Some(path), _) => {
            let capture =
                Capture::open(path).with_context(|| format!("--serve {}", path.display()))?;
            for warning in &capture.warnings {
                tracing::warn!("--serve {}: {warning}", path.display());
            }
            let room = args
                .room
                .clone()
                .or_else(|| capture.header.as_ref().and_then(|h| h.room.clone()))
                .unwrap_or_else(|| DEFAULT_ROOM.to_owned());
            let subject = format!("session against the mock serving {}", path.display());
            (
                Target::Mock {
                    capture: Arc::new(capture),
                    room,
                },
                subject,
            )
        }
        (None, Some(url)) => {
            let mut endpoint = Endpoint::new(url);
            endpoint.room = Some(args.room.clone().unwrap_or_else(|| DEFAULT_ROOM.to_owned()));
            endpoint.token = token(&args.token)?;
            (Target::Server(endpoint), format!("session against {url}"))
        }
        (None, None) => {
            anyhow::bail!("check needs --offline CAPTURE, --serve CAPTURE or --url URL")
        }
    };
    let mut config = SessionConfig::new(target, script);
    config.max_events = args.events;
    config.max_duration = args.duration;
    Ok((config, subject))
}

/// What `check` prints.
struct CheckReport {
    /// The candidate against the reference, with --baseline-runs.
    live: Option<LiveComparison>,
    /// The golden's verdict, with `--golden`.
    golden: Option<GoldenOutcome>,
    /// The contract's, with `--asyncapi`.
    contract: Option<ValidateReport>,
    subject: String,
    seconds: f64,
}

/// A transcript compared with its golden.
struct GoldenOutcome {
    /// Whether `cargo insta review` will find the pending snapshot.
    reviewable: bool,
    golden: PathBuf,
    verdict: Verdict,
}

impl CheckReport {
    fn passed(&self) -> bool {
        self.golden.as_ref().is_none_or(|g| g.verdict.passed())
            && self.live.as_ref().is_none_or(LiveComparison::passed)
            && self.contract.as_ref().is_none_or(|c| c.report.passed())
    }

    /// The JUnit XML report: one test case named after the golden, failed on a difference,
    /// and with `--asyncapi` one named after the session, failed on a violation.
    fn junit(&self) -> String {
        let name = self.golden.as_ref().map(|g| g.golden.display().to_string());
        let contract_cases = self
            .contract
            .as_ref()
            .map(ValidateReport::junit_cases)
            .unwrap_or_default();
        let mut cases = Vec::new();
        if let (Some(golden), Some(name)) = (&self.golden, &name) {
            cases.push(TestCase {
                classname: "sio-replay.check",
                name,
                seconds: self.seconds,
                failure: golden.verdict.junit_failure(),
                system_out: Some(&self.subject),
            });
        }
        let live_lines = self.live.as_ref().map(LiveComparison::lines);
        if let (Some(live), Some(lines)) = (&self.live, &live_lines) {
            cases.push(TestCase {
                classname: "sio-replay.check",
                name: &live.candidate,
                seconds: self.seconds,
                failure: (!live.passed()).then_some(junit::Failure {
                    message: "the candidate differs from the reference outside the learned noise",
                    detail: Some(lines),
                }),
                system_out: Some(&self.subject),
            });
        }
        cases.extend(borrow_cases(&contract_cases));
        junit::render(SOURCE, &cases)
    }
}

impl Report for CheckReport {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        if let Some(live) = &self.live {
            live.write_human(out, palette)?;
        }
        if let Some(golden) = &self.golden {
            golden.write_human(out, palette, &self.subject)?;
        }
        if let Some(contract) = &self.contract {
            contract.write_human(out, palette)?;
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut value = match &self.golden {
            Some(g) => json!({
                "status": g.verdict.status(),
                "golden": g.golden,
                "subject": self.subject,
                "pending": g.verdict.pending(),
                "reviewable_with_cargo_insta": g.reviewable,
                "diff": g.verdict.diff(),
                "seconds": self.seconds,
            }),
            None => json!({
                "status": if self.passed() { "ok" } else { "invalid" },
                "subject": self.subject,
                "seconds": self.seconds,
            }),
        };
        if let Some(contract) = &self.contract {
            value["contract"] = contract.json();
        }
        if let Some(live) = &self.live {
            value["live"] = live.json();
            if !live.passed() {
                value["status"] = json!("mismatch");
            }
        }
        write_json_value(out, &value)
    }
}

impl GoldenOutcome {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette, subject: &str) -> io::Result<()> {
        let golden = self.golden.display();
        match &self.verdict {
            Verdict::Match => writeln!(
                out,
                "{} {golden} ({})",
                palette.paint(Role::Good, "ok"),
                subject
            ),
            Verdict::Accepted => writeln!(
                out,
                "{} {golden} ({})",
                palette.paint(Role::Good, "accepted"),
                subject
            ),
            Verdict::New { .. } => writeln!(
                out,
                "{} {golden} does not exist yet ({})",
                palette.paint(Role::Bad, "new"),
                subject
            ),
            Verdict::Differs { diff, .. } => {
                writeln!(
                    out,
                    "{} {golden} differs from the {}",
                    palette.paint(Role::Bad, "mismatch"),
                    subject
                )?;
                for line in diff.lines() {
                    let role = if line.starts_with("+++") || line.starts_with("---") {
                        Role::Heading
                    } else if line.starts_with('+') {
                        Role::Good
                    } else if line.starts_with('-') {
                        Role::Bad
                    } else if line.starts_with("@@") {
                        Role::Accent
                    } else {
                        Role::Dim
                    };
                    writeln!(out, "{}", palette.paint(role, escape_control(line)))?;
                }
                Ok(())
            }
        }?;
        if let Some(pending) = self.verdict.pending() {
            if self.reviewable {
                writeln!(
                    out,
                    "  wrote {}: review it with `cargo insta review`, or re-run with --accept",
                    pending.display()
                )?;
            } else {
                writeln!(
                    out,
                    "  wrote {}: accept it by renaming it to {}, or re-run with --accept\n  \
                     (`cargo insta review` only looks inside a package's directory; keep goldens \
                     under a crate to use it)",
                    pending.display(),
                    self.golden.display()
                )?;
            }
        } else if !self.verdict.passed() {
            writeln!(
                out,
                "  (INSTA_UPDATE=no: nothing written) re-run with --accept to take this run as the golden"
            )?;
        }
        Ok(())
    }
}
