//! Fuzz harness body for `fuzz/fuzz_targets/reassembler_segment.rs`, replayed over the
//! committed seeds by this crate's tests.

use crate::{Config, Event, Reassembler, Segment};

/// The byte at `offset` of the stream the fuzzer's segments are cut from: every byte known,
/// so whatever is delivered can be checked.
fn stream_byte(offset: u64) -> u8 {
    (offset.wrapping_mul(31).wrapping_add(7) % 251) as u8
}

/// Cuts segments of one known stream as the input says (4 bytes of initial sequence number,
/// a buffer bound, then 4 bytes a segment: start, length, flags), feeds them, and checks what
/// comes out: offsets contiguous from 0, every delivered byte the stream's own, one end, last.
pub fn reassembler_segment(data: &[u8]) {
    let Some((isn, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let isn = u32::from_le_bytes(*isn);
    let Some((&bound, ops)) = rest.split_first() else {
        return;
    };
    let config = Config {
        max_buffered: usize::from(bound) * 8,
        max_window: 1 << 20,
    };
    let mut stream = Reassembler::new(config);
    // Offset 0 is where the first segment that says anything starts (mid-stream captures).
    let shift = std::cell::Cell::new(None::<u64>);
    let mut at = 0u64;
    let mut ended = false;
    let mut check = |event: Event<'_>| {
        assert!(!ended, "an event after the end: {event:?}");
        match event {
            Event::Data { offset, bytes } => {
                assert_eq!(offset, at, "data out of place");
                assert!(!bytes.is_empty(), "empty data event");
                for (i, &b) in bytes.iter().enumerate() {
                    let shift = shift.get().unwrap_or(0);
                    let expected = stream_byte(offset + i as u64 + shift);
                    assert_eq!(b, expected, "a byte not the stream's");
                }
                at += bytes.len() as u64;
            }
            Event::Gap { offset, len } => {
                assert_eq!(offset, at, "gap out of place");
                assert!(len > 0, "empty gap");
                at += len;
            }
            Event::End { offset, .. } => {
                assert_eq!(offset, at, "end out of place");
                ended = true;
            }
        }
    };
    let mut payload = Vec::new();
    for op in ops.chunks_exact(4) {
        let start = u64::from(u16::from_le_bytes([op[0], op[1]]));
        let len = u64::from(op[2]);
        let flags = op[3];
        payload.clear();
        payload.extend((start..start + len).map(stream_byte));
        let syn = flags & 1 != 0;
        let fin = flags & 2 != 0;
        if shift.get().is_none() && (len > 0 || syn || fin) {
            shift.set(Some(start));
        }
        // A SYN takes the sequence number before the data.
        let seq = isn.wrapping_add(start as u32).wrapping_sub(u32::from(syn));
        let segment = Segment {
            seq,
            syn,
            fin,
            rst: flags & 4 != 0 && flags & 8 != 0,
            payload: &payload,
        };
        stream.segment(&segment, &mut check);
    }
    stream.finish(&mut check);
    assert!(ended, "finish did not end the stream");
    assert!(stream.is_ended());
}
