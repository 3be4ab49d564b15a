//! [`CaptureWriter`]: appends records to a native capture, one flushed line each; and
//! [`create_output`], the one way every writer of this project creates an output file.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
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

/// How [`create_output`] creates a file.
///
/// The default refuses to replace an existing file and gives the file the usual permissions
/// (`0666` less the umask).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutputOptions {
    /// Replace (truncate) an existing file instead of refusing with
    /// [`CaptureError::OutputExists`].
    pub overwrite: bool,
    /// Only the owner may read or write the file (mode `0600` on Unix, also when an existing
    /// file is replaced): for files that keep secrets, such as a capture written with
    /// [`Redactor::disabled`].
    pub private: bool,
}

impl OutputOptions {
    /// Sets [`OutputOptions::overwrite`].
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// Sets [`OutputOptions::private`].
    pub fn private(mut self, private: bool) -> Self {
        self.private = private;
        self
    }
}

/// Creates an output file for writing, never through a symbolic link.
///
/// On Unix the file is opened with `O_NOFOLLOW`, so a symbolic link at `path` (even one
/// pointing nowhere) is refused with [`CaptureError::OutputIsSymlink`] and whatever it points
/// to is left untouched; elsewhere the path is checked just before opening. An existing file
/// is refused with [`CaptureError::OutputExists`] unless [`OutputOptions::overwrite`] is set.
/// With [`OutputOptions::private`] the file is created `0600`, and an existing file being
/// replaced is set to `0600` before anything is written to it.
///
/// ```
/// use sio_capture::writer::{OutputOptions, create_output};
/// use sio_capture::CaptureError;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("capture.jsonl");
/// create_output(&path, OutputOptions::default().private(true))?;
/// let again = create_output(&path, OutputOptions::default());
/// assert!(matches!(again, Err(CaptureError::OutputExists)));
/// # #[cfg(unix)] {
/// use std::os::unix::fs::PermissionsExt as _;
/// assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
/// let link = dir.path().join("link.jsonl");
/// std::os::unix::fs::symlink(&path, &link)?;
/// let through_link = create_output(&link, OutputOptions::default().overwrite(true));
/// assert!(matches!(through_link, Err(CaptureError::OutputIsSymlink)));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`CaptureError::OutputIsSymlink`], [`CaptureError::OutputExists`], or the I/O error of
/// opening the file or setting its permissions.
pub fn create_output(path: impl AsRef<Path>, options: OutputOptions) -> Result<File, CaptureError> {
    let path = path.as_ref();
    let mut open = OpenOptions::new();
    open.write(true);
    if options.overwrite {
        open.create(true).truncate(true);
    } else {
        open.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        open.custom_flags(libc::O_NOFOLLOW);
        if options.private {
            open.mode(0o600);
        }
    }
    #[cfg(not(unix))]
    if is_symlink(path) {
        return Err(CaptureError::OutputIsSymlink);
    }
    let file = open.open(path).map_err(|err| {
        // `O_NOFOLLOW` fails with ELOOP on a link; `O_EXCL` fails with EEXIST on any existing
        // name, a link included, which deserves the more precise error.
        #[cfg(unix)]
        if err.raw_os_error() == Some(libc::ELOOP) {
            return CaptureError::OutputIsSymlink;
        }
        if err.kind() == ErrorKind::AlreadyExists {
            if is_symlink(path) {
                return CaptureError::OutputIsSymlink;
            }
            return CaptureError::OutputExists;
        }
        CaptureError::Io(err)
    })?;
    #[cfg(unix)]
    if options.private {
        // `mode` applies only to a file the open created; one that existed keeps its mode
        // unless it is set here, before any secret is written.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

/// The serialisation buffer kept between batches; a larger one is given back after its batch.
const KEEP_LINE_CAPACITY: usize = 1 << 20;

impl CaptureWriter<File> {
    /// Creates (or truncates) the file at `path`, never through a symbolic link (see
    /// [`create_output`]), and starts a capture in it, redacting.
    ///
    /// No buffering layer is added: every record is one `write` and one flush anyway.
    ///
    /// # Errors
    ///
    /// The file cannot be created or the header cannot be written.
    pub fn create(path: impl AsRef<Path>, header: Header) -> Result<Self, CaptureError> {
        Self::create_with(
            path,
            header,
            Redactor::default(),
            OutputOptions::default().overwrite(true),
        )
    }

    /// Creates the file at `path` with [`create_output`] and `options`, and starts a capture
    /// in it, redacting with `redactor`. A capture written with [`Redactor::disabled`] keeps
    /// its tokens, so its file is made private (`0600`) whatever `options` says.
    ///
    /// # Errors
    ///
    /// The file cannot be created (see [`create_output`]) or the header cannot be written.
    pub fn create_with(
        path: impl AsRef<Path>,
        header: Header,
        redactor: Redactor,
        options: OutputOptions,
    ) -> Result<Self, CaptureError> {
        let options = options.private(options.private || !redactor.is_enabled());
        Self::with_redactor(create_output(path, options)?, header, redactor)
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

    /// Appends several records (no header) with one `write` and one flush: whole lines, so a
    /// reader of the growing file sees either the batch's lines or none of them (a writer cut
    /// off mid-`write` may leave a partial last line, as with one record). For writers that
    /// receive records in bursts (the proxy's recorder): a burst costs one system call
    /// instead of one per record.
    ///
    /// # Errors
    ///
    /// [`CaptureError::HeaderAlreadyWritten`] for a header record (nothing of the batch is
    /// written then); writing or flushing failed.
    pub fn write_records<'a, I>(&mut self, records: I) -> Result<(), CaptureError>
    where
        I: IntoIterator<Item = &'a Record>,
    {
        self.line.clear();
        let mut count = 0;
        for record in records {
            if matches!(record, Record::Header(_)) {
                self.line.clear();
                return Err(CaptureError::HeaderAlreadyWritten);
            }
            // Copied only to be redacted: a writer told not to redact (its caller redacted
            // already, as the proxy's recorder does) serialises the records it was lent.
            let redacted;
            let record = if self.redactor.is_enabled() {
                let mut copy = record.clone();
                self.redactor.redact_record(&mut copy, &mut self.report);
                redacted = copy;
                &redacted
            } else {
                record
            };
            serde_json::to_writer(&mut self.line, record).map_err(std::io::Error::from)?;
            self.line.push(b'\n');
            count += 1;
        }
        if count == 0 {
            return Ok(());
        }
        self.out.write_all(&self.line)?;
        self.out.flush()?;
        self.records += count;
        if self.line.capacity() > KEEP_LINE_CAPACITY {
            // One huge burst should not pin its buffer for the rest of the capture.
            self.line = Vec::with_capacity(512);
        }
        Ok(())
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
