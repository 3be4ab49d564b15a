//! Engine.IO v4 long-polling payloads: several packets in one HTTP body.
//!
//! From the engine.io-protocol README (v4), "HTTP long-polling":
//!
//! > The packets are separated by the record separator character: `\x1e`
//! >
//! > Binary payloads MUST be base64-encoded and prefixed with a `b` character
//!
//! Decoding is an iterator over the body, so no `Vec` of packets is built: each record is
//! found with `memchr` and decoded in place, and a binary record stays base64 until the caller
//! asks for its bytes ([`Base64Data::decode_into`]).

use base64::Engine as _;

use crate::engine::packet::{EnginePacket, Payload, decode_text_frame_with};
use crate::error::{EngineError, EngineErrorKind};
use crate::limits::Limits;

/// The record separator between packets of a polling payload.
pub const RECORD_SEPARATOR: char = '\x1e';

/// A validated base64 string (standard alphabet, padded, canonical), borrowed from a polling
/// payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Base64Data<'a> {
    text: &'a str,
}

fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

impl<'a> Base64Data<'a> {
    /// Validates `text` as padded standard base64 whose unused trailing bits are zero (what
    /// every Engine.IO implementation writes, and what the `base64` crate's `STANDARD` engine
    /// accepts).
    ///
    /// # Errors
    /// [`EngineErrorKind::InvalidBase64`] at the offending byte (or at `text.len()` when the
    /// length is not a multiple of four).
    pub fn new(text: &'a str) -> Result<Self, EngineError> {
        let b = text.as_bytes();
        let bad = |i| Err(EngineError::new(EngineErrorKind::InvalidBase64, i));
        if b.len() % 4 != 0 {
            // Find the first byte that is not base64 at all, if any, for a better offset.
            if let Some(i) = b
                .iter()
                .position(|&c| c != b'=' && base64_value(c).is_none())
            {
                return bad(i);
            }
            return bad(b.len());
        }
        let padding = b.iter().rev().take(2).take_while(|&&c| c == b'=').count();
        let data_len = b.len() - padding;
        for (i, &c) in b.iter().enumerate().take(data_len) {
            if base64_value(c).is_none() {
                return bad(i);
            }
        }
        if padding > 0 {
            // The last data character carries unused low bits that must be zero: 4 bits
            // when there are two `=`, 2 bits when there is one.
            let last = data_len - 1;
            let value = match b.get(last).copied().and_then(base64_value) {
                Some(value) => value,
                None => return bad(last),
            };
            let unused_mask = if padding == 2 { 0b1111 } else { 0b11 };
            if value & unused_mask != 0 {
                return bad(last);
            }
        }
        Ok(Self { text })
    }

    /// The base64 text.
    pub const fn as_str(&self) -> &'a str {
        self.text
    }

    /// The number of bytes the data decodes to.
    pub fn decoded_len(&self) -> usize {
        let padding = self
            .text
            .as_bytes()
            .iter()
            .rev()
            .take(2)
            .take_while(|&&c| c == b'=')
            .count();
        self.text.len() / 4 * 3 - padding
    }

    /// Appends the decoded bytes to `out`.
    ///
    /// # Errors
    /// None in practice: the text was validated when this value was made. An
    /// [`EngineErrorKind::InvalidBase64`] would indicate a bug in that validation.
    pub fn decode_into(&self, out: &mut Vec<u8>) -> Result<(), EngineError> {
        base64::engine::general_purpose::STANDARD
            .decode_vec(self.text, out)
            .map_err(|_| EngineError::new(EngineErrorKind::InvalidBase64, 0))
    }
}

/// One record of a polling payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollingPacket<'a> {
    /// A text record: an Engine.IO packet as in a text frame. When encoding, a binary message
    /// here is base64-encoded into a `b` record.
    Packet(EnginePacket<'a>),
    /// A `b` record: a binary message, still in base64.
    Base64(Base64Data<'a>),
}

impl<'a> From<EnginePacket<'a>> for PollingPacket<'a> {
    fn from(packet: EnginePacket<'a>) -> Self {
        Self::Packet(packet)
    }
}

impl<'a> From<&EnginePacket<'a>> for PollingPacket<'a> {
    fn from(packet: &EnginePacket<'a>) -> Self {
        Self::Packet(packet.clone())
    }
}

impl<'a> From<&PollingPacket<'a>> for PollingPacket<'a> {
    fn from(packet: &PollingPacket<'a>) -> Self {
        packet.clone()
    }
}

/// An iterator over the packets of a v4 polling payload; see [`decode_polling_payload`].
///
/// It stops after the first error.
#[derive(Debug, Clone)]
pub struct PollingPayload<'a> {
    text: &'a str,
    pos: usize,
    done: bool,
    limits: Limits,
}

