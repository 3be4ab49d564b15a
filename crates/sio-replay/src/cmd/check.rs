//! `sio-replay check`: a transcript (of an existing capture, or of a session run now against a
//! server) compared with a golden snapshot in insta's format.
//!
//! The session is [`rt2_mock::client::session::run_session`]: one client driven by the client
//! frames of a capture or a scenario file, against `--url` or against a mock started
//! in-process with `--serve`. The transcript is `sio-capture`'s
//! ([`render_transcript`]) with the default normalisation (sids, timestamps and ids become
//! placeholders), so only real differences show.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use rt2_mock::Capture;
use rt2_mock::client::Endpoint;
use rt2_mock::client::session::{Script, SessionConfig, Target, run_session};
use serde_json::json;
use sio_capture::import::{ImportOptions, open_file};
use sio_capture::normalize::NormalizeConfig;
use sio_capture::transcript::{render_file, render_transcript};

use super::Context;
use super::runtime::{runtime, shutdown_signal, token};
use crate::Outcome;
use crate::cli::CheckArgs;
use crate::golden;
use crate::print::{Palette, Report, Role, write_json_value};

/// The tenant when neither `--room` nor the capture names one.
const DEFAULT_ROOM: &str = "tomato.tpos.vn";

/// Run `check`.
pub(crate) fn run(args: CheckArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let started = Instant::now();
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
                .block_on(run_session(session_config, shutdown_signal(), |stats| {
                    spinner.set_position(stats.frames);
                }))
                .context("running the session")?;
            spinner.finish_and_clear();
            (render_transcript(&session.records, &config), subject)
        }
    };
    let verdict = compare(&args, &subject, &transcript)?;
    let report = CheckReport {
        reviewable: inside_a_package(&args.golden),
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
    Ok(match report.verdict {
        Verdict::Match | Verdict::Accepted => Outcome::Success,
        Verdict::Differs { .. } | Verdict::New { .. } => Outcome::Mismatch,
    })
}

