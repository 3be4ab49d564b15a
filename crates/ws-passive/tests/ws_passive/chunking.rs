//! Any chunking of a byte stream yields the same events as feeding it whole.

use proptest::prelude::*;
use ws_passive::{Config, DeflateParams, Direction, Extensions, Observer, WsEvent};

use crate::deflate::Sender;
use crate::{C2S, S2C, drain, frame};

/// Feeds `bytes` cut at `cuts` (positions, any order, clamped) and ends the stream.
fn events_with_cuts(
    direction: Direction,
    extensions: Extensions,
    bytes: &[u8],
    cuts: &[usize],
) -> Vec<WsEvent> {
    let mut observer = Observer::new(Config::default().with_max_message_size(300));
    observer.set_extensions(extensions);
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut start = 0;
    for cut in cuts.into_iter().chain([bytes.len()]) {
        observer.feed(direction, &bytes[start..cut]);
        start = cut;
    }
    observer.finish(direction);
    drain(&mut observer)
}

/// A stream of frames: data frames (fragmented or not, compressed or not), control frames,
/// some of them breaking a rule, and sometimes a cut-off tail.
fn stream() -> impl Strategy<Value = (Direction, Vec<u8>)> {
    let part = (
        0u8..8,
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..400),
    );
    (
        any::<bool>(),
        proptest::collection::vec(part, 0..12),
        0usize..8,
    )
        .prop_map(|(client, parts, tail)| {
            let direction = if client { C2S } else { S2C };
            let mask = client.then_some(crate::MASK);
            let mut sender = Sender::new(true);
            let mut out = Vec::new();
            for (kind, fin, payload) in parts {
                let bytes = match kind {
                    0 => frame(fin, false, 1, &payload, mask),
                    1 => frame(fin, false, 2, &payload, mask),
                    2 => frame(fin, false, 0, &payload, mask),
                    3 => frame(true, false, 9, &payload[..payload.len().min(125)], mask),
                    4 => frame(true, false, 8, &payload[..payload.len().min(125)], mask),
                    5 => frame(fin, true, 2, &sender.compress(&payload), mask),
                    6 => frame(fin, false, 1, &payload, (!client).then_some(crate::MASK)),
                    _ => payload.iter().take(3).copied().collect(),
                };
                out.extend(bytes);
            }
            let cut = out.len().saturating_sub(tail);
            out.truncate(cut);
            (direction, out)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_gives_the_same_events(
        (direction, bytes) in stream(),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
        deflate in any::<bool>(),
    ) {
        let extensions = Extensions {
            permessage_deflate: deflate.then(DeflateParams::default),
        };
        let whole = events_with_cuts(direction, extensions, &bytes, &[]);
        let cut = events_with_cuts(direction, extensions, &bytes, &cuts);
        prop_assert_eq!(&whole, &cut);
        // Byte by byte, the worst case for the header state machine.
        let all: Vec<usize> = (0..bytes.len()).collect();
        prop_assert_eq!(&whole, &events_with_cuts(direction, extensions, &bytes, &all));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_offsets_stay_inside(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let ext = Extensions { permessage_deflate: Some(DeflateParams::default()) };
        for event in events_with_cuts(S2C, ext, &bytes, &cuts) {
            if let WsEvent::Error { offset, .. } = event {
                prop_assert!(offset <= bytes.len() as u64);
            }
        }
    }
}

/// Messages, each compressed or not and cut into fragments with a ping between two of them:
/// the observer gives back exactly the messages, whatever the chunking, under context
/// takeover or not.
/// One message: compressed or not, its bytes, where to cut it into fragments.
type Message = (bool, Vec<u8>, Vec<usize>);

fn round_trip_case() -> impl Strategy<Value = (bool, bool, Vec<Message>)> {
    let message = (
        any::<bool>(),
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            "[a-z ]{0,40}".prop_map(|s| s.repeat(20).into_bytes()),
        ],
        proptest::collection::vec(0usize..1000, 0..3),
    );
    (
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(message, 1..8),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn fragmented_compressed_messages_round_trip(
        (client, takeover, messages) in round_trip_case(),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let direction = if client { C2S } else { S2C };
        let mask = client.then_some(crate::MASK);
        let mut sender = Sender::new(takeover);
        let mut bytes = Vec::new();
        for (compress, data, splits) in &messages {
            let payload = if *compress { sender.compress(data) } else { data.clone() };
            let mut points: Vec<usize> = splits.iter().map(|s| s % (payload.len() + 1)).collect();
            points.sort_unstable();
            let mut pieces = Vec::new();
            let mut start = 0;
            for p in points.into_iter().chain([payload.len()]) {
                pieces.push(&payload[start..p]);
                start = p;
            }
            let last = pieces.len() - 1;
            for (i, piece) in pieces.iter().enumerate() {
                let opcode = if i == 0 { 2 } else { 0 };
                bytes.extend(frame(i == last, *compress && i == 0, opcode, piece, mask));
                if i == 0 && last > 0 {
                    bytes.extend(frame(true, false, 9, b"p", mask));
                }
            }
        }
        let ext = Extensions {
            permessage_deflate: Some(DeflateParams {
                server_no_context_takeover: !takeover,
                client_no_context_takeover: !takeover,
                ..DeflateParams::default()
            }),
        };
        let mut observer = Observer::new(Config::default());
        observer.set_extensions(ext);
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut start = 0;
        for p in points.into_iter().chain([bytes.len()]) {
            observer.feed(direction, &bytes[start..p]);
            start = p;
        }
        observer.finish(direction);
        let events = drain(&mut observer);
        prop_assert_eq!(crate::errors(&events), vec![]);
        let expected: Vec<Vec<u8>> = messages.iter().map(|(_, d, _)| d.clone()).collect();
        prop_assert_eq!(crate::messages(&events), expected);
    }
}
