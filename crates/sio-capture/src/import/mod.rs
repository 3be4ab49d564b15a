//! Importers: turn what a browser gives you into a native capture.
//!
//! | input | [`InputKind`] | what becomes of it |
//! |---|---|---|
//! | HAR 1.2 from Chrome or Edge | [`InputKind::Har`] | each WebSocket entry's `_webSocketMessages` become frames of one connection; every other entry becomes an [`HttpRecord`](crate::HttpRecord) |
//! | HAR 1.2 from Firefox | [`InputKind::Har`] | Firefox exports no WebSocket messages, so only its HTTP exchanges are imported (the summary says so) |
//! | DevTools text | [`InputKind::DevtoolsText`] | one frame per line, with `↑`/`↓` marks, `13:30:51.329` times and Chrome's tab-separated `Data  Length  Time` columns when present |
//! | plain text | [`InputKind::PlainText`] | one frame per line |
//! | a native capture | [`InputKind::Native`] | read as is (and redacted) |
//! | pcap or pcapng (tcpdump, Wireshark) | [`InputKind::Pcap`] | TCP reassembled; HTTP/1.1 long-polling and WebSocket (permessage-deflate too) through the Engine.IO [`Assembler`](crate::assemble::Assembler): one connection per Engine.IO session; other HTTP requests as [`HttpRecord`](crate::HttpRecord)s; TLS and other streams listed as skipped; holes as gap records (see `docs/pcap.md`) |
//!
//! [`detect_input_kind`] sniffs the kind from the first bytes; [`ImportOptions::kind`] forces
//! one. [`open_file`] detects a file's kind and imports it, or leaves a native capture to
//! stream: what every command that takes "a capture" calls.
//!
//! Where a text input has no direction marks, the direction is inferred from the Engine.IO
//! and Socket.IO packet (`0` open, `2` ping and a `40` with a `sid` come from the server; `3`
//! pong and a `40` without one from the client; other packets from the server) and the
//! summary counts how many were inferred.
//!
//! ```
//! use sio_capture::import::{ImportOptions, InputKind, import_capture};
//!
//! let log = "↓ 13:30:00.100\t0{\"sid\":\"abc\",\"pingInterval\":25000}\n↑ 13:30:00.250\t40/chatomni,{\"token\":\"secret\"}\n";
//! let imported = import_capture(log.as_bytes(), &ImportOptions::default())?;
//! assert_eq!(imported.summary.kind, InputKind::DevtoolsText);
//! assert_eq!(imported.summary.frames, 2);
//! assert_eq!(imported.summary.span_ms, 150.0);
//! assert_eq!(imported.summary.redaction.token_fields, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod har;
mod pcap;
mod text;

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

pub use har::import_har;
pub use text::{import_devtools_text, import_plain_text};

use crate::error::CaptureError;
use crate::reader::CaptureReader;
use crate::record::{Direction, FrameKind, Header, Record};
use crate::redact::{RedactionReport, Redactor};
use crate::writer::OutputOptions;

/// The kinds of input the importers understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputKind {
    /// A native sio-replay capture (JSON Lines starting with a header record).
    Native,
    /// A HAR 1.2 JSON document (Chrome, Edge, Firefox, or any HAR writer).
    Har,
    /// Text copied from a browser's WebSocket messages pane.
    DevtoolsText,
    /// One frame per line and nothing else.
    PlainText,
    /// A packet capture: pcap or pcapng (tcpdump, Wireshark, dumpcap).
    Pcap,
}

