//! The observer's limits.

/// The default [`Config::max_message_size`]: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 << 20;

/// Limits of an [`Observer`](crate::Observer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The largest message kept, in bytes after inflating. A longer one is reported as
    /// [`ErrorKind::MessageTooLarge`](crate::ErrorKind::MessageTooLarge) and the rest of it is
    /// skipped without being buffered or inflated: this bounds the memory of each direction
    /// (and defuses compression bombs). Default [`DEFAULT_MAX_MESSAGE_SIZE`].
    pub max_message_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

impl Config {
    /// The same configuration with another [`Config::max_message_size`].
    pub const fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }
}
