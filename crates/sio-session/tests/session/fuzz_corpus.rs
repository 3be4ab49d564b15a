//! Replays the committed fuzz seeds, `fuzz/seeds/<target>/*`, through the harness bodies in
//! `sio_session::fuzzing`, so the corpora stay green on stable without the fuzzer (`fuzz/README.md`
//! says how to run the fuzzer itself).

use fuzz_seeds::replay;

#[test]
fn session_handle_frame_seeds() {
    replay(
        "session_handle_frame",
        sio_session::fuzzing::session_handle_frame,
    );
}

#[test]
fn client_handle_frame_seeds() {
    replay(
        "client_handle_frame",
        sio_session::fuzzing::client_handle_frame,
    );
}
