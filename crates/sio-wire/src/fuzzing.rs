//! Fuzz harness bodies, driven by the one-line targets in `fuzz/fuzz_targets/` (each named
//! after the function here) and replayed as ordinary tests by `tests/fuzz_corpus.rs`, which
//! runs every committed seed in `fuzz/seeds/<target>/` through the same body on stable.
//!
//! Each body takes arbitrary bytes, decodes them, and asserts the codec's invariants:
//! - no panic, whatever the input;
//! - every error offset is at most the input's length;
//! - what decodes re-encodes to something that decodes to the same value (and, where the
//!   encoding is canonical, to the same bytes);
//! - the lazy JSON accessors agree with each other on every sub-value.
//!
//! Compiled only with the `fuzzing` feature, which `fuzz/` and this crate's own tests turn on:
//! the structure-aware round trip (`roundtrip_socket_packet`) builds packets from an
//! [`arbitrary`](https://docs.rs/arbitrary) input type, and `raw_json_new` checks the JSON
//! scanner against serde_json, the feature's two optional dependencies.
//!
//! Not part of the public API: bodies may change with the codec.

use std::borrow::Cow;

use crate::engine::{self, EnginePacket, Payload, PollingPacket};
use crate::json::JsonKind;
use crate::socket::{self, Arg, BinaryReassembler, SocketPacket};
use crate::{DecodedFrame, Limits, RawJson, SocketErrorKind, Status};

/// Drives [`engine::decode_text_frame_bytes`]: an Engine.IO packet in a WebSocket text frame.
///
/// Invariants: error offsets are within the input; a decoded packet re-encodes (with
/// [`engine::encode_text_frame`]) to a frame that decodes to the same packet, and to the same
/// bytes unless it is a handshake (which is re-encoded in its canonical key order).
pub fn decode_text_frame(data: &[u8]) {
    match engine::decode_text_frame_bytes(data) {
        Ok(packet) => {
            let mut out = String::new();
            let encoded = engine::encode_text_frame(&packet, &mut out);
            assert!(
                encoded.is_ok(),
                "a decoded text frame re-encodes: {packet:?}"
            );
            let again = engine::decode_text_frame(&out);
            assert_eq!(again.as_ref().ok(), Some(&packet), "re-encoded {out:?}");
            if !matches!(packet, EnginePacket::Open(_)) {
                assert_eq!(out.as_bytes(), data, "text frames re-encode byte for byte");
            }
        }
        Err(e) => assert_offset(e.offset, data.len()),
    }
}

/// Drives [`engine::decode_binary_frame`] and [`engine::decode_binary_frame_v3`]: an Engine.IO
/// packet in a WebSocket binary frame, and the same bytes as a base64 polling record.
///
/// Invariants: a v4 binary frame is the message as it is; a v3 frame re-encodes with
/// [`engine::encode_binary_frame_v3`] to the same bytes; a binary message never encodes as a
/// text frame; and it survives a polling payload (base64) round trip.
pub fn decode_binary_frame(data: &[u8]) {
    assert_eq!(
        engine::decode_binary_frame(data),
        EnginePacket::binary(data)
    );
    match engine::decode_binary_frame_v3(data) {
        Ok(EnginePacket::Message(Payload::Binary(bytes))) => {
            let mut out = Vec::new();
            engine::encode_binary_frame_v3(bytes, &mut out);
            assert_eq!(out, data, "v3 binary frames re-encode byte for byte");
        }
        Ok(other) => panic!("a v3 binary frame decoded to {other:?}"),
        Err(e) => assert_offset(e.offset, data.len()),
    }

    let mut text = String::new();
    let refused = engine::encode_text_frame(&EnginePacket::binary(data), &mut text);
    assert!(
        refused.is_err() && text.is_empty(),
        "binary in a text frame"
    );

    let mut payload = String::new();
    let encoded = engine::encode_polling_payload([EnginePacket::binary(data)], &mut payload);
    assert!(encoded.is_ok(), "binary records always encode");
    let records: Vec<_> = engine::decode_polling_payload(&payload).collect();
    let decoded = match records.as_slice() {
        [Ok(PollingPacket::Base64(b64))] => b64,
        other => panic!("{payload:?} decoded to {other:?}"),
    };
    let mut bytes = Vec::new();
    assert!(decoded.decode_into(&mut bytes).is_ok());
    assert_eq!(bytes, data, "base64 round trip");
    assert_eq!(decoded.decoded_len(), data.len());
}

