//! One direction of a TCP connection: segments in, in-order bytes and gaps out.

use std::collections::BTreeMap;

use crate::seq::unwrap;

/// Limits of a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The most payload bytes held out of order, waiting for a hole before them to be filled.
    /// Past it, the first hole is given up: reported as [`Event::Gap`], and the bytes after it
    /// delivered. Default [`DEFAULT_MAX_BUFFERED`].
    pub max_buffered: usize,
    /// How far ahead of the next expected byte a segment may start and still be taken; one
    /// further ahead is counted in [`Stats::out_of_window_segments`] and dropped, so that a
    /// corrupt sequence number cannot turn into a gap of gigabytes. Default
    /// [`DEFAULT_MAX_WINDOW`] (1 GiB, far beyond any real receive window).
    pub max_window: u64,
}

/// The default [`Config::max_buffered`]: 4 MiB.
pub const DEFAULT_MAX_BUFFERED: usize = 4 << 20;
/// The default [`Config::max_window`]: 1 GiB.
pub const DEFAULT_MAX_WINDOW: u64 = 1 << 30;

impl Default for Config {
    fn default() -> Self {
        Self {
            max_buffered: DEFAULT_MAX_BUFFERED,
            max_window: DEFAULT_MAX_WINDOW,
        }
    }
}

/// One TCP segment of the direction being reassembled: what the TCP header and payload say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The sequence number of the segment (of its SYN when `syn`, else of its first byte).
    pub seq: u32,
    /// SYN: the sequence number is the initial one, and the data starts one after it.
    pub syn: bool,
    /// FIN: the sender has no more bytes after this segment's payload.
    pub fin: bool,
    /// RST: the connection is aborted.
    pub rst: bool,
    /// The TCP payload.
    pub payload: &'a [u8],
}

impl<'a> Segment<'a> {
    /// A segment carrying `payload` at `seq`, with no flags.
    pub const fn data(seq: u32, payload: &'a [u8]) -> Self {
        Self {
            seq,
            syn: false,
            fin: false,
            rst: false,
            payload,
        }
    }
}

/// What became of a direction, pushed to the caller's sink in stream order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// The next bytes of the stream, starting at `offset` (counted from the first data byte).
    Data {
        /// Where the bytes start.
        offset: u64,
        /// The bytes, borrowed from the segment fed or from the reassembler's buffer.
        bytes: &'a [u8],
    },
    /// `len` bytes from `offset` never arrived: the stream goes on after them. Never joined
    /// silently: a reader of the stream must treat what follows as a new start.
    Gap {
        /// The first missing byte.
        offset: u64,
        /// How many bytes are missing.
        len: u64,
    },
    /// The direction ended at `offset` (the stream's length); nothing follows.
    End {
        /// The length of the stream.
        offset: u64,
        /// Why it ended.
        reason: EndReason,
    },
}

/// Why a direction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// The sender's FIN, once every byte before it was delivered (or given up as a gap).
    Fin,
    /// A RST from either side (fed to this direction by [`Reassembler::reset`] or a segment).
    Rst,
    /// The capture ended first ([`Reassembler::finish`]).
    EndOfCapture,
}

/// Counters of what was seen but not delivered as new bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Segments fed.
    pub segments: u64,
    /// Payload bytes that had been delivered or buffered already (retransmissions, overlaps).
    pub duplicate_bytes: u64,
    /// Segments dropped for starting more than [`Config::max_window`] ahead, or before the
    /// first byte of the stream.
    pub out_of_window_segments: u64,
    /// Segments fed after the direction ended.
    pub after_end_segments: u64,
    /// Holes reported as [`Event::Gap`].
    pub gaps: u64,
    /// Bytes missing in those holes.
    pub gap_bytes: u64,
}

/// Reassembles one direction of a TCP connection.
///
/// Feed every segment the capture holds for this direction, in capture order, with
/// [`Reassembler::segment`]; the reassembler pushes [`Event`]s to the sink you pass:
/// in-order bytes (borrowed from the segment itself when it is the next one, the common case,
/// so nothing is copied), gaps, and the end. The stream's offset 0 is the byte after the SYN,
/// or the first byte seen when the capture started mid-connection.
#[derive(Debug, Clone)]
pub struct Reassembler {
    config: Config,
    /// The sequence number of offset 0, once known.
    base: Option<u32>,
    /// The offset of the next byte to deliver.
    next: u64,
    /// Segments ahead of `next`, by starting offset (the longest kept for one start).
    pending: BTreeMap<u64, Vec<u8>>,
    pending_bytes: usize,
    /// Where the FIN said the stream stops.
    fin_at: Option<u64>,
    ended: bool,
    stats: Stats,
}

