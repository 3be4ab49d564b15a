//! `sio-replay proxy` end to end: a real Node socket.io server behind it, the real
//! socket.io-client through it, Ctrl-C, then `serve` of the capture it wrote.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use predicates::prelude::*;

use crate::session::Running;
use crate::sio_replay;

const SIGNATURE: &str = "c2lnbmF0dXJlLW5ldmVyLWluLWEtY2FwdHVyZQ";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `interop/client.mjs` against `url`: the events it received (name and arguments).
fn node_client(url: &str, token: &str, transports: &[&str]) -> Vec<serde_json::Value> {
    let options = serde_json::json!({
        "url": url,
        "namespace": "/chatomni",
        "room": "tomato.tpos.vn",
        "token": token,
        "events": 12,
        "transports": transports,
        "reconnection": false,
    });
    let mut command = Command::new("node");
    command
        .arg("client.mjs")
        .arg(options.to_string())
        .current_dir(repo().join("interop"));
    let mut client = Running::from_command(command);
    let mut events = Vec::new();
    while let Some(record) = client.json_line() {
        if record["type"] == "event" {
            events.push(serde_json::json!([record["name"], record["args"]]));
        }
        if record["type"] == "done" {
            assert_eq!(record["reason"], "events", "{record}");
            break;
        }
    }
    assert_eq!(client.wait(Duration::from_secs(20)), Some(0));
    events
}

#[test]
fn proxy_records_a_client_and_serve_replays_the_capture_to_another() {
    interop_deps::ensure(interop_deps::Peer::Node);
    let options = serde_json::json!({
        "capture": repo().join("captures/rt2-chatomni.jsonl"),
        "speed": "max",
        "per_message_deflate": true,
    });
    let mut command = Command::new("node");
    command
        .arg("rt2-server.mjs")
        .arg(options.to_string())
        .current_dir(repo().join("interop"));
    let mut server = Running::from_command(command);
    let port = server.json_line().expect("listening line")["listening"]
        .as_u64()
        .expect("port");
    let upstream = format!("http://127.0.0.1:{port}");
    let token = format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwibmFtZSI6InByb3h5IHRlc3QifQ.{SIGNATURE}"
    );
    let direct = node_client(&upstream, &token, &["websocket"]);

    let dir = tempfile::tempdir().expect("tempdir");
    let capture = dir.path().join("session.jsonl");
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("sio-replay"));
    command
        .args([
            "proxy",
            "--upstream",
            &upstream,
            "--port",
            "0",
            "--format",
            "json",
            "-o",
        ])
        .arg(&capture)
        .env_remove("RUST_LOG");
    let mut proxy = Running::from_command(command);
    let banner = proxy.json_line().expect("banner");
    assert_eq!(banner["upstream"], upstream.as_str());
    let listening = banner["listening"].as_str().expect("listening").to_owned();
    assert!(listening.starts_with("http://127.0.0.1:"), "{banner}");

    let through = node_client(&listening, &token, &["websocket"]);
    assert_eq!(through.len(), 12);
    assert_eq!(
        through, direct,
        "the client got through the proxy what it got without it"
    );

    proxy.interrupt();
    let mut live = Vec::new();
    while let Some(line) = proxy.json_line() {
        live.push(line);
    }
    assert_eq!(
        proxy.wait(Duration::from_secs(10)),
        Some(0),
        "Ctrl-C ends the proxy cleanly"
    );
    let summary = &live.last().expect("a summary")["summary"];
    assert_eq!(summary["connections"], 1, "{summary}");
    assert_eq!(summary["decode_errors"], 0, "{summary}");
    assert!(
        summary["compressed_messages"].as_u64() > Some(0),
        "{summary}"
    );
    // The live view showed the events as they passed, but no ping.
    let shown_events = live
        .iter()
        .filter(|v| v["socket_type"] == "EVENT" && v["from"] == "server")
        .count();
    assert!(shown_events >= 12, "{shown_events} events shown");
    assert!(!live.iter().any(|v| v["engine_type"] == "ping"));

    let text = std::fs::read_to_string(&capture).expect("capture written");
    assert!(
        !text.contains(SIGNATURE),
        "no token signature in the capture"
    );
    // Every line is a record and every frame decodes.
    sio_replay()
        .args(["decode", "--format", "json"])
        .arg(&capture)
        .assert()
        .success()
        .stdout(predicates::str::contains("\"error\":{").not());

    let mut command = Command::new(assert_cmd::cargo::cargo_bin("sio-replay"));
    command
        .args(["serve", "--port", "0", "--format", "json", "--speed", "0"])
        .arg(&capture)
        .env_remove("RUST_LOG")
        .env_remove("SIO_ADMIN_TOKEN");
    let mut serve = Running::from_command(command);
    let banner = serve.json_line().expect("serve banner");
    let url = banner["url"].as_str().expect("url").to_owned();
    let mock_token = banner["token"].as_str().expect("token").to_owned();
    let replayed = node_client(&url, &mock_token, &["websocket"]);
    assert_eq!(
        replayed, through,
        "serve of the capture gives a client the same events"
    );
    serve.interrupt();
    server.interrupt();
}