impl InputKind {
    /// The name used in messages and in the header's `source` (`import-har`, ...).
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Native => "native capture",
            InputKind::Har => "HAR",
            InputKind::DevtoolsText => "DevTools text",
            InputKind::PlainText => "plain text",
            InputKind::Pcap => "pcap",
        }
    }

    fn source(self) -> &'static str {
        match self {
            InputKind::Native => "import-native",
            InputKind::Har => "import-har",
            InputKind::DevtoolsText => "import-devtools",
            InputKind::PlainText => "import-text",
            InputKind::Pcap => "import-pcap",
        }
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Guesses what `input` is from its first bytes.
///
/// A pcap or pcapng magic number makes a packet capture. A first line that is a JSON object with a `type` field is a native capture; any other input
/// starting with `{` is HAR; text with direction arrows, tab-separated columns or `hh:mm:ss`
/// times in its first lines is DevTools text; anything else is plain text.
///
/// ```
/// use sio_capture::import::{InputKind, detect_input_kind};
///
/// assert_eq!(detect_input_kind(b"{\n  \"log\": {\"version\": \"1.2\"}}"), InputKind::Har);
/// assert_eq!(detect_input_kind(b"{\"type\":\"header\",\"format\":\"sio-replay-capture\"}\n"), InputKind::Native);
/// assert_eq!(detect_input_kind("↓ 2\n↑ 3\n".as_bytes()), InputKind::DevtoolsText);
/// assert_eq!(detect_input_kind(b"2\n3\n"), InputKind::PlainText);
/// assert_eq!(detect_input_kind(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]), InputKind::Pcap);
/// assert_eq!(detect_input_kind(&[0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0]), InputKind::Pcap);
/// ```
pub fn detect_input_kind(input: &[u8]) -> InputKind {
    if pcap::is_packet_capture(input) {
        return InputKind::Pcap;
    }
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    let input = &input[start..];
    if input.first() == Some(&b'{') {
        let first_line = match memchr::memchr(b'\n', input) {
            Some(end) => &input[..end],
            None => input,
        };
        // Only `type` is kept; serde skips the rest of the line without building values (a
        // minified HAR is one long line).
        #[derive(serde::Deserialize)]
        struct TypeProbe {
            #[serde(rename = "type")]
            record_type: Option<String>,
        }
        let is_record = serde_json::from_slice::<TypeProbe>(first_line)
            .is_ok_and(|probe| probe.record_type.is_some());
        return if is_record {
            InputKind::Native
        } else {
            InputKind::Har
        };
    }
    let sample = String::from_utf8_lossy(&input[..input.len().min(16 * 1024)]);
    let looks_devtools = sample
        .lines()
        .filter(|line| !line.trim().is_empty())
        .take(20)
        .any(text::has_devtools_marks);
    if looks_devtools {
        InputKind::DevtoolsText
    } else {
        InputKind::PlainText
    }
}

/// How many leading bytes of a file [`detect_file_kind`] reads.
pub const DETECT_PREFIX_BYTES: u64 = 64 * 1024;

/// [`detect_input_kind`] on the first [`DETECT_PREFIX_BYTES`] of the file at `path`, so that a
/// native capture of any size can then be streamed and anything else imported.
///
/// # Errors
///
/// The I/O error of opening or reading the file.
pub fn detect_file_kind(path: &Path) -> std::io::Result<InputKind> {
    use std::io::Read as _;
    let mut head = Vec::new();
    File::open(path)?
        .take(DETECT_PREFIX_BYTES)
        .read_to_end(&mut head)?;
    Ok(detect_input_kind(&head))
}

/// A file opened by [`open_file`]: a native capture left to stream in constant memory, or any
/// other input imported in memory.
#[derive(Debug)]
pub enum CaptureFile {
    /// A native capture, read record by record.
    Native(CaptureReader<BufReader<File>>),
    /// A HAR file, a DevTools log or plain text, imported (and redacted as the options say).
    Imported(Imported),
}

impl CaptureFile {
    /// What the file was read as.
    pub fn kind(&self) -> InputKind {
        match self {
            CaptureFile::Native(_) => InputKind::Native,
            CaptureFile::Imported(imported) => imported.summary.kind,
        }
    }

    /// Every record, header first, as [`CaptureReader`] yields them: streamed from a native
    /// capture (an error names its line), from memory otherwise.
    pub fn into_records(self) -> CaptureFileRecords {
        CaptureFileRecords(match self {
            CaptureFile::Native(reader) => RecordSource::Native(reader),
            CaptureFile::Imported(imported) => RecordSource::Imported {
                records: std::iter::once(Record::Header(imported.header)).chain(imported.records),
                warnings: imported.summary.warnings,
            },
        })
    }
}

/// The records of a [`CaptureFile`]: see [`CaptureFile::into_records`].
#[derive(Debug)]
pub struct CaptureFileRecords(RecordSource);

#[derive(Debug)]
enum RecordSource {
    Native(CaptureReader<BufReader<File>>),
    Imported {
        records: std::iter::Chain<std::iter::Once<Record>, std::vec::IntoIter<Record>>,
        warnings: Vec<String>,
    },
}

impl CaptureFileRecords {
    /// What a reader should be told about the file, once the records were read: a torn last
    /// line a native capture ended with, or the importer's warnings.
    pub fn warnings(&self) -> Vec<String> {
        match &self.0 {
            RecordSource::Native(reader) => reader
                .torn_last_line()
                .map(|torn| torn.to_string())
                .into_iter()
                .collect(),
            RecordSource::Imported { warnings, .. } => warnings.clone(),
        }
    }
}