/// Drives [`engine::decode_polling_payload`]: a v4 long-polling payload (`\x1e`-separated).
///
/// Invariants: error offsets are within the payload and decoding stops at the first error;
/// base64 records decode to `decoded_len()` bytes; a payload that decodes re-encodes with
/// [`engine::encode_polling_payload`] byte for byte (canonically when it holds a handshake,
/// and then decodes to the same packets).
pub fn decode_polling_payload(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut packets = Vec::new();
    let mut all_ok = true;
    let mut iter = engine::decode_polling_payload(text);
    for item in iter.by_ref() {
        match item {
            Ok(packet) => packets.push(packet),
            Err(e) => {
                assert_offset(e.offset, text.len());
                all_ok = false;
                break;
            }
        }
    }
    // After an error, or at the end, the iterator is fused.
    assert!(
        iter.next().is_none(),
        "the payload iterator yields after an error"
    );
    for packet in &packets {
        check_base64(packet);
    }
    if !all_ok {
        return;
    }
    let mut out = String::new();
    let encoded = engine::encode_polling_payload(packets.iter(), &mut out);
    assert!(encoded.is_ok(), "a decoded payload re-encodes: {packets:?}");
    let has_open = packets
        .iter()
        .any(|p| matches!(p, PollingPacket::Packet(EnginePacket::Open(_))));
    if has_open {
        let again: Result<Vec<_>, _> = engine::decode_polling_payload(&out).collect();
        assert_eq!(again.as_ref().ok(), Some(&packets), "re-encoded {out:?}");
    } else {
        assert_eq!(out, text, "v4 payloads re-encode byte for byte");
    }
}

/// Drives [`engine::decode_polling_payload_v3`]: a v3 long-polling payload
/// (`<length>:<packet>`, lengths in UTF-16 code units).
///
/// Invariants: error offsets are within the payload; a payload that decodes, written back
/// with canonical lengths, decodes to the same packets.
pub fn decode_polling_payload_v3(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut packets = Vec::new();
    for item in engine::decode_polling_payload_v3(text) {
        match item {
            Ok(packet) => packets.push(packet),
            Err(e) => {
                assert_offset(e.offset, text.len());
                return;
            }
        }
    }
    let mut out = String::new();
    for packet in &packets {
        check_base64(packet);
        let mut record = String::new();
        match packet {
            PollingPacket::Base64(b64) => {
                record.push_str("b4");
                record.push_str(b64.as_str());
            }
            PollingPacket::Packet(p) => {
                let encoded = engine::encode_text_frame(p, &mut record);
                assert!(encoded.is_ok(), "a decoded v3 record re-encodes: {p:?}");
            }
        }
        let units: usize = record.chars().map(char::len_utf16).sum();
        out.push_str(&units.to_string());
        out.push(':');
        out.push_str(&record);
    }
    let again: Result<Vec<_>, _> = engine::decode_polling_payload_v3(&out).collect();
    assert_eq!(again.as_ref().ok(), Some(&packets), "re-encoded {out:?}");
}

/// Drives [`socket::decode_socket_packet`] (v5) and [`socket::decode_socket_packet_eio3`]: a
/// Socket.IO packet, with its payload walked through every [`RawJson`] accessor.
///
/// Invariants: error offsets are within the packet; a decoded packet re-encodes with
/// [`socket::encode_socket_packet`] to text that decodes to the same packet; the event name
/// and arguments agree with the payload's elements; every sub-value is valid JSON on its own
/// and the string accessors agree with each other.
pub fn decode_socket_packet(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match socket::decode_socket_packet(text) {
        Ok(packet) => {
            check_socket_roundtrip(&packet, socket::decode_socket_packet);
            check_payload(&packet);
        }
        Err(e) => assert_offset(e.offset, text.len()),
    }
    let limits = Limits::default();
    match socket::decode_socket_packet_eio3(text, &limits) {
        Ok(packet) => {
            check_socket_roundtrip(&packet, |t| socket::decode_socket_packet_eio3(t, &limits));
            check_payload(&packet);
        }
        Err(e) => assert_offset(e.offset, text.len()),
    }
}