#[test]
fn proxy_refuses_a_bad_upstream_naming_the_flag() {
    sio_replay()
        .args(["proxy", "--upstream", "ws://127.0.0.1:1", "--port", "0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--upstream"))
        .stderr(predicates::str::contains("http:// or https://"));
}

/// `sio-replay proxy` with its flags, and its banner's listening URL.
fn start_proxy(args: &[&str]) -> (Running, String) {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("sio-replay"));
    command
        .args(["proxy", "--port", "0", "--format", "json"])
        .args(args)
        .env_remove("RUST_LOG");
    let mut proxy = Running::from_command(command);
    let banner = proxy.json_line().expect("banner");
    let listening = banner["listening"].as_str().expect("listening").to_owned();
    (proxy, listening)
}

#[test]
fn proxy_verifies_a_tls_upstream_with_upstream_ca_and_refuses_it_without() {
    interop_deps::ensure(interop_deps::Peer::Node);
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    let (serve, port, token) = serve_tls(&ca);
    let upstream = format!("https://127.0.0.1:{port}");

    let (_proxy, listening) = start_proxy(&[
        "--upstream",
        &upstream,
        "--upstream-ca",
        ca.to_str().expect("UTF-8 path"),
    ]);
    let events = node_client(&listening, &token, &["websocket"]);
    assert_eq!(
        events.len(),
        12,
        "events through the proxy from a TLS upstream"
    );

    // Without the CA the system's store does not trust the mock's certificate: a 502 naming
    // TLS, never a silent fallback.
    let (_untrusting, listening) = start_proxy(&["--upstream", &upstream]);
    let addr = listening.trim_start_matches("http://");
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    use std::io::{Read as _, Write as _};
    write!(
        tcp,
        "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    tcp.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 502"), "{response}");
    assert!(
        response.contains(&format!("TLS with upstream {upstream} failed")),
        "{response}"
    );
    serve.interrupt();
}

#[test]
fn proxy_shows_pings_only_with_verbose() {
    interop_deps::ensure(interop_deps::Peer::Node);
    let mut command = Command::new("node");
    command
        .arg("rt2-server.mjs")
        .arg(r#"{"ping_interval":150,"require_token":false}"#)
        .current_dir(repo().join("interop"));
    let mut server = Running::from_command(command);
    let port = server.json_line().expect("listening line")["listening"]
        .as_u64()
        .expect("port");
    let upstream = format!("http://127.0.0.1:{port}");
    for (verbose, pings_shown) in [(false, false), (true, true)] {
        let mut args = vec!["--upstream", upstream.as_str()];
        if verbose {
            args.push("-v");
        }
        let (mut proxy, listening) = start_proxy(&args);
        let options = serde_json::json!({
            "url": listening,
            "transports": ["websocket"],
            "stay_ms": 600,
            "reconnection": false,
        });
        let mut command = Command::new("node");
        command
            .arg("client.mjs")
            .arg(options.to_string())
            .current_dir(repo().join("interop"));
        let mut client = Running::from_command(command);
        assert_eq!(client.wait(Duration::from_secs(20)), Some(0));
        proxy.interrupt();
        let mut live = Vec::new();
        while let Some(line) = proxy.json_line() {
            live.push(line);
        }
        let pings = live.iter().filter(|v| v["engine_type"] == "ping").count();
        let pongs = live.iter().filter(|v| v["engine_type"] == "pong").count();
        assert_eq!(
            pings > 0 && pongs > 0,
            pings_shown,
            "-v {verbose}: {pings} pings, {pongs} pongs"
        );
        assert!(
            live.iter().any(|v| v["socket_type"] == "CONNECT"),
            "packets other than pings are always shown"
        );
    }
    server.interrupt();
}

/// `sio-replay serve --tls` writing its CA certificate to `ca_out`: the mock, its port and
/// its admin token.
fn serve_tls(ca_out: &Path) -> (Running, String, String) {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("sio-replay"));
    command
        .args([
            "serve", "--tls", "--port", "0", "--format", "json", "--speed", "0", "--ca-out",
        ])
        .arg(ca_out)
        .env_remove("RUST_LOG")
        .env_remove("SIO_ADMIN_TOKEN");
    let mut serve = Running::from_command(command);
    let banner = serve.json_line().expect("serve banner");
    let url = banner["url"].as_str().expect("url");
    let token = banner["token"].as_str().expect("token").to_owned();
    let port = url
        .rsplit(':')
        .next()
        .expect("a port")
        .trim_end_matches('/')
        .to_owned();
    (serve, port, token)
}

