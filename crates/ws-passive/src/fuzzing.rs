//! Fuzz harness bodies, driven by the one-line targets in `fuzz/fuzz_targets/` (each named
//! after the function here) and replayed as ordinary tests by the `fuzz_corpus.rs` module of
//! the crate's test binary, which runs every committed seed in `fuzz/seeds/<target>/` through
//! the same body on stable.
//!
//! Compiled only with the `fuzzing` feature. Not part of the public API.

use crate::config::Config;
use crate::error::ErrorKind;
use crate::event::{Direction, WsEvent};
use crate::extensions::{DeflateParams, Extensions};
use crate::observer::Observer;

/// The limits the first input byte picks from: small ones, so the fuzzer reaches them.
const MAX_SIZES: [usize; 4] = [16, 300, 4096, 1 << 20];

/// Drives [`Observer::feed`] and [`Observer::finish`].
///
/// Input: a byte of settings (bit 0: permessage-deflate negotiated; bits 1 and 2: server and
/// client no context takeover; bits 3 and 4: the message size limit from [`MAX_SIZES`]), a
/// byte of chunk size, then the stream, fed to both directions.
///
/// Invariants: feeding in chunks (alternating between the directions) gives each direction the
/// events feeding it whole gives (but see [`inflate_errors_alike`]); error offsets are within the stream; messages respect the
/// limit; a direction reports nothing after a fatal error; `finish` ends every direction.
pub fn ws_passive_feed(data: &[u8]) {
    let [settings, chunk, stream @ ..] = data else {
        return;
    };
    let deflate = (settings & 1 != 0).then_some(DeflateParams {
        server_no_context_takeover: settings & 2 != 0,
        client_no_context_takeover: settings & 4 != 0,
        ..DeflateParams::default()
    });
    let max = MAX_SIZES[usize::from((settings >> 3) & 3)];
    let config = Config::default().with_max_message_size(max);
    let extensions = Extensions {
        permessage_deflate: deflate,
    };
    let chunk = usize::from(*chunk) + 1;

    let mut chunked = Observer::new(config);
    chunked.set_extensions(extensions);
    for piece in stream.chunks(chunk) {
        for direction in Direction::BOTH {
            chunked.feed(direction, piece);
        }
    }
    let mut all = Vec::new();
    for direction in Direction::BOTH {
        assert_eq!(chunked.offset(direction), stream.len() as u64);
        chunked.finish(direction);
        assert!(!chunked.is_decoding(direction));
    }
    while let Some(event) = chunked.poll_event() {
        all.push(event);
    }

    for direction in Direction::BOTH {
        let mut whole = Observer::new(config);
        whole.set_extensions(extensions);
        whole.feed(direction, stream);
        whole.finish(direction);
        let expected: Vec<WsEvent> = std::iter::from_fn(|| whole.poll_event()).collect();
        let got: Vec<WsEvent> = all
            .iter()
            .filter(|e| e.direction() == direction)
            .map(inflate_errors_alike)
            .collect();
        let want: Vec<WsEvent> = expected.iter().map(inflate_errors_alike).collect();
        assert_eq!(got, want, "{direction:?}");

        let mut stopped = false;
        for event in &expected {
            assert!(!stopped, "an event after a fatal error: {event:?}");
            match event {
                WsEvent::Error { offset, kind, .. } => {
                    assert!(*offset <= stream.len() as u64);
                    stopped = kind.is_fatal();
                }
                WsEvent::Message { data, offset, .. } => {
                    assert!(data.len() <= max);
                    assert!(*offset < stream.len() as u64);
                }
                WsEvent::Ping { data, .. } | WsEvent::Pong { data, .. } => {
                    assert!(data.len() <= 125);
                }
                WsEvent::Close { reason, .. } => assert!(reason.len() <= 3 * 123),
            }
        }
    }
}

/// The event, with [`ErrorKind::InflateFailed`] read as [`ErrorKind::MessageTooLarge`].
///
/// A compressed frame that both inflates past the limit and is corrupt further on is reported
/// as whichever the inflater meets first, and that depends on how much of the frame it was
/// given at once: the inflater (zlib-rs, as miniz_oxide before it) may inflate ahead into its window when the output buffer is small,
/// so with the whole frame it may reach the corrupt bytes before it hands out the output that
/// passes the limit. Both errors have the same offset and the same consequences (the message
/// is skipped, a shared context is lost), so the events are otherwise identical.
fn inflate_errors_alike(event: &WsEvent) -> WsEvent {
    match event {
        WsEvent::Error {
            direction,
            offset,
            kind: ErrorKind::InflateFailed,
        } => WsEvent::Error {
            direction: *direction,
            offset: *offset,
            kind: ErrorKind::MessageTooLarge,
        },
        other => other.clone(),
    }
}
