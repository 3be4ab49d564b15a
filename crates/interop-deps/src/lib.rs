//! Test support: makes sure the real interop peers are installed before a test drives them.
//!
//! The interop tests of `rt2-mock` and `sio-replay` run the real `socket.io-client` and
//! `socket.io` (npm), `python-socketio` (a venv), headless Chromium and tcpdump. So that
//! `cargo test --workspace` works on a fresh clone, as the README promises, a test calls
//! [`ensure`] with the peer it needs, which runs the matching `scripts/install-*.sh` once per
//! test process. The scripts are idempotent (they return at once when everything is current)
//! and take a file lock, so parallel test processes (cargo-nextest) wait for one another.
//!
//! Set `SIO_REPLAY_NO_INSTALL=1` to skip the installs: the tests then fail, naming the script,
//! when a peer is missing.
//!
//! ```no_run
//! interop_deps::ensure(interop_deps::Peer::Node);
//! // ... start `node interop/client.mjs ...`
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// A peer the tests drive, and the script that installs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Peer {
    /// `socket.io-client`, `socket.io` and `playwright-core` in `interop/node_modules`
    /// (`scripts/install-node-deps.sh`, `npm ci`).
    Node,
    /// `python-socketio` in `interop/python/.venv` (`scripts/install-python-deps.sh`).
    Python,
    /// Debian's Chromium at `/usr/bin/chromium` (`scripts/install-browser-deps.sh`, apt).
    Chromium,
    /// Debian's tcpdump, for the tests that capture packets on 127.0.0.1
    /// (`scripts/install-capture-deps.sh`, apt).
    Capture,
}

impl Peer {
    /// The install script, relative to the repository root.
    pub fn script(self) -> &'static str {
        match self {
            Peer::Node => "scripts/install-node-deps.sh",
            Peer::Python => "scripts/install-python-deps.sh",
            Peer::Chromium => "scripts/install-browser-deps.sh",
            Peer::Capture => "scripts/install-capture-deps.sh",
        }
    }
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `peer`'s install script, once per process (later calls return the first outcome).
///
/// # Panics
///
/// When the script fails: the message names the script and its exit status (its own output,
/// on stderr, says why). A test that needs the peer cannot run without it.
pub fn ensure(peer: Peer) {
    static DONE: Mutex<BTreeMap<Peer, Result<(), String>>> = Mutex::new(BTreeMap::new());
    if std::env::var_os("SIO_REPLAY_NO_INSTALL").is_some_and(|v| !v.is_empty() && v != "0") {
        return;
    }
    // A test that panicked while holding the lock leaves the map as it was: still usable.
    let mut done = DONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let outcome = done.entry(peer).or_insert_with(|| run(peer));
    if let Err(message) = outcome {
        panic!("{message}");
    }
}

fn run(peer: Peer) -> Result<(), String> {
    let script = repo_root().join(peer.script());
    // The script's progress goes to stderr, which the test harness captures with the test.
    let status = Command::new("bash")
        .arg(&script)
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| format!("running {}: {e}", peer.script()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} failed ({status}): the tests that drive this peer cannot run without it \
             (run the script by hand to see why)",
            peer.script()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_exists_and_is_executable() {
        use std::os::unix::fs::PermissionsExt as _;
        for peer in [Peer::Node, Peer::Python, Peer::Chromium, Peer::Capture] {
            let path = repo_root().join(peer.script());
            let mode = std::fs::metadata(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .permissions()
                .mode();
            assert_ne!(mode & 0o111, 0, "{} is not executable", path.display());
        }
    }
}
