//! [`CaptureWriter`]: appends records to a native capture, one flushed line each.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use crate::error::CaptureError;
use crate::record::{FrameRecord, GapRecord, Header, HttpRecord, Record};
use crate::redact::{RedactionReport, Redactor};

/// Writes a native capture: the header on creation, then one JSON line per record.
///
/// Every record is serialized into a reusable buffer, written with one `write_all` and flushed,
/// so a recorder killed at any moment leaves a file that is valid up to its last complete line
/// (a reader reports a torn last line as truncated). Records are redacted with
/// [`Redactor::default`] unless the writer was made with [`CaptureWriter::with_redactor`].
///
/// ```
/// use sio_capture::{CaptureReader, CaptureWriter, Direction, FrameRecord, Header, Record};
///
/// let mut out = Vec::new();
/// let mut writer = CaptureWriter::new(&mut out, Header::new("record"))?;
/// writer.write_frame(&FrameRecord::text(0.5, 1, Direction::Server, "2"))?;
/// writer.finish()?;
///
/// let records: Vec<Record> = CaptureReader::new(out.as_slice()).collect::<Result<_, _>>()?;
/// assert_eq!(records.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct CaptureWriter<W: Write> {
    out: W,
    redactor: Redactor,
    report: RedactionReport,
    line: Vec<u8>,
    records: u64,
}

impl CaptureWriter<File> {
    /// Creates (or truncates) the file at `path` and starts a capture in it, redacting.
    ///
    /// No buffering layer is added: every record is one `write` and one flush anyway.
    ///
    /// # Errors
    ///
    /// The file cannot be created or the header cannot be written.
    pub fn create(path: impl AsRef<Path>, header: Header) -> Result<Self, CaptureError> {
        Self::new(File::create(path)?, header)
    }
}

impl<W: Write> CaptureWriter<W> {
    /// Starts a capture on `out` with redaction on, writing `header` as its first line.
    ///
    /// # Errors
    ///
    /// Writing or flushing `out` failed.
    pub fn new(out: W, header: Header) -> Result<Self, CaptureError> {
        Self::with_redactor(out, header, Redactor::default())
    }

    /// Starts a capture with an explicit redactor; pass [`Redactor::disabled`] to keep secrets
    /// (only for captures that never leave the machine).
    ///
    /// # Errors
    ///
    /// Writing or flushing `out` failed.
    pub fn with_redactor(out: W, header: Header, redactor: Redactor) -> Result<Self, CaptureError> {
        let mut writer = CaptureWriter {
            out,
            redactor,
            report: RedactionReport::default(),
            line: Vec::with_capacity(512),
            records: 0,
        };
        writer.write_line(Record::Header(header))?;
        Ok(writer)
    }

    /// Appends one frame record.
    ///
    /// # Errors
    ///
    /// Writing or flushing failed.
    pub fn write_frame(&mut self, frame: &FrameRecord) -> Result<(), CaptureError> {
        self.write_line(Record::Frame(frame.clone()))
    }

    /// Appends one HTTP exchange record.
    ///
    /// # Errors
    ///
    /// Writing or flushing failed.
    pub fn write_http(&mut self, http: &HttpRecord) -> Result<(), CaptureError> {
        self.write_line(Record::Http(http.clone()))
    }

    /// Appends one gap record.
    ///
    /// # Errors
    ///
    /// Writing or flushing failed.
    pub fn write_gap(&mut self, gap: &GapRecord) -> Result<(), CaptureError> {
        self.write_line(Record::Gap(gap.clone()))
    }

    /// Appends any record except a header (the writer wrote the only one when it was made).
    ///
    /// # Errors
    ///
    /// [`CaptureError::HeaderAlreadyWritten`] for a header record; writing or flushing failed.
    pub fn write_record(&mut self, record: Record) -> Result<(), CaptureError> {
        if matches!(record, Record::Header(_)) {
            return Err(CaptureError::HeaderAlreadyWritten);
        }
        self.write_line(record)
    }

    /// What redaction has taken out so far.
    pub fn redaction_report(&self) -> RedactionReport {
        self.report
    }

    /// Records written so far, the header included.
    pub fn records_written(&self) -> u64 {
        self.records
    }

    /// Flushes and returns the underlying writer.
    ///
    /// # Errors
    ///
    /// Flushing failed.
    pub fn finish(mut self) -> Result<W, CaptureError> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn write_line(&mut self, mut record: Record) -> Result<(), CaptureError> {
        self.redactor.redact_record(&mut record, &mut self.report);
        self.line.clear();
        serde_json::to_writer(&mut self.line, &record).map_err(std::io::Error::from)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.out.flush()?;
        self.records += 1;
        Ok(())
    }
}
