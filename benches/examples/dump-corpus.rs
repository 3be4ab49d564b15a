//! Writes the benches' rt-2 mix as JSON Lines (one frame per line, as a JSON string), for
//! `benches/node/run.sh` to time Node's socket.io-parser on exactly the frames the criterion
//! benches decode.
//!
//! Usage: `cargo run --release -p sio-benches --example dump-corpus -- OUT.jsonl`

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use sio_benches::Corpus;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: dump-corpus OUT.jsonl");
        return ExitCode::from(2);
    };
    let corpus = Corpus::rt2_mix();
    let written = File::create(&path).and_then(|file| {
        let mut out = BufWriter::new(file);
        corpus.write_json_lines(&mut out)?;
        out.flush()
    });
    match written {
        Ok(()) => {
            eprintln!(
                "wrote {} frames ({} bytes of frame text) to {}",
                corpus.len(),
                corpus.bytes(),
                path.to_string_lossy()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dump-corpus: cannot write {}: {e}", path.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}
