//! The crate's one error type, [`CaptureError`], and the reasons a capture line can be bad.

use std::fmt;

/// Everything that can go wrong reading, writing or importing a capture.
///
/// Errors about the content of a file always say where: a line number for native captures and
/// text logs, a JSON path such as `log.entries[3]._webSocketMessages[2].opcode` for HAR files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Reading or writing the underlying stream failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// One line of a native capture is unusable.
    #[error("line {line}: {kind}")]
    Line {
        /// 1-based line number in the capture.
        line: u64,
        /// What is wrong with it.
        kind: LineErrorKind,
    },
    /// An input given to an importer is not what the importer expected.
    #[error("{0}")]
    Import(#[from] ImportError),
    /// A normalisation rule or JSON path does not parse.
    #[error("invalid normalisation rule {rule:?}: {message}")]
    InvalidRule {
        /// The rule or path as given.
        rule: String,
        /// What is wrong, with the byte offset.
        message: String,
    },
    /// A writer was asked to write a second header record.
    #[error("a capture has exactly one header record and it was already written")]
    HeaderAlreadyWritten,
    /// A named file (a golden snapshot, its pending `.snap.new`) could not be read, written,
    /// created or removed.
    #[error("{action} {}: {source}", path.display())]
    File {
        /// What was being done: `reading`, `writing`, `creating`, `removing`.
        action: &'static str,
        /// The file or directory.
        path: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// `INSTA_UPDATE` holds a value insta does not define.
    #[error(
        "INSTA_UPDATE={value:?} is not one of insta's values: auto, always (or 1), new, unseen, no, force"
    )]
    InvalidInstaUpdate {
        /// The value found (lossily decoded when it is not UTF-8).
        value: String,
    },
    /// An output path is a symbolic link: writers never follow one, so a link planted where a
    /// capture is written cannot redirect it onto another file.
    #[error(
        "it is a symbolic link, and output files are never written through one (write to the \
         file it points to, or remove the link)"
    )]
    OutputIsSymlink,
    /// A noise file ([`crate::noise`]) is not JSON of the noise file's shape.
    #[error("not a usable noise file: {message}")]
    NoiseFile {
        /// What is wrong, with the line and column when the JSON itself is bad.
        message: String,
    },
    /// An output file exists and replacing it was not asked for
    /// ([`OutputOptions::overwrite`](crate::writer::OutputOptions::overwrite)).
    #[error("the file exists")]
    OutputExists,
}

