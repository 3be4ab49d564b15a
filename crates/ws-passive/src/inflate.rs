//! Raw inflate for permessage-deflate (RFC 7692 section 7.2.2), bounded in output.
//!
//! Window bits: the inflater is always made with a 32 KiB window (`window_bits` 15; flate2's
//! `Decompress::new(false)`, on the zlib-rs backend, and miniz_oxide before it, which cannot
//! be told a smaller one). That is correct
//! for every negotiated `*_max_window_bits`: the parameter bounds how far back the *compressor*
//! may reference, so a stream compressed with a smaller window only ever references data that
//! a larger window also holds. The parameter matters to the memory of the sender, not to the
//! correctness of a receiver with the largest window, which is what zlib itself does when it
//! inflates with 15 whatever the stream was written with.

use flate2::{Decompress, FlushDecompress, Status};

/// How much output is produced per call into the inflater.
const CHUNK: usize = 32 * 1024;

/// The least output room offered per call.
const MIN_ROOM: usize = 256;

/// Why inflating stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InflateError {
    /// The output would pass the limit.
    TooLarge,
    /// The input is not a deflate stream.
    Corrupt,
}

/// One direction's inflate context: kept across messages under context takeover, reset after
/// each message otherwise.
pub(crate) struct Inflater {
    inner: Decompress,
    /// A final block (BFINAL) was read: the stream is over until [`Inflater::reset`].
    ended: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("total_in", &self.inner.total_in())
            .field("total_out", &self.inner.total_out())
            .field("ended", &self.ended)
            .finish()
    }
}

impl Inflater {
    /// A fresh raw (headerless) inflater with a 32 KiB window.
    pub(crate) fn new() -> Self {
        Self {
            inner: Decompress::new(false),
            ended: false,
        }
    }

    /// Forgets the window: the next input starts a new deflate stream.
    pub(crate) fn reset(&mut self) {
        self.inner.reset(false);
        self.ended = false;
    }

    /// `true` after a final block: the sender started over, so the context must be reset
    /// before the next message.
    pub(crate) const fn ended(&self) -> bool {
        self.ended
    }

    /// Inflates all of `input`, appending to `out`, which never grows past `limit` bytes: one
    /// byte more is [`InflateError::TooLarge`], and inflating stops there (a compression bomb
    /// costs at most `limit` bytes and the work to produce them).
    pub(crate) fn inflate(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), InflateError> {
        loop {
            if self.ended {
                // Input after a final block (the appended sync tail, or more) has no meaning.
                return Ok(());
            }
            let len = out.len();
            if len > limit {
                return Err(InflateError::TooLarge);
            }
            // Room for a typical ratio first, so that small messages do not pay for zeroing a
            // whole chunk; large outputs take more rounds.
            let guess = input.len().saturating_mul(4).max(MIN_ROOM);
            let room = guess.min(CHUNK).min(limit - len + 1);
            out.resize(len + room, 0);
            let (in_before, out_before) = (self.inner.total_in(), self.inner.total_out());
            let status = self
                .inner
                .decompress(input, &mut out[len..], FlushDecompress::Sync);
            // Both counts are bounded by the slices just given, so they fit in usize.
            let consumed = usize::try_from(self.inner.total_in() - in_before).unwrap_or(0);
            let produced = usize::try_from(self.inner.total_out() - out_before).unwrap_or(0);
            out.truncate(len + produced);
            input = input.get(consumed..).unwrap_or_default();
            match status {
                Err(_) => return Err(InflateError::Corrupt),
                Ok(Status::StreamEnd) => self.ended = true,
                Ok(Status::Ok | Status::BufError) => {
                    if consumed == 0 && produced == 0 {
                        // No progress: all input is in and no output is pending.
                        return if out.len() > limit {
                            Err(InflateError::TooLarge)
                        } else {
                            Ok(())
                        };
                    }
                }
            }
            if out.len() > limit {
                return Err(InflateError::TooLarge);
            }
            if input.is_empty() && produced < room && !self.ended {
                return Ok(());
            }
        }
    }
}
