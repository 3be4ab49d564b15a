//! Packet captures made here and now: tcpdump (Debian's, `scripts/install-capture-deps.sh`)
//! on 127.0.0.1 around the real Node socket.io server `interop/pcap-server.mjs` (every
//! WebSocket message compressed) and the real `socket.io-client` (`interop/client.mjs`),
//! WebSocket-only and long-polling then upgrade; `sio-replay import` and `decode` read the
//! file, and every event the client received is in the import, in order, and decodes.

use std::io::{BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::sio_replay;

/// A child process, interrupted and reaped when dropped.
struct Guard(Child);

impl Guard {
    fn interrupt(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .stderr(Stdio::null())
            .status();
    }

    fn wait(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.interrupt();
            self.wait(Duration::from_secs(3));
        }
    }
}

fn interop() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// Captures one session of the real client against the real server, with `client_options`
/// added to the client's; returns the pcap's path (in `dir`) and the events the client
/// printed, as (name, args).
fn capture_session(
    dir: &Path,
    name: &str,
    client_options: &str,
) -> (PathBuf, Vec<(String, Value)>) {
    interop_deps::ensure(interop_deps::Peer::Node);
    interop_deps::ensure(interop_deps::Peer::Capture);
    let mut server = Guard(
        Command::new("node")
            .arg(interop().join("pcap-server.mjs"))
            .arg(r#"{"events": 12, "interval_ms": 15}"#)
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs"),
    );
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the server's port line");
    let port = serde_json::from_str::<Value>(&line).expect("JSON")["listening"]
        .as_u64()
        .expect("a port");

    let pcap = dir.join(format!("{name}.pcap"));
    let mut tcpdump = Guard(
        Command::new("tcpdump")
            .args(["-i", "lo", "--immediate-mode", "-U", "-s", "0", "-w"])
            .arg(&pcap)
            .arg(format!("tcp port {port}"))
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump runs (scripts/install-capture-deps.sh)"),
    );
    // tcpdump says "listening on lo" once it captures; anything else first is why it cannot
    // (capturing needs root or CAP_NET_RAW).
    let mut stderr = BufReader::new(tcpdump.0.stderr.take().expect("stderr"));
    let mut said = String::new();
    stderr.read_line(&mut said).expect("tcpdump's first line");
    assert!(
        said.contains("listening on"),
        "tcpdump cannot capture on lo (it needs root or CAP_NET_RAW): {said}"
    );
    // Keep draining its stderr so that it never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
    });

    let options = format!(
        r#"{{"url":"http://127.0.0.1:{port}","namespace":"/","events":12,"timeout_ms":15000{client_options}}}"#
    );
    let client = Command::new("node")
        .arg(interop().join("client.mjs"))
        .arg(options)
        .output()
        .expect("node runs");
    assert!(client.status.success(), "the client failed: {client:?}");
    // The last packets (the close handshake) go out after the client printed its events.
    std::thread::sleep(Duration::from_millis(300));
    tcpdump.interrupt();
    tcpdump.wait(Duration::from_secs(5));
    drop(server);
    let events = String::from_utf8(client.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
        .filter(|v| v["type"] == "event")
        .map(|v| {
            (
                v["name"].as_str().expect("name").to_owned(),
                v["args"].clone(),
            )
        })
        .collect();
    (pcap, events)
}

/// Imports the pcap with the CLI and returns its records (the header first) and summary.
fn import(pcap: &Path) -> (Vec<Value>, Value) {
    let out = pcap.with_extension("jsonl");
    let assert = sio_replay()
        .arg("import")
        .arg(pcap)
        .arg("-o")
        .arg(&out)
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let summary: Value = serde_json::from_slice(&assert.get_output().stdout).expect("JSON summary");
    let records = std::fs::read_to_string(&out)
        .expect("the capture")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect();
    (records, summary)
}

/// The server's events in the records, in order, each decoded by sio-wire.
fn events_of(records: &[Value]) -> Vec<(String, Value)> {
    records
        .iter()
        .filter(|r| r["type"] == "frame" && r["from"] == "server")
        .filter_map(|r| r["data"].as_str())
        .filter(|d| d.starts_with("42"))
        .map(|data| {
            let Ok(sio_wire::DecodedFrame::Socket(packet)) = sio_wire::decode_message(data) else {
                panic!("{data:?} does not decode");
            };
            let name = packet.event_name().expect("an event name").into_owned();
            let array: Value = serde_json::from_str(&data[2..]).expect("JSON");
            let args = Value::Array(array.as_array().expect("an array")[1..].to_vec());
            (name, args)
        })
        .collect()
}

fn conn_events(records: &[Value]) -> Vec<(String, String)> {
    records
        .iter()
        .filter(|r| r["type"] == "conn")
        .map(|r| {
            (
                r["event"].as_str().unwrap_or_default().to_owned(),
                r["transport"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_tcpdump_capture_of_a_websocket_only_session_imports_every_event_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (pcap, received) = capture_session(dir.path(), "ws", r#","transports":["websocket"]"#);
    assert_eq!(received.len(), 12, "the client received every event");
    let bytes = std::fs::read(&pcap).expect("the pcap");
    assert!(
        !bytes.windows(10).any(|w| w == b"message 12"),
        "permessage-deflate compressed the events on the wire"
    );
    let (records, summary) = import(&pcap);
    assert_eq!(summary["kind"], "pcap", "{summary}");
    assert_eq!(
        summary["gaps"], 0,
        "no packets lost by the capture: {summary}"
    );
    assert_eq!(events_of(&records), received);
    assert_eq!(
        conn_events(&records),
        [
            ("open".to_owned(), "websocket".to_owned()),
            ("close".to_owned(), String::new())
        ]
    );

    // `decode` reads the pcap as it is.
    let decoded = sio_replay()
        .arg("decode")
        .arg(&pcap)
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&decoded.get_output().stdout).into_owned();
    assert_eq!(text.matches("\"event\":\"tick\"").count(), 12, "{text}");

    // So does `asyncapi`: the server's `tick` is inferred from it.
    let inferred = sio_replay()
        .arg("asyncapi")
        .arg(&pcap)
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let document: Value =
        serde_json::from_slice(&inferred.get_output().stdout).expect("a JSON document");
    assert_eq!(
        document["components"]["messages"]["root-tick-server"]["name"], "tick",
        "{document}"
    );
}

#[test]
fn a_tcpdump_capture_of_a_polling_session_that_upgrades_imports_every_event_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (pcap, received) = capture_session(dir.path(), "polling", "");
    assert_eq!(received.len(), 12, "the client received every event");
    let (records, summary) = import(&pcap);
    assert_eq!(
        summary["gaps"], 0,
        "no packets lost by the capture: {summary}"
    );
    assert_eq!(summary["connections"], 1, "{summary}");
    assert_eq!(events_of(&records), received);
    assert_eq!(
        conn_events(&records),
        [
            ("open".to_owned(), "polling".to_owned()),
            ("upgrade".to_owned(), "websocket".to_owned()),
            ("close".to_owned(), String::new())
        ]
    );
}