impl Iterator for CaptureFileRecords {
    type Item = Result<Record, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            RecordSource::Native(reader) => reader.next(),
            RecordSource::Imported { records, .. } => records.next().map(Ok),
        }
    }
}

/// Opens the file at `path` as whatever it is, so that every command can take a capture, a
/// HAR file or a DevTools log alike: the kind is detected from the file's first
/// [`DETECT_PREFIX_BYTES`] ([`detect_file_kind`]) unless `options` names one; a native capture
/// is then left to stream ([`CaptureFile::Native`]), and anything else is read and imported
/// in memory with [`import_capture`] ([`CaptureFile::Imported`]).
///
/// A native capture is not redacted again (its writer redacted it); `options.redactor`
/// applies to imports.
///
/// ```
/// use sio_capture::import::{CaptureFile, ImportOptions, InputKind, open_file};
///
/// let dir = std::env::temp_dir().join(format!("sio-capture-open-file-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let log = dir.join("frames.txt");
/// std::fs::write(&log, "0{\"sid\":\"a\"}\n40/chatomni,{\"token\":\"secret\"}\n")?;
/// let file = open_file(&log, &ImportOptions::default())?;
/// assert_eq!(file.kind(), InputKind::PlainText);
/// let records = file.into_records().collect::<Result<Vec<_>, _>>()?;
/// assert_eq!(records.len(), 3); // the header, then two frames
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`CaptureError::Io`] when the file cannot be opened or read; for an import, what
/// [`import_capture`] reports (a line or a JSON path). The errors of a native capture's lines
/// come later, from its reader.
pub fn open_file(path: &Path, options: &ImportOptions) -> Result<CaptureFile, CaptureError> {
    let kind = match options.kind {
        Some(kind) => kind,
        None => detect_file_kind(path)?,
    };
    if kind == InputKind::Native {
        return Ok(CaptureFile::Native(CaptureReader::open(path)?));
    }
    let input = std::fs::read(path)?;
    let options = options.clone().kind(kind);
    Ok(CaptureFile::Imported(import_capture(&input, &options)?))
}

/// How to import.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ImportOptions {
    /// The input kind; `None` detects it with [`detect_input_kind`].
    pub kind: Option<InputKind>,
    /// The redactor applied to every imported record (on by default).
    pub redactor: Redactor,
}

impl ImportOptions {
    /// Forces the input kind instead of detecting it.
    pub fn kind(mut self, kind: InputKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Replaces the redactor ([`Redactor::disabled`] keeps secrets: never commit the result).
    pub fn redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }
}

/// What an import found, for the person who ran it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ImportSummary {
    /// The kind the input was read as.
    pub kind: InputKind,
    /// WebSocket connections found.
    pub connections: u32,
    /// Frames imported.
    pub frames: u64,
    /// Of those, binary frames.
    pub binary_frames: u64,
    /// Of those, Socket.IO events (`42...`, `45...`).
    pub events: u64,
    /// HTTP exchanges imported.
    pub http_exchanges: u64,
    /// Frames whose direction was inferred from the packet because the input had no marks.
    pub inferred_directions: u64,
    /// WebSocket `error` records found in a HAR (not imported as frames).
    pub websocket_errors: u64,
    /// Stretches of a packet capture's streams that could not be read: holes in the TCP
    /// streams (each a gap record, or a warning where it broke an HTTP stream) and WebSocket
    /// directions broken off by a protocol error (a gap record each).
    pub gaps: u64,
    /// TCP streams of a packet capture that were not read (TLS, not HTTP): each named in
    /// [`ImportSummary::notes`].
    pub skipped_streams: u64,
    /// Milliseconds from the first record to the last.
    pub span_ms: f64,
    /// What redaction took out.
    pub redaction: RedactionReport,
    /// Anything else worth telling, in sentences (e.g. that a Firefox HAR has no messages).
    pub notes: Vec<String>,
    /// What was wrong with the input but did not stop the import, in sentences (e.g. a torn
    /// last line of a native capture, which was skipped). Show these as warnings.
    pub warnings: Vec<String>,
}

