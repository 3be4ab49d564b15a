//! [`CaptureReader`]: a streaming, line-numbered reader of native captures.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind};
use std::path::Path;

use base64::Engine as _;

use crate::error::{CaptureError, LineErrorKind};
use crate::record::{
    ConnRecord, FORMAT_NAME, FORMAT_VERSION, FrameKind, FrameRecord, GapRecord, Header, HttpRecord,
    Record,
};

/// The default longest line a reader accepts: far above any real frame, low enough that a
/// corrupt file without newlines cannot exhaust memory.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// How many skipped-line errors a lenient reader keeps for its report (it counts them all).
const KEPT_PROBLEMS: usize = 100;

/// Reads a native capture one line at a time, as an iterator of records.
///
/// Memory stays constant however long the capture is: one line buffer and one base64 scratch
/// buffer are reused for every line. Blank lines are ignored. Every error names its 1-based
/// line number and the reason (invalid JSON, unknown record type, unknown direction, bad base64
/// in a binary frame, missing header, a newer format version, ...).
///
/// In strict mode (the default) a bad line is yielded as an `Err` and reading may continue with
/// the next line. In [lenient](CaptureReader::lenient) mode bad lines are skipped and counted
/// ([`CaptureReader::skipped_lines`]). Either way, a capture of an unsupported format or a newer
/// version ends the iteration with that error: its lines cannot be trusted.
///
/// A **torn last line** (no newline, and its JSON or UTF-8 stops short: what a recorder killed
/// mid-write leaves) is not an error in either mode: the reader ends before it and says so in
/// [`CaptureReader::torn_last_line`], which callers show as a warning. The same bytes on any
/// other line, or a last line that is complete but wrong, stay errors naming the line.
///
/// ```
/// use sio_capture::{CaptureReader, Record};
///
/// let capture = concat!(
///     r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"record"}"#, "\n",
///     r#"{"type":"frame","t_ms":1.25,"conn":1,"from":"server","kind":"text","data":"2"}"#, "\n",
///     r#"{"type":"frame","t_ms":1.5,"conn":1,"from":"nobody","kind":"text","data":"3"}"#, "\n",
/// );
/// let mut reader = CaptureReader::new(capture.as_bytes());
/// assert!(matches!(reader.next(), Some(Ok(Record::Header(_)))));
/// assert!(matches!(reader.next(), Some(Ok(Record::Frame(_)))));
/// let err = reader.next().unwrap().unwrap_err();
/// assert_eq!(err.to_string(), "line 3: unknown frame direction `from: nobody` (expected client or server)");
///
/// let mut lenient = CaptureReader::new(capture.as_bytes()).lenient(true);
/// assert_eq!(lenient.by_ref().filter_map(Result::ok).count(), 2);
/// assert_eq!(lenient.skipped_lines(), 1);
///
/// // A recorder killed mid-write: every complete line is read, the torn one is reported.
/// let torn = &capture[..capture.find("\n{\"type\":\"frame\",\"t_ms\":1.5").unwrap() + 20];
/// let mut reader = CaptureReader::new(torn.as_bytes());
/// assert_eq!(reader.by_ref().filter(Result::is_ok).count(), 2);
/// assert_eq!(reader.torn_last_line().map(|t| t.line), Some(3));
/// ```
#[derive(Debug)]
pub struct CaptureReader<R> {
    input: R,
    line: Vec<u8>,
    scratch: Vec<u8>,
    line_number: u64,
    lenient: bool,
    max_line_bytes: usize,
    header: Option<Header>,
    seen_record: bool,
    skipped: u64,
    problems: Vec<CaptureError>,
    torn: Option<TornLine>,
    done: bool,
}

/// The last line of a capture, cut short by a writer that stopped mid-record, which a
/// [`CaptureReader`] skipped.
///
/// Its `Display` is the warning to show, e.g. `line 42: the last line is an incomplete record
/// (37 bytes, no newline), probably from a recorder stopped mid-write; it was skipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornLine {
    /// Its 1-based line number.
    pub line: u64,
    /// How many bytes it had.
    pub bytes: usize,
}

impl fmt::Display for TornLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: the last line is an incomplete record ({} bytes, no newline), probably \
             from a recorder stopped mid-write; it was skipped",
            self.line, self.bytes
        )
    }
}

impl CaptureReader<BufReader<File>> {
    /// Opens a capture file.
    ///
    /// # Errors
    ///
    /// The file cannot be opened.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CaptureError> {
        Ok(CaptureReader::new(BufReader::with_capacity(
            64 * 1024,
            File::open(path)?,
        )))
    }
}

