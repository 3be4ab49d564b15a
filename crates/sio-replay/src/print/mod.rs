//! Output formats as plug-ins: a handler builds a [`Report`] and hands it to a [`Printer`];
//! which printer it gets (human or JSON Lines) was decided once, from `--format` and whether
//! stdout is a terminal. Handlers never branch on the format.

mod human;
mod jsonl;

use std::io::{self, IsTerminal, Write};

pub(crate) use human::HumanPrinter;
pub(crate) use jsonl::JsonPrinter;

use crate::cli::{ColorArg, FormatArg};

/// Something a subcommand prints: a decoded frame, an import summary, a check verdict...
pub(crate) trait Report {
    /// Write the report for a person (may span several lines; ends with a newline).
    fn write_human(&self, out: &mut dyn Write, palette: &Palette) -> io::Result<()>;

    /// Write the report as one line of compact JSON, without the newline.
    fn write_json(&self, out: &mut dyn Write) -> io::Result<()>;
}

/// Writes `value` as compact JSON: the usual body of [`Report::write_json`].
pub(crate) fn write_json_value(out: &mut dyn Write, value: &serde_json::Value) -> io::Result<()> {
    serde_json::to_writer(out, value).map_err(io::Error::from)
}

/// Where reports go.
pub(crate) trait Printer {
    /// Print one report.
    fn print(&mut self, report: &dyn Report) -> io::Result<()>;

    /// Push buffered output out, e.g. after a long-running command's banner.
    fn flush(&mut self) -> io::Result<()>;
}

/// The printer that `--format` and `--color` ask for, writing to stdout.
pub(crate) fn stdout_printer(format: FormatArg, color: ColorArg) -> Box<dyn Printer> {
    let terminal = io::stdout().is_terminal();
    let human = match format {
        FormatArg::Auto => terminal,
        FormatArg::Human => true,
        FormatArg::Json => false,
    };
    let out = io::BufWriter::new(io::stdout().lock());
    if human {
        let colored = match color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => terminal && std::env::var_os("NO_COLOR").is_none(),
        };
        Box::new(HumanPrinter::new(out, Palette::new(colored)))
    } else {
        Box::new(JsonPrinter::new(out))
    }
}

/// What a piece of human output is, so the palette can colour it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Titles and labels.
    Heading,
    /// Secondary detail: offsets, times.
    Dim,
    /// Something the client sent.
    Client,
    /// Something the server sent.
    Server,
    /// An error or a removed diff line.
    Bad,
    /// A success or an added diff line.
    Good,
    /// A value worth noticing: an event name, a URL.
    Accent,
}

/// Colours for human output, or none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Palette {
    colored: bool,
}

impl Palette {
    /// A palette that colours (`true`) or leaves text plain.
    pub(crate) fn new(colored: bool) -> Self {
        Self { colored }
    }

    /// `text` styled for `role`.
    pub(crate) fn paint(&self, role: Role, text: impl std::fmt::Display) -> String {
        if !self.colored {
            return text.to_string();
        }
        let style = match role {
            Role::Heading => console::Style::new().bold(),
            Role::Dim => console::Style::new().dim(),
            Role::Client => console::Style::new().cyan(),
            Role::Server => console::Style::new().magenta(),
            Role::Bad => console::Style::new().red(),
            Role::Good => console::Style::new().green(),
            Role::Accent => console::Style::new().yellow(),
        };
        style.force_styling(true).apply_to(text).to_string()
    }
}
