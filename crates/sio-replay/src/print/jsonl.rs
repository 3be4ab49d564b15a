//! The JSON Lines printer: one compact JSON object per report, one per line.

use std::io::{self, Write};

use super::{Printer, Report};

/// Writes each report as one line of JSON.
#[derive(Debug)]
pub(crate) struct JsonPrinter<W> {
    out: W,
}

impl<W: Write> JsonPrinter<W> {
    /// A printer writing to `out`.
    pub(crate) fn new(out: W) -> Self {
        Self { out }
    }
}

impl<W: Write> Printer for JsonPrinter<W> {
    fn print(&mut self, report: &dyn Report) -> io::Result<()> {
        report.write_json(&mut self.out)?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
