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

/// Every target in `fuzz/fuzz_targets/` is declared in `fuzz/Cargo.toml`, has committed seeds,
/// and has its seeds replayed by some crate's `tests/fuzz_corpus.rs`: a new target cannot be
/// added without the stable-toolchain replay that keeps it green.
#[test]
fn every_fuzz_target_has_seeds_that_cargo_test_replays() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |path: &Path| {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    };
    let manifest = read(&root.join("fuzz/Cargo.toml"));
    let replays: String = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("tests/fuzz_corpus.rs"))
        .filter(|path| path.exists())
        .map(|path| read(&path))
        .collect::<String>()
        .split_whitespace()
        .collect();
    let mut targets: Vec<String> = std::fs::read_dir(root.join("fuzz/fuzz_targets"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    targets.sort();
    assert!(targets.len() >= 17, "{targets:?}");
    for target in &targets {
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "fuzz/Cargo.toml has no [[bin]] for {target}"
        );
        let seeds = root.join("fuzz/seeds").join(target);
        let count = std::fs::read_dir(&seeds).map_or(0, |dir| dir.count());
        assert!(count > 0, "no committed seeds in {}", seeds.display());
        assert!(
            replays.contains(&format!("replay(\"{target}\"")),
            "no crates/*/tests/fuzz_corpus.rs replays the seeds of {target}"
        );
    }
}
