//! Replays the committed fuzz seeds, `fuzz/seeds/<target>/*`, through the harness bodies in
//! `tpos_chat::fuzzing`, so the corpora stay green on stable without the fuzzer (`fuzz/README.md`
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
