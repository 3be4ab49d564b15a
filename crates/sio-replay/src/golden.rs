//! Golden transcripts in insta's `.snap` file format, so that `cargo insta review` and
//! `cargo insta accept` work on what `check` writes.
//!
//! The format, as insta reads it (`insta/src/snapshot.rs`, `Snapshot::from_file`): a YAML
//! header between two `---` lines (we write `source` and `expression`), then the content.
//! insta compares contents with trailing whitespace trimmed and CRLF read as LF, and so do
//! we. A changed or missing golden gets its candidate written beside it as `<name>.snap.new`,
//! which is where insta puts a pending snapshot.

use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// A golden file's content, without its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Golden {
    /// The content as insta normalises it.
    pub(crate) content: String,
}

/// insta's normalisation of snapshot content: CRLF to LF, trailing whitespace trimmed.
pub(crate) fn normalize(content: &str) -> String {
    content.trim_end().replace("\r\n", "\n")
}

/// Reads `path`; `Ok(None)` when it does not exist.
pub(crate) fn read(path: &Path) -> anyhow::Result<Option<Golden>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(err).with_context(|| format!("--golden {}", path.display()));
        }
    };
    Ok(Some(Golden {
        content: normalize(strip_header(&text)),
    }))
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
            return &text[offset..];
        }
    }
    // An unterminated header: insta would read it all as metadata; there is no content.
    ""
}

/// The text of a snapshot file holding `content`.
pub(crate) fn render(source: &str, expression: &str, content: &str) -> String {
    // JSON strings are valid YAML double-quoted scalars, so quoting this way is always safe.
    let quote = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
    format!(
        "---\nsource: {}\nexpression: {}\n---\n{}\n",
        quote(source),
        quote(expression),
        normalize(content)
    )
}

/// Writes `content` to `path` as a snapshot file.
pub(crate) fn write(
    path: &Path,
    source: &str,
    expression: &str,
    content: &str,
) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, render(source, expression, content))
        .with_context(|| format!("writing {}", path.display()))
}

/// Where insta keeps a pending snapshot for `golden`: `x.snap` → `x.snap.new`.
pub(crate) fn pending_path(golden: &Path) -> PathBuf {
    let mut name = golden.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_file_format() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.snap");
        write(
            &path,
            "sio-replay check",
            "transcript of \"x\": y",
            "line 1\nline 2\n\n",
        )
        .expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            "---\nsource: \"sio-replay check\"\nexpression: \"transcript of \\\"x\\\": y\"\n---\nline 1\nline 2\n"
        );
        assert_eq!(
            read(&path).expect("read").expect("exists").content,
            "line 1\nline 2"
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
}
