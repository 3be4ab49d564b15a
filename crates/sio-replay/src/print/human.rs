//! The human printer: whatever each report's `write_human` says, in colour when allowed.

use std::io::{self, Write};

use super::{Palette, Printer, Report};

/// Writes reports for people.
#[derive(Debug)]
pub(crate) struct HumanPrinter<W> {
    out: W,
    palette: Palette,
}

impl<W: Write> HumanPrinter<W> {
    /// A printer writing to `out` with `palette`.
    pub(crate) fn new(out: W, palette: Palette) -> Self {
        Self { out, palette }
    }
}

impl<W: Write> Printer for HumanPrinter<W> {
    fn print(&mut self, report: &dyn Report) -> io::Result<()> {
        report.write_human(&mut self.out, &self.palette)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
