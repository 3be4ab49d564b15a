//! RFC 6455 frame headers (section 5.2) and masking (section 5.3), without state: the stream
//! decoder gathers the header bytes, these functions read them.

/// The longest header: 2 bytes, a 64-bit length and a mask.
pub(crate) const MAX_HEADER_LEN: usize = 14;

/// Opcodes of RFC 6455 section 5.2.
pub(crate) mod opcode {
    /// A continuation frame.
    pub(crate) const CONTINUATION: u8 = 0x0;
    /// The first frame of a text message.
    pub(crate) const TEXT: u8 = 0x1;
    /// The first frame of a binary message.
    pub(crate) const BINARY: u8 = 0x2;
    /// A close frame.
    pub(crate) const CLOSE: u8 = 0x8;
    /// A ping frame.
    pub(crate) const PING: u8 = 0x9;
    /// A pong frame.
    pub(crate) const PONG: u8 = 0xA;
}

/// A frame header, read from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub(crate) fin: bool,
    pub(crate) rsv1: bool,
    /// RSV2 or RSV3.
    pub(crate) rsv23: bool,
    pub(crate) opcode: u8,
    pub(crate) mask: Option<[u8; 4]>,
    pub(crate) len: u64,
    /// The length was not written in the fewest bytes possible.
    pub(crate) non_minimal: bool,
}

impl FrameHeader {
    /// A close, ping or pong frame (and the reserved control opcodes 0xB to 0xF).
    pub(crate) const fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }
}

/// How long the header is, from its first two bytes.
pub(crate) const fn header_len(second: u8) -> usize {
    let ext = match second & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let mask = if second & 0x80 != 0 { 4 } else { 0 };
    2 + ext + mask
}

/// Reads a header from exactly [`header_len`] bytes (fewer read as zeros, never a panic).
pub(crate) fn parse_header(bytes: &[u8]) -> FrameHeader {
    let mut b = [0u8; MAX_HEADER_LEN];
    let n = bytes.len().min(MAX_HEADER_LEN);
    b[..n].copy_from_slice(&bytes[..n]);
    let (len, non_minimal, mut pos) = match b[1] & 0x7f {
        126 => {
            let len = u64::from(u16::from_be_bytes([b[2], b[3]]));
            (len, len < 126, 4)
        }
        127 => {
            let mut l = [0u8; 8];
            l.copy_from_slice(&b[2..10]);
            let len = u64::from_be_bytes(l);
            (len, len <= u64::from(u16::MAX), 10)
        }
        short => (u64::from(short), false, 2),
    };
    let mask = if b[1] & 0x80 != 0 {
        let m = [b[pos], b[pos + 1], b[pos + 2], b[pos + 3]];
        pos += 4;
        Some(m)
    } else {
        None
    };
    debug_assert!(pos <= MAX_HEADER_LEN);
    FrameHeader {
        fin: b[0] & 0x80 != 0,
        rsv1: b[0] & 0x40 != 0,
        rsv23: b[0] & 0x30 != 0,
        opcode: b[0] & 0x0f,
        mask,
        len,
        non_minimal,
    }
}

/// XORs `buf` with `mask`, `phase` bytes into the frame's payload (so a payload may be
/// unmasked in pieces). Eight bytes at a time: masking runs over every client byte.
pub(crate) fn unmask(buf: &mut [u8], mask: [u8; 4], phase: usize) {
    let m: [u8; 4] = std::array::from_fn(|i| mask[(phase + i) % 4]);
    let wide = u64::from_ne_bytes([m[0], m[1], m[2], m[3], m[0], m[1], m[2], m[3]]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(word) ^ wide).to_ne_bytes());
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= m[i % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_in_7_16_and_64_bits() {
        assert_eq!(header_len(0x05), 2);
        assert_eq!(header_len(0x85), 6);
        assert_eq!(header_len(126), 4);
        assert_eq!(header_len(127 | 0x80), 14);
        let h = parse_header(&[0x81, 0x05]);
        assert!(h.fin && !h.rsv1 && h.opcode == 1 && h.len == 5 && h.mask.is_none());
        let h = parse_header(&[0x02, 126, 0x01, 0x00]);
        assert_eq!((h.len, h.non_minimal, h.fin), (256, false, false));
        let h = parse_header(&[0x02, 126, 0x00, 0x10]);
        assert!(h.non_minimal);
        let h = parse_header(&[0xc1, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4]);
        assert_eq!((h.len, h.mask, h.rsv1), (65536, Some([1, 2, 3, 4]), true));
        assert!(!h.non_minimal);
    }

    #[test]
    fn unmasking_in_pieces_matches_unmasking_at_once() {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let plain: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut once = plain.clone();
        unmask(&mut once, mask, 0);
        for (i, b) in once.iter().enumerate() {
            assert_eq!(*b, plain[i] ^ mask[i % 4]);
        }
        for split in [1, 3, 7, 8, 13, 999] {
            let mut pieces = plain.clone();
            let (a, b) = pieces.split_at_mut(split);
            unmask(a, mask, 0);
            unmask(b, mask, split);
            assert_eq!(pieces, once, "split at {split}");
        }
    }
}
