//! Encoding throughput: decoded rt-2 frames written back to Engine.IO text frames, sio-wire
//! against socketioxide and a serde_json `Value` baseline. Throughput counts the bytes
//! written (equal to the corpus, since every encoder reproduces each frame byte for byte).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use sio_benches::Corpus;
use sio_wire::engine::{EnginePacket, Payload, decode_text_frame, encode_text_frame};
use sio_wire::socket::{SocketPacket, decode_socket_packet, encode_socket_packet};
use socketioxide_core::Value as SioxValue;
use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
use socketioxide_parser_common::CommonParser;

/// A frame decoded by sio-wire: a Socket.IO packet inside a message, or another Engine.IO
/// packet.
enum Decoded<'a> {
    Socket(SocketPacket<'a>),
    Engine(EnginePacket<'a>),
}

fn decode_all(corpus: &Corpus) -> Vec<Decoded<'_>> {
    corpus
        .frames()
        .iter()
        .map(
            |f| match decode_text_frame(f).expect("the corpus decodes") {
                EnginePacket::Message(Payload::Text(text)) => {
                    Decoded::Socket(decode_socket_packet(text).expect("the corpus decodes"))
                }
                other => Decoded::Engine(other),
            },
        )
        .collect()
}

/// sio-wire: `encode_socket_packet` behind the Engine.IO `4`, or `encode_text_frame`, into one
/// reused `String` per frame (as a writer would before handing it to the socket). The JSON
/// span is copied as it is.
fn sio_wire_encode(packets: &[Decoded<'_>], out: &mut String) -> usize {
    let mut written = 0;
    for packet in packets {
        out.clear();
        match packet {
            Decoded::Socket(p) => {
                out.push('4');
                encode_socket_packet(p, out);
            }
            Decoded::Engine(p) => {
                // The corpus holds no binary message, the only packet a text frame refuses.
                let _ = encode_text_frame(p, out);
            }
        }
        written += black_box(out.len());
    }
    written
}

/// A frame decoded by socketioxide: a Socket.IO packet, or an Engine.IO packet.
#[derive(Clone)]
enum SioxDecoded {
    Socket(socketioxide_core::packet::Packet),
    Engine(engineioxide_core::Packet),
}

fn siox_decode_all(corpus: &Corpus) -> Vec<SioxDecoded> {
    use engineioxide_core::{Packet, ProtocolVersion, Str};
    let config = ParseConfig::default();
    corpus
        .frames()
        .iter()
        .map(
            |f| match Packet::parse(ProtocolVersion::V4, Str::from(f.clone())).expect("decodes") {
                Packet::Message(text) => {
                    let state = ParserState::default();
                    match CommonParser.decode_str(&config, &state, text) {
                        Ok(packet) => SioxDecoded::Socket(packet),
                        Err(_) => SioxDecoded::Socket(
                            state
                                .partial_bin_packet
                                .lock()
                                .ok()
                                .and_then(|mut p| p.take())
                                .expect("a binary header waits for its attachments")
                                .packet,
                        ),
                    }
                }
                other => SioxDecoded::Engine(other),
            },
        )
        .collect()
}

/// socketioxide: `CommonParser::encode` (a new `Str` per packet), then engineioxide's
/// `String::from(Packet)` for the Engine.IO frame (a second new `String`), which is what
/// socketioxide does before handing a frame to the socket.
fn siox_encode(packets: Vec<SioxDecoded>) -> usize {
    let mut written = 0;
    for packet in packets {
        let engine = match packet {
            SioxDecoded::Socket(p) => match CommonParser.encode(p) {
                SioxValue::Str(text, _) => engineioxide_core::Packet::Message(text),
                SioxValue::Bytes(bytes) => engineioxide_core::Packet::Binary(bytes),
            },
            SioxDecoded::Engine(p) => p,
        };
        written += black_box(String::from(engine).len());
    }
    written
}

/// serde_json: the header written by hand and the payload serialised from a `Value` tree,
/// the naive way to produce a frame from parsed data.
fn serde_json_encode(frames: &[(String, Option<serde_json::Value>)], out: &mut Vec<u8>) -> usize {
    let mut written = 0;
    for (header, value) in frames {
        out.clear();
        out.extend_from_slice(header.as_bytes());
        if let Some(value) = value {
            // Writing a Value to a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, value);
        }
        written += black_box(out.len());
    }
    written
}

fn encode_rt2_mix(c: &mut Criterion) {
    let corpus = Corpus::rt2_mix();
    let ours = decode_all(&corpus);
    let siox = siox_decode_all(&corpus);
    let values: Vec<(String, Option<serde_json::Value>)> = corpus
        .frames()
        .iter()
        .map(|f| match f.find(['[', '{']) {
            Some(start) => (
                f[..start].to_owned(),
                Some(serde_json::from_str(&f[start..]).expect("the corpus is JSON")),
            ),
            None => (f.clone(), None),
        })
        .collect();

    // Every encoder must reproduce the corpus, or the comparison is void.
    let mut out = String::new();
    assert_eq!(sio_wire_encode(&ours, &mut out) as u64, corpus.bytes());
    assert_eq!(siox_encode(siox.clone()) as u64, corpus.bytes());

    let mut group = c.benchmark_group("encode/rt2-mix");
    group.throughput(Throughput::Bytes(corpus.bytes()));
    group.bench_function("sio-wire", |b| {
        let mut out = String::new();
        b.iter(|| sio_wire_encode(&ours, &mut out))
    });
    group.bench_function("socketioxide", |b| {
        b.iter_batched(|| siox.clone(), siox_encode, BatchSize::SmallInput)
    });
    group.bench_function("serde_json/Value", |b| {
        let mut out = Vec::new();
        b.iter(|| serde_json_encode(&values, &mut out))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    encode_rt2_mix(&mut c);
    c.final_summary();
}
