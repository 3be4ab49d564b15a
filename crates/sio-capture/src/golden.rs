//! Golden snapshots in insta's `.snap` file format, so that `cargo insta review` and
//! `cargo insta accept` work on the goldens of transcripts.
//!
//! The format, as insta reads it (`insta/src/snapshot.rs`, `Snapshot::from_file`): a YAML
//! header between two `---` lines (this module writes `source` and `expression`), then the
//! content. insta compares contents with trailing whitespace trimmed and CRLF read as LF, and
//! so does [`check`]. A changed or missing golden gets its candidate written beside it as
//! `<name>.snap.new`, which is where insta puts a pending snapshot; what may be written is
//! insta's own switch, the `INSTA_UPDATE` environment variable, read as an [`InstaUpdate`].
//!
//! ```
//! use sio_capture::golden::{self, InstaUpdate, Snapshot, Verdict};
//!
//! let dir = std::env::temp_dir().join(format!("sio-capture-golden-doc-{}", std::process::id()));
//! let path = dir.join("session.snap");
//! let run = |content| Snapshot { source: "my-check", expression: "transcript of s.jsonl", content };
//!
//! // No golden yet: the run is written beside it as `session.snap.new`, for review.
//! let verdict = golden::check(&path, &run("conn 1 ↓ server: ping\n"), InstaUpdate::Auto)?;
//! assert!(matches!(verdict, Verdict::New { pending: Some(_) }));
//!
//! // Accept it (what `cargo insta accept` or `INSTA_UPDATE=always` does); then it matches.
//! golden::accept(&path, &run("conn 1 ↓ server: ping\n"))?;
//! assert!(!golden::pending_path(&path).exists());
//! assert_eq!(golden::check(&path, &run("conn 1 ↓ server: ping"), InstaUpdate::No)?, Verdict::Match);
//!
//! // A different run is a difference, shown as a unified diff.
//! let verdict = golden::check(&path, &run("conn 1 ↓ server: pong\n"), InstaUpdate::No)?;
//! assert!(verdict.diff().is_some_and(|diff| diff.contains("+conn 1 ↓ server: pong")));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::CaptureError;
use crate::junit;

/// What a run may write, as insta's `INSTA_UPDATE` environment variable says.
///
/// One difference from insta: `auto` (the default) writes a pending `.snap.new` even on CI,
/// where insta writes nothing; CI sets `INSTA_UPDATE=no` instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum InstaUpdate {
    /// `auto`, empty or unset: a changed or missing golden gets a pending `.snap.new`.
    #[default]
    Auto,
    /// `always` (or `1`): the golden is written, changed or not.
    Always,
    /// `new`: as [`InstaUpdate::Auto`].
    New,
    /// `unseen`: a missing golden is written; a changed one gets a pending `.snap.new`.
    Unseen,
    /// `no`: nothing is written (what CI sets).
    No,
    /// `force`: as [`InstaUpdate::Always`].
    Force,
}

impl InstaUpdate {
    /// The environment variable insta reads.
    pub const ENV: &'static str = "INSTA_UPDATE";

    /// Reads [`InstaUpdate::ENV`]; unset or empty is [`InstaUpdate::Auto`], as for insta.
    ///
    /// # Errors
    ///
    /// [`CaptureError::InvalidInstaUpdate`] for a value insta does not define.
    pub fn from_env() -> Result<Self, CaptureError> {
        match std::env::var_os(Self::ENV) {
            None => Ok(InstaUpdate::Auto),
            Some(value) => match value.to_str() {
                Some(value) => value.parse(),
                None => Err(CaptureError::InvalidInstaUpdate {
                    value: value.to_string_lossy().into_owned(),
                }),
            },
        }
    }

    /// The value's name, as `INSTA_UPDATE` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            InstaUpdate::Auto => "auto",
            InstaUpdate::Always => "always",
            InstaUpdate::New => "new",
            InstaUpdate::Unseen => "unseen",
            InstaUpdate::No => "no",
            InstaUpdate::Force => "force",
        }
    }
}

impl FromStr for InstaUpdate {
    type Err = CaptureError;

