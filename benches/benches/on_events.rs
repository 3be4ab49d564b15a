//! Typed `on-events` decoding, from the raw frame to the event, both JSON levels: the frame's
//! argument array, then the JSON document inside its string argument.
//!
//! - `tpos-chat/typed-borrowed`: `tpos_chat::EventDecoder::decode_frame`: sio-wire decodes
//!   the frame (header, outer JSON validated, event name), then the string argument is read
//!   into the typed, borrowed `OnEvent` (in its escaped form, borrowing from the frame, with
//!   one reused scratch buffer as the fallback).
//! - `serde_json/Value`: both levels into `serde_json::Value` trees (the outer array, then the
//!   inner document parsed from the unescaped string), with the header skipped by hand.
//! - `socketioxide/Value`: socketioxide's decode, `read_event`, the argument as a `String`
//!   (`decode_value`), then the inner document into a `serde_json::Value`, as a socketioxide
//!   handler taking `Data<String>` would do.
//!
//! The target: `tpos-chat/typed-borrowed` at least 3x `serde_json/Value`.

mod event_decoders;

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use event_decoders::{serde_json_value, siox_value, typed_borrowed};
use sio_benches::{Corpus, FrameKind};
use socketioxide_core::parser::ParseConfig;
use tpos_chat::EventDecoder;

fn bench_group(group: &mut BenchmarkGroup<'_, WallTime>, corpus: &Corpus) {
    let frames = corpus.frames();
    let siox: Vec<engineioxide_core::Str> = frames
        .iter()
        .map(|f| engineioxide_core::Str::from(f.clone()))
        .collect();
    let config = ParseConfig::default();
    group.bench_function("tpos-chat/typed-borrowed", |b| {
        let mut decoder = EventDecoder::new();
        b.iter(|| {
            frames
                .iter()
                .map(|f| typed_borrowed(black_box(f), &mut decoder).unwrap_or(0))
                .sum::<usize>()
        })
    });
    group.bench_function("serde_json/Value", |b| {
        b.iter(|| {
            frames
                .iter()
                .map(|f| serde_json_value(black_box(f)).unwrap_or(0))
                .sum::<usize>()
        })
    });
    group.bench_function("socketioxide/Value", |b| {
        b.iter(|| {
            siox.iter()
                .map(|f| siox_value(black_box(f), &config).unwrap_or(0))
                .sum::<usize>()
        })
    });
}

fn on_events(c: &mut Criterion) {
    let corpus = Corpus::rt2_mix().of_kind(FrameKind::OnEvents);

    // Every decoder must accept every frame and read the same fields, or the race is void.
    let mut decoder = EventDecoder::new();
    let config = ParseConfig::default();
    for (i, frame) in corpus.frames().iter().enumerate() {
        let typed = typed_borrowed(frame, &mut decoder);
        let value = serde_json_value(frame);
        let siox = siox_value(&engineioxide_core::Str::from(frame.clone()), &config);
        assert!(
            typed.is_ok(),
            "tpos-chat rejects on-events frame {i}: {typed:?}"
        );
        assert_eq!(typed, value, "frame {i}");
        assert_eq!(typed, siox, "frame {i}");
    }

    let mut group = c.benchmark_group("decode_on_events/rt2-on-events");
    group.throughput(Throughput::Bytes(corpus.bytes()));
    bench_group(&mut group, &corpus);
    group.finish();

    let mut group = c.benchmark_group("decode_on_events/rt2-on-events-frames");
    group.throughput(Throughput::Elements(corpus.len() as u64));
    bench_group(&mut group, &corpus);
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    on_events(&mut c);
    c.final_summary();
}