impl ImportSummary {
    fn new(kind: InputKind) -> Self {
        ImportSummary {
            kind,
            connections: 0,
            frames: 0,
            binary_frames: 0,
            events: 0,
            http_exchanges: 0,
            inferred_directions: 0,
            websocket_errors: 0,
            gaps: 0,
            skipped_streams: 0,
            span_ms: 0.0,
            redaction: RedactionReport::default(),
            notes: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural =
            |n: u64, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        write!(
            f,
            "{}: {} {}, {} {} ({} binary, {} Socket.IO {}), {} HTTP {} over {:.3} s",
            self.kind,
            self.connections,
            plural(u64::from(self.connections), "connection", "connections"),
            self.frames,
            plural(self.frames, "frame", "frames"),
            self.binary_frames,
            self.events,
            plural(self.events, "event", "events"),
            self.http_exchanges,
            plural(self.http_exchanges, "exchange", "exchanges"),
            self.span_ms / 1000.0
        )?;
        if self.inferred_directions > 0 {
            write!(
                f,
                "; direction inferred for {} frames",
                self.inferred_directions
            )?;
        }
        if self.websocket_errors > 0 {
            write!(
                f,
                "; {} WebSocket error records skipped",
                self.websocket_errors
            )?;
        }
        if self.gaps > 0 {
            write!(
                f,
                "; {} TCP stream {}",
                self.gaps,
                plural(self.gaps, "gap", "gaps")
            )?;
        }
        if self.skipped_streams > 0 {
            write!(
                f,
                "; {} TCP {} skipped",
                self.skipped_streams,
                plural(self.skipped_streams, "stream", "streams")
            )?;
        }
        if self.redaction.is_empty() {
            f.write_str("; nothing redacted")?;
        } else {
            write!(f, "; redacted: {}", self.redaction)?;
        }
        for note in &self.notes {
            write!(f, "\nnote: {note}")?;
        }
        for warning in &self.warnings {
            write!(f, "\nwarning: {warning}")?;
        }
        Ok(())
    }
}

/// An imported capture: its header, its records in time order (header excluded), and the
/// summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The header to write first.
    pub header: Header,
    /// Frame, HTTP and gap records, ordered by `t_ms`.
    pub records: Vec<Record>,
    /// What was imported.
    pub summary: ImportSummary,
    redacted: bool,
}

impl Imported {
    /// Writes the capture to `out` as a native capture: the header, then every record, one JSON
    /// line each.
    ///
    /// The records are written as they are: [`import_capture`] already redacted them with the
    /// import's redactor (unless it was [`Redactor::disabled`]), so they are not redacted a
    /// second time. A record added to [`Imported::records`] or a header changed after the
    /// import is written as given: redact it first ([`Redactor::redact_record`]).
    ///
    /// Lines are written in batches of whole lines (about 64 KiB), so output cut short ends
    /// at a line boundary as a [`CaptureWriter`](crate::writer::CaptureWriter)'s does.
    ///
    /// # Errors
    ///
    /// Writing failed; [`CaptureError::HeaderAlreadyWritten`] for a header record in
    /// [`Imported::records`] (the header is [`Imported::header`]).
    pub fn write_to<W: Write>(&self, mut out: W) -> Result<W, CaptureError> {
        const BATCH: usize = 64 * 1024;
        let mut batch = Vec::with_capacity(BATCH + 4096);
        let header = Record::Header(self.header.clone());
        for (i, record) in std::iter::once(&header).chain(&self.records).enumerate() {
            if i > 0 && matches!(record, Record::Header(_)) {
                return Err(CaptureError::HeaderAlreadyWritten);
            }
            serde_json::to_writer(&mut batch, record).map_err(std::io::Error::from)?;
            batch.push(b'\n');
            if batch.len() >= BATCH {
                out.write_all(&batch)?;
                batch.clear();
            }
        }
        out.write_all(&batch)?;
        out.flush()?;
        Ok(out)
    }

    /// Writes the capture to a new file at `path` with
    /// [`create_output`](crate::writer::create_output) (never through a symbolic link; an
    /// existing file only with [`OutputOptions::overwrite`]), private (`0600`) when the import
    /// was made with redaction off.
    ///
    /// # Errors
    ///
    /// The file cannot be created (see [`create_output`](crate::writer::create_output)) or
    /// written.
    pub fn write_file(
        &self,
        path: impl AsRef<std::path::Path>,
        options: OutputOptions,
    ) -> Result<(), CaptureError> {
        let options = options.private(options.private || !self.redacted);
        // `write_to` writes whole lines in batches already: a buffer would add nothing.
        self.write_to(crate::writer::create_output(path, options)?)?;
        Ok(())
    }

    /// The header followed by the records, as a reader would yield them.
    pub fn all_records(&self) -> impl Iterator<Item = Record> + '_ {
        std::iter::once(Record::Header(self.header.clone())).chain(self.records.iter().cloned())
    }
}

