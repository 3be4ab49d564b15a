//! Captures: streaming reads of a native capture, HAR import, and snapshot normalisation, on
//! the rt-2 mix written as a capture (one server frame per line) and as a Chrome HAR.
//!
//! - `read_capture/rt2-mix`: `CaptureReader` over the capture's bytes (each line parsed into a
//!   typed `Record`, directions and kinds checked), against `serde_json::Value` per line (what
//!   a hand-rolled JSON Lines reader does) and a bare memchr line split (the ceiling).
//! - `import_har/rt2-mix`: `import_har` (HAR 1.2 into records, no redaction) and
//!   `import_capture` (kind detection + import + redaction, what `sio-replay import` runs),
//!   against `serde_json::Value` of the same document (parsing alone).
//! - `normalise/rt2-mix`: `render_transcript` with the default rules (every frame decoded by
//!   sio-wire, JSON payloads and the stringified on-events documents walked, sids, times and
//!   ids replaced by placeholders, the transcript text written).
//! - `redact_anywhere/client-frames`: `sio_capture::redact::redact_anywhere`, the pass the mock
//!   runs on every frame a client sends (for its reports), over a client's typical frames: an
//!   acked probe, a chat reply, a namespace CONNECT with a JWT, an emit carrying a bearer token.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use serde_json::json;
use sio_benches::{Corpus, MIX_SEED};
use sio_capture::import::{ImportOptions, import_capture, import_har};
use sio_capture::normalize::NormalizeConfig;
use sio_capture::transcript::render_transcript;
use sio_capture::{CaptureReader, CaptureWriter, Direction, FrameRecord, Header, Record};

/// The mix as a native capture: a header line, then one server frame per line, 0.5 ms apart.
fn native_capture(corpus: &Corpus) -> Vec<u8> {
    let mut writer =
        CaptureWriter::new(Vec::new(), Header::new("bench")).expect("writing to a Vec");
    for (i, frame) in corpus.frames().iter().enumerate() {
        let record = FrameRecord::text(i as f64 * 0.5, 1, Direction::Server, frame.as_str());
        writer.write_frame(&record).expect("writing to a Vec");
    }
    writer.finish().expect("writing to a Vec")
}

/// The mix as Chrome exports it: rt2-corpus's HAR (page load, live-video request, socket
/// upgrade) with the mix appended to the socket's `_webSocketMessages` as received frames.
fn chrome_har(corpus: &Corpus) -> Vec<u8> {
    let mut har: serde_json::Value =
        serde_json::from_str(&rt2_corpus::chrome_har(MIX_SEED)).expect("rt2-corpus writes JSON");
    let entries = har["log"]["entries"]
        .as_array_mut()
        .expect("a HAR has log.entries");
    let socket = entries
        .iter_mut()
        .find(|e| e.get("_webSocketMessages").is_some())
        .expect("the HAR has a WebSocket entry");
    let messages = socket["_webSocketMessages"]
        .as_array_mut()
        .expect("_webSocketMessages is an array");
    let start = messages
        .last()
        .and_then(|m| m["time"].as_f64())
        .unwrap_or(1_767_792_642.0);
    for (i, frame) in corpus.frames().iter().enumerate() {
        messages.push(json!({
            "type": "receive",
            "time": start + (i + 1) as f64 * 0.0005,
            "opcode": 1,
            "data": frame,
        }));
    }
    serde_json::to_vec(&har).expect("a Value serialises")
}

