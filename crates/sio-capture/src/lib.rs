//! Captures as data: the sio-replay capture format (JSON Lines) and everything that reads or
//! writes it.
//!
//! A capture is what a recording, a browser export or a generator produced: a header line,
//! then one line per WebSocket frame, HTTP exchange or connection gap (the format is
//! documented in `docs/capture-format.md`, with a JSON Schema beside it). This crate writes
//! captures crash-safely, reads them as a stream in constant memory, imports HAR files and
//! DevTools text logs, takes secrets out (redaction is on by default in every writer), and
//! renders a decoded, normalised transcript for golden snapshots. It trades speed for
//! clarity where a person reads the output (transcripts use a JSON tree) and stays
//! allocation-light where data flows (the reader reuses its buffers). Synchronous I/O only:
//! no async runtime, no network.
//!
//! - [`CaptureWriter`] appends and flushes one line per record, redacting with a [`Redactor`];
//!   [`writer::create_output`] creates every output file (never through a symbolic link,
//!   `0600` when it keeps tokens).
//! - [`CaptureReader`] streams records with line-numbered errors, strict or lenient, and skips
//!   a torn last line with a warning.
//! - [`import`] reads HAR (Chrome, Edge, Firefox), DevTools text and plain text.
//! - [`redact`] removes JWTs (keeping non-secret claims readable), token fields, credential
//!   headers and `access_token` parameters; [`redact::redact_anywhere`] does it in free text
//!   (logs, reports).
//! - [`normalize`] replaces sids, timestamps and ids by stable placeholders, by JSON path.
//! - [`transcript`] renders records as text for people and snapshot tests;
//!   [`transcript::escape_control`] makes text safe for a terminal.
//! - [`view`] shows records one at a time, decoded, for a person or as JSON.
//! - [`golden`] keeps transcripts as golden snapshots in insta's `.snap` format (compare,
//!   accept, pending `.snap.new`, `INSTA_UPDATE`); [`junit`] reports a check as JUnit XML.
//!
//! ```
//! use sio_capture::normalize::NormalizeConfig;
//! use sio_capture::transcript::render_capture;
//! use sio_capture::{CaptureReader, CaptureWriter, Direction, FrameRecord, Header};
//!
//! // Record: the token in the connect packet never reaches the file.
//! let mut header = Header::new("record");
//! header.room = Some("tomato.tpos.vn".into());
//! let mut writer = CaptureWriter::new(Vec::new(), header)?;
//! writer.write_frame(&FrameRecord::text(0.4, 1, Direction::Client, r#"40/chatomni,{"token":"opaque-secret"}"#))?;
//! writer.write_frame(&FrameRecord::text(12.5, 1, Direction::Server, r#"42/chatomni,["on-events","{\"Message\":{\"Id\":\"695e60057b7c8059540ed555\"}}"]"#))?;
//! let file = writer.finish()?;
//! assert!(!String::from_utf8(file.clone())?.contains("opaque-secret"));
//!
//! // Read it back as a normalised transcript.
//! let transcript = render_capture(CaptureReader::new(file.as_slice()), &NormalizeConfig::default())?;
//! assert_eq!(transcript, r#"capture: source=record room=tomato.tpos.vn
//! conn 1 ↑ client: message CONNECT /chatomni
//!     {
//!       "token": "[redacted]"
//!     }
//! conn 1 ↓ server: message EVENT /chatomni "on-events"
//!     [
//!       "on-events",
//!       (json) {
//!         "Message": {
//!           "Id": "[id-1]"
//!         }
//!       }
//!     ]
//! "#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! - `record.rs`: the record types (one JSON object per line).
//! - `writer.rs`, `reader.rs`: the native format's writer and streaming reader.
//! - `error.rs`: [`CaptureError`], the crate's one error type.
//! - `import/`: `har.rs`, `text.rs` (DevTools and plain text), detection in `mod.rs`.
//! - `redact.rs`, `normalize.rs`, `transcript.rs`, `ordered_json.rs`.
//! - `view.rs`: the decoded view of single records.
//! - `golden.rs`, `junit.rs`: the golden-file workflow and its CI report.

pub mod assemble;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod golden;
pub mod import;
pub mod junit;
pub mod normalize;
mod ordered_json;
mod reader;
pub mod record;
pub mod redact;
pub mod transcript;
pub mod view;
pub mod writer;

pub use error::{CaptureError, ImportError, ImportLocation, LineErrorKind};
pub use ordered_json::OrderedJson;
pub use reader::{CaptureReader, DEFAULT_MAX_LINE_BYTES, TornLine};
pub use record::{
    ConnEvent, ConnRecord, Direction, FORMAT_NAME, FORMAT_VERSION, FrameKind, FrameRecord,
    GapRecord, Header, HttpRecord, Record, Transport,
};
pub use redact::{RedactionReport, Redactor};
pub use writer::CaptureWriter;
