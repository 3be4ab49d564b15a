//! "Need more input" as a value, not an error.

/// The result of feeding input to an incremental decoder.
///
/// `Partial` means the input so far is fine but incomplete; wrong input is reported as an
/// error instead (as in httparse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status<T> {
    /// Decoding finished with this value.
    Complete(T),
    /// More input is needed.
    Partial,
}

impl<T> Status<T> {
    /// `true` when decoding finished.
    pub const fn is_complete(&self) -> bool {
        matches!(self, Self::Complete(_))
    }

    /// `true` when more input is needed.
    pub const fn is_partial(&self) -> bool {
        matches!(self, Self::Partial)
    }

    /// The finished value, if any.
    pub fn complete(self) -> Option<T> {
        match self {
            Self::Complete(value) => Some(value),
            Self::Partial => None,
        }
    }

    /// Maps the finished value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Status<U> {
        match self {
            Self::Complete(value) => Status::Complete(f(value)),
            Self::Partial => Status::Partial,
        }
    }
}
