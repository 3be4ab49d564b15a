//! Peak memory of a streaming capture read, for captures of different sizes (the target: the
//! reader's memory stays flat as the capture grows).
//!
//! Usage:
//! - `capture-memory write PATH MEGABYTES`: writes a native capture of at least MEGABYTES
//!   (10^6 bytes) by repeating the benches' rt-2 mix, with `CaptureWriter`.
//! - `capture-memory read PATH`: reads it with `CaptureReader`, counting records, and prints
//!   the capture's size, the records, the time taken and the process's peak resident memory
//!   (`VmHWM` in /proc/self/status, Linux only) as one JSON line.
//!
//! Run each `read` in its own process so its peak is its own: see BENCHMARKS.md.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use sio_benches::Corpus;
use sio_capture::{CaptureReader, CaptureWriter, Direction, FrameRecord, Header, Record};

fn write(path: &Path, megabytes: u64) -> Result<String, String> {
    let corpus = Corpus::rt2_mix();
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut writer = CaptureWriter::new(BufWriter::new(file), Header::new("capture-memory"))
        .map_err(|e| e.to_string())?;
    let target = megabytes * 1_000_000;
    let mut written = 0u64;
    let mut n = 0u64;
    while written < target {
        for frame in corpus.frames() {
            let record = FrameRecord::text(n as f64 * 0.5, 1, Direction::Server, frame.as_str());
            writer.write_frame(&record).map_err(|e| e.to_string())?;
            // A frame's line is its text plus about 70 bytes of JSON around it.
            written += frame.len() as u64 + 70;
            n += 1;
        }
    }
    let mut out = writer.finish().map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    Ok(format!(r#"{{"wrote_frames":{n}}}"#))
}

/// The process's peak resident set size in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn read(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let before = peak_rss_kib();
    let start = Instant::now();
    let reader = CaptureReader::open(path).map_err(|e| e.to_string())?;
    let mut frames = 0u64;
    let mut payload = 0u64;
    for record in reader {
        if let Record::Frame(frame) = record.map_err(|e| e.to_string())? {
            frames += 1;
            payload += frame.data.len() as u64;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let kib = |v: Option<u64>| v.map_or_else(|| "null".to_owned(), |v| v.to_string());
    Ok(format!(
        r#"{{"capture_bytes":{size},"frames":{frames},"payload_bytes":{payload},"seconds":{seconds:.3},"mb_per_s":{:.0},"peak_rss_kib_before":{},"peak_rss_kib_after":{}}}"#,
        size as f64 / seconds / 1e6,
        kib(before),
        kib(peak_rss_kib()),
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [cmd, path, mb] if cmd == "write" => match mb.parse() {
            Ok(mb) => write(Path::new(path), mb),
            Err(e) => Err(format!("MEGABYTES `{mb}`: {e}")),
        },
        [cmd, path] if cmd == "read" => read(Path::new(path)),
        _ => Err("usage: capture-memory write PATH MEGABYTES | capture-memory read PATH".into()),
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("capture-memory: {e}");
            ExitCode::FAILURE
        }
    }
}
