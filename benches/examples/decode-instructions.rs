//! Runs one of the benches' decoders over the corpus a fixed number of times, for counting its
//! instructions under callgrind: a figure the shared machine's noise cannot move.
//!
//! Usage:
//!
//! ```sh
//! cargo build --profile bench -p sio-benches --example decode-instructions
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='*measured_passes*' \
//!     target/release/examples/decode-instructions sio-wire/validated 5
//! ```
//!
//! callgrind's "Collected" line is then the instructions of the passes alone (corpus generation
//! and set-up excluded); divide by the passes and the frames this prints.

#[path = "../benches/event_decoders/mod.rs"]
mod event_decoders;
#[path = "../benches/frame_decoders/mod.rs"]
mod frame_decoders;

use std::hint::black_box;
use std::process::ExitCode;

use frame_decoders::{Inputs, Outcome};
use sio_benches::{Corpus, FrameKind};
use socketioxide_core::parser::ParseConfig;
use tpos_chat::EventDecoder;

/// The decoders by the names the benches give them.
const NAMES: [&str; 13] = [
    "sio-wire/header-only",
    "sio-wire/validated",
    "sio-wire/engine-only",
    "socketioxide/lazy",
    "socketioxide/validated",
    "engineioxide/engine-only",
    "rust_engineio/engine-only",
    "serde_json/RawValue",
    "serde_json/Value",
    "memchr/scan",
    "on-events/tpos-chat/typed-borrowed",
    "on-events/serde_json/Value",
    "on-events/socketioxide/Value",
];

/// The measured region: callgrind counts only inside this function.
#[inline(never)]
fn measured_passes<T>(passes: u32, frames: &[T], decode: &mut impl FnMut(&T) -> Outcome) -> usize {
    let mut sum = 0;
    for _ in 0..passes {
        for frame in frames {
            sum += decode(black_box(frame)).unwrap_or(0);
        }
    }
    sum
}

/// One unmeasured pass that fails on the first frame `decode` rejects (a decoder that bails
/// out early would look cheap), then the measured passes.
fn checked<T>(
    passes: u32,
    frames: &[T],
    mut decode: impl FnMut(&T) -> Outcome,
) -> Result<usize, String> {
    for (i, frame) in frames.iter().enumerate() {
        decode(frame).map_err(|e| format!("frame {i}: {e}"))?;
    }
    Ok(measured_passes(passes, frames, &mut decode))
}

fn run(name: &str, passes: u32) -> Result<(usize, usize), String> {
    let mix = Corpus::rt2_mix();
    let config = ParseConfig::default();
    let on_events = mix.of_kind(FrameKind::OnEvents);
    let frames = if name.starts_with("on-events/") {
        &on_events
    } else {
        &mix
    };
    let inputs = Inputs::new(frames);
    let mut events = EventDecoder::new();
    let sum = match name {
        "sio-wire/header-only" => {
            checked(passes, &inputs.text, |f| frame_decoders::sio_wire_header(f))
        }
        "sio-wire/validated" => checked(passes, &inputs.text, |f| {
            frame_decoders::sio_wire_validated(f)
        }),
        "sio-wire/engine-only" => {
            checked(passes, &inputs.text, |f| frame_decoders::sio_wire_engine(f))
        }
        "socketioxide/lazy" => checked(passes, &inputs.siox, |f| {
            frame_decoders::siox_lazy(f, &config)
        }),
        "socketioxide/validated" => checked(passes, &inputs.siox, |f| {
            frame_decoders::siox_validated(f, &config)
        }),
        "engineioxide/engine-only" => {
            checked(passes, &inputs.siox, frame_decoders::engineioxide_decode)
        }
        "rust_engineio/engine-only" => {
            checked(passes, &inputs.bytes, frame_decoders::rust_engineio_decode)
        }
        "serde_json/RawValue" => checked(passes, &inputs.text, |f| {
            frame_decoders::serde_json_raw_value(f)
        }),
        "serde_json/Value" => checked(passes, &inputs.text, |f| {
            frame_decoders::serde_json_value(f)
        }),
        "memchr/scan" => checked(passes, &inputs.text, |f| frame_decoders::memchr_scan(f)),
        "on-events/tpos-chat/typed-borrowed" => checked(passes, &inputs.text, |f| {
            event_decoders::typed_borrowed(f, &mut events)
        }),
        "on-events/serde_json/Value" => checked(passes, &inputs.text, |f| {
            event_decoders::serde_json_value(f)
        }),
        "on-events/socketioxide/Value" => checked(passes, &inputs.siox, |f| {
            event_decoders::siox_value(f, &config)
        }),
        _ => {
            return Err(format!(
                "unknown decoder `{name}`; one of: {}",
                NAMES.join(", ")
            ));
        }
    }?;
    Ok((sum, frames.len()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (name, passes) = match args.as_slice() {
        [name] => (name.as_str(), 1),
        [name, passes] => match passes.parse() {
            Ok(p) => (name.as_str(), p),
            Err(e) => {
                eprintln!("decode-instructions: PASSES `{passes}`: {e}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!(
                "usage: decode-instructions NAME [PASSES]\nNAME: {}",
                NAMES.join(", ")
            );
            return ExitCode::from(2);
        }
    };
    match run(name, passes) {
        Ok((sum, frames)) => {
            println!(r#"{{"decoder":"{name}","passes":{passes},"frames":{frames},"sum":{sum}}}"#);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("decode-instructions: {name}: {e}");
            ExitCode::FAILURE
        }
    }
}