impl CaptureError {
    /// The 1-based line number the error is about, when it is about one line.
    pub fn line(&self) -> Option<u64> {
        match self {
            CaptureError::Line { line, .. } => Some(*line),
            CaptureError::Import(e) => match e.location {
                ImportLocation::Line(line) => Some(line),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Why one line of a native capture could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineErrorKind {
    /// The line is not valid JSON.
    InvalidJson {
        /// serde_json's description, with the column.
        message: String,
        /// True when this was the last line and it had no newline: a writer stopped mid-line.
        /// [`CaptureReader`](crate::CaptureReader) does not yield such a line as an error but
        /// skips it and reports it ([`CaptureReader::torn_last_line`](crate::CaptureReader::torn_last_line)).
        truncated: bool,
    },
    /// The line is not valid UTF-8.
    InvalidUtf8 {
        /// Byte offset of the first invalid byte within the line.
        offset: usize,
    },
    /// The line is JSON but not an object with a string `type` field.
    MissingType,
    /// The `type` field names no record type this reader knows.
    UnknownRecordType {
        /// The `type` found.
        found: String,
    },
    /// A frame's `from` is neither `client` nor `server`.
    UnknownDirection {
        /// The `from` found.
        found: String,
    },
    /// A frame's `kind` is neither `text` nor `binary`.
    UnknownFrameKind {
        /// The `kind` found.
        found: String,
    },
    /// A record of a known type is missing a field or has one of the wrong type.
    InvalidRecord {
        /// The record's `type`.
        record_type: String,
        /// serde_json's description (names the field).
        message: String,
    },
    /// A binary frame's `data` is not valid standard base64.
    BadBase64 {
        /// What the base64 decoder said (names the offending byte offset).
        message: String,
    },
    /// The first record is not a header.
    MissingHeader {
        /// The `type` of the record found instead.
        found: String,
    },
    /// A header record after the first line.
    DuplicateHeader,
    /// The header's `format` is not [`crate::FORMAT_NAME`].
    WrongFormat {
        /// The `format` found.
        found: String,
    },
    /// The header's `version` is newer than this reader understands.
    UnsupportedVersion {
        /// The version in the file.
        found: u64,
        /// The newest version this reader reads.
        supported: u32,
    },
    /// The line is longer than the reader's limit.
    LineTooLong {
        /// The limit in bytes.
        max: usize,
    },
}

impl fmt::Display for LineErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineErrorKind::InvalidJson { message, truncated } => {
                write!(f, "invalid JSON: {message}")?;
                if *truncated {
                    f.write_str(" (the last line has no newline: the writer was probably stopped mid-record)")?;
                }
                Ok(())
            }
            LineErrorKind::InvalidUtf8 { offset } => {
                write!(f, "invalid UTF-8 at byte {offset} of the line")
            }
            LineErrorKind::MissingType => {
                f.write_str("expected a JSON object with a string `type` field")
            }
            LineErrorKind::UnknownRecordType { found } => write!(
                f,
                "unknown record type `{found}` (expected one of header, frame, http, gap)"
            ),
            LineErrorKind::UnknownDirection { found } => write!(
                f,
                "unknown frame direction `from: {found}` (expected client or server)"
            ),
            LineErrorKind::UnknownFrameKind { found } => write!(
                f,
                "unknown frame kind `kind: {found}` (expected text or binary)"
            ),
            LineErrorKind::InvalidRecord {
                record_type,
                message,
            } => write!(f, "invalid `{record_type}` record: {message}"),
            LineErrorKind::BadBase64 { message } => {
                write!(f, "binary frame `data` is not valid base64: {message}")
            }
            LineErrorKind::MissingHeader { found } => write!(
                f,
                "expected a header record first, found a `{found}` record (is this a sio-replay capture? import HAR or DevTools logs with `sio-replay import`)"
            ),
            LineErrorKind::DuplicateHeader => {
                f.write_str("a second header record (a capture has exactly one, on its first line)")
            }
            LineErrorKind::WrongFormat { found } => write!(
                f,
                "header `format` is `{found}`, expected `{}`",
                crate::FORMAT_NAME
            ),
            LineErrorKind::UnsupportedVersion { found, supported } => write!(
                f,
                "capture format version {found} is newer than this reader supports (versions 1 to {supported}); upgrade sio-replay to read it"
            ),
            LineErrorKind::LineTooLong { max } => {
                write!(f, "line longer than the limit of {max} bytes")
            }
        }
    }
}

/// Where in an imported input an [`ImportError`] was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportLocation {
    /// A 1-based line of a text input.
    Line(u64),
    /// A JSON path into a HAR document, e.g. `log.entries[3]._webSocketMessages[2].opcode`,
    /// with the line and column serde_json reported.
    JsonPath {
        /// The path from the document root.
        path: String,
        /// 1-based line in the file (0 when unknown).
        line: usize,
        /// 1-based column in the file (0 when unknown).
        column: usize,
    },
    /// A packet of a pcap or pcapng file: its 1-based number (Wireshark's `No.`) and the
    /// byte offset of its record or block in the file.
    Packet {
        /// 1-based packet number.
        number: u64,
        /// Byte offset in the file.
        offset: u64,
    },
    /// The input as a whole (e.g. it is empty).
    Input,
}

impl fmt::Display for ImportLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportLocation::Line(line) => write!(f, "line {line}"),
            ImportLocation::JsonPath { path, line, column } => {
                if *line > 0 {
                    write!(f, "{path} (line {line}, column {column})")
                } else {
                    f.write_str(path)
                }
            }
            ImportLocation::Packet { number, offset } => {
                write!(f, "packet {number} (byte offset {offset})")
            }
            ImportLocation::Input => f.write_str("the input"),
        }
    }
}

/// An importer could not read its input: what it expected, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format} import failed at {location}: {message}")]
pub struct ImportError {
    /// What the input was read as, e.g. `HAR` or `DevTools text`.
    pub format: &'static str,
    /// Where in the input.
    pub location: ImportLocation,
    /// What was expected and what was found.
    pub message: String,
}