/// Drives [`crate::decode_message`]: both layers of a text frame at once.
///
/// Invariants: error offsets are within the frame; the result agrees with decoding the two
/// layers one after the other; a decoded frame re-encodes with [`crate::encode_frame`] to a
/// frame that decodes the same.
pub fn decode_message(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match crate::decode_message(text) {
        Ok(frame) => {
            let mut out = String::new();
            let encoded = crate::encode_frame(&frame, &mut out);
            assert!(encoded.is_ok(), "a decoded frame re-encodes: {frame:?}");
            let again = crate::decode_message(&out);
            assert_eq!(again.as_ref().ok(), Some(&frame), "re-encoded {out:?}");
            match frame {
                DecodedFrame::Socket(packet) => {
                    let inner = text.get(1..).unwrap_or_default();
                    assert_eq!(socket::decode_socket_packet(inner), Ok(packet));
                }
                DecodedFrame::Engine(packet) => {
                    assert_eq!(engine::decode_text_frame(text), Ok(packet));
                }
            }
        }
        Err(e) => assert_offset(e.offset(), text.len()),
    }
}

/// Drives [`BinaryReassembler`] with a script read from the input: segments separated by
/// `0xff` bytes, each starting with an action byte (`p`: the rest is a Socket.IO packet to
/// push, `a`: the rest is an attachment, `r`: reset; anything else is an attachment too).
///
/// Invariants: the reassembler matches a simple model (how many attachments are awaited, and
/// when a packet completes); a completed packet is the packet that was pushed with exactly
/// the announced attachments, and each in-range placeholder resolves to its attachment; a
/// packet whose placeholders point past its attachments is refused.
pub fn binary_reassembler(data: &[u8]) {
    let mut reassembler = BinaryReassembler::new(Limits::default());
    // The model: the packet being assembled, as encoded text, and the attachments so far.
    let mut pending: Option<(String, u32, Vec<Vec<u8>>)> = None;
    for segment in data.split(|&b| b == 0xff) {
        let (action, rest) = match segment.split_first() {
            Some((&action, rest)) => (action, rest),
            None => (b'a', segment),
        };
        match action {
            b'p' => {
                let Ok(text) = std::str::from_utf8(rest) else {
                    continue;
                };
                let Ok(packet) = socket::decode_socket_packet(text) else {
                    continue;
                };
                let expected = if packet.kind.is_binary() {
                    packet.attachments
                } else {
                    0
                };
                let placeholders_ok = packet
                    .data
                    .is_none_or(|d| max_placeholder(d).is_none_or(|k| k < u64::from(expected)));
                let was_pending = pending.take().is_some();
                match reassembler.push_packet(&packet) {
                    Err(e) if was_pending => {
                        assert_eq!(e.kind, SocketErrorKind::MissingAttachments);
                        assert!(!reassembler.is_awaiting_attachments());
                    }
                    Err(e) => {
                        assert!(!placeholders_ok, "refused valid placeholders: {e:?}");
                        assert_eq!(e.kind, SocketErrorKind::InvalidPlaceholder);
                        assert_offset(e.offset, text.len());
                    }
                    Ok(status) => {
                        assert!(!was_pending, "a new packet while one awaited attachments");
                        assert!(
                            placeholders_ok,
                            "accepted a placeholder past the attachments"
                        );
                        let mut encoded = String::new();
                        socket::encode_socket_packet(&packet, &mut encoded);
                        match status {
                            Status::Complete(done) => {
                                assert_eq!(expected, 0);
                                assert_eq!(done.packet(), packet);
                                assert!(done.attachments().is_empty());
                            }
                            Status::Partial => {
                                assert!(expected > 0);
                                assert_eq!(reassembler.progress(), Some((0, expected)));
                                pending = Some((encoded, expected, Vec::new()));
                            }
                        }
                    }
                }
            }
            b'r' => {
                reassembler.reset();
                pending = None;
                assert!(!reassembler.is_awaiting_attachments());
            }
            _ => {
                let bytes = if action == b'a' { rest } else { segment };
                let result = reassembler.push_attachment(bytes);
                let Some((encoded, expected, mut got)) = pending.take() else {
                    assert_eq!(
                        result.map(|_| ()).map_err(|e| e.kind),
                        Err(SocketErrorKind::UnexpectedAttachment)
                    );
                    continue;
                };
                got.push(bytes.to_vec());
                match result {
                    Ok(Status::Partial) => {
                        assert!(got.len() < expected as usize);
                        assert_eq!(reassembler.progress(), Some((got.len(), expected)));
                        pending = Some((encoded, expected, got));
                    }
                    Ok(Status::Complete(done)) => {
                        assert_eq!(got.len(), expected as usize);
                        assert!(!reassembler.is_awaiting_attachments());
                        let mut again = String::new();
                        socket::encode_socket_packet(&done.packet(), &mut again);
                        assert_eq!(again, encoded);
                        assert_eq!(done.attachments(), got.as_slice());
                        check_resolved(&done, &got);
                    }
                    Err(e) => panic!("attachment refused under the default limits: {e:?}"),
                }
            }
        }
    }
}

