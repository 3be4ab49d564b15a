//! Replays the committed fuzz seeds, `fuzz/seeds/reassembler_segment/*`, through the harness
//! body in `tcp_reassembly::fuzzing`, so the corpus stays green on stable without the fuzzer
//! (`fuzz/README.md` says how to run the fuzzer itself).

use fuzz_seeds::replay;

#[test]
fn reassembler_segment_seeds() {
    replay(
        "reassembler_segment",
        tcp_reassembly::fuzzing::reassembler_segment,
    );
}

/// The harness holds on inputs the seeds may not reach: every flag on overlapping segments
/// with a tiny buffer bound, around the wrap of the sequence space.
#[test]
fn reassembler_segment_holds_on_flags_and_wraparound() {
    for flags in 0..16u8 {
        for bound in [0u8, 1, 255] {
            let mut input = (u32::MAX - 3).to_le_bytes().to_vec();
            input.push(bound);
            for (start, len) in [(10u16, 5u8), (0, 4), (2, 20), (40, 1), (4, 6), (30, 0)] {
                input.extend_from_slice(&start.to_le_bytes());
                input.extend_from_slice(&[len, flags]);
            }
            tcp_reassembly::fuzzing::reassembler_segment(&input);
        }
    }
}
