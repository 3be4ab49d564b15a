//! `sio-replay validate`: a document read back as a [`sio_contract::Contract`], and every frame
//! of the captures checked against it ([`sio_contract::Validation`]); violations printed, and
//! optionally a JUnit report with one test case per capture.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use serde_json::json;
use sio_capture::junit::{self, Failure, TestCase};
use sio_contract::{Contract, ValidationReport, Violation};

use super::Context;
use super::asyncapi::{counted, records};
use crate::Outcome;
use crate::cli::ValidateArgs;
use crate::print::{Palette, Report, Role, write_json_value};

/// The JUnit suite's name.
const SUITE: &str = "sio-replay validate";

/// Run `validate`.
pub(crate) fn run(args: ValidateArgs, ctx: &mut Context) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let contract = load_contract(&args.asyncapi)?;
    let mut validation = contract.validation();
    for path in &args.captures {
        validation.begin_source(&path.display().to_string());
        for record in records(path, args.from)? {
            validation.check(&record?);
        }
    }
    let report = ValidateReport {
        asyncapi: args.asyncapi.clone(),
        report: validation.finish(),
        seconds: started.elapsed().as_secs_f64(),
    };
    if let Some(path) = &args.junit {
        let cases = report.junit_cases();
        std::fs::write(path, junit::render(SUITE, &borrow_cases(&cases)))
            .with_context(|| format!("--junit {}", path.display()))?;
    }
    ctx.printer.print(&report)?;
    Ok(if report.report.passed() {
        Outcome::Success
    } else {
        Outcome::Mismatch
    })
}

/// Reads `--asyncapi FILE` as a contract; errors name the flag and the file.
pub(crate) fn load_contract(path: &Path) -> anyhow::Result<Contract> {
    let name = format!("--asyncapi {}", path.display());
    let text = std::fs::read_to_string(path).with_context(|| name.clone())?;
    Contract::from_json(&text).with_context(|| name)
}

/// One JUnit test case, owned: its name, and its failure message and detail if it failed.
pub(crate) struct OwnedCase {
    name: String,
    seconds: f64,
    failure: Option<(String, String)>,
}

/// The cases as [`junit::render`] takes them.
pub(crate) fn borrow_cases(cases: &[OwnedCase]) -> Vec<TestCase<'_>> {
    cases
        .iter()
        .map(|case| TestCase {
            classname: "sio-replay.validate",
            name: &case.name,
            seconds: case.seconds,
            failure: case.failure.as_ref().map(|(message, detail)| Failure {
                message,
                detail: Some(detail),
            }),
            system_out: None,
        })
        .collect()
}

/// What `validate` prints, and `check --asyncapi` after its golden.
pub(crate) struct ValidateReport {
    pub(crate) asyncapi: PathBuf,
    pub(crate) report: ValidationReport,
    pub(crate) seconds: f64,
}

/// One violation on one line: where, then the rule and why.
fn line(v: &Violation) -> String {
    if v.frame == 0 {
        return format!(
            "header (handshake URL) {}: {}: {}",
            v.path, v.rule, v.message
        );
    }
    let mut what = format!("conn {}, {}", v.conn, v.from);
    if let Some(ns) = &v.namespace {
        what.push(' ');
        what.push_str(ns);
    }
    if let Some(event) = &v.event {
        what.push(' ');
        what.push_str(event);
    }
    format!(
        "frame {} ({what}) {}: {}: {}",
        v.frame, v.path, v.rule, v.message
    )
}

impl ValidateReport {
    /// One test case per capture, failed when any of its frames broke the contract.
    pub(crate) fn junit_cases(&self) -> Vec<OwnedCase> {
        let share = self.seconds / self.report.sources.len().max(1) as f64;
        self.report
            .sources
            .iter()
            .map(|source| {
                let lines: Vec<String> = self
                    .report
                    .violations
                    .iter()
                    .filter(|v| &v.source == source)
                    .map(line)
                    .collect();
                let failure = (!lines.is_empty()).then(|| {
                    (
                        format!(
                            "{} of {}",
                            counted(lines.len() as u64, "violation"),
                            self.asyncapi.display()
                        ),
                        lines.join("\n"),
                    )
                });
                OwnedCase {
                    name: source.clone(),
                    seconds: share,
                    failure,
                }
            })
            .collect()
    }

    /// The report as one JSON value.
    pub(crate) fn json(&self) -> serde_json::Value {
        let r = &self.report;
        json!({
            "status": if r.passed() { "ok" } else { "invalid" },
            "asyncapi": self.asyncapi,
            "sources": r.sources,
            "frames": r.frames,
            "events": r.events,
            "violations": r.violations,
            "seconds": self.seconds,
        })
    }
}

impl Report for ValidateReport {
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()> {
        let r = &self.report;
        let scope = format!(
            "{}, {} and acks checked against {}",
            counted(r.frames, "frame"),
            counted(r.events, "event"),
            self.asyncapi.display()
        );
        if r.passed() {
            return writeln!(
                out,
                "{} {} ({scope})",
                palette.paint(Role::Good, "ok"),
                r.sources.join(", ")
            );
        }
        writeln!(
            out,
            "{} {} in {} ({scope})",
            palette.paint(Role::Bad, "invalid"),
            counted(r.violations.len() as u64, "violation"),
            r.sources.join(", ")
        )?;
        let several = r.sources.len() > 1;
        for v in &r.violations {
            let text = line(v);
            if several {
                writeln!(out, "  {}: {text}", v.source)?;
            } else {
                writeln!(out, "  {text}")?;
            }
        }
        Ok(())
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        write_json_value(out, &self.json())
    }
}