/// Asserts that an error offset lies within the input.
fn assert_offset(offset: usize, len: usize) {
    assert!(offset <= len, "error offset {offset} > input length {len}");
}

/// Checks a base64 polling record: it decodes to exactly `decoded_len()` bytes.
fn check_base64(packet: &PollingPacket<'_>) {
    if let PollingPacket::Base64(b64) = packet {
        let mut bytes = Vec::new();
        assert!(
            b64.decode_into(&mut bytes).is_ok(),
            "validated base64 decodes"
        );
        assert_eq!(bytes.len(), b64.decoded_len());
    }
}

/// Re-encodes `packet` and checks that `decode` gives it back.
fn check_socket_roundtrip(
    packet: &SocketPacket<'_>,
    decode: impl Fn(&str) -> Result<SocketPacket<'_>, crate::SocketError>,
) {
    let mut out = String::new();
    socket::encode_socket_packet(packet, &mut out);
    let again = decode(&out);
    assert_eq!(again.as_ref().ok(), Some(packet), "re-encoded {out:?}");
    // Encoding is canonical: encoding the re-decoded packet gives the same text.
    if let Ok(again) = again {
        let mut twice = String::new();
        socket::encode_socket_packet(&again, &mut twice);
        assert_eq!(twice, out);
    }
}

/// Checks the payload accessors of a decoded packet.
fn check_payload(packet: &SocketPacket<'_>) {
    let Some(data) = packet.data else {
        assert!(packet.args().next().is_none());
        return;
    };
    let elements: Vec<_> = data.elements().collect();
    match packet.event_name() {
        Ok(name) => {
            let first = elements.first().copied();
            assert!(
                first.is_some_and(|f| f.str_eq(&name)),
                "event name {name:?}"
            );
        }
        Err(e) => assert_offset(e.offset, data.as_str().len()),
    }
    let args: Vec<_> = packet.args().collect();
    assert_eq!(args.as_slice(), elements.get(1..).unwrap_or_default());
    check_json(data, 0);
}

/// Walks a validated JSON value, checking that every accessor agrees with the others.
fn check_json(value: RawJson<'_>, depth: u32) {
    let text = value.as_str();
    match value.kind() {
        JsonKind::Array => {
            for element in value.elements() {
                assert_offset(value.offset_of(&element), text.len());
                if depth < 2 {
                    assert!(RawJson::new(element.as_str()).is_ok(), "{element:?}");
                }
                check_json(element, depth + 1);
            }
            assert_eq!(value.members().count(), 0);
        }
        JsonKind::Object => {
            for (key, member) in value.members() {
                assert_eq!(key.kind(), JsonKind::String, "object keys are strings");
                let name = key.as_json_str();
                assert!(name.as_deref().is_some_and(|n| key.str_eq(n)));
                if let Some(name) = name {
                    assert!(value.get(&name).is_some(), "get({name:?})");
                }
                assert_offset(value.offset_of(&member), text.len());
                check_json(member, depth + 1);
            }
            assert_eq!(value.elements().count(), 0);
        }
        JsonKind::String => {
            let decoded = value.as_json_str();
            let Some(decoded) = decoded else {
                panic!("a string value has no string content: {value:?}");
            };
            assert!(value.str_eq(&decoded), "str_eq({decoded:?}) on {value:?}");
            let mut buf = String::new();
            assert!(value.decode_str_into(&mut buf));
            assert_eq!(buf, decoded);
            if let Cow::Borrowed(raw) = decoded {
                assert_eq!(Some(raw), value.string_content());
            }
        }
        JsonKind::Number => {
            if let Some(n) = value.as_u64() {
                let trimmed = value.trimmed();
                assert!(
                    trimmed.bytes().all(|b| b.is_ascii_digit()) && trimmed.parse() == Ok(n),
                    "as_u64 gave {n} for {trimmed:?}"
                );
            }
        }
        JsonKind::Bool => assert!(value.as_bool().is_some()),
        JsonKind::Null => assert!(value.is_null()),
    }
}

