//! Inputs the fuzzer found, minimised, run through the harness bodies in `ws_passive::fuzzing`.

/// A compressed frame (limit 16 bytes) whose deflate data, fed one byte at a time, inflated
/// past the limit, and fed whole was found corrupt first: the chunking changed the error's
/// kind. Both now count alike in the harness, and the error's docs say so.
#[test]
fn oversized_and_corrupt_compressed_frame_fed_in_bytes() {
    ws_passive::fuzzing::ws_passive_feed(b"\x03\x00\xc1\x61\xc2\x00\x00\xff");
}
