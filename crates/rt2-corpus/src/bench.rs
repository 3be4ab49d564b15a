//! A benchmark corpus: frames in the proportions a busy rt-2 connection sees.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::chat::{EventFactory, on_events_frame};
use crate::clock::{MILLI, Micros};
use crate::vocabulary::CUSTOMER_NAMES;
use crate::world::{SESSION_START, live_videos};

/// `n` text frames, the same for the same `seed` on every machine: about 95%
/// `42/chatomni,["on-events","<JSON text>"]` frames of 300 to 3000 bytes with Vietnamese text,
/// and the rest pings (`2`), pongs (`3`), acks (`43/chatomni,<id>[...]`) and binary-event
/// headers (`451-/chatomni,[...{"_placeholder":true,"num":0}...]`).
///
/// ```
/// let frames = rt2_corpus::bench_frames(200, rt2_corpus::DEFAULT_SEED);
/// assert_eq!(frames.len(), 200);
/// assert_eq!(frames, rt2_corpus::bench_frames(200, rt2_corpus::DEFAULT_SEED));
/// let events = frames.iter().filter(|f| f.starts_with("42/chatomni,[\"on-events\"")).count();
/// assert!(events >= 180);
/// ```
pub fn bench_frames(n: usize, seed: u64) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x000b_e4c4_u64);
    let mut factory = EventFactory::new(seed, live_videos(seed).remove(0));
    let mut t: Micros = SESSION_START;
    let mut ack_id = 0u32;
    (0..n)
        .map(|_| {
            t += rng.random_range(100..3_000) * MILLI;
            match rng.random_range(0..1000u32) {
                0..950 => {
                    let kind = factory.pick_kind();
                    on_events_frame(&factory.event_json(kind, t))
                }
                950..970 => "2".to_owned(),
                970..990 => "3".to_owned(),
                990..995 => {
                    ack_id += 1;
                    format!(r#"43/chatomni,{ack_id}[{{"Success":true,"Message":null}}]"#)
                }
                _ => {
                    let name = CUSTOMER_NAMES[rng.random_range(0..CUSTOMER_NAMES.len())];
                    format!(
                        r#"451-/chatomni,["upload-image",{{"_placeholder":true,"num":0}},{{"name":"ảnh-{}.jpg","from":"{name}"}}]"#,
                        rng.random_range(1000..9999)
                    )
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tpos_chat::EventDecoder;

    #[test]
    fn the_mix_and_sizes_match_the_brief() {
        let frames = bench_frames(4000, 11);
        let events: Vec<&String> = frames
            .iter()
            .filter(|f| f.starts_with("42/chatomni,[\"on-events\","))
            .collect();
        let share = events.len() as f64 / frames.len() as f64;
        assert!((0.93..0.97).contains(&share), "{share}");
        assert!(events.iter().all(|f| (300..=3000).contains(&f.len())));
        // Sizes spread over the range rather than bunching at one length.
        assert!(events.iter().any(|f| f.len() < 1000));
        assert!(events.iter().any(|f| f.len() > 2000));
        for kind in ["2", "3"] {
            assert!(frames.iter().any(|f| f == kind));
        }
        assert!(frames.iter().any(|f| f.starts_with("43/chatomni,")));
        assert!(frames.iter().any(|f| f.starts_with("451-/chatomni,")));
        let mut decoder = EventDecoder::new();
        for f in events {
            assert!(crate::chat::decodes(&mut decoder, f), "{f}");
        }
    }

    /// tpos-chat reads these frames on its fast path (the inner document in its escaped form);
    /// the result must be what unescaping first and parsing with serde_json gives.
    #[test]
    fn the_fast_and_the_reference_decoding_agree_on_every_frame() {
        let mut decoder = EventDecoder::new();
        for frame in bench_frames(2000, 5) {
            let Some(args) = frame.strip_prefix("42/chatomni,") else {
                continue;
            };
            let (_, literal): (&str, &serde_json::value::RawValue) =
                serde_json::from_str(args).unwrap();
            let literal = literal.get();
            let inner: String = serde_json::from_str(literal).unwrap();
            let reference = tpos_chat::decode_event_json(&inner).unwrap().into_owned();
            let fast = decoder.decode_argument(literal).unwrap();
            assert_eq!(fast, reference, "{frame}");
            // Nothing needed the scratch buffer: every field borrowed or owned its text.
            assert_eq!(decoder.capacity(), 0);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_frames_and_another_seed_does_not() {
        assert_eq!(bench_frames(300, 1), bench_frames(300, 1));
        assert_ne!(bench_frames(300, 1), bench_frames(300, 2));
    }
}