/// The flags as a session configuration, and what is being checked, in words.
fn session_config(args: &CheckArgs) -> anyhow::Result<(SessionConfig, String)> {
    let script = match (
        &args.scenario,
        args.capture.as_ref().or(args.serve.as_ref()),
    ) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--scenario {}", path.display()))?;
            Script::parse_scenario(&text)
                .with_context(|| format!("--scenario {}", path.display()))?
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
        (None, None) => Script::new("/chatomni"),
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

/// How the transcript compares with the golden.
enum Verdict {
    /// Equal.
    Match,
    /// `--accept` (or `INSTA_UPDATE=always`) wrote the golden.
    Accepted,
    /// Different; `pending` is the `.snap.new` written, if any.
    Differs {
        diff: String,
        pending: Option<PathBuf>,
    },
    /// No golden yet.
    New { pending: Option<PathBuf> },
}

fn compare(args: &CheckArgs, subject: &str, transcript: &str) -> anyhow::Result<Verdict> {
    // insta's own switch: `always` accepts, `no` never writes (what CI sets).
    let update = std::env::var("INSTA_UPDATE").unwrap_or_default();
    let source = "sio-replay check";
    if args.accept || update == "always" {
        golden::write(&args.golden, source, subject, transcript)?;
        let pending = golden::pending_path(&args.golden);
        if pending.exists() {
            std::fs::remove_file(&pending)
                .with_context(|| format!("removing {}", pending.display()))?;
        }
        return Ok(Verdict::Accepted);
    }
    let actual = golden::normalize(transcript);
    let existing = golden::read(&args.golden)?;
    if existing.as_ref().is_some_and(|g| g.content == actual) {
        return Ok(Verdict::Match);
    }
    let pending = if update == "no" {
        None
    } else {
        let path = golden::pending_path(&args.golden);
        golden::write(&path, source, subject, transcript)?;
        Some(path)
    };
    Ok(match existing {
        None => Verdict::New { pending },
        Some(golden) => {
            // Both sides end in a newline so the diff does not remark on the last line.
            let (old, new) = (format!("{}\n", golden.content), format!("{actual}\n"));
            let diff = similar::TextDiff::from_lines(&old, &new)
                .unified_diff()
                .context_radius(3)
                .header(&args.golden.display().to_string(), "this run")
                .to_string();
            Verdict::Differs { diff, pending }
        }
    })
}

/// Whether `cargo insta review` can see `golden`: it looks for pending snapshots only inside
/// the directories of the workspace's packages (checked with cargo-insta 1.49), so a golden
/// must sit below a directory whose `Cargo.toml` has a `[package]`.
fn inside_a_package(golden: &Path) -> bool {
    let Ok(absolute) = std::path::absolute(golden) else {
        return false;
    };
    absolute.ancestors().skip(1).any(|dir| {
        std::fs::read_to_string(dir.join("Cargo.toml"))
            .is_ok_and(|manifest| manifest.lines().any(|line| line.trim() == "[package]"))
    })
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
    fn status(&self) -> &'static str {
        match self.verdict {
            Verdict::Match => "match",
            Verdict::Accepted => "accepted",
            Verdict::Differs { .. } => "mismatch",
            Verdict::New { .. } => "new",
        }
    }

    fn pending(&self) -> Option<&Path> {
        match &self.verdict {
            Verdict::Differs { pending, .. } | Verdict::New { pending } => pending.as_deref(),
            _ => None,
        }
    }

    fn diff(&self) -> Option<&str> {
        match &self.verdict {
            Verdict::Differs { diff, .. } => Some(diff),
            _ => None,
        }
    }

    /// A JUnit XML report with one test case, failed on a difference.
    fn junit(&self) -> String {
        let name = xml_escape(&self.golden.display().to_string());
        let failed = u8::from(matches!(
            self.verdict,
            Verdict::Differs { .. } | Verdict::New { .. }
        ));
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"1\" failures=\"{failed}\" time=\"{:.3}\">\n  <testsuite name=\"sio-replay check\" tests=\"1\" failures=\"{failed}\" time=\"{:.3}\">\n    <testcase classname=\"sio-replay.check\" name=\"{name}\" time=\"{:.3}\">\n",
            self.seconds, self.seconds, self.seconds
        );
        match &self.verdict {
            Verdict::Differs { diff, .. } => xml.push_str(&format!(
                "      <failure message=\"transcript differs from the golden\">{}</failure>\n",
                xml_escape(diff)
            )),
            Verdict::New { .. } => xml.push_str("      <failure message=\"no golden yet\"/>\n"),
            _ => {}
        }
        xml.push_str(&format!(
            "      <system-out>{}</system-out>\n    </testcase>\n  </testsuite>\n</testsuites>\n",
            xml_escape(&self.subject)
        ));
        xml
    }
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
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
        if let Some(pending) = self.pending() {
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
        } else if !matches!(self.verdict, Verdict::Match | Verdict::Accepted) {
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
                "status": self.status(),
                "golden": self.golden,
                "subject": self.subject,
                "pending": self.pending(),
                "reviewable_with_cargo_insta": self.reviewable,
                "diff": self.diff(),
                "seconds": self.seconds,
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goldens_are_reviewable_only_inside_a_package() {
        let dir = tempfile::tempdir().expect("tempdir");
        let crate_dir = dir.path().join("crates/demo");
        std::fs::create_dir_all(crate_dir.join("goldens")).expect("mkdir");
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/*\"]\n",
        )
        .expect("write workspace manifest");
        std::fs::write(crate_dir.join("Cargo.toml"), "[package]\nname = \"demo\"\n")
            .expect("write");
        assert!(inside_a_package(&crate_dir.join("goldens/a.snap")));
        assert!(!inside_a_package(&dir.path().join("captures/a.snap")));
    }

    #[test]
    fn junit_escapes_the_diff_and_counts_the_failure() {
        let report = CheckReport {
            reviewable: true,
            golden: PathBuf::from("g<1>.snap"),
            subject: "transcript of x & y".to_owned(),
            verdict: Verdict::Differs {
                diff: "-\"a\"\n+'b'\u{1}\n".to_owned(),
                pending: None,
            },
            seconds: 0.5,
        };
        let xml = report.junit();
        assert!(xml.contains(r#"name="g&lt;1&gt;.snap""#), "{xml}");
        assert!(
            xml.contains("-&quot;a&quot;\n+&apos;b&apos;\u{FFFD}"),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testsuites tests="1" failures="1""#),
            "{xml}"
        );
        assert!(
            xml.contains("<system-out>transcript of x &amp; y</system-out>"),
            "{xml}"
        );
    }
}
