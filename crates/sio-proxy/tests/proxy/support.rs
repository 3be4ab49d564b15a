//! Peers for the tests: the Node socket.io server and clients of `interop/`, python-socketio,
//! a proxy in front of a server, and readers of the capture it wrote.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use sio_capture::{CaptureReader, Record};
use sio_proxy::{ProxyConfig, ProxySummary, RunningProxy, Upstream};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// How long any peer may take for one step.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// A JWT-shaped token whose signature must never reach a capture.
pub(crate) const SIGNATURE: &str = "c2lnbmF0dXJlLW5ldmVyLWluLWEtY2FwdHVyZQ";

pub(crate) fn token() -> String {
    // {"alg":"HS256","typ":"JWT"} . {"sub":"1","name":"proxy test"} . signature
    format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwibmFtZSI6InByb3h5IHRlc3QifQ.{SIGNATURE}"
    )
}

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn interop_dir() -> PathBuf {
    repo_root().join("interop")
}

/// A running `interop/rt2-server.mjs`; killed when dropped.
pub(crate) struct NodeServer {
    _child: Child,
    pub(crate) url: String,
}

impl NodeServer {
    /// Starts the server replaying the bundled chat capture at full speed.
    pub(crate) async fn start(deflate: bool) -> Self {
        interop_deps::ensure(interop_deps::Peer::Node);
        let options = serde_json::json!({
            "capture": repo_root().join("captures/rt2-chatomni.jsonl"),
            "speed": "max",
            "per_message_deflate": deflate,
        });
        let mut child = Command::new("node")
            .arg("rt2-server.mjs")
            .arg(options.to_string())
            .current_dir(interop_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().expect("piped stdout");
        let line = tokio::time::timeout(WAIT, BufReader::new(stdout).lines().next_line())
            .await
            .expect("the server started in time")
            .expect("read stdout")
            .expect("a listening line");
        let listening: serde_json::Value = serde_json::from_str(&line).unwrap();
        let port = listening["listening"].as_u64().expect("a port");
        NodeServer {
            _child: child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

/// A client process printing JSON Lines records (`interop/client.mjs` or
/// `interop/python/client.py`).
pub(crate) struct Client {
    child: Child,
    lines: tokio::io::Lines<BufReader<ChildStdout>>,
}

impl Client {
    /// `interop/client.mjs` against `url` with these options.
    pub(crate) fn node(url: &str, mut options: serde_json::Value) -> Self {
        options["url"] = url.into();
        let child = Command::new("node")
            .arg("client.mjs")
            .arg(options.to_string())
            .current_dir(interop_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        Self::reading(child)
    }

    /// `interop/python/client.py` against `url` with these options.
    pub(crate) fn python(url: &str, mut options: serde_json::Value) -> Self {
        interop_deps::ensure(interop_deps::Peer::Python);
        let dir = interop_dir().join("python");
        options["url"] = url.into();
        let child = Command::new(dir.join(".venv/bin/python"))
            .arg("client.py")
            .arg(options.to_string())
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the venv's python runs");
        Self::reading(child)
    }

    fn reading(mut child: Child) -> Self {
        let stdout = child.stdout.take().expect("piped stdout");
        Client {
            child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    /// Every record up to `done`, and whether the client exited 0.
    pub(crate) async fn finish(mut self) -> (Vec<serde_json::Value>, bool) {
        let mut records = Vec::new();
        loop {
            let line = tokio::time::timeout(WAIT, self.lines.next_line())
                .await
                .expect("the client printed in time")
                .expect("read stdout");
            let Some(line) = line else { break };
            let record: serde_json::Value = serde_json::from_str(&line).unwrap();
            let done = record["type"] == "done";
            records.push(record);
            if done {
                break;
            }
        }
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the client exited in time")
            .expect("exit status");
        (records, status.success())
    }
}

/// The `event` records of a client's output: name and arguments, in order.
pub(crate) fn events(records: &[serde_json::Value]) -> Vec<serde_json::Value> {
    records
        .iter()
        .filter(|r| r["type"] == "event")
        .map(|r| serde_json::json!([r["name"], r["args"]]))
        .collect()
}

/// A proxy in front of `upstream`, writing its capture into a fresh directory.
pub(crate) struct Proxy {
    pub(crate) running: RunningProxy,
    pub(crate) capture: PathBuf,
    _dir: tempfile::TempDir,
}

impl Proxy {
    pub(crate) async fn start(upstream: &str) -> Self {
        Self::start_with(upstream, |_| {}).await
    }

    pub(crate) async fn start_with(upstream: &str, tweak: impl FnOnce(&mut ProxyConfig)) -> Self {
        let mut config = ProxyConfig::new(Upstream::parse(upstream).unwrap());
        tweak(&mut config);
        Self::start_config(config).await
    }

    /// A proxy with this configuration (its output set to a fresh file).
    pub(crate) async fn start_config(mut config: ProxyConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let capture = dir.path().join("session.jsonl");
        config.output = Some(capture.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = sio_proxy::start(listener, config, sio_ui::Observer::default())
            .await
            .unwrap();
        Proxy {
            running,
            capture,
            _dir: dir,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.running.local_addr())
    }

    /// Stops the proxy; the summary and every record of the capture, read strictly.
    pub(crate) async fn stop(self) -> (ProxySummary, Vec<Record>, String) {
        let summary = tokio::time::timeout(WAIT, self.running.stop())
            .await
            .expect("the proxy stopped in time")
            .expect("the capture was written");
        let text = std::fs::read_to_string(&self.capture).unwrap();
        let records = CaptureReader::new(text.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("the capture reads back");
        (summary, records, text)
    }
}

/// The frame records of a capture.
pub(crate) fn frames(records: &[Record]) -> Vec<&sio_capture::FrameRecord> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Frame(f) => Some(f),
            _ => None,
        })
        .collect()
}
