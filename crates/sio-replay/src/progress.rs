//! Progress bars for long work: drawn on a terminal, silent otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress bars should be drawn at all: only when stderr is a terminal and the user
/// did not ask for quiet. Bars draw on stderr so that stdout stays clean for data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Progress {
    visible: bool,
}

impl Progress {
    /// Decide from the terminal and `--quiet`.
    pub(crate) fn new(quiet: bool) -> Self {
        Self {
            visible: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// A counter without a known end ("1234 frames"), ticking on its own.
    pub(crate) fn spinner(self, what: &'static str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        // The template is a constant, so a parse failure would be a bug caught by any run on a
        // terminal; fall back to the default style rather than panic.
        if let Ok(style) =
            ProgressStyle::with_template(&format!("{{spinner}} {{elapsed}} {{pos}} {what} {{msg}}"))
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    /// A bar with a known length ("37/100 clients").
    pub(crate) fn bar(self, len: u64, what: &'static str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{{bar:30}} {{pos}}/{{len}} {what} {{elapsed}} {{msg}}"
        )) {
            bar.set_style(style);
        }
        bar
    }
}
