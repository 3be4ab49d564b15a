//! Test support: replays the committed fuzz seeds through the harness bodies under
//! `cargo test`, so every corpus stays green on stable without the fuzzer.
//!
//! Each fuzz target in `fuzz/fuzz_targets/` is one line calling a body in its crate's hidden
//! `fuzzing` module (behind the crate's `fuzzing` feature, which its tests turn on); that
//! crate's `tests/fuzz_corpus.rs` runs the target's seeds through the
//! same body with [`replay`]. `tests/every_target.rs` here checks that no target lacks
//! seeds or a replay. `fuzz/README.md` says how to run the fuzzer itself.
//!
//! ```no_run
//! fuzz_seeds::replay("decode_socket_packet", |data| {
//!     let _ = std::str::from_utf8(data);
//! });
//! ```

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs every file in `fuzz/seeds/<target>/` through `body`, in name order.
///
/// # Panics
///
/// When the folder is missing or empty, or a seed makes `body` panic: the message names the
/// seed and the command that replays it alone under the fuzzer.
pub fn replay(target: &str, body: fn(&[u8])) {
    let dir = repo_root().join("fuzz/seeds").join(target);
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