/// The largest placeholder index in a payload, found by walking it with the public
/// accessors (independently of the reassembler's own scan).
fn max_placeholder(value: RawJson<'_>) -> Option<u64> {
    let own = socket::placeholder_index(value);
    let children = value
        .elements()
        .chain(value.members().map(|(_, v)| v))
        .filter_map(max_placeholder)
        .max();
    own.max(children)
}

/// Checks that every placeholder of a completed packet resolves to its attachment.
fn check_resolved(done: &socket::BinaryPacket, attachments: &[Vec<u8>]) {
    for (value, arg) in done.packet().args().zip(done.args()) {
        match socket::placeholder_index(value) {
            Some(k) => {
                let expected = usize::try_from(k).ok().and_then(|k| attachments.get(k));
                assert_eq!(expected.map(Vec::as_slice), Some(as_binary(arg)));
            }
            None => assert_eq!(arg, Arg::Json(value)),
        }
    }
}

fn as_binary(arg: Arg<'_>) -> &[u8] {
    match arg {
        Arg::Binary(bytes) => bytes,
        Arg::Json(value) => panic!("placeholder {value:?} did not resolve"),
    }
}

pub use reference::raw_json_new;
pub use structured::{
    JsonInput, NamespaceInput, PacketInput, PacketKindInput, roundtrip_socket_packet,
};

mod reference {
    //! The JSON validator and accessors against serde_json, the reference parser.

    use serde_json::{Map, Value};

    use crate::RawJson;
    use crate::json::JsonKind;

    /// Nesting at which the two parsers' depth limits (both 128, counted differently) may
    /// disagree; deeper inputs are only checked for panics.
    const DEPTH_MARGIN: usize = 120;

    /// Drives [`RawJson::new`], the validating JSON scanner, against serde_json.
    ///
    /// Invariants: what serde_json accepts, [`RawJson::new`] accepts; what `RawJson::new`
    /// accepts, serde_json accepts too, unless it escapes a lone UTF-16 surrogate or has a
    /// number beyond `f64` (valid JSON grammar that serde_json refuses); error offsets are within the
    /// input; and the value rebuilt through the lazy accessors (elements, members, decoded
    /// strings, the last of duplicate keys) equals serde_json's.
    pub fn raw_json_new(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let ours = RawJson::new(text);
        if let Err(e) = &ours {
            super::assert_offset(e.offset, text.len());
        }
        if max_depth(text) >= DEPTH_MARGIN {
            return;
        }
        let theirs = serde_json::from_str::<Value>(text);
        match (&ours, &theirs) {
            (Ok(raw), Ok(value)) => {
                let rebuilt = rebuild(*raw);
                assert_eq!(rebuilt.as_ref(), Some(value), "{text:?}");
            }
            (Err(e), Ok(_)) => panic!("refused JSON serde_json accepts: {e:?} in {text:?}"),
            // JSON's grammar has no range for numbers (`1E400` is JavaScript's Infinity), nor
            // a rule against lone surrogates; serde_json refuses both.
            (Ok(_), Err(e)) => assert!(
                has_surrogate_escape(text) || e.to_string().starts_with("number out of range"),
                "accepted JSON serde_json refuses ({e}): {text:?}"
            ),
            (Err(_), Err(_)) => {}
        }
    }

