//! The frame decoders the decode benches race, each doc saying what work it does; shared by
//! `benches/decode.rs` and the `decode-instructions` example (instruction counts under
//! callgrind).

use bytes::Bytes;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use sio_benches::Corpus;
use sio_wire::engine::{EnginePacket, Payload, decode_text_frame};
use sio_wire::socket::SocketPacketType;
use sio_wire::{DecodedFrame, FrameHeader, decode_message, decode_message_header};
use socketioxide_core::Value as SioxValue;
use socketioxide_core::packet::PacketData;
use socketioxide_core::parser::{Parse, ParseConfig, ParseError, ParserState};
use socketioxide_parser_common::CommonParser;

/// What a decoder returns per frame: a number that depends on what it decoded, so the
/// optimiser cannot skip the work, or the reason it failed.
pub(crate) type Outcome = Result<usize, String>;

/// sio-wire, header only (`decode_message_header`): Engine.IO type, Socket.IO header (type,
/// attachments, namespace, ack id), the payload left as an unvalidated borrowed `&str`: the
/// same work as socketioxide's lazy decode.
pub(crate) fn sio_wire_header(frame: &str) -> Outcome {
    Ok(
        match decode_message_header(frame).map_err(|e| e.to_string())? {
            FrameHeader::Socket(header) => {
                header.namespace.len() + header.data.len() + header.ack_id.unwrap_or(0) as usize
            }
            FrameHeader::Engine(other) => other.packet_type().as_number() as usize,
        },
    )
}

/// sio-wire, validated (`decode_message`, then `event_name`): Engine.IO type, Socket.IO
/// header, the whole JSON payload validated (RFC 8259, depth-limited, payload shape checked
/// per type) and the event name read, all borrowed from the frame.
pub(crate) fn sio_wire_validated(frame: &str) -> Outcome {
    match decode_message(frame).map_err(|e| e.to_string())? {
        DecodedFrame::Socket(packet) => Ok(match packet.kind {
            SocketPacketType::Event | SocketPacketType::BinaryEvent => {
                packet.event_name().map_err(|e| e.to_string())?.len()
            }
            _ => packet.namespace.len() + packet.ack_id.unwrap_or(0) as usize,
        }),
        DecodedFrame::Engine(other) => Ok(other.packet_type().as_number() as usize),
    }
}

/// sio-wire, Engine.IO layer only: the type digit and a borrowed view of the rest.
pub(crate) fn sio_wire_engine(frame: &str) -> Outcome {
    match decode_text_frame(frame).map_err(|e| e.to_string())? {
        EnginePacket::Message(Payload::Text(text)) => Ok(text.len()),
        other => Ok(other.packet_type().as_number() as usize),
    }
}

/// The frames as socketioxide receives them: `Str` is a UTF-8 `Bytes`, so passing one on is a
/// reference-count increment, not a copy.
pub(crate) fn siox_frames(corpus: &Corpus) -> Vec<engineioxide_core::Str> {
    corpus
        .frames()
        .iter()
        .map(|f| engineioxide_core::Str::from(f.clone()))
        .collect()
}

/// socketioxide's own path for a text frame: engineioxide-core's `Packet::parse` (Engine.IO
/// type, data sliced as a `Str`), then `CommonParser::decode_str` (Socket.IO type,
/// attachments, namespace and ack id; the data is kept as a lazy `Str`, not looked at). A
/// binary header parks the packet in the parser state until its attachments arrive, which is
/// where this returns it from.
fn siox_decode(
    frame: &engineioxide_core::Str,
    config: &ParseConfig,
) -> Result<Option<socketioxide_core::packet::Packet>, String> {
    use engineioxide_core::{Packet, ProtocolVersion};
    match Packet::parse(ProtocolVersion::V4, frame.clone()).map_err(|e| e.to_string())? {
        Packet::Message(text) => {
            let state = ParserState::default();
            match CommonParser.decode_str(config, &state, text) {
                Ok(packet) => Ok(Some(packet)),
                Err(ParseError::NeedsMoreBinaryData) => Ok(state
                    .partial_bin_packet
                    .lock()
                    .ok()
                    .and_then(|mut partial| partial.take())
                    .map(|partial| partial.packet)),
                Err(e) => Err(e.to_string()),
            }
        }
        _ => Ok(None),
    }
}

/// socketioxide as it decodes: header only, data left lazy (validated later, when a handler
/// asks for it).
pub(crate) fn siox_lazy(frame: &engineioxide_core::Str, config: &ParseConfig) -> Outcome {
    Ok(siox_decode(frame, config)?.map_or(1, |p| p.ns.len()))
}

