//! TCP sequence numbers (32 bits, wrapping) turned into 64-bit stream offsets.

/// Half the sequence space: RFC 1982 serial number arithmetic compares within it.
const HALF: u64 = 1 << 31;
const SPACE: u64 = 1 << 32;

/// The 64-bit offset of `seq` relative to `base` (the sequence number of offset 0), taken as
/// the one nearest to `near` (an offset already known, such as the next byte expected).
///
/// A 32-bit sequence number names infinitely many 64-bit offsets, 2³² apart; the nearest to
/// where the stream is is the one TCP means, since a peer never has more than 2³¹ bytes in
/// flight. Offsets before 0 (a segment from before the first one seen) come out as negative.
pub(crate) fn unwrap(base: u32, seq: u32, near: u64) -> i64 {
    let relative = u64::from(seq.wrapping_sub(base));
    // The candidate in the same 2³² window as `near`, then the neighbour that is closer.
    let window = near & !(SPACE - 1);
    let candidate = window | relative;
    let offset = if candidate > near && candidate - near > HALF && candidate >= SPACE {
        candidate - SPACE
    } else if candidate < near && near - candidate > HALF {
        candidate + SPACE
    } else if candidate > near && candidate - near > HALF {
        // No earlier window: a segment from before the stream's first byte.
        return relative as i64 - SPACE as i64;
    } else {
        candidate
    };
    offset as i64
}

#[cfg(test)]
mod tests {
    use super::unwrap;

    #[test]
    fn offsets_follow_the_sequence_across_wraparound() {
        let base = u32::MAX - 9;
        assert_eq!(unwrap(base, base, 0), 0);
        assert_eq!(unwrap(base, 5, 0), 15);
        assert_eq!(unwrap(base, 5, 10), 15);
        // A retransmission of the first bytes is still offset 0 after the wrap.
        assert_eq!(unwrap(base, base, 15), 0);
    }

    #[test]
    fn a_later_window_is_chosen_near_a_large_offset() {
        let near = (1u64 << 32) + 100;
        assert_eq!(unwrap(0, 50, near), (1i64 << 32) + 50);
        assert_eq!(unwrap(0, 150, near), (1i64 << 32) + 150);
        // Just before the window boundary, from an offset just after it.
        assert_eq!(unwrap(0, u32::MAX, near), (1i64 << 32) - 1);
    }

    #[test]
    fn a_segment_before_the_first_byte_is_negative() {
        assert_eq!(unwrap(1000, 990, 0), -10);
        assert_eq!(unwrap(1000, 990, 5), -10);
    }
}
