//! End-to-end tests of the `sio-replay` binary: `assert_cmd` runs the real executable and insta
//! snapshots what a person reads (help, decoded frames, diffs).
//!
//! To see a failing command's own output, run with `-- --nocapture`. Snapshots live in
//! `tests/cli/snapshots/`; review changes with `cargo insta review`.

mod access;
mod asyncapi;
mod baseline;
mod browser;
mod ca;
mod crafted;
mod decode;
mod files;
mod help;
mod import;
mod load;
mod pcap;
mod proxy;
mod raw_ws;
mod secrets;
mod session;
mod ui;

use assert_cmd::Command;

/// The binary under test, with a fixed terminal width and no colour so output is stable.
pub(crate) fn sio_replay() -> Command {
    let mut cmd =
        Command::cargo_bin("sio-replay").expect("the sio-replay binary is built by cargo test");
    cmd.env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        // `check` honours insta's INSTA_UPDATE as insta does; tests that want it set it.
        .env_remove("INSTA_UPDATE");
    cmd
}

/// A file under `tests/cli/fixtures/`.
pub(crate) fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cli/fixtures")
        .join(name)
}
