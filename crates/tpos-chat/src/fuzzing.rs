//! Fuzz harness bodies, driven by the one-line targets in `fuzz/fuzz_targets/` (each named
//! after the function here) and replayed as ordinary tests by `tests/fuzz_corpus.rs`, which
//! runs every committed seed in `fuzz/seeds/<target>/` through the same body on stable.
//!
//! Not part of the public API: bodies may change with the crate.

use crate::{Error, EventDecoder, decode_event_json};

/// Drives [`EventDecoder::decode_argument`] (rt-2 event decoding), with the input as the
/// argument's JSON string literal, then [`EventDecoder::decode_args`] and
/// [`decode_event_json`] on the same text.
///
/// Invariants:
/// - an [`Error::Argument`] offset is within the input;
/// - the literal is accepted exactly when serde_json reads it as a string that fills the
///   input, and unescapes to the same text;
/// - a decoded event re-encodes ([`crate::OnEvent::to_argument`]) to an argument that
///   decodes to the same event, and the decoder's buffer is reused across calls.
pub fn decode_argument(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut decoder = EventDecoder::new();
    let oracle = serde_json::from_str::<String>(text)
        .ok()
        .filter(|_| text.starts_with('"') && text.ends_with('"'));
    match decoder.decode_argument(text) {
        Err(Error::Argument { offset, reason }) => {
            assert!(offset <= text.len(), "offset {offset} > {}", text.len());
            assert!(
                oracle.is_none(),
                "refused a JSON string serde_json reads ({reason} at {offset})"
            );
        }
        Err(_) => {
            // The literal unescaped; the inner document is what failed, as it does alone.
            let Some(inner) = &oracle else {
                panic!("accepted a literal serde_json refuses: {text:?}");
            };
            assert!(decode_event_json(inner).is_err());
        }
        Ok(event) => {
            let Some(inner) = &oracle else {
                panic!("accepted a literal serde_json refuses: {text:?}");
            };
            assert_eq!(decode_event_json(inner).as_ref(), Ok(&event));
            let event = event.into_owned();
            let argument = event.to_argument();
            let again = decoder.decode_argument(&argument).map(|e| e.into_owned());
            assert_eq!(again.as_ref(), Ok(&event), "re-encoded {argument:?}");
        }
    }

    // The same text as a whole argument array, and as an inner document.
    if let Ok(event) = decoder.decode_args(text) {
        let event = event.into_owned();
        let args = format!("[\"on-events\",{}]", event.to_argument());
        let again = decoder.decode_args(&args).map(|e| e.into_owned());
        assert_eq!(again.as_ref(), Ok(&event), "re-encoded {args:?}");
    }
    if let Ok(event) = decode_event_json(text) {
        let json = event.to_json();
        assert_eq!(decode_event_json(&json).as_ref(), Ok(&event), "{json:?}");
    }
}
