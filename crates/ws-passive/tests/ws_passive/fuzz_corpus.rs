//! Replays the committed fuzz seeds, `fuzz/seeds/ws_passive_feed/*`, through the harness body
//! in `ws_passive::fuzzing`, so the corpus stays green on stable without the fuzzer
//! (`fuzz/README.md` says how to run the fuzzer itself).

use fuzz_seeds::replay;

#[test]
fn ws_passive_feed_seeds() {
    replay("ws_passive_feed", ws_passive::fuzzing::ws_passive_feed);
}

/// The harness holds on streams the proptests do not build: a compressed stream in each
/// setting, cut in every chunk size.
#[test]
fn ws_passive_feed_holds_on_compressed_and_garbage_streams() {
    let mut stream = vec![0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    stream.extend_from_slice(&[
        0x89, 0x00, 0x88, 0x02, 0x03, 0xe8, 0x83, 0x00, 0x81, 0x01, b'x',
    ]);
    for settings in 0..32u8 {
        for chunk in [0u8, 1, 2, 5, 255] {
            let mut input = vec![settings, chunk];
            input.extend_from_slice(&stream);
            ws_passive::fuzzing::ws_passive_feed(&input);
        }
    }
}