impl Reassembler {
    /// A reassembler that has seen nothing yet.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            base: None,
            next: 0,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            fin_at: None,
            ended: false,
            stats: Stats::default(),
        }
    }

    /// Counters so far.
    pub const fn stats(&self) -> Stats {
        self.stats
    }

    /// Whether the direction has ended (an [`Event::End`] was pushed).
    pub const fn is_ended(&self) -> bool {
        self.ended
    }

    /// The offset of the next byte expected: how many bytes were delivered or given up.
    pub const fn next_offset(&self) -> u64 {
        self.next
    }

    /// How many out-of-order payload bytes are held.
    pub const fn buffered(&self) -> usize {
        self.pending_bytes
    }

    /// Feeds one segment of this direction.
    pub fn segment(&mut self, segment: &Segment<'_>, sink: &mut impl FnMut(Event<'_>)) {
        self.stats.segments += 1;
        if self.ended {
            self.stats.after_end_segments += 1;
            return;
        }
        let data_seq = if segment.syn {
            segment.seq.wrapping_add(1)
        } else {
            segment.seq
        };
        let base = match self.base {
            Some(base) => base,
            None if segment.payload.is_empty() && !segment.syn && !segment.fin => {
                // A bare ACK before any data says nothing about where the stream starts.
                if segment.rst {
                    self.end(EndReason::Rst, sink);
                }
                return;
            }
            None => *self.base.insert(data_seq),
        };
        let start = unwrap(base, data_seq, self.next);
        let end = start + segment.payload.len() as i64;
        if start > self.next as i64 + self.config.max_window as i64 || end < 0 {
            self.stats.out_of_window_segments += 1;
            return;
        }
        if !segment.payload.is_empty() {
            self.take(start, segment.payload, sink);
        }
        if segment.fin {
            // `end >= 0` here; a FIN's offset only moves later, never before what was seen.
            let fin_at = end as u64;
            self.fin_at = Some(self.fin_at.map_or(fin_at, |known| known.max(fin_at)));
        }
        if segment.rst {
            self.end(EndReason::Rst, sink);
            return;
        }
        self.enforce_bound(sink);
        self.end_at_fin(sink);
    }

    /// Ends the direction because the connection was reset (a RST seen in the other
    /// direction): what is buffered is delivered after gaps for the holes before it.
    pub fn reset(&mut self, sink: &mut impl FnMut(Event<'_>)) {
        if !self.ended {
            self.end(EndReason::Rst, sink);
        }
    }

    /// Ends the direction at the end of the capture: buffered bytes are delivered after gaps
    /// for the holes before them, and a hole before a FIN seen becomes a last gap.
    pub fn finish(&mut self, sink: &mut impl FnMut(Event<'_>)) {
        if !self.ended {
            self.end(EndReason::EndOfCapture, sink);
        }
    }

    /// Takes the payload `bytes` starting at `start` (which may be before `next`).
    fn take(&mut self, start: i64, bytes: &[u8], sink: &mut impl FnMut(Event<'_>)) {
        let next = self.next as i64;
        let end = start + bytes.len() as i64;
        if end <= next {
            self.stats.duplicate_bytes += bytes.len() as u64;
            return;
        }
        if start <= next {
            // The next bytes (after trimming what was delivered already): straight through.
            let skip = (next - start) as usize;
            self.stats.duplicate_bytes += skip as u64;
            let fresh = &bytes[skip..];
            sink(Event::Data {
                offset: self.next,
                bytes: fresh,
            });
            self.next += fresh.len() as u64;
            self.drain_pending(sink);
            return;
        }
        let start = start as u64;
        match self.pending.get_mut(&start) {
            Some(held) if held.len() >= bytes.len() => {
                self.stats.duplicate_bytes += bytes.len() as u64;
            }
            Some(held) => {
                self.stats.duplicate_bytes += held.len() as u64;
                self.pending_bytes += bytes.len() - held.len();
                held.clear();
                held.extend_from_slice(bytes);
            }
            None => {
                self.pending_bytes += bytes.len();
                self.pending.insert(start, bytes.to_vec());
            }
        }
    }

    /// Delivers the held segments that now start at or before `next`.
    fn drain_pending(&mut self, sink: &mut impl FnMut(Event<'_>)) {
        while let Some(entry) = self.pending.first_entry() {
            let start = *entry.key();
            if start > self.next {
                break;
            }
            let bytes = entry.remove();
            self.pending_bytes -= bytes.len();
            let end = start + bytes.len() as u64;
            if end <= self.next {
                self.stats.duplicate_bytes += bytes.len() as u64;
                continue;
            }
            let skip = (self.next - start) as usize;
            self.stats.duplicate_bytes += skip as u64;
            sink(Event::Data {
                offset: self.next,
                bytes: &bytes[skip..],
            });
            self.next = end;
        }
    }

    /// Gives up the first hole: a gap up to the first held segment, then what follows it.
    fn skip_first_hole(&mut self, sink: &mut impl FnMut(Event<'_>)) -> bool {
        let Some((&start, _)) = self.pending.first_key_value() else {
            return false;
        };
        if start > self.next {
            self.gap(start - self.next, sink);
        }
        self.drain_pending(sink);
        true
    }

    fn gap(&mut self, len: u64, sink: &mut impl FnMut(Event<'_>)) {
        self.stats.gaps += 1;
        self.stats.gap_bytes += len;
        sink(Event::Gap {
            offset: self.next,
            len,
        });
        self.next += len;
    }

    fn enforce_bound(&mut self, sink: &mut impl FnMut(Event<'_>)) {
        while self.pending_bytes > self.config.max_buffered {
            if !self.skip_first_hole(sink) {
                break;
            }
        }
    }

    fn end_at_fin(&mut self, sink: &mut impl FnMut(Event<'_>)) {
        let at_fin = self
            .fin_at
            .is_some_and(|fin_at| self.next >= fin_at && self.pending.is_empty());
        if at_fin {
            self.ended = true;
            sink(Event::End {
                offset: self.next,
                reason: EndReason::Fin,
            });
        }
    }

    fn end(&mut self, reason: EndReason, sink: &mut impl FnMut(Event<'_>)) {
        while self.skip_first_hole(sink) {}
        let reason = match self.fin_at {
            Some(fin_at) => {
                if fin_at > self.next && reason != EndReason::Rst {
                    self.gap(fin_at - self.next, sink);
                }
                if self.next >= fin_at {
                    EndReason::Fin
                } else {
                    reason
                }
            }
            None => reason,
        };
        self.ended = true;
        sink(Event::End {
            offset: self.next,
            reason,
        });
    }
}
