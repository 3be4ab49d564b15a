//! A differential test of tpos-chat's two decoding paths on realistic inputs and on mutants of
//! them: whenever `EventDecoder::decode_argument` (or `decode_args`) accepts an argument, unescaping it with
//! serde_json and decoding the inner document must accept it too and give the same event; when
//! serde_json accepts both levels, the decoder must not refuse.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::value::RawValue;
use tpos_chat::{EventDecoder, OnEvent, decode_event_json};

/// What serde_json alone makes of a literal: `None` if either level fails. (serde_json also
/// skips whitespace around the string; an argument is the literal alone, quote to quote.)
fn reference(literal: &str) -> Option<OnEvent<'static>> {
    if !(literal.starts_with('"') && literal.ends_with('"')) {
        return None;
    }
    let inner: String = serde_json::from_str(literal).ok()?;
    decode_event_json(&inner).ok().map(OnEvent::into_owned)
}

/// What serde_json alone makes of an argument array.
fn reference_args(args: &str) -> Option<OnEvent<'static>> {
    let (name, inner): (String, String) = serde_json::from_str(args).ok()?;
    if name != "on-events" {
        return None;
    }
    decode_event_json(&inner).ok().map(OnEvent::into_owned)
}

/// Bytes that matter to the grammar at one level or the other.
const ALPHABET: &[&str] = &[
    "\\", "\"", "\\\"", "\\\\", "\\\\\\\"", "{", "}", "[", "]", ":", ",", " ", "\\n", "\\t", "0",
    "1", "-", ".", "e", "t", "n", "u", "\\u", "\\\\u", "d83d", "ả", "😀", "\n", "null", "true",
];

fn mutate(rng: &mut ChaCha8Rng, literal: &str) -> String {
    let mut s = literal.to_owned();
    for _ in 0..rng.random_range(1..4) {
        let mut at = rng.random_range(0..=s.len());
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        match rng.random_range(0..3) {
            0 => s.insert_str(at, ALPHABET[rng.random_range(0..ALPHABET.len())]),
            1 => {
                let mut end = (at + rng.random_range(1..4)).min(s.len());
                while !s.is_char_boundary(end) {
                    end += 1;
                }
                s.replace_range(at..end, "");
            }
            _ => {
                let mut end = (at + 1).min(s.len());
                while !s.is_char_boundary(end) {
                    end += 1;
                }
                s.replace_range(at..end, ALPHABET[rng.random_range(0..ALPHABET.len())]);
            }
        }
    }
    s
}

#[test]
fn both_paths_agree_on_frames_and_their_mutants() {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut decoder = EventDecoder::new();
    let (mut accepted, mut refused) = (0, 0);
    for frame in rt2_corpus::bench_frames(400, 3) {
        let Some(args) = frame.strip_prefix("42/chatomni,") else {
            continue;
        };
        let Ok((_, literal)) = serde_json::from_str::<(&str, &RawValue)>(args) else {
            continue;
        };
        let original = literal.get().to_owned();
        let mut inputs = vec![original.clone()];
        inputs.extend((0..30).map(|_| mutate(&mut rng, &original)));
        for input in inputs {
            let expected = reference(&input);
            let args = format!("[\"on-events\",{input}]");
            let via_args = decoder.decode_args(&args).ok().map(OnEvent::into_owned);
            if via_args.is_some() {
                assert_eq!(via_args, reference_args(&args), "{args}");
            }
            match decoder.decode_argument(&input) {
                Ok(event) => {
                    accepted += 1;
                    assert_eq!(Some(event.into_owned()), expected, "{input}");
                }
                Err(e) => {
                    refused += 1;
                    assert!(
                        expected.is_none(),
                        "refused what serde_json reads ({e}): {input}"
                    );
                }
            }
        }
    }
    // The mutants exercise both outcomes.
    assert!(accepted > 1000 && refused > 1000, "{accepted} {refused}");
}
