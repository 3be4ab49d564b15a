//! Replays the committed fuzz seeds, `fuzz/seeds/<target>/*`, through the harness bodies in
//! `sio_contract::fuzzing`, so the corpora stay green on stable without the fuzzer (`fuzz/README.md`
//! says how to run the fuzzer itself).

use fuzz_seeds::replay;

#[test]
fn infer_and_validate_seeds() {
    replay(
        "infer_and_validate",
        sio_contract::fuzzing::infer_and_validate,
    );
}