impl<R: BufRead> CaptureReader<R> {
    /// A strict reader over `input`.
    pub fn new(input: R) -> Self {
        CaptureReader {
            input,
            line: Vec::with_capacity(4096),
            scratch: Vec::new(),
            line_number: 0,
            lenient: false,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            header: None,
            seen_record: false,
            skipped: 0,
            problems: Vec::new(),
            torn: None,
            done: false,
        }
    }

    /// Lenient mode skips bad lines instead of yielding errors, counting them; the first
    /// hundred errors are kept in [`CaptureReader::problems`].
    pub fn lenient(mut self, lenient: bool) -> Self {
        self.lenient = lenient;
        self
    }

    /// Sets the longest accepted line (default [`DEFAULT_MAX_LINE_BYTES`]); a longer line is
    /// an error ([`LineErrorKind::LineTooLong`]) and is skipped without being buffered.
    pub fn max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max;
        self
    }

    /// The header, once the first line has been read.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// How many bad lines a lenient reader skipped.
    pub fn skipped_lines(&self) -> u64 {
        self.skipped
    }

    /// The errors of the lines a lenient reader skipped (the first hundred), and a missing
    /// header.
    pub fn problems(&self) -> &[CaptureError] {
        &self.problems
    }

    /// The number of the line read last (1-based; 0 before the first).
    pub fn line_number(&self) -> u64 {
        self.line_number
    }

    /// The torn last line the reader skipped, once it has reached the end: show it as a
    /// warning (its `Display` says what happened).
    pub fn torn_last_line(&self) -> Option<TornLine> {
        self.torn
    }

    /// True when the line just read (which had no newline, so is the last) stops in the
    /// middle of a record: its JSON ends early, or its UTF-8 ends inside a character.
    fn is_torn(&self, kind: &LineErrorKind) -> bool {
        match kind {
            LineErrorKind::InvalidJson { truncated, .. } => *truncated,
            LineErrorKind::InvalidUtf8 { .. } => std::str::from_utf8(&self.line)
                .err()
                .is_some_and(|e| e.error_len().is_none()),
            _ => false,
        }
    }

    /// Reads the next line into `self.line`. Returns `None` at the end of input, else whether
    /// the line ended with a newline and whether it was too long (and so was dropped).
    fn read_line(&mut self) -> std::io::Result<Option<(bool, bool)>> {
        self.line.clear();
        let mut any = false;
        let mut too_long = false;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(any.then_some((false, too_long)));
            }
            any = true;
            let (take, newline) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            if !too_long {
                if self.line.len() + take > self.max_line_bytes {
                    too_long = true;
                    self.line.clear();
                } else {
                    self.line.extend_from_slice(&buf[..take]);
                }
            }
            self.input.consume(take + usize::from(newline));
            if newline {
                return Ok(Some((true, too_long)));
            }
        }
    }

    fn parse_line(&mut self, newline: bool) -> Result<Record, LineErrorKind> {
        let mut bytes = self.line.as_slice();
        if let Some(stripped) = bytes.strip_suffix(b"\r") {
            bytes = stripped;
        }
        let text = std::str::from_utf8(bytes).map_err(|e| LineErrorKind::InvalidUtf8 {
            offset: e.valid_up_to(),
        })?;
        let record = match parse_known_prefix(text) {
            Some(Ok(record)) => record,
            _ => match serde_json::from_str::<Record>(text) {
                Ok(record) => record,
                Err(e) => return Err(diagnose(text, &e, !newline)),
            },
        };
        match &record {
            Record::Header(header) => {
                if self.seen_record {
                    return Err(LineErrorKind::DuplicateHeader);
                }
                if header.format != FORMAT_NAME {
                    return Err(LineErrorKind::WrongFormat {
                        found: header.format.clone(),
                    });
                }
                if header.version > FORMAT_VERSION {
                    return Err(LineErrorKind::UnsupportedVersion {
                        found: u64::from(header.version),
                        supported: FORMAT_VERSION,
                    });
                }
                if header.version == 0 {
                    return Err(LineErrorKind::InvalidRecord {
                        record_type: "header".to_owned(),
                        message: "version 0 does not exist (versions start at 1)".to_owned(),
                    });
                }
                self.header = Some(header.clone());
            }
            Record::Frame(frame) if frame.kind == FrameKind::Binary => {
                self.scratch.clear();
                base64::engine::general_purpose::STANDARD
                    .decode_vec(frame.data.as_bytes(), &mut self.scratch)
                    .map_err(|e| LineErrorKind::BadBase64 {
                        message: e.to_string(),
                    })?;
            }
            _ => {}
        }
        Ok(record)
    }
}

