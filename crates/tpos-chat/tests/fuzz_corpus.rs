//! Replays the committed fuzz seeds, `fuzz/seeds/<target>/*`, through the harness bodies in
//! `tpos_chat::fuzzing`, so the corpora stay green on stable without the fuzzer (`fuzz/README.md`
//! says how to run the fuzzer itself).

use fuzz_seeds::replay;

#[test]
fn decode_argument_seeds() {
    replay("decode_argument", tpos_chat::fuzzing::decode_argument);
}

#[test]
fn verify_token_seeds() {
    replay("verify_token", tpos_chat::fuzzing::verify_token);
}

#[test]
fn live_video_seeds() {
    replay("live_video", tpos_chat::fuzzing::live_video);
}
