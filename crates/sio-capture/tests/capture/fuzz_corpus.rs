//! Replays the committed fuzz seeds, `fuzz/seeds/<target>/*`, through the harness bodies in
//! `sio_capture::fuzzing`, so the corpora stay green on stable without the fuzzer (`fuzz/README.md`
//! says how to run the fuzzer itself).

use fuzz_seeds::replay;

#[test]
fn read_capture_record_seeds() {
    replay(
        "read_capture_record",
        sio_capture::fuzzing::read_capture_record,
    );
}

#[test]
fn assemble_seeds() {
    replay("assemble", sio_capture::fuzzing::assemble);
}

#[test]
fn import_har_seeds() {
    replay("import_har", sio_capture::fuzzing::import_har);
}

#[test]
fn import_pcap_seeds() {
    replay("import_pcap", sio_capture::fuzzing::import_pcap);
}

#[test]
fn import_text_seeds() {
    replay("import_text", sio_capture::fuzzing::import_text);
}

#[test]
fn normalize_seeds() {
    replay("normalize", sio_capture::fuzzing::normalize);
}

#[test]
fn render_transcript_seeds() {
    replay("render_transcript", sio_capture::fuzzing::render_transcript);
}