fn read_capture(c: &mut Criterion, corpus: &Corpus) {
    let capture = native_capture(corpus);
    let records = CaptureReader::new(capture.as_slice())
        .map(|r| r.expect("the capture reads back"))
        .filter(|r| matches!(r, Record::Frame(_)))
        .count();
    assert_eq!(records, corpus.len());

    let mut group = c.benchmark_group("read_capture/rt2-mix");
    group.throughput(Throughput::Bytes(capture.len() as u64));
    group.bench_function("sio-capture/CaptureReader", |b| {
        b.iter(|| {
            CaptureReader::new(black_box(capture.as_slice()))
                .map(|r| match r {
                    Ok(Record::Frame(f)) => f.data.len(),
                    _ => 1,
                })
                .sum::<usize>()
        })
    });
    group.bench_function("serde_json/Value-per-line", |b| {
        b.iter(|| {
            black_box(capture.as_slice())
                .split(|&c| c == b'\n')
                .filter(|line| !line.is_empty())
                .map(|line| {
                    serde_json::from_slice::<serde_json::Value>(line)
                        .map_or(0, |v| v["data"].as_str().map_or(1, str::len))
                })
                .sum::<usize>()
        })
    });
    group.bench_function("memchr/lines", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(capture.as_slice())).count())
    });
    group.finish();
}

fn import(c: &mut Criterion, corpus: &Corpus) {
    let har = chrome_har(corpus);
    let imported = import_har(&har).expect("the HAR imports");
    assert!(imported.records.len() > corpus.len());

    let mut group = c.benchmark_group("import_har/rt2-mix");
    group.throughput(Throughput::Bytes(har.len() as u64));
    group.bench_function("sio-capture/import_har", |b| {
        b.iter(|| import_har(black_box(&har)).map_or(0, |i| i.records.len()))
    });
    group.bench_function("sio-capture/import_capture", |b| {
        let options = ImportOptions::default();
        b.iter(|| import_capture(black_box(&har), &options).map_or(0, |i| i.records.len()))
    });
    group.bench_function("serde_json/Value", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde_json::Value>(black_box(&har))
                .map_or(0, |v| v["log"]["entries"].as_array().map_or(0, Vec::len))
        })
    });
    group.finish();
}

fn normalise(c: &mut Criterion, corpus: &Corpus) {
    let records: Vec<Record> = corpus
        .frames()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            Record::Frame(FrameRecord::text(
                i as f64 * 0.5,
                1,
                Direction::Server,
                f.as_str(),
            ))
        })
        .collect();
    let config = NormalizeConfig::default();
    let transcript = render_transcript(&records, &config);
    assert!(
        transcript.contains("[id-1]") && transcript.contains("[time-1]"),
        "the default rules replace ids and times"
    );

    let mut group = c.benchmark_group("normalise/rt2-mix");
    group.throughput(Throughput::Bytes(corpus.bytes()));
    group.bench_function("sio-capture/render_transcript", |b| {
        b.iter(|| render_transcript(black_box(&records), &config).len())
    });
    group.finish();

    let mut group = c.benchmark_group("normalise/rt2-mix-frames");
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function("sio-capture/render_transcript", |b| {
        b.iter(|| render_transcript(black_box(&records), &config).len())
    });
    group.finish();
}

fn redact_anywhere(c: &mut Criterion) {
    let jwt = concat!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
        "eyJUZW5hbnRJZCI6InRvbWF0by50cG9zLnZuIiwiVXNlcklkIjoiYmVuY2gifQ.",
        "c3ludGhldGljLXNpZ25hdHVyZQ"
    );
    let frames = [
        r#"42/chatomni,17["latency-probe",1733363200]"#.to_owned(),
        r#"42/chatomni,["reply",{"ConversationId":"65a1f0c2e4b0a1b2c3d4e5f6","Message":"Dạ chị ơi, mẫu này còn size M ạ"}]"#.to_owned(),
        format!(r#"40/chatomni,{{"token":"{jwt}"}}"#),
        r#"42/chatomni,["api",{"headers":{"Authorization":"Bearer abc.def-123"}}]"#.to_owned(),
    ];
    let bytes: usize = frames.iter().map(String::len).sum();
    let mut group = c.benchmark_group("redact_anywhere/client-frames");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("sio-capture/redact_anywhere", |b| {
        b.iter(|| {
            frames
                .iter()
                .map(|frame| sio_capture::redact::redact_anywhere(black_box(frame)).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    redact_anywhere(&mut c);
    let corpus = Corpus::rt2_mix();
    read_capture(&mut c, &corpus);
    import(&mut c, &corpus);
    normalise(&mut c, &corpus);
    c.final_summary();
}