/// Decodes a v4 long-polling payload lazily.
///
/// An empty payload holds no packets. Offsets in errors count from the start of the payload.
///
/// ```
/// use sio_wire::engine::{decode_polling_payload, EnginePacket, PollingPacket};
/// let packets: Vec<_> = decode_polling_payload("4hello\x1e2\x1ebAQIDBA==").collect::<Result<_, _>>()?;
/// assert_eq!(packets[0], PollingPacket::Packet(EnginePacket::text("hello")));
/// assert_eq!(packets[1], PollingPacket::Packet(EnginePacket::Ping("")));
/// let PollingPacket::Base64(data) = &packets[2] else { return Err("not binary".into()) };
/// let mut bytes = Vec::new();
/// data.decode_into(&mut bytes)?;
/// assert_eq!(bytes, [1, 2, 3, 4]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_polling_payload(payload: &str) -> PollingPayload<'_> {
    decode_polling_payload_with(payload, &Limits::default())
}

/// [`decode_polling_payload`] for an HTTP body given as bytes, checking UTF-8 first (the
/// README: "The character encoding is UTF-8 for plain text and for base64-encoded binary
/// payloads").
///
/// # Errors
/// [`EngineErrorKind::InvalidUtf8`] at the first invalid byte.
pub fn decode_polling_payload_bytes(payload: &[u8]) -> Result<PollingPayload<'_>, EngineError> {
    match std::str::from_utf8(payload) {
        Ok(text) => Ok(decode_polling_payload(text)),
        Err(e) => Err(EngineError::new(
            EngineErrorKind::InvalidUtf8,
            e.valid_up_to(),
        )),
    }
}

/// [`decode_polling_payload`] with explicit limits.
pub fn decode_polling_payload_with<'a>(payload: &'a str, limits: &Limits) -> PollingPayload<'a> {
    PollingPayload {
        text: payload,
        pos: 0,
        done: payload.is_empty(),
        limits: *limits,
    }
}

/// Decodes one record (text packet or `b` + base64) found at `offset` in a payload.
pub(crate) fn decode_record<'a>(
    record: &'a str,
    offset: usize,
    limits: &Limits,
) -> Result<PollingPacket<'a>, EngineError> {
    let shift = |e: EngineError| EngineError::new(e.kind, e.offset + offset);
    if let Some(base64) = record.strip_prefix('b') {
        return Base64Data::new(base64)
            .map(PollingPacket::Base64)
            .map_err(|e| EngineError::new(e.kind, e.offset + offset + 1));
    }
    decode_text_frame_with(record, limits)
        .map(PollingPacket::Packet)
        .map_err(shift)
}

impl<'a> Iterator for PollingPayload<'a> {
    type Item = Result<PollingPacket<'a>, EngineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = crate::json::tail(self.text.as_bytes(), self.pos);
        let end = match memchr::memchr(b'\x1e', rest) {
            Some(k) => self.pos + k,
            None => {
                self.done = true;
                self.text.len()
            }
        };
        let start = self.pos;
        // The separator is ASCII, so both ends are character boundaries.
        let record = crate::json::str_range(self.text, start, end);
        self.pos = end + 1;
        let result = decode_record(record, start, &self.limits);
        if result.is_err() {
            self.done = true;
        }
        Some(result)
    }
}

impl std::iter::FusedIterator for PollingPayload<'_> {}

/// Appends a v4 polling payload holding `packets` to `out`, separated by `\x1e`; binary
/// messages are base64-encoded into `b` records.
///
/// # Errors
/// [`EngineErrorKind::RecordSeparatorInData`] when a text packet contains `\x1e` (the offset
/// is the byte in the output where it would have been written), and
/// [`EngineErrorKind::BinaryInTextFrame`] never (binary messages are base64-encoded). On
/// error, `out` may hold a partial payload.
///
/// ```
/// use sio_wire::engine::{encode_polling_payload, EnginePacket};
/// let mut out = String::new();
/// encode_polling_payload([EnginePacket::text("hello"), EnginePacket::binary(&[1, 2, 3, 4])], &mut out)?;
/// assert_eq!(out, "4hello\x1ebAQIDBA==");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_polling_payload<'p, I>(packets: I, out: &mut String) -> Result<(), EngineError>
where
    I: IntoIterator,
    I::Item: Into<PollingPacket<'p>>,
{
    for (n, packet) in packets.into_iter().enumerate() {
        if n > 0 {
            out.push(RECORD_SEPARATOR);
        }
        let start = out.len();
        match packet.into() {
            PollingPacket::Base64(data) => {
                out.push('b');
                out.push_str(data.as_str());
            }
            PollingPacket::Packet(EnginePacket::Message(Payload::Binary(bytes))) => {
                out.push('b');
                base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
            }
            PollingPacket::Packet(packet) => {
                crate::engine::packet::encode_text_frame(&packet, out)?;
                if let Some(k) = memchr::memchr(b'\x1e', crate::json::tail(out.as_bytes(), start)) {
                    return Err(EngineError::new(
                        EngineErrorKind::RecordSeparatorInData,
                        start + k,
                    ));
                }
            }
        }
    }
    Ok(())
}