/// socketioxide at equal work with [`sio_wire_validated`]: the lazy decode, then
/// `read_event` (the event name, borrowed) and `decode_value::<IgnoredAny>`, which runs
/// serde_json over the whole payload without building anything.
pub(crate) fn siox_validated(frame: &engineioxide_core::Str, config: &ParseConfig) -> Outcome {
    let Some(mut packet) = siox_decode(frame, config)? else {
        return Ok(1);
    };
    let e = |e: socketioxide_core::parser::ParserError| e.to_string();
    match &mut packet.inner {
        PacketData::Event(value, _) | PacketData::BinaryEvent(value, _) => {
            let name = CommonParser.read_event(value).map_err(e)?.len();
            CommonParser
                .decode_value::<IgnoredAny>(value, true)
                .map_err(e)?;
            Ok(name)
        }
        PacketData::EventAck(value, _) | PacketData::BinaryAck(value, _) => {
            CommonParser
                .decode_value::<IgnoredAny>(value, false)
                .map_err(e)?;
            Ok(packet.ns.len())
        }
        PacketData::Connect(value) => {
            let value: Option<&SioxValue> = value.as_ref();
            CommonParser
                .decode_default::<IgnoredAny>(value)
                .map_err(e)?;
            Ok(packet.ns.len())
        }
        _ => Ok(packet.ns.len()),
    }
}

/// rust_engineio's `Packet::try_from(Bytes)`: the Engine.IO type byte and the data sliced as
/// `Bytes`. It stops there: rust_socketio's Socket.IO packet type is not public.
pub(crate) fn rust_engineio_decode(frame: &Bytes) -> Outcome {
    let packet = rust_engineio::Packet::try_from(frame.clone()).map_err(|e| e.to_string())?;
    Ok(packet.data.len() + u8::from(packet.packet_id) as usize)
}

/// engineioxide-core's `Packet::parse` alone: the Engine.IO layer of socketioxide.
pub(crate) fn engineioxide_decode(frame: &engineioxide_core::Str) -> Outcome {
    use engineioxide_core::{Packet, ProtocolVersion};
    match Packet::parse(ProtocolVersion::V4, frame.clone()).map_err(|e| e.to_string())? {
        Packet::Message(text) => Ok(text.len()),
        _ => Ok(1),
    }
}

/// Where the JSON payload starts, for the serde_json baselines: the first `[` or `{` after
/// the Engine.IO digit and the Socket.IO header (namespaces and ack ids hold neither).
fn json_start(frame: &str) -> Option<usize> {
    frame
        .as_bytes()
        .iter()
        .position(|&c| c == b'[' || c == b'{')
}

/// serde_json `&RawValue`: validates the payload span (with the header skipped by
/// [`json_start`]) and borrows it. No event name, no per-type checks.
pub(crate) fn serde_json_raw_value(frame: &str) -> Outcome {
    let Some(start) = json_start(frame) else {
        return Ok(1);
    };
    let raw: &RawValue = serde_json::from_str(&frame[start..]).map_err(|e| e.to_string())?;
    Ok(raw.get().len())
}

/// serde_json `Value`: parses the payload into a tree (every string unescaped into its own
/// allocation), the naive way to read a Socket.IO payload.
pub(crate) fn serde_json_value(frame: &str) -> Outcome {
    let Some(start) = json_start(frame) else {
        return Ok(1);
    };
    let value: serde_json::Value =
        serde_json::from_str(&frame[start..]).map_err(|e| e.to_string())?;
    Ok(value.as_array().map_or(0, Vec::len))
}

/// The practical ceiling: memchr looks for a byte no text frame contains (the polling record
/// separator), so it reads every byte of every frame at SIMD speed and finds nothing.
pub(crate) fn memchr_scan(frame: &str) -> Outcome {
    Ok(memchr::memchr(0x1e, frame.as_bytes()).unwrap_or(frame.len()))
}

/// The corpus in the shape each decoder takes.
pub(crate) struct Inputs {
    pub(crate) text: Vec<String>,
    pub(crate) siox: Vec<engineioxide_core::Str>,
    pub(crate) bytes: Vec<Bytes>,
}

impl Inputs {
    pub(crate) fn new(corpus: &Corpus) -> Self {
        Self {
            text: corpus.frames().to_vec(),
            siox: siox_frames(corpus),
            bytes: corpus
                .frames()
                .iter()
                .map(|f| Bytes::from(f.clone().into_bytes()))
                .collect(),
        }
    }
}
