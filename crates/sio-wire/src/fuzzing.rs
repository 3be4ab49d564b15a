//! Fuzz harness bodies, driven by the one-line targets in `fuzz/fuzz_targets/` and replayable
//! as ordinary tests. Each body decodes arbitrary input and checks the codec's invariants:
//! error offsets stay within the input, and what decodes re-encodes to something that decodes
//! to the same packet.
//!
//! Not part of the public API.

use crate::engine::{self, EnginePacket, PollingPacket};
use crate::{Frame, socket};

/// Drives [`engine::decode_text_frame_bytes`] and, for messages, the Socket.IO decoder.
pub fn decode_text_frame(data: &[u8]) {
    match engine::decode_text_frame_bytes(data) {
        Ok(packet) => {
            let mut out = String::new();
            if engine::encode_text_frame(&packet, &mut out).is_ok() {
                let again = engine::decode_text_frame(&out);
                assert_eq!(again.as_ref().ok(), Some(&packet), "re-encoded {out:?}");
            }
        }
        Err(e) => assert!(
            e.offset <= data.len(),
            "offset {} > {}",
            e.offset,
            data.len()
        ),
    }
}

/// Drives [`socket::decode_socket_packet`] and checks the encode/decode round trip.
pub fn decode_socket_packet(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match socket::decode_socket_packet(text) {
        Ok(packet) => {
            let mut out = String::new();
            socket::encode_socket_packet(&packet, &mut out);
            let again = socket::decode_socket_packet(&out);
            assert_eq!(again.as_ref().ok(), Some(&packet), "re-encoded {out:?}");
            if let Some(data) = packet.data {
                let _ = data.event_name();
                for arg in data.args() {
                    let _ = arg.as_json_str();
                    let _ = arg.members().count();
                }
            }
        }
        Err(e) => assert!(
            e.offset <= text.len(),
            "offset {} > {}",
            e.offset,
            text.len()
        ),
    }
    let _ = socket::decode_socket_packet_v4(text, &crate::Limits::default());
}

/// Drives [`crate::decode_message`].
pub fn decode_message(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match crate::decode_message(text) {
        Ok(frame) => {
            let mut out = String::new();
            if crate::encode_frame(&frame, &mut out).is_ok() {
                let again = crate::decode_message(&out);
                assert_eq!(again.as_ref().ok(), Some(&frame), "re-encoded {out:?}");
            }
            if let Frame::Socket(packet) = frame {
                let _ = packet.event_name();
            }
        }
        Err(e) => assert!(e.offset() <= text.len()),
    }
}

/// Drives [`engine::decode_polling_payload`] and [`engine::decode_polling_payload_v3`].
pub fn decode_polling_payload(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut packets = Vec::new();
    let mut ok = true;
    for item in engine::decode_polling_payload(text) {
        match item {
            Ok(packet) => packets.push(packet),
            Err(e) => {
                assert!(e.offset <= text.len());
                ok = false;
            }
        }
    }
    if ok {
        let mut out = String::new();
        let has_open = packets
            .iter()
            .any(|p| matches!(p, PollingPacket::Packet(EnginePacket::Open(_))));
        // Records re-encode byte for byte, except handshakes, which are re-encoded
        // canonically (key order, no whitespace, no unknown fields).
        if engine::encode_polling_payload(packets.iter(), &mut out).is_ok() && !has_open {
            assert_eq!(out, text, "v4 payloads re-encode byte for byte");
        }
        for packet in &packets {
            if let PollingPacket::Base64(b64) = packet {
                let mut bytes = Vec::new();
                assert!(b64.decode_into(&mut bytes).is_ok());
                assert_eq!(bytes.len(), b64.decoded_len());
            }
        }
    }
    for item in engine::decode_polling_payload_v3(text) {
        if let Err(e) = item {
            assert!(e.offset <= text.len());
        }
    }
}

/// Drives [`crate::RawJson::new`] and walks every value of what it accepts, checking that
/// each sub-span handed out is itself valid JSON.
pub fn raw_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let raw = match crate::RawJson::new(text) {
        Ok(raw) => raw,
        Err(e) => {
            assert!(e.offset <= text.len());
            return;
        }
    };
    let _ = raw.event_name();
    let _ = raw.args().count();
    // An explicit stack: the walk must not recurse on hostile nesting either.
    let mut stack = vec![raw];
    let mut visited = 0usize;
    while let Some(value) = stack.pop() {
        visited += 1;
        if visited > 100_000 {
            break;
        }
        assert!(
            crate::RawJson::new(value.as_str()).is_ok(),
            "sub-span {:?} of {text:?} is not valid JSON",
            value.as_str()
        );
        let _ = (
            value.kind(),
            value.as_json_str(),
            value.as_u64(),
            value.as_bool(),
        );
        stack.extend(value.elements());
        for (key, member) in value.members() {
            assert!(key.as_json_str().is_some(), "object key is not a string");
            stack.push(member);
        }
    }
}

/// Drives the [`socket::BinaryReassembler`]: the first line is a packet, the rest are
/// attachments split at `\n`.
pub fn binary_reassembly(data: &[u8]) {
    let mut parts = data.split(|&b| b == b'\n');
    let Some(first) = parts.next() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(first) else {
        return;
    };
    let Ok(packet) = socket::decode_socket_packet(text) else {
        return;
    };
    let mut reassembler = socket::BinaryReassembler::default();
    let mut done = match reassembler.push_packet(&packet) {
        Ok(status) => status.is_complete(),
        Err(_) => return,
    };
    for part in parts {
        match reassembler.push_attachment(part) {
            Ok(crate::Status::Complete(p)) => {
                assert_eq!(p.attachments().len(), packet.attachments as usize);
                let _ = p.args().count();
                done = true;
            }
            Ok(crate::Status::Partial) => assert!(!done),
            Err(_) => assert!(done || !reassembler.is_awaiting_attachments()),
        }
    }
}