    /// Parses a value as insta does (`insta/src/env.rs`): the six names, `1` for `always`, and
    /// the empty string for `auto`.
    fn from_str(value: &str) -> Result<Self, CaptureError> {
        Ok(match value {
            "" | "auto" => InstaUpdate::Auto,
            "always" | "1" => InstaUpdate::Always,
            "new" => InstaUpdate::New,
            "unseen" => InstaUpdate::Unseen,
            "no" => InstaUpdate::No,
            "force" => InstaUpdate::Force,
            _ => {
                return Err(CaptureError::InvalidInstaUpdate {
                    value: value.to_owned(),
                });
            }
        })
    }
}

impl fmt::Display for InstaUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A run's result as a snapshot file holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot<'a> {
    /// The header's `source`: what wrote the snapshot (e.g. `sio-replay check`).
    pub source: &'a str,
    /// The header's `expression`: what the content is of (e.g. `transcript of s.jsonl`).
    pub expression: &'a str,
    /// The content; compared and written as [`normalize`] leaves it.
    pub content: &'a str,
}

/// How a run compares with its golden, and what [`check`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The golden holds the same content.
    Match,
    /// The golden was written with the run's content ([`InstaUpdate::Always`] or
    /// [`InstaUpdate::Force`], or [`InstaUpdate::Unseen`] for a missing golden).
    Accepted,
    /// The golden holds something else.
    Differs {
        /// A unified diff from the golden to the run.
        diff: String,
        /// The `.snap.new` written, unless [`InstaUpdate::No`].
        pending: Option<PathBuf>,
    },
    /// There is no golden yet.
    New {
        /// The `.snap.new` written, unless [`InstaUpdate::No`].
        pending: Option<PathBuf>,
    },
}

impl Verdict {
    /// True for [`Verdict::Match`] and [`Verdict::Accepted`]: nothing left to review.
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Match | Verdict::Accepted)
    }

    /// A one-word status: `match`, `accepted`, `mismatch` or `new`.
    pub fn status(&self) -> &'static str {
        match self {
            Verdict::Match => "match",
            Verdict::Accepted => "accepted",
            Verdict::Differs { .. } => "mismatch",
            Verdict::New { .. } => "new",
        }
    }

    /// The pending `.snap.new` written, if any.
    pub fn pending(&self) -> Option<&Path> {
        match self {
            Verdict::Differs { pending, .. } | Verdict::New { pending } => pending.as_deref(),
            Verdict::Match | Verdict::Accepted => None,
        }
    }

    /// The unified diff, for [`Verdict::Differs`].
    pub fn diff(&self) -> Option<&str> {
        match self {
            Verdict::Differs { diff, .. } => Some(diff),
            _ => None,
        }
    }

    /// The verdict as a JUnit failure: `None` when it [`passed`](Self::passed).
    pub fn junit_failure(&self) -> Option<junit::Failure<'_>> {
        match self {
            Verdict::Differs { diff, .. } => Some(junit::Failure {
                message: "transcript differs from the golden",
                detail: Some(diff),
            }),
            Verdict::New { .. } => Some(junit::Failure {
                message: "no golden yet",
                detail: None,
            }),
            Verdict::Match | Verdict::Accepted => None,
        }
    }
}

/// Compares `run` with the golden at `golden`, writing what `update` allows: the golden itself
/// ([`InstaUpdate::Always`], [`InstaUpdate::Force`], and [`InstaUpdate::Unseen`] when there is
/// none yet), or a pending `<golden>.new` when the run differs or is new (all but
/// [`InstaUpdate::No`]).
///
/// # Errors
///
/// [`CaptureError::File`] naming the golden or pending file that could not be read or
/// written.
pub fn check(
    golden: &Path,
    run: &Snapshot<'_>,
    update: InstaUpdate,
) -> Result<Verdict, CaptureError> {
    if matches!(update, InstaUpdate::Always | InstaUpdate::Force) {
        accept(golden, run)?;
        return Ok(Verdict::Accepted);
    }
    let actual = normalize(run.content);
    let Some(expected) = read(golden)? else {
        if update == InstaUpdate::Unseen {
            accept(golden, run)?;
            return Ok(Verdict::Accepted);
        }
        return Ok(Verdict::New {
            pending: write_pending(golden, run, update)?,
        });
    };
    if expected == actual {
        return Ok(Verdict::Match);
    }
    // Both sides end in a newline so the diff does not remark on the last line.
    let (old, new) = (format!("{expected}\n"), format!("{actual}\n"));
    let diff = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&golden.display().to_string(), "this run")
        .to_string();
    Ok(Verdict::Differs {
        diff,
        pending: write_pending(golden, run, update)?,
    })
}