/// The banner of `sio-replay proxy --mode forward` with `args`, and the proxy.
fn start_forward(args: &[&str], ca_dir: &Path, capture: &Path) -> (Running, serde_json::Value) {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("sio-replay"));
    command
        .args([
            "proxy", "--mode", "forward", "--port", "0", "--format", "json", "-o",
        ])
        .arg(capture)
        .args(args)
        .env("SIO_REPLAY_CA_DIR", ca_dir)
        .env_remove("RUST_LOG");
    let mut proxy = Running::from_command(command);
    let banner = proxy.json_line().expect("proxy banner");
    (proxy, banner)
}

#[test]
fn headless_chromium_through_forward_mode_to_a_tls_upstream_is_recorded() {
    interop_deps::ensure(interop_deps::Peer::Node);
    interop_deps::ensure(interop_deps::Peer::Chromium);
    let dir = tempfile::tempdir().expect("tempdir");
    let upstream_ca = dir.path().join("upstream-ca.pem");
    let ca_dir = dir.path().join("ca");
    let capture = dir.path().join("session.jsonl");
    sio_replay_ok(&["ca", "init", "--ca-dir", ca_dir.to_str().unwrap()]);
    let (serve, port, token) = serve_tls(&upstream_ca);
    // The mock's certificate names localhost; the browser asks for localhost through the proxy.
    let socket_url = format!("https://localhost:{port}");

    let (proxy, proxy_banner) = start_forward(
        &[
            "--intercept",
            "localhost",
            "--upstream-ca",
            upstream_ca.to_str().unwrap(),
        ],
        &ca_dir,
        &capture,
    );
    assert_eq!(proxy_banner["mode"], "forward");
    let pin = proxy_banner["spki_sha256"]
        .as_str()
        .expect("the pin")
        .to_owned();
    let listening = proxy_banner["listening"]
        .as_str()
        .expect("listening")
        .to_owned();

    let run = repo().join("interop/browser/run.mjs");
    let output = assert_cmd::Command::new("node")
        .arg(&run)
        .args(["--url", &socket_url, "--token", &token])
        .args([
            "--transports",
            "default",
            "--events",
            "5",
            "--timeout-ms",
            "40000",
        ])
        .args(["--proxy-server", &listening, "--spki-pin", &pin])
        .timeout(Duration::from_secs(90))
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "run.mjs printed no result ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(result["ok"], true, "{result:#}");
    assert_eq!(result["upgraded_to"], "websocket", "{result:#}");

    // Read the live view while the proxy stops (a full pipe would hold it up).
    proxy.interrupt();
    let (done, exited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut proxy = proxy;
        while proxy.json_line().is_some() {}
        let _ = done.send(proxy.wait(Duration::from_secs(20)));
    });
    let status = exited
        .recv_timeout(Duration::from_secs(30))
        .expect("the proxy stopped on Ctrl-C");
    assert_eq!(status, Some(0));
    serve.interrupt();
    let text = std::fs::read_to_string(&capture).expect("the capture");
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    // The page itself (plain http:// through the proxy) and the socket (CONNECT, decrypted).
    let frames: Vec<&serde_json::Value> = records.iter().filter(|r| r["type"] == "frame").collect();
    assert!(
        frames.iter().any(|f| f["from"] == "client"
            && f["data"]
                .as_str()
                .is_some_and(|d| d.starts_with("40/chatomni"))),
        "the browser's CONNECT is not in the capture"
    );
    let events = frames
        .iter()
        .filter(|f| {
            f["from"] == "server"
                && f["data"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("42/chatomni,"))
        })
        .count();
    assert!(events >= 5, "{events} events in the capture");
    assert!(
        records
            .iter()
            .any(|r| r["type"] == "conn" && r["event"] == "upgrade"),
        "the polling → WebSocket upgrade is one connection in the capture"
    );
    assert!(
        text.contains(&format!("localhost:{port}")),
        "the upstream is named"
    );
    let signature = token.rsplit('.').next().expect("a JWT");
    assert!(
        !text.contains(signature),
        "the token's signature reached the capture"
    );
    assert!(
        !text.contains("PRIVATE KEY"),
        "the CA key reached the capture"
    );
}

fn sio_replay_ok(args: &[&str]) -> String {
    let output = assert_cmd::Command::cargo_bin("sio-replay")
        .expect("the binary")
        .args(args)
        .env_remove("SIO_REPLAY_CA_DIR")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "sio-replay {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}
