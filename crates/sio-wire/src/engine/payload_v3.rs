//! Engine.IO v3 long-polling payloads (Socket.IO 1.x and 2.x), decoded for old captures.
//!
//! From the engine.io-protocol README (v3), "Payload":
//!
//! > `<length1>:<packet1>[<length2>:<packet2>[...]]`
//! > * length: length of the packet in __characters__
//! >
//! > `<length of base64 representation of the data + 1 (for packet type)>:b<packet1 type><packet1 data in b64>`
//!
//! When both sides support binary (XHR2), v3 sends the payload as bytes instead:
//!
//! > `<0 for string data, 1 for binary data><Any number of numbers between 0 and 9><The number 255><packet1 (first type, then data)>[...]`
//!
//! which [`decode_polling_payload_v3_binary`] decodes.
//!
//! "Characters" are JavaScript string characters, that is UTF-16 code units: `€` is one,
//! `😀` is two. The README's own example `10:b4AQIDBA==` counts the `b`, so the length
//! covers the whole record after the colon.

use crate::engine::packet::{EnginePacket, Payload, decode_text_frame_with};
use crate::engine::payload::{Base64Data, PollingPacket};
use crate::error::{EngineError, EngineErrorKind};
use crate::limits::Limits;

/// An iterator over the packets of a v3 polling payload; see [`decode_polling_payload_v3`].
///
/// It stops after the first error.
#[derive(Debug, Clone)]
pub struct PollingPayloadV3<'a> {
    text: &'a str,
    pos: usize,
    done: bool,
    limits: Limits,
}

/// Decodes a v3 long-polling text payload lazily (`6:4hello2:4€`).
///
/// A `b` record (`10:b4AQIDBA==`) becomes [`PollingPacket::Base64`]; every other record is
/// decoded as a text frame. An empty payload holds no packets.
///
/// ```
/// use sio_wire::engine::{decode_polling_payload_v3, EnginePacket, PollingPacket};
/// let packets: Vec<_> = decode_polling_payload_v3("6:4hello2:4€").collect::<Result<_, _>>()?;
/// assert_eq!(packets, [
///     PollingPacket::Packet(EnginePacket::text("hello")),
///     PollingPacket::Packet(EnginePacket::text("€")),
/// ]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_polling_payload_v3(payload: &str) -> PollingPayloadV3<'_> {
    decode_polling_payload_v3_with(payload, &Limits::default())
}

/// [`decode_polling_payload_v3`] with explicit limits.
pub fn decode_polling_payload_v3_with<'a>(
    payload: &'a str,
    limits: &Limits,
) -> PollingPayloadV3<'a> {
    PollingPayloadV3 {
        text: payload,
        pos: 0,
        done: payload.is_empty(),
        limits: *limits,
    }
}

/// Returns the byte length of the first `units` UTF-16 code units of `s`, or an error kind
/// when `s` is shorter or the count ends inside a surrogate pair.
fn utf16_prefix_len(s: &str, units: u64) -> Result<usize, EngineErrorKind> {
    // Fast path: an ASCII prefix has one unit per byte.
    if let Ok(n) = usize::try_from(units) {
        if let Some(prefix) = s.as_bytes().get(..n) {
            if prefix.is_ascii() {
                return Ok(n);
            }
        }
    }
    let mut counted = 0u64;
    for (i, c) in s.char_indices() {
        if counted == units {
            return Ok(i);
        }
        counted += c.len_utf16() as u64;
        if counted > units {
            return Err(EngineErrorKind::LengthSplitsCharacter);
        }
    }
    if counted == units {
        Ok(s.len())
    } else {
        Err(EngineErrorKind::LengthExceedsPayload)
    }
}

impl<'a> PollingPayloadV3<'a> {
    fn next_record(&mut self) -> Result<PollingPacket<'a>, EngineError> {
        let start = self.pos;
        let rest = crate::json::tail(self.text.as_bytes(), start);
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || rest.get(digits) != Some(&b':') {
            return Err(EngineError::new(
                EngineErrorKind::InvalidLength,
                start + digits,
            ));
        }
        let mut units = 0u64;
        for &c in rest.iter().take(digits) {
            units = match units
                .checked_mul(10)
                .and_then(|u| u.checked_add(u64::from(c - b'0')))
            {
                Some(u) => u,
                None => {
                    return Err(EngineError::new(
                        EngineErrorKind::LengthExceedsPayload,
                        start,
                    ));
                }
            };
        }
        let record_start = start + digits + 1;
        let after_colon = crate::json::str_from(self.text, record_start);
        let len =
            utf16_prefix_len(after_colon, units).map_err(|kind| EngineError::new(kind, start))?;
        let record = crate::json::str_range(after_colon, 0, len);
        self.pos = record_start + len;
        if self.pos >= self.text.len() {
            self.done = true;
        }
        if let Some(rest) = record.strip_prefix('b') {
            let Some(base64) = rest.strip_prefix('4') else {
                let kind = if rest.is_empty() {
                    EngineErrorKind::Empty
                } else {
                    EngineErrorKind::BinaryNotMessage
                };
                return Err(EngineError::new(kind, record_start + 1));
            };
            return Base64Data::new(base64)
                .map(PollingPacket::Base64)
                .map_err(|e| EngineError::new(e.kind, e.offset + record_start + 2));
        }
        crate::engine::payload::decode_record(record, record_start, &self.limits)
    }
}

impl<'a> Iterator for PollingPayloadV3<'a> {
    type Item = Result<PollingPacket<'a>, EngineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.next_record();
        if result.is_err() {
            self.done = true;
        }
        Some(result)
    }
}

