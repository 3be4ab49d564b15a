//! Long-polling payload splitting: the rt-2 mix batched into Engine.IO v4 payloads (records
//! separated by `\x1e`, as a server answers a GET), split and decoded by sio-wire, against a
//! bare memchr split of the same bytes as the ceiling.
//!
//! Peers: socketioxide's payload decoder (engineioxide-core) is an async stream over an HTTP
//! body and rust_engineio's `Payload` is crate-private, so neither can be called on a string;
//! Node's engine.io-parser `decodePayload` is timed by `benches/node/run.sh` instead.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use sio_benches::Corpus;
use sio_wire::engine::{
    EnginePacket, PollingPacket, decode_polling_payload, encode_polling_payload,
};

/// Frames per payload: a poll that found a short burst of events waiting.
const FRAMES_PER_PAYLOAD: usize = 16;

fn payloads(corpus: &Corpus) -> Vec<String> {
    corpus
        .frames()
        .chunks(FRAMES_PER_PAYLOAD)
        .map(|chunk| chunk.join("\x1e"))
        .collect()
}

/// sio-wire: `decode_polling_payload`, which finds each separator with memchr and decodes each
/// record as an Engine.IO packet (type digit checked, data borrowed).
fn sio_wire_split(payloads: &[String]) -> usize {
    let mut n = 0;
    for payload in payloads {
        for packet in decode_polling_payload(black_box(payload)) {
            n += match packet {
                Ok(PollingPacket::Packet(p)) => p.packet_type().as_number() as usize,
                Ok(PollingPacket::Base64(data)) => data.as_str().len(),
                Err(_) => 0,
            };
        }
    }
    n
}

/// The ceiling: memchr's iterator over the separators, slicing each record, no decoding.
fn memchr_split(payloads: &[String]) -> usize {
    let mut n = 0;
    for payload in payloads {
        let bytes = black_box(payload).as_bytes();
        let mut start = 0;
        for end in memchr::memchr_iter(0x1e, bytes).chain(std::iter::once(bytes.len())) {
            n += bytes[start..end].first().copied().unwrap_or(0) as usize;
            start = end + 1;
        }
    }
    n
}

fn polling_payload(c: &mut Criterion) {
    let corpus = Corpus::rt2_mix();
    let payloads = payloads(&corpus);
    let bytes: u64 = payloads.iter().map(|p| p.len() as u64).sum();

    // Every record must decode, or sio-wire would stop early and look fast.
    let mut records = 0;
    for (i, payload) in payloads.iter().enumerate() {
        for record in decode_polling_payload(payload) {
            if let Err(e) = record {
                panic!("payload {i} does not split: {e}");
            }
            records += 1;
        }
    }
    assert_eq!(records, corpus.len());

    let mut group = c.benchmark_group("decode_polling_payload/rt2-mix");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("sio-wire", |b| b.iter(|| sio_wire_split(&payloads)));
    group.bench_function("memchr/split", |b| b.iter(|| memchr_split(&payloads)));
    group.finish();

    let packets: Vec<Vec<EnginePacket<'_>>> = payloads
        .iter()
        .map(|p| {
            decode_polling_payload(p)
                .filter_map(|r| match r {
                    Ok(PollingPacket::Packet(packet)) => Some(packet),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let mut group = c.benchmark_group("encode_polling_payload/rt2-mix");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("sio-wire", |b| {
        let mut out = String::new();
        b.iter(|| {
            let mut n = 0;
            for batch in &packets {
                out.clear();
                // The corpus has no `\x1e` inside a record, the only thing the encoder refuses.
                let _ = encode_polling_payload(batch, &mut out);
                n += black_box(out.len());
            }
            n
        })
    });
    let records: Vec<&[String]> = corpus.frames().chunks(FRAMES_PER_PAYLOAD).collect();
    group.bench_function("slice/join", |b| {
        b.iter(|| {
            records
                .iter()
                .map(|chunk| black_box(chunk.join("\x1e")).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    polling_payload(&mut c);
    c.final_summary();
}
