//! The fuzz targets, their seeds and their replays under `cargo test` stay in step.

use std::path::Path;

/// Every target in `fuzz/fuzz_targets/` is declared in `fuzz/Cargo.toml`, has committed seeds,
/// and has its seeds replayed by some crate's `fuzz_corpus.rs` test module (`tests/fuzz_corpus.rs`
/// or `tests/<binary>/fuzz_corpus.rs`): a new target cannot be
/// added without the stable-toolchain replay that keeps it green.
#[test]
fn every_fuzz_target_has_seeds_that_cargo_test_replays() {
    let root = fuzz_seeds::repo_root();
    let read = |path: &Path| {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    };
    let manifest = read(&root.join("fuzz/Cargo.toml"));
    let replays: String = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .flat_map(|entry| {
            let tests = entry.unwrap().path().join("tests");
            let mut found = vec![tests.join("fuzz_corpus.rs")];
            if let Ok(binaries) = std::fs::read_dir(&tests) {
                found.extend(binaries.map(|b| b.unwrap().path().join("fuzz_corpus.rs")));
            }
            found
        })
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
            "no crates/*/tests/**/fuzz_corpus.rs replays the seeds of {target}"
        );
    }
}
