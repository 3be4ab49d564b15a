//! Sans-IO TCP stream reassembly for packet captures: the segments one side of a connection
//! sent, in the order a capture holds them, become that side's byte stream, with every hole
//! reported rather than joined over.
//!
//! A capture is not a socket: segments come late, twice, overlapping, out of order, or never
//! (the capturing kernel dropped them, or the capture started or stopped mid-connection).
//! [`Reassembler`] orders one direction by sequence number (32-bit, wrapping, turned into
//! 64-bit offsets), drops what was delivered already (retransmissions; where two copies of a
//! byte differ, the first one delivered wins), holds segments that arrive early up to
//! [`Config::max_buffered`] bytes, and when a hole will not be filled (the bound is reached, a
//! RST, the end of the capture, a FIN after the hole) reports it as an [`Event::Gap`] with its
//! offset and length. Nothing is ever silently joined: a reader above knows the bytes after a
//! gap do not follow the bytes before it.
//!
//! It knows nothing of IP, ports or files: the pcap importer in `sio-capture` finds the
//! segments and keeps one reassembler per direction of each connection.
//!
//! # Example
//!
//! ```
//! use tcp_reassembly::{Config, EndReason, Event, Reassembler, Segment};
//!
//! let mut stream = Reassembler::new(Config::default());
//! let mut seen = Vec::new();
//! let mut sink = |event: Event<'_>| seen.push(format!("{event:?}"));
//! // The SYN at 4294967290: data starts at the next sequence number and wraps past 2³².
//! stream.segment(&Segment { syn: true, ..Segment::data(u32::MAX - 5, b"") }, &mut sink);
//! // "world" arrives before "hello ", then "hello " twice (a retransmission).
//! stream.segment(&Segment::data(1, b"world"), &mut sink);
//! stream.segment(&Segment::data(u32::MAX - 4, b"hello "), &mut sink);
//! stream.segment(&Segment::data(u32::MAX - 4, b"hello "), &mut sink);
//! // Then a segment after a hole of 3 bytes, and the capture ends.
//! stream.segment(&Segment::data(9, b"!"), &mut sink);
//! stream.finish(&mut sink);
//! assert_eq!(
//!     seen,
//!     [
//!         r#"Data { offset: 0, bytes: [104, 101, 108, 108, 111, 32] }"#,
//!         r#"Data { offset: 6, bytes: [119, 111, 114, 108, 100] }"#,
//!         "Gap { offset: 11, len: 3 }",
//!         r#"Data { offset: 14, bytes: [33] }"#,
//!         "End { offset: 15, reason: EndOfCapture }",
//!     ]
//! );
//! assert_eq!(stream.stats().duplicate_bytes, 6);
//! # let _ = EndReason::Fin;
//! ```
//!
//! # Layout
//!
//! - `src/stream.rs`: [`Reassembler`], [`Segment`], [`Event`], [`Config`], [`Stats`].
//! - `src/seq.rs`: sequence numbers to offsets, across wraparound.
//! - `src/fuzzing.rs`: the fuzz harness body (hidden, compiled only with the `fuzzing`
//!   feature), driven from `fuzz/`.

#![forbid(unsafe_code)]

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod seq;
mod stream;

pub use stream::{
    Config, DEFAULT_MAX_BUFFERED, DEFAULT_MAX_WINDOW, EndReason, Event, Reassembler, Segment, Stats,
};