/// Writes `run` as the golden at `golden` and removes a pending `.snap.new` beside it.
///
/// # Errors
///
/// [`CaptureError::File`] naming what could not be written or removed.
pub fn accept(golden: &Path, run: &Snapshot<'_>) -> Result<(), CaptureError> {
    write(golden, run)?;
    let pending = pending_path(golden);
    match std::fs::remove_file(&pending) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(CaptureError::File {
            action: "removing",
            path: pending,
            source: err,
        }),
        _ => Ok(()),
    }
}

/// Writes the pending snapshot unless `update` is [`InstaUpdate::No`].
fn write_pending(
    golden: &Path,
    run: &Snapshot<'_>,
    update: InstaUpdate,
) -> Result<Option<PathBuf>, CaptureError> {
    if update == InstaUpdate::No {
        return Ok(None);
    }
    let path = pending_path(golden);
    write(&path, run)?;
    Ok(Some(path))
}

/// insta's normalisation of snapshot content: CRLF to LF, trailing whitespace trimmed.
pub fn normalize(content: &str) -> String {
    content.trim_end().replace("\r\n", "\n")
}

/// The content of the snapshot file at `path`, without its header and [`normalize`]d;
/// `Ok(None)` when the file does not exist.
///
/// # Errors
///
/// [`CaptureError::File`] when it exists and cannot be read.
pub fn read(path: &Path) -> Result<Option<String>, CaptureError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(normalize(strip_header(&text)))),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(CaptureError::File {
            action: "reading",
            path: path.to_path_buf(),
            source: err,
        }),
    }
}

/// The content after the `---`-delimited YAML header, or the whole text when there is none.
fn strip_header(text: &str) -> &str {
    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next() else {
        return text;
    };
    if first.trim_end() != "---" {
        return text;
    }
    let mut offset = first.len();
    for line in lines {
        offset += line.len();
        if line.trim_end() == "---" {
            return text.get(offset..).unwrap_or_default();
        }
    }
    // An unterminated header: insta would read it all as metadata; there is no content.
    ""
}

/// The text of a snapshot file holding `run`.
pub fn render(run: &Snapshot<'_>) -> String {
    // JSON strings are valid YAML double-quoted scalars, so quoting this way is always safe.
    let quote = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
    format!(
        "---\nsource: {}\nexpression: {}\n---\n{}\n",
        quote(run.source),
        quote(run.expression),
        normalize(run.content)
    )
}