impl std::iter::FusedIterator for PollingPayloadV3<'_> {}

/// Appends a v3 text polling payload holding `packets` to `out`: each record is its length in
/// UTF-16 units, `:`, and the packet; a binary message becomes `b4` + base64 (the length
/// counting the `b`), as Engine.IO v3 sends it to a client without binary support.
///
/// ```
/// use sio_wire::engine::{encode_polling_payload_v3, EnginePacket};
/// let mut out = String::new();
/// encode_polling_payload_v3([EnginePacket::text("€"), EnginePacket::binary(&[1, 2, 3, 4])], &mut out)?;
/// assert_eq!(out, "2:4€10:b4AQIDBA==");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// None for text and binary packets today; the `Result` matches
/// [`encode_polling_payload`](crate::engine::encode_polling_payload).
pub fn encode_polling_payload_v3<'p, I>(packets: I, out: &mut String) -> Result<(), EngineError>
where
    I: IntoIterator,
    I::Item: Into<PollingPacket<'p>>,
{
    use base64::Engine as _;
    use std::fmt::Write as _;
    let mut record = String::new();
    for packet in packets {
        record.clear();
        match packet.into() {
            PollingPacket::Base64(data) => {
                record.push_str("b4");
                record.push_str(data.as_str());
            }
            PollingPacket::Packet(EnginePacket::Message(Payload::Binary(bytes))) => {
                record.push_str("b4");
                base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut record);
            }
            PollingPacket::Packet(packet) => {
                crate::engine::packet::encode_text_frame(&packet, &mut record)?;
            }
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{}:", record.encode_utf16().count());
        out.push_str(&record);
    }
    Ok(())
}

/// An iterator over the packets of a v3 binary (XHR2) polling payload; see
/// [`decode_polling_payload_v3_binary`].
///
/// It stops after the first error.
#[derive(Debug, Clone)]
pub struct PollingPayloadV3Binary<'a> {
    bytes: &'a [u8],
    pos: usize,
    done: bool,
    limits: Limits,
}

/// Decodes a v3 binary (XHR2) polling payload lazily.
///
/// Each record is a header byte (`0` text, `1` binary), the record's length in bytes as
/// decimal digits with one digit per byte (values 0 to 9, not ASCII), a `0xff` separator, and
/// the record: a text packet (UTF-8) or a type byte (`4`) and the binary data. From the v3
/// README:
///
/// ```
/// use sio_wire::engine::{decode_polling_payload_v3_binary, EnginePacket};
/// let payload = [0x00, 0x04, 0xff, 0x34, 0xe2, 0x82, 0xac, 0x01, 0x05, 0xff, 0x04, 0x01, 0x02, 0x03, 0x04];
/// let packets: Vec<_> = decode_polling_payload_v3_binary(&payload).collect::<Result<_, _>>()?;
/// assert_eq!(packets, [EnginePacket::text("€"), EnginePacket::binary(&[1, 2, 3, 4])]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_polling_payload_v3_binary(payload: &[u8]) -> PollingPayloadV3Binary<'_> {
    PollingPayloadV3Binary {
        bytes: payload,
        pos: 0,
        done: payload.is_empty(),
        limits: Limits::default(),
    }
}

impl<'a> PollingPayloadV3Binary<'a> {
    fn next_record(&mut self) -> Result<EnginePacket<'a>, EngineError> {
        let start = self.pos;
        let rest = crate::json::tail(self.bytes, start);
        let is_binary = match rest.first() {
            Some(0) => false,
            Some(1) => true,
            _ => return Err(EngineError::new(EngineErrorKind::InvalidLength, start)),
        };
        let digits = rest.iter().skip(1).take_while(|&&d| d <= 9).count();
        if digits == 0 || rest.get(1 + digits) != Some(&0xff) {
            return Err(EngineError::new(
                EngineErrorKind::InvalidLength,
                start + 1 + digits,
            ));
        }
        let mut len = 0usize;
        for &d in rest.iter().skip(1).take(digits) {
            len = match len
                .checked_mul(10)
                .and_then(|l| l.checked_add(usize::from(d)))
            {
                Some(l) => l,
                None => {
                    return Err(EngineError::new(
                        EngineErrorKind::LengthExceedsPayload,
                        start,
                    ));
                }
            };
        }
        let record_start = start + 2 + digits;
        let Some(record) = self
            .bytes
            .get(record_start..record_start.saturating_add(len))
        else {
            return Err(EngineError::new(
                EngineErrorKind::LengthExceedsPayload,
                start,
            ));
        };
        self.pos = record_start + len;
        if self.pos >= self.bytes.len() {
            self.done = true;
        }
        if is_binary {
            return match record.split_first() {
                Some((&4, data)) => Ok(EnginePacket::Message(Payload::Binary(data))),
                Some(_) => Err(EngineError::new(
                    EngineErrorKind::BinaryNotMessage,
                    record_start,
                )),
                None => Err(EngineError::new(EngineErrorKind::Empty, record_start)),
            };
        }
        let text = std::str::from_utf8(record).map_err(|e| {
            EngineError::new(EngineErrorKind::InvalidUtf8, record_start + e.valid_up_to())
        })?;
        decode_text_frame_with(text, &self.limits)
            .map_err(|e| EngineError::new(e.kind, e.offset + record_start))
    }
}

impl<'a> Iterator for PollingPayloadV3Binary<'a> {
    type Item = Result<EnginePacket<'a>, EngineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.next_record();
        if result.is_err() {
            self.done = true;
        }
        Some(result)
    }
}

impl std::iter::FusedIterator for PollingPayloadV3Binary<'_> {}
