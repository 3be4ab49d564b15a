//! Decoding throughput: sio-wire against its peers, in one run, on the same rt-2 frames.
//!
//! Every function below decodes whole Engine.IO text frames (`42/chatomni,[...]`, `2`, ...)
//! as a WebSocket client receives them, and each says what work it does. Groups:
//!
//! - `decode_socket_packet/rt2-mix` (bytes/s) and `decode_socket_packet/rt2-mix-frames`
//!   (frames/s): the realistic mix, every decoder.
//! - `decode_socket_packet/<kind>` (frames/s): one kind of frame at a time, sio-wire and
//!   socketioxide.
//! - `decode_text_frame/rt2-mix` (frames/s): the Engine.IO layer alone, sio-wire against
//!   rust_engineio and engineioxide.

mod frame_decoders;

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use frame_decoders::*;
use sio_benches::{Corpus, FrameKind};
use socketioxide_core::parser::ParseConfig;

/// Runs `decode` over every frame; the sum keeps the work observable.
fn sum_over<T>(frames: &[T], mut decode: impl FnMut(&T) -> Outcome) -> usize {
    frames
        .iter()
        .map(|f| decode(black_box(f)).unwrap_or(0))
        .sum()
}

/// Fails the bench before it runs when a decoder rejects a frame of the corpus: a decoder
/// that bails out early would look fast.
fn check_all<T>(name: &str, frames: &[T], mut decode: impl FnMut(&T) -> Outcome) {
    for (i, frame) in frames.iter().enumerate() {
        if let Err(e) = decode(frame) {
            panic!("{name} rejects frame {i} of the corpus: {e}");
        }
    }
}

fn bench_mix_group(group: &mut BenchmarkGroup<'_, WallTime>, inputs: &Inputs) {
    let config = ParseConfig::default();
    let text = &inputs.text;
    let siox = &inputs.siox;
    group.bench_function("sio-wire/header-only", |b| {
        b.iter(|| sum_over(text, |f| sio_wire_header(f)))
    });
    group.bench_function("sio-wire/validated", |b| {
        b.iter(|| sum_over(text, |f| sio_wire_validated(f)))
    });
    group.bench_function("socketioxide/lazy", |b| {
        b.iter(|| sum_over(siox, |f| siox_lazy(f, &config)))
    });
    group.bench_function("socketioxide/validated", |b| {
        b.iter(|| sum_over(siox, |f| siox_validated(f, &config)))
    });
    group.bench_function("rust_engineio/engine-only", |b| {
        b.iter(|| sum_over(&inputs.bytes, rust_engineio_decode))
    });
    group.bench_function("serde_json/RawValue", |b| {
        b.iter(|| sum_over(text, |f| serde_json_raw_value(f)))
    });
    group.bench_function("serde_json/Value", |b| {
        b.iter(|| sum_over(text, |f| serde_json_value(f)))
    });
    group.bench_function("memchr/scan", |b| {
        b.iter(|| sum_over(text, |f| memchr_scan(f)))
    });
}

fn decode_rt2_mix(c: &mut Criterion) {
    let corpus = Corpus::rt2_mix();
    let inputs = Inputs::new(&corpus);
    let config = ParseConfig::default();
    check_all("sio-wire/header-only", &inputs.text, |f| sio_wire_header(f));
    check_all("sio-wire/validated", &inputs.text, |f| {
        sio_wire_validated(f)
    });
    check_all("socketioxide/lazy", &inputs.siox, |f| siox_lazy(f, &config));
    check_all("socketioxide/validated", &inputs.siox, |f| {
        siox_validated(f, &config)
    });
    check_all("rust_engineio", &inputs.bytes, rust_engineio_decode);
    check_all("serde_json/RawValue", &inputs.text, |f| {
        serde_json_raw_value(f)
    });
    check_all("serde_json/Value", &inputs.text, |f| serde_json_value(f));

    let mut group = c.benchmark_group("decode_socket_packet/rt2-mix");
    group.throughput(Throughput::Bytes(corpus.bytes()));
    bench_mix_group(&mut group, &inputs);
    group.finish();

    let mut group = c.benchmark_group("decode_socket_packet/rt2-mix-frames");
    group.throughput(Throughput::Elements(corpus.len() as u64));
    bench_mix_group(&mut group, &inputs);
    group.finish();
}

fn decode_per_kind(c: &mut Criterion) {
    let mix = Corpus::rt2_mix();
    let config = ParseConfig::default();
    for kind in FrameKind::ALL {
        let corpus = mix.of_kind(kind);
        if corpus.is_empty() {
            continue;
        }
        let inputs = Inputs::new(&corpus);
        let mut group = c.benchmark_group(format!("decode_socket_packet/{}", kind.name()));
        group.throughput(Throughput::Elements(corpus.len() as u64));
        group.bench_function("sio-wire/header-only", |b| {
            b.iter(|| sum_over(&inputs.text, |f| sio_wire_header(f)))
        });
        group.bench_function("sio-wire/validated", |b| {
            b.iter(|| sum_over(&inputs.text, |f| sio_wire_validated(f)))
        });
        group.bench_function("socketioxide/lazy", |b| {
            b.iter(|| sum_over(&inputs.siox, |f| siox_lazy(f, &config)))
        });
        group.bench_function("socketioxide/validated", |b| {
            b.iter(|| sum_over(&inputs.siox, |f| siox_validated(f, &config)))
        });
        group.finish();
    }
}

fn decode_engine_layer(c: &mut Criterion) {
    let corpus = Corpus::rt2_mix();
    let inputs = Inputs::new(&corpus);
    check_all("sio-wire engine", &inputs.text, |f| sio_wire_engine(f));
    check_all("engineioxide", &inputs.siox, engineioxide_decode);
    // Splitting off the type digit costs the same whatever the frame's length: frames/s.
    let mut group = c.benchmark_group("decode_text_frame/rt2-mix");
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function("sio-wire", |b| {
        b.iter(|| sum_over(&inputs.text, |f| sio_wire_engine(f)))
    });
    group.bench_function("rust_engineio", |b| {
        b.iter(|| sum_over(&inputs.bytes, rust_engineio_decode))
    });
    group.bench_function("engineioxide", |b| {
        b.iter(|| sum_over(&inputs.siox, engineioxide_decode))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    decode_rt2_mix(&mut c);
    decode_per_kind(&mut c);
    decode_engine_layer(&mut c);
    c.final_summary();
}
