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
//! Issue 3's target: `tpos-chat/typed-borrowed` at least 3x `serde_json/Value`.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use sio_benches::{Corpus, FrameKind};
use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
use socketioxide_parser_common::CommonParser;
use tpos_chat::{EventDecoder, ON_EVENTS};

type Outcome = Result<usize, String>;

/// `EventDecoder::decode_frame`: sio-wire's `decode_message` (header, outer JSON validated),
/// the event name checked, then the string argument read into the typed, borrowed `OnEvent`.
/// What the result depends on: the length of the message text and the channel type, read
/// from the decoded event, so no decoder can skip the fields.
fn typed_borrowed(frame: &str, decoder: &mut EventDecoder) -> Outcome {
    let event = decoder
        .decode_frame(frame)
        .map_err(|e| e.to_string())?
        .ok_or("not an on-events frame")?;
    let text = event
        .message
        .as_ref()
        .and_then(|m| m.text.as_deref())
        .map_or(0, str::len);
    let channel = event
        .conversation
        .as_ref()
        .map_or(0, |c| c.channel_type.code());
    Ok(text + channel as usize)
}

fn value_fields(inner: &serde_json::Value) -> usize {
    let text = inner["Message"]["Message"].as_str().map_or(0, str::len);
    let channel = inner["Conversation"]["ChannelType"].as_i64().unwrap_or(0);
    text + channel as usize
}

fn serde_json_value(frame: &str) -> Outcome {
    let start = frame.find('[').ok_or("no array")?;
    let outer: serde_json::Value =
        serde_json::from_str(&frame[start..]).map_err(|e| e.to_string())?;
    if outer[0] != ON_EVENTS {
        return Err("not on-events".into());
    }
    let argument = outer[1].as_str().ok_or("argument is not a string")?;
    let inner: serde_json::Value = serde_json::from_str(argument).map_err(|e| e.to_string())?;
    Ok(value_fields(&inner))
}

fn siox_value(frame: &engineioxide_core::Str, config: &ParseConfig) -> Outcome {
    use engineioxide_core::{Packet, ProtocolVersion};
    use socketioxide_core::packet::PacketData;
    let Packet::Message(text) =
        Packet::parse(ProtocolVersion::V4, frame.clone()).map_err(|e| e.to_string())?
    else {
        return Err("not a message".into());
    };
    let state = ParserState::default();
    let mut packet = CommonParser
        .decode_str(config, &state, text)
        .map_err(|e| e.to_string())?;
    let PacketData::Event(value, _) = &mut packet.inner else {
        return Err("not an event".into());
    };
    if CommonParser.read_event(value).map_err(|e| e.to_string())? != ON_EVENTS {
        return Err("not on-events".into());
    }
    let argument: String = CommonParser
        .decode_value(value, true)
        .map_err(|e| e.to_string())?;
    let inner: serde_json::Value = serde_json::from_str(&argument).map_err(|e| e.to_string())?;
    Ok(value_fields(&inner))
}

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
