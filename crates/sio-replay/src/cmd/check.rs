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
use std::time::Instant;

use anyhow::Context as _;
use rt2_client::Endpoint;
use rt2_client::session::{Script, SessionConfig, Target, run_session};
use rt2_mock::{Capture, ctrl_c_or_sigterm};
use serde_json::json;
use sio_capture::golden::{self, InstaUpdate, Snapshot, Verdict};
use sio_capture::import::{ImportOptions, open_file};
use sio_capture::junit::{self, TestCase};
use sio_capture::normalize::NormalizeConfig;
use sio_capture::transcript::{render_file, render_transcript};

use super::Context;
use super::runtime::{runtime, token};
use crate::Outcome;
use crate::cli::CheckArgs;
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
    let config = NormalizeConfig::default();
    let (transcript, subject) = match &args.offline {
        Some(path) => {
            let text = render_file(path, &config)
                .with_context(|| format!("--offline {}", path.display()))?;
            (text, format!("transcript of {}", path.display()))
        }
        None => {
            let (session_config, subject) = session_config(&args)?;
            let spinner = ctx.progress.spinner("frames");
            let session = runtime()?
                .block_on(run_session(session_config, ctrl_c_or_sigterm(), |stats| {
                    spinner.set_position(stats.frames);
                }))
                .context("running the session")?;
            spinner.finish_and_clear();
            (render_transcript(&session.records, &config), subject)
        }
    };
    let run = Snapshot {
        source: SOURCE,
        expression: &subject,
        content: &transcript,
    };
    let verdict = golden::check(&args.golden, &run, update)?;
    let report = CheckReport {
        reviewable: golden::reviewable_with_cargo_insta(&args.golden),
        golden: args.golden.clone(),
        subject,
        verdict,
        seconds: started.elapsed().as_secs_f64(),
    };
    if let Some(path) = &args.junit {
        std::fs::write(path, report.junit())
            .with_context(|| format!("--junit {}", path.display()))?;
    }
    ctx.printer.print(&report)?;
    Ok(if report.verdict.passed() {
        Outcome::Success
    } else {
        Outcome::Mismatch
    })
}

/// The flags as a session configuration, and what is being checked, in words.
fn session_config(args: &CheckArgs) -> anyhow::Result<(SessionConfig, String)> {
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
            let records = open_file(path, &ImportOptions::default())
                .and_then(|file| file.into_records().collect::<Result<Vec<_>, _>>())
                .with_context(|| format!("{flag} {}", path.display()))?;
            Script::from_records(&records)
        }
        (None, None) => Script::new(tpos_chat::NAMESPACE),
    };
    let (target, subject) = match (&args.serve, &args.url) {
        (Some(path), _) => {
            let capture =
                Capture::open(path).with_context(|| format!("--serve {}", path.display()))?;
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
    /// Whether `cargo insta review` will find the pending snapshot.
    reviewable: bool,
    golden: PathBuf,
    subject: String,
    verdict: Verdict,
    seconds: f64,
}

impl CheckReport {
    /// The JUnit XML report: one test case, named after the golden, failed on a difference.
    fn junit(&self) -> String {
        let name = self.golden.display().to_string();
        junit::render(
            SOURCE,
            &[TestCase {
                classname: "sio-replay.check",
                name: &name,
                seconds: self.seconds,
                failure: self.verdict.junit_failure(),
                system_out: Some(&self.subject),
            }],
        )
    }
}

impl Report for CheckReport {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        let golden = self.golden.display();
        match &self.verdict {
            Verdict::Match => writeln!(
                out,
                "{} {golden} ({})",
                palette.paint(Role::Good, "ok"),
                self.subject
            ),
            Verdict::Accepted => writeln!(
                out,
                "{} {golden} ({})",
                palette.paint(Role::Good, "accepted"),
                self.subject
            ),
            Verdict::New { .. } => writeln!(
                out,
                "{} {golden} does not exist yet ({})",
                palette.paint(Role::Bad, "new"),
                self.subject
            ),
            Verdict::Differs { diff, .. } => {
                writeln!(
                    out,
                    "{} {golden} differs from the {}",
                    palette.paint(Role::Bad, "mismatch"),
                    self.subject
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
                    writeln!(out, "{}", palette.paint(role, line))?;
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

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        write_json_value(
            out,
            &json!({
                "status": self.verdict.status(),
                "golden": self.golden,
                "subject": self.subject,
                "pending": self.verdict.pending(),
                "reviewable_with_cargo_insta": self.reviewable,
                "diff": self.verdict.diff(),
                "seconds": self.seconds,
            }),
        )
    }
}
