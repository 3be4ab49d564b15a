//! Writes the bundled captures: `cargo run -p rt2-corpus --bin gen-captures [-- DIR [SEED]]`.
//!
//! Without arguments it writes into the workspace's `captures/` with the default seed, which is
//! what `captures/README.md` documents and what the crate's tests compare against.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../captures")),
        PathBuf::from,
    );
    let seed = match args.next().map(|s| s.parse::<u64>()) {
        None => rt2_corpus::DEFAULT_SEED,
        Some(Ok(seed)) => seed,
        Some(Err(e)) => {
            eprintln!("gen-captures: the seed must be a non-negative integer: {e}");
            return ExitCode::from(2);
        }
    };
    match rt2_corpus::write_captures(&dir, seed) {
        Ok(paths) => {
            for path in paths {
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-captures: cannot write into {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}
