//! Replays the committed fuzz seeds, `fuzz/seeds/<target>/*`, through the harness bodies in
//! `sio_wire::fuzzing`, so the corpora stay green on stable without the fuzzer (`fuzz/README.md`
//! says how to run the fuzzer itself).

use std::path::{Path, PathBuf};

/// Runs every file in `fuzz/seeds/<target>/` through `body`, naming the file that fails.
fn replay(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    for file in files {
        let data =
            std::fs::read(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        if std::panic::catch_unwind(|| body(&data)).is_err() {
            panic!(
                "seed {} fails its fuzz body (run it alone: cargo +nightly fuzz run {target} {})",
                file.display(),
                file.display()
            );
        }
    }
}

#[test]
fn decode_text_frame_seeds() {
    replay("decode_text_frame", sio_wire::fuzzing::decode_text_frame);
}

#[test]
fn decode_binary_frame_seeds() {
    replay(
        "decode_binary_frame",
        sio_wire::fuzzing::decode_binary_frame,
    );
}

#[test]
fn decode_polling_payload_seeds() {
    replay(
        "decode_polling_payload",
        sio_wire::fuzzing::decode_polling_payload,
    );
}

#[test]
fn decode_polling_payload_v3_seeds() {
    replay(
        "decode_polling_payload_v3",
        sio_wire::fuzzing::decode_polling_payload_v3,
    );
}

#[test]
fn decode_socket_packet_seeds() {
    replay(
        "decode_socket_packet",
        sio_wire::fuzzing::decode_socket_packet,
    );
}

#[test]
fn decode_message_seeds() {
    replay("decode_message", sio_wire::fuzzing::decode_message);
}

#[test]
fn binary_reassembler_seeds() {
    replay("binary_reassembler", sio_wire::fuzzing::binary_reassembler);
}

#[test]
fn roundtrip_socket_packet_seeds() {
    replay(
        "roundtrip_socket_packet",
        sio_wire::fuzzing::roundtrip_socket_packet,
    );
}

#[test]
fn raw_json_new_seeds() {
    replay("raw_json_new", sio_wire::fuzzing::raw_json_new);
}