    /// The value as serde_json would build it, read only through [`RawJson`]'s accessors.
    /// `None` when a string holds a lone surrogate (decoded to U+FFFD, where serde_json
    /// refuses).
    fn rebuild(raw: RawJson<'_>) -> Option<Value> {
        Some(match raw.kind() {
            JsonKind::Null => Value::Null,
            JsonKind::Bool => Value::Bool(raw.as_bool()?),
            JsonKind::Number => serde_json::from_str(raw.trimmed()).ok()?,
            JsonKind::String => Value::String(raw.as_json_str()?.into_owned()),
            JsonKind::Array => Value::Array(raw.elements().map(rebuild).collect::<Option<_>>()?),
            JsonKind::Object => {
                let mut map = Map::new();
                for (key, value) in raw.members() {
                    map.insert(key.as_json_str()?.into_owned(), rebuild(value)?);
                }
                Value::Object(map)
            }
        })
    }

    /// Deepest bracket nesting, outside strings.
    fn max_depth(text: &str) -> usize {
        let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
        for b in text.bytes() {
            if in_string {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        deepest
    }

    /// Whether the text has a `\uD800`-`\uDFFF` escape (paired or not).
    fn has_surrogate_escape(text: &str) -> bool {
        text.as_bytes().windows(4).any(|w| {
            w[0] == b'\\'
                && w[1] == b'u'
                && matches!(w[2], b'd' | b'D')
                && matches!(w[3], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
        })
    }
}

mod structured {
    //! The structure-aware round trip: packets built from an `arbitrary` input type.

    use arbitrary::{Arbitrary, Unstructured};

    use crate::engine::{self, EnginePacket, PollingPacket};
    use crate::json::write_json_str;
    use crate::socket::{self, BinaryReassembler, SocketPacket, SocketPacketType};
    use crate::{DecodedFrame, Limits, RawJson, Status};

    /// The deepest payload a canonical packet has (the default [`Limits::max_json_depth`]).
    const MAX_DEPTH: u32 = 128;

    /// A JSON value to build a payload from.
    #[derive(Debug, Clone, Arbitrary)]
    pub enum JsonInput {
        /// `null`
        Null,
        /// `true` / `false`
        Bool(bool),
        /// An integer.
        Int(i64),
        /// A float (written in Rust's shortest form; non-finite values become `0`).
        Float(f64),
        /// A string, escaped as JSON requires.
        Str(String),
        /// An array.
        Array(Vec<JsonInput>),
        /// An object, duplicates and all.
        Object(Vec<(String, JsonInput)>),
        /// A binary placeholder `{"_placeholder":true,"num":N}`.
        Placeholder(u8),
    }

    /// The namespace of a generated packet.
    #[derive(Debug, Clone, Arbitrary)]
    pub enum NamespaceInput {
        /// `/`, left out of the encoding.
        Root,
        /// rt-2's `/chatomni`.
        Chatomni,
        /// `/` followed by these characters (commas removed, since a comma ends it).
        Named(String),
    }

    /// The packet type of a generated packet.
    #[derive(Debug, Clone, Copy, Arbitrary)]
    pub enum PacketKindInput {
        /// CONNECT
        Connect,
        /// DISCONNECT
        Disconnect,
        /// EVENT
        Event,
        /// ACK
        Ack,
        /// CONNECT_ERROR
        ConnectError,
        /// BINARY_EVENT
        BinaryEvent,
        /// BINARY_ACK
        BinaryAck,
    }

    /// A Socket.IO packet, its attachments, and the Engine.IO packets sent around it.
    #[derive(Debug, Clone, Arbitrary)]
    pub struct PacketInput {
        /// The packet type.
        pub kind: PacketKindInput,
        /// The namespace.
        pub namespace: NamespaceInput,
        /// The ack id.
        pub ack_id: Option<u64>,
        /// The attachment count, for binary packets.
        pub attachments: u8,
        /// The payload.
        pub data: Option<JsonInput>,
        /// Attachment bytes (cycled, or empty, when there are fewer than announced).
        pub blobs: Vec<Vec<u8>>,
        /// The text of a ping sent in the same polling payload.
        pub ping: Option<String>,
    }

    impl PacketKindInput {
        fn kind(self) -> SocketPacketType {
            match self {
                Self::Connect => SocketPacketType::Connect,
                Self::Disconnect => SocketPacketType::Disconnect,
                Self::Event => SocketPacketType::Event,
                Self::Ack => SocketPacketType::Ack,
                Self::ConnectError => SocketPacketType::ConnectError,
                Self::BinaryEvent => SocketPacketType::BinaryEvent,
                Self::BinaryAck => SocketPacketType::BinaryAck,
            }
        }
    }

    impl JsonInput {
        /// Writes the value as JSON; returns its nesting depth and largest placeholder.
        fn write(&self, out: &mut String) -> (u32, Option<u64>) {
            match self {
                Self::Null => out.push_str("null"),
                Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Self::Int(n) => out.push_str(&n.to_string()),
                Self::Float(f) if f.is_finite() => out.push_str(&format!("{f:?}")),
                Self::Float(_) => out.push('0'),
                Self::Str(s) => write_json_str(s, out),
                Self::Placeholder(k) => {
                    out.push_str(&format!("{{\"_placeholder\":true,\"num\":{k}}}"));
                    return (1, Some(u64::from(*k)));
                }
                Self::Array(items) => {
                    out.push('[');
                    let mut deepest = (0, None);
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        deepest = merge(deepest, item.write(out));
                    }
                    out.push(']');
                    return (deepest.0 + 1, deepest.1);
                }
                Self::Object(members) => {
                    let start = out.len();
                    out.push('{');
                    let mut deepest = (0, None);
                    for (i, (key, value)) in members.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        write_json_str(key, out);
                        out.push(':');
                        deepest = merge(deepest, value.write(out));
                    }
                    out.push('}');
                    // An object that happens to read as a placeholder counts as one.
                    let own = RawJson::new(out.get(start..).unwrap_or_default())
                        .ok()
                        .and_then(socket::placeholder_index);
                    return (deepest.0 + 1, deepest.1.max(own));
                }
            }
            (0, None)
        }
    }

    fn merge(a: (u32, Option<u64>), b: (u32, Option<u64>)) -> (u32, Option<u64>) {
        (a.0.max(b.0), a.1.max(b.1))
    }

    /// Whether Socket.IO v5 allows this payload shape for this packet type.
    fn shape_ok(kind: SocketPacketType, data: Option<RawJson<'_>>) -> bool {
        use crate::json::JsonKind;
        let shape = data.map(|d| d.kind());
        match kind {
            SocketPacketType::Connect => matches!(shape, None | Some(JsonKind::Object)),
            SocketPacketType::Disconnect => shape.is_none(),
            SocketPacketType::ConnectError => {
                matches!(shape, Some(JsonKind::Object | JsonKind::String))
            }
            SocketPacketType::Event | SocketPacketType::BinaryEvent => data.is_some_and(|d| {
                d.kind() == JsonKind::Array
                    && d.elements()
                        .next()
                        .is_some_and(|n| matches!(n.kind(), JsonKind::String | JsonKind::Number))
            }),
            SocketPacketType::Ack | SocketPacketType::BinaryAck => shape == Some(JsonKind::Array),
        }
    }

    /// Builds a packet from structured input, encodes it, and checks that it decodes back
    /// exactly when it is canonical (v5 payload shape, namespace and ack id within the
    /// default limits, a namespace `check_namespace` accepts, attachment count only on binary packets):
    /// through the Socket.IO decoder, through both layers as a WebSocket frame, inside a v4
    /// polling payload, and through the binary reassembler with its attachments.
    pub fn roundtrip_socket_packet(data: &[u8]) {
        let mut u = Unstructured::new(data);
        let Ok(input) = PacketInput::arbitrary(&mut u) else {
            return;
        };
        let limits = Limits::default();
        let kind = input.kind.kind();

        let namespace = match &input.namespace {
            NamespaceInput::Root => "/".to_owned(),
            NamespaceInput::Chatomni => "/chatomni".to_owned(),
            NamespaceInput::Named(name) => format!("/{}", name.replace(',', "")),
        };
        let mut json = String::new();
        let (depth, max_placeholder) = match &input.data {
            Some(value) => value.write(&mut json),
            None => (0, None),
        };
        let raw = match &input.data {
            Some(_) => match RawJson::new(&json) {
                Ok(raw) => Some(raw),
                Err(e) => {
                    assert!(
                        depth > MAX_DEPTH,
                        "generated JSON refused: {e:?} in {json:?}"
                    );
                    return;
                }
            },
            None => None,
        };
        let attachments = if kind.is_binary() {
            u32::from(input.attachments)
        } else {
            0
        };
        let packet = SocketPacket {
            kind,
            namespace: &namespace,
            ack_id: input.ack_id,
            attachments,
            data: raw,
        };
        // `check_namespace` refuses a namespace holding `[`, `{` or `"`: the decoders take
        // it for a forgotten comma before the payload (see `tests/fuzz_regressions.rs`).
        let canonical = shape_ok(kind, raw)
            && socket::check_namespace(&namespace, &limits).is_ok()
            && input.ack_id.is_none_or(|id| id <= limits.max_ack_id)
            && attachments <= limits.max_attachments;

        let mut text = String::new();
        socket::encode_socket_packet(&packet, &mut text);
        let decoded = socket::decode_socket_packet(&text);
        if !canonical {
            if let Err(e) = decoded {
                assert!(e.offset <= text.len());
            }
            return;
        }
        assert_eq!(decoded, Ok(packet), "encoded {text:?}");

        let mut frame = String::new();
        crate::encode_message(&packet, &mut frame);
        assert_eq!(
            crate::decode_message(&frame),
            Ok(DecodedFrame::Socket(packet))
        );

        // The same packet in a polling payload, after a ping and before its attachments.
        let ping = input.ping.as_deref().unwrap_or("");
        let blobs: Vec<Vec<u8>> = (0..attachments as usize)
            .map(|i| match input.blobs.len() {
                0 => Vec::new(),
                n => input.blobs[i % n].clone(),
            })
            .collect();
        let mut records = vec![EnginePacket::Ping(ping), EnginePacket::text(&text)];
        records.extend(blobs.iter().map(|b| EnginePacket::binary(b)));
        let mut payload = String::new();
        if engine::encode_polling_payload(records.iter(), &mut payload).is_ok() {
            let decoded: Vec<_> = engine::decode_polling_payload(&payload).collect();
            assert_eq!(decoded.len(), records.len(), "{payload:?}");
            for (record, got) in records.iter().zip(&decoded) {
                match (record, got) {
                    (
                        EnginePacket::Message(engine::Payload::Binary(bytes)),
                        Ok(PollingPacket::Base64(b64)),
                    ) => {
                        let mut out = Vec::new();
                        assert!(b64.decode_into(&mut out).is_ok());
                        assert_eq!(&out, bytes);
                    }
                    (expected, got) => {
                        assert_eq!(
                            got.as_ref().ok(),
                            Some(&PollingPacket::Packet(expected.clone()))
                        );
                    }
                }
            }
        } else {
            // Only a record separator in the ping text or the namespace can make it fail.
            assert!(ping.contains('\x1e') || namespace.contains('\x1e'));
        }

        // Reassembly: refused when a placeholder points past the attachments.
        let mut reassembler = BinaryReassembler::new(limits);
        let pushed = reassembler.push_packet(&packet);
        if max_placeholder.is_some_and(|k| k >= u64::from(attachments)) {
            assert!(
                pushed.is_err(),
                "placeholder {max_placeholder:?} of {attachments}"
            );
            return;
        }
        let mut status = match pushed {
            Ok(status) => status,
            Err(e) => panic!("refused {text:?}: {e:?}"),
        };
        for blob in &blobs {
            assert!(matches!(status, Status::Partial));
            status = match reassembler.push_attachment(blob) {
                Ok(status) => status,
                Err(e) => panic!("attachment refused: {e:?}"),
            };
        }
        let Status::Complete(done) = status else {
            panic!("incomplete after {attachments} attachments");
        };
        assert_eq!(done.packet(), packet);
        assert_eq!(done.attachments(), blobs.as_slice());
        super::check_resolved(&done, &blobs);
    }
}