impl<R: BufRead> Iterator for CaptureReader<R> {
    type Item = Result<Record, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let (newline, too_long) = match self.read_line() {
                Ok(Some(found)) => found,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(CaptureError::Io(e)));
                }
            };
            self.line_number += 1;
            if !too_long && self.line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let parsed = if too_long {
                Err(LineErrorKind::LineTooLong {
                    max: self.max_line_bytes,
                })
            } else {
                self.parse_line(newline)
            };
            let line = self.line_number;
            match parsed {
                Ok(record) => {
                    let first = !self.seen_record;
                    self.seen_record = true;
                    if first && !matches!(record, Record::Header(_)) {
                        let err = CaptureError::Line {
                            line,
                            kind: LineErrorKind::MissingHeader {
                                found: record.type_name().to_owned(),
                            },
                        };
                        if !self.lenient {
                            return Some(Err(err));
                        }
                        self.problems.push(err);
                    }
                    return Some(Ok(record));
                }
                Err(kind) if !newline && !too_long && self.is_torn(&kind) => {
                    self.torn = Some(TornLine {
                        line,
                        bytes: self.line.len(),
                    });
                    self.done = true;
                    return None;
                }
                Err(kind) => {
                    let fatal = matches!(
                        kind,
                        LineErrorKind::UnsupportedVersion { .. }
                            | LineErrorKind::WrongFormat { .. }
                    );
                    if !self.seen_record && !fatal {
                        // The first line was unreadable, so the header is missing too; later
                        // records must not report it again.
                        self.seen_record = true;
                    }
                    let err = CaptureError::Line { line, kind };
                    if fatal {
                        self.done = true;
                        return Some(Err(err));
                    }
                    if !self.lenient {
                        return Some(Err(err));
                    }
                    self.skipped += 1;
                    if self.problems.len() < KEPT_PROBLEMS {
                        self.problems.push(err);
                    }
                }
            }
        }
        None
    }
}

/// The fast path for lines whose `type` comes first, as every writer of this crate puts it:
/// the record struct is parsed directly, skipping the buffering serde needs to find the tag
/// of an internally tagged enum anywhere in the object (about twice as fast). `None` (or an
/// error, re-diagnosed by the general path) for anything else.
fn parse_known_prefix(text: &str) -> Option<Result<Record, serde_json::Error>> {
    let rest = text.strip_prefix(r#"{"type":""#)?;
    let (record_type, _) = rest.split_once('"')?;
    Some(match record_type {
        "frame" => serde_json::from_str::<FrameRecord>(text).map(Record::Frame),
        "http" => serde_json::from_str::<HttpRecord>(text).map(Record::Http),
        "gap" => serde_json::from_str::<GapRecord>(text).map(Record::Gap),
        "conn" => serde_json::from_str::<ConnRecord>(text).map(Record::Conn),
        "header" => serde_json::from_str::<Header>(text).map(Record::Header),
        _ => return None,
    })
}

/// Turns a failed typed parse into the most specific reason.
fn diagnose(text: &str, error: &serde_json::Error, truncated: bool) -> LineErrorKind {
    if error.is_syntax() || error.is_eof() {
        return LineErrorKind::InvalidJson {
            message: error.to_string(),
            truncated: truncated && error.is_eof(),
        };
    }
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => {
            return LineErrorKind::InvalidJson {
                message: e.to_string(),
                truncated: false,
            };
        }
    };
    let field = |name: &str| value.get(name).and_then(serde_json::Value::as_str);
    let Some(record_type) = field("type") else {
        return LineErrorKind::MissingType;
    };
    if !matches!(record_type, "header" | "frame" | "http" | "gap") {
        return LineErrorKind::UnknownRecordType {
            found: record_type.to_owned(),
        };
    }
    if record_type == "frame" {
        if let Some(from) = field("from").filter(|f| !matches!(*f, "client" | "server")) {
            return LineErrorKind::UnknownDirection {
                found: from.to_owned(),
            };
        }
        if let Some(kind) = field("kind").filter(|k| !matches!(*k, "text" | "binary")) {
            return LineErrorKind::UnknownFrameKind {
                found: kind.to_owned(),
            };
        }
    }
    LineErrorKind::InvalidRecord {
        record_type: record_type.to_owned(),
        message: error.to_string(),
    }
}
