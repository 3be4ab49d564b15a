//! Captures as data: the sio-replay capture format (JSON Lines) and everything that reads or
//! writes it.
//!
//! Synchronous file I/O only: no async runtime, no network.

pub mod error;
pub mod import;
pub mod normalize;
mod ordered_json;
mod reader;
pub mod record;
pub mod redact;
pub mod writer;

pub use error::{CaptureError, ImportError, ImportLocation, LineErrorKind};
pub use ordered_json::OrderedJson;
pub use reader::{CaptureReader, DEFAULT_MAX_LINE_BYTES};
pub use record::{
    Direction, FORMAT_NAME, FORMAT_VERSION, FrameKind, FrameRecord, GapRecord, Header, HttpRecord,
    Record,
};
pub use redact::{RedactionReport, Redactor};
pub use writer::CaptureWriter;