/// Imports `input`, detecting its kind unless `options` names it, and redacts every record.
///
/// # Errors
///
/// [`CaptureError::Import`] naming what was expected and where (a line, or a JSON path such as
/// `log.entries[3]._webSocketMessages[2].opcode`); [`CaptureError::Line`] for a bad line of a
/// native capture. A torn last line of a native capture is not an error: it is skipped and
/// named in [`ImportSummary::warnings`].
pub fn import_capture(input: &[u8], options: &ImportOptions) -> Result<Imported, CaptureError> {
    let kind = options.kind.unwrap_or_else(|| detect_input_kind(input));
    let mut imported = match kind {
        InputKind::Har => import_har(input)?,
        InputKind::DevtoolsText => import_devtools_text(text::input_as_str(input, kind)?)?,
        InputKind::PlainText => import_plain_text(text::input_as_str(input, kind)?)?,
        InputKind::Native => import_native(input)?,
        InputKind::Pcap => pcap::import_pcap(input)?,
    };
    imported.redacted = options.redactor.is_enabled();
    let mut report = RedactionReport::default();
    options
        .redactor
        .redact_header_record(&mut imported.header, &mut report);
    for record in &mut imported.records {
        options.redactor.redact_record(record, &mut report);
    }
    imported.summary.redaction = report;
    Ok(imported)
}

fn import_native(input: &[u8]) -> Result<Imported, CaptureError> {
    let mut header = None;
    let mut records = Vec::new();
    let mut reader = CaptureReader::new(input);
    for record in reader.by_ref() {
        match record? {
            Record::Header(h) => header = Some(h),
            other => records.push(other),
        }
    }
    let header = header.unwrap_or_else(|| Header::new(InputKind::Native.source()));
    let mut summary = ImportSummary::new(InputKind::Native);
    summary
        .warnings
        .extend(reader.torn_last_line().map(|torn| torn.to_string()));
    Ok(finish(header, records, summary))
}

/// Sorts records by time and fills the summary's counts from them.
fn finish(header: Header, mut records: Vec<Record>, mut summary: ImportSummary) -> Imported {
    records.sort_by(|a, b| a.t_ms().total_cmp(&b.t_ms()));
    let mut connections = std::collections::BTreeSet::new();
    for record in &records {
        match record {
            Record::Frame(frame) => {
                connections.insert(frame.conn);
                summary.frames += 1;
                if frame.kind == FrameKind::Binary {
                    summary.binary_frames += 1;
                } else if is_socket_io_event(&frame.data) {
                    summary.events += 1;
                }
            }
            Record::Http(_) => summary.http_exchanges += 1,
            Record::Gap(gap) => {
                connections.insert(gap.conn);
            }
            Record::Conn(conn) => {
                connections.insert(conn.conn);
            }
            Record::Header(_) => {}
        }
    }
    summary.connections = summary
        .connections
        .max(u32::try_from(connections.len()).unwrap_or(u32::MAX));
    if let (Some(first), Some(last)) = (records.first(), records.last()) {
        summary.span_ms = last.t_ms() - first.t_ms();
    }
    Imported {
        header,
        records,
        summary,
        redacted: true,
    }
}

/// An Engine.IO message (`4`) carrying a Socket.IO EVENT (`2`) or BINARY_EVENT (`5`).
fn is_socket_io_event(data: &str) -> bool {
    data.starts_with("42") || data.starts_with("45")
}

/// Infers who sent a text frame from its Engine.IO / Socket.IO packet type.
///
/// Engine.IO v4: "the server sends a ping packet" (`2`) and the client answers `3`; the open
/// packet `0` comes from the server. A Socket.IO CONNECT (`40`) from the server carries the
/// `sid`; the client's carries auth. Events (`42`) can go either way; for a chat server that
/// pushes events, the server is the likelier sender.
fn infer_direction(data: &str) -> Direction {
    let bytes = data.as_bytes();
    match bytes.first() {
        // During an upgrade the client probes with `2probe` and the server answers `3probe`.
        _ if data == "2probe" => Direction::Client,
        _ if data == "3probe" => Direction::Server,
        Some(b'3') => Direction::Client,
        Some(b'0' | b'2' | b'1' | b'6') => Direction::Server,
        Some(b'4') if bytes.get(1) == Some(&b'0') => {
            if data.contains("\"sid\"") {
                Direction::Server
            } else {
                Direction::Client
            }
        }
        Some(b'5') => Direction::Client,
        _ => Direction::Server,
    }
}