/// Writes `run` to `path` as a snapshot file, creating its directory.
///
/// # Errors
///
/// [`CaptureError::File`] naming the directory or file that could not be created or written,
/// [`CaptureError::OutputIsSymlink`] when `path` is a symbolic link.
pub fn write(path: &Path, run: &Snapshot<'_>) -> Result<(), CaptureError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| CaptureError::File {
            action: "creating",
            path: dir.to_path_buf(),
            source,
        })?;
    }
    // Never through a symbolic link, like every file sio-capture writes.
    let mut file = crate::writer::create_output(
        path,
        crate::writer::OutputOptions::default().overwrite(true),
    )?;
    std::io::Write::write_all(&mut file, render(run).as_bytes()).map_err(|source| {
        CaptureError::File {
            action: "writing",
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Where insta keeps a pending snapshot for `golden`: `x.snap` → `x.snap.new`.
pub fn pending_path(golden: &Path) -> PathBuf {
    let mut name = golden.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Whether `cargo insta review` can see a pending snapshot of `golden`: it looks only inside
/// the directories of the workspace's packages (checked with cargo-insta 1.49), so a golden
/// must sit below a directory whose `Cargo.toml` has a `[package]`.
pub fn reviewable_with_cargo_insta(golden: &Path) -> bool {
    let Ok(absolute) = std::path::absolute(golden) else {
        return false;
    };
    absolute.ancestors().skip(1).any(|dir| {
        std::fs::read_to_string(dir.join("Cargo.toml"))
            .is_ok_and(|manifest| manifest.lines().any(|line| line.trim() == "[package]"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(content: &str) -> Snapshot<'_> {
        Snapshot {
            source: "sio-replay check",
            expression: "transcript of \"x\": y",
            content,
        }
    }

    #[test]
    fn round_trips_through_the_file_format() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.snap");
        write(&path, &run("line 1\nline 2\n\n")).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            "---\nsource: \"sio-replay check\"\nexpression: \"transcript of \\\"x\\\": y\"\n---\nline 1\nline 2\n"
        );
        assert_eq!(
            read(&path).expect("read").as_deref(),
            Some("line 1\nline 2")
        );
    }

    #[test]
    fn reads_insta_written_files_and_headerless_text() {
        assert_eq!(
            strip_header("---\nsource: a.rs\nexpression: x\n---\nbody\n"),
            "body\n"
        );
        assert_eq!(
            strip_header("---\r\nsource: a.rs\r\n---\r\nbody\r\n"),
            "body\r\n"
        );
        assert_eq!(
            normalize(strip_header("---\r\nsource: a.rs\r\n---\r\nbody\r\n")),
            "body"
        );
        assert_eq!(strip_header("plain\n"), "plain\n");
        assert_eq!(strip_header("---\nno end"), "");
    }

    #[test]
    fn missing_golden_is_none_and_pending_path_appends_new() {
        assert!(
            read(Path::new("/nonexistent/x.snap"))
                .expect("not an error")
                .is_none()
        );
        assert_eq!(
            pending_path(Path::new("g/x.snap")),
            PathBuf::from("g/x.snap.new")
        );
    }

    #[test]
    fn a_new_golden_is_pending_and_accepting_it_makes_it_match() {
        let dir = tempfile::tempdir().expect("tempdir");
        let golden = dir.path().join("goldens/a.snap");
        let pending = pending_path(&golden);

        let verdict = check(&golden, &run("one\n"), InstaUpdate::Auto).expect("check");
        assert_eq!(
            verdict,
            Verdict::New {
                pending: Some(pending.clone())
            }
        );
        assert!(!verdict.passed());
        assert_eq!(verdict.status(), "new");
        assert_eq!(read(&pending).expect("read").as_deref(), Some("one"));
        assert!(!golden.exists());

        accept(&golden, &run("one\n")).expect("accept");
        assert!(!pending.exists(), "accepting removes the pending snapshot");
        let verdict = check(&golden, &run("one"), InstaUpdate::Auto).expect("check");
        assert_eq!(verdict, Verdict::Match);
        assert!(verdict.passed());
        assert!(!pending.exists(), "a match writes nothing");
    }

    #[test]
    fn a_difference_is_a_diff_and_a_pending_snapshot() {
        let dir = tempfile::tempdir().expect("tempdir");
        let golden = dir.path().join("a.snap");
        write(&golden, &run("same\nold\n")).expect("write");
        let verdict = check(&golden, &run("same\nnew\n"), InstaUpdate::New).expect("check");
        assert_eq!(verdict.status(), "mismatch");
        let diff = verdict.diff().expect("a diff");
        assert!(diff.contains("-old\n+new\n"), "{diff}");
        assert!(diff.contains("+++ this run"), "{diff}");
        assert_eq!(verdict.pending(), Some(pending_path(&golden).as_path()));
        assert_eq!(
            read(&golden).expect("read").as_deref(),
            Some("same\nold"),
            "the golden is left alone"
        );
        // CRLF and trailing whitespace are not differences, as for insta.
        assert_eq!(
            check(&golden, &run("same\r\nold  \n\n"), InstaUpdate::No).expect("check"),
            Verdict::Match
        );
    }

    #[test]
    fn insta_update_decides_what_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let golden = dir.path().join("a.snap");
        let pending = pending_path(&golden);

        // `no` writes nothing, new or changed.
        assert_eq!(
            check(&golden, &run("a"), InstaUpdate::No).expect("check"),
            Verdict::New { pending: None }
        );
        assert!(!pending.exists() && !golden.exists());

        // `unseen` writes a missing golden, and a pending snapshot for a changed one.
        assert_eq!(
            check(&golden, &run("a"), InstaUpdate::Unseen).expect("check"),
            Verdict::Accepted
        );
        assert_eq!(read(&golden).expect("read").as_deref(), Some("a"));
        let verdict = check(&golden, &run("b"), InstaUpdate::Unseen).expect("check");
        assert_eq!(verdict.pending(), Some(pending.as_path()));
        assert_eq!(read(&golden).expect("read").as_deref(), Some("a"));

        // `always` and `force` write the golden and clear the pending snapshot.
        for update in [InstaUpdate::Always, InstaUpdate::Force] {
            std::fs::write(&pending, "stale").expect("write");
            assert_eq!(
                check(&golden, &run("c"), update).expect("check"),
                Verdict::Accepted
            );
            assert_eq!(read(&golden).expect("read").as_deref(), Some("c"));
            assert!(!pending.exists());
        }
    }

    #[test]
    fn insta_update_parses_insta_values_and_refuses_others() {
        for (text, update) in [
            ("", InstaUpdate::Auto),
            ("auto", InstaUpdate::Auto),
            ("always", InstaUpdate::Always),
            ("1", InstaUpdate::Always),
            ("new", InstaUpdate::New),
            ("unseen", InstaUpdate::Unseen),
            ("no", InstaUpdate::No),
            ("force", InstaUpdate::Force),
        ] {
            assert_eq!(text.parse::<InstaUpdate>().expect(text), update);
        }
        for update in [
            InstaUpdate::Auto,
            InstaUpdate::Always,
            InstaUpdate::New,
            InstaUpdate::Unseen,
            InstaUpdate::No,
            InstaUpdate::Force,
        ] {
            assert_eq!(update.to_string().parse::<InstaUpdate>().ok(), Some(update));
        }
        for bad in ["yes", "0", "Always", " no", "true"] {
            let err = bad.parse::<InstaUpdate>().expect_err(bad);
            assert!(
                matches!(&err, CaptureError::InvalidInstaUpdate { value } if value == bad),
                "{err:?}"
            );
            let message = err.to_string();
            assert!(
                message.starts_with(&format!(
                    "INSTA_UPDATE={bad:?} is not one of insta's values"
                )),
                "{message}"
            );
        }
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory where the golden should be: reading it fails, and says which file.
        let golden = dir.path().join("a.snap");
        std::fs::create_dir(&golden).expect("mkdir");
        let err = check(&golden, &run("x"), InstaUpdate::No).expect_err("a directory");
        assert!(
            err.to_string()
                .starts_with(&format!("reading {}: ", golden.display())),
            "{err}"
        );
    }

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
        assert!(reviewable_with_cargo_insta(
            &crate_dir.join("goldens/a.snap")
        ));
        assert!(!reviewable_with_cargo_insta(
            &dir.path().join("captures/a.snap")
        ));
    }

    #[test]
    fn verdicts_become_junit_failures() {
        assert_eq!(Verdict::Match.junit_failure(), None);
        assert_eq!(Verdict::Accepted.junit_failure(), None);
        let new = Verdict::New { pending: None }
            .junit_failure()
            .expect("fails");
        assert_eq!((new.message, new.detail), ("no golden yet", None));
        let differs = Verdict::Differs {
            diff: "-a\n+b\n".to_owned(),
            pending: None,
        };
        let failure = differs.junit_failure().expect("fails");
        assert_eq!(failure.detail, Some("-a\n+b\n"));
    }
}
