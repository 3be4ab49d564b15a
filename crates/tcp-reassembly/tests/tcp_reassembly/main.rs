//! The tcp-reassembly test binary: one module per subject.

mod cases;
mod fuzz_corpus;
mod properties;

use tcp_reassembly::{Event, Reassembler, Segment};

/// What a direction delivered: its bytes, its gaps (offset, length) and how it ended.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Delivered {
    pub(crate) bytes: Vec<u8>,
    pub(crate) gaps: Vec<(u64, u64)>,
    pub(crate) end: Option<(u64, tcp_reassembly::EndReason)>,
}

impl Delivered {
    pub(crate) fn sink(&mut self) -> impl FnMut(Event<'_>) + '_ {
        |event| match event {
            Event::Data { offset, bytes } => {
                assert_eq!(offset, self.len(), "data out of place");
                self.bytes.extend_from_slice(bytes);
            }
            Event::Gap { offset, len } => {
                assert_eq!(offset, self.len(), "gap out of place");
                self.gaps.push((offset, len));
                // Holes are kept in the byte count so that offsets line up; marked by zeros.
                self.bytes.extend(std::iter::repeat_n(0, len as usize));
            }
            Event::End { offset, reason } => {
                assert_eq!(offset, self.len(), "end out of place");
                assert!(self.end.is_none(), "two ends");
                self.end = Some((offset, reason));
            }
        }
    }

    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }
}

/// Feeds `segments` and finishes, returning what came out.
pub(crate) fn run(stream: &mut Reassembler, segments: &[Segment<'_>]) -> Delivered {
    let mut out = Delivered::default();
    {
        let mut sink = out.sink();
        for segment in segments {
            stream.segment(segment, &mut sink);
        }
        stream.finish(&mut sink);
    }
    out
}
