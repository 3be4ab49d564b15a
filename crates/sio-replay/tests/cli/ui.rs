//! The web view: `serve --ui` with a real `socket.io-client` and the page in headless Chromium
//! (`interop/browser/ui.mjs`, playwright-core), `sio-replay ui` on the bundled capture, and
//! who the view refuses (no browser needed for those).
//!
//! Screenshots of each view go to `target/ui-screenshots/` (not committed) so that a person can
//! look at them.

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::session::{Running, bundled_capture, serve, spawn};
use crate::sio_replay;

/// How long a step of the page may take (Chromium's start included).
const PAGE_TIMEOUT_MS: u64 = 40_000;
/// The hard limit on one `node ui.mjs` process.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(120);

/// rt2 as served by default, plus an ack for `ask-the-mock`, so that the page has an event and
/// its ack to pair.
const SCENARIO: &str = r#"
name = "ui-test"
description = "rt2, and ask-the-mock acked with its arguments"

[[on_connect]]
namespace = "/chatomni"
replay = true

[[on_connect]]
namespace = "/"
replay = false

[[on_event]]
name = "ask-the-mock"
namespace = "/chatomni"
ack = "echo"
"#;

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ui-screenshots")
}

/// Fails (never skips) when Chromium or the Node packages are missing, naming the script.
fn require_browser_deps() {
    interop_deps::ensure(interop_deps::Peer::Node);
    if std::env::var_os("CHROMIUM_PATH").is_none() {
        interop_deps::ensure(interop_deps::Peer::Chromium);
    }
    let modules = interop_dir().join("node_modules");
    for package in ["playwright-core", "socket.io-client"] {
        assert!(
            modules.join(package).join("package.json").is_file(),
            "interop/node_modules/{package} is missing: run scripts/install-node-deps.sh first"
        );
    }
}

/// Runs `node interop/browser/ui.mjs ARGS`; returns its result line and whether it succeeded.
fn run_ui_page(args: &[&str]) -> (Value, bool) {
    let script = interop_dir().join("browser/ui.mjs");
    let output = assert_cmd::Command::new("node")
        .arg(&script)
        .args(args)
        .args(["--timeout-ms", &PAGE_TIMEOUT_MS.to_string()])
        .timeout(PROCESS_TIMEOUT)
        .output()
        .unwrap_or_else(|e| panic!("run node {}: {e} (is Node 20+ on PATH?)", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "ui.mjs printed no result ({e}; exit {:?}):\nstdout: {stdout}\nstderr: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let ok = output.status.success() && result["ok"] == true;
    (result, ok)
}

/// `sio-replay ui FILES --port 0 --format json`, and its banner.
fn serve_ui(files: &[&Path]) -> (Running, Value) {
    let mut args = vec!["ui", "--port", "0", "--format", "json"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let mut running = spawn(&assert_cmd::cargo::cargo_bin("sio-replay"), &args, &[]);
    let mut line = String::new();
    running.stdout.read_line(&mut line).expect("banner line");
    let banner: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("banner {line:?}: {e}"));
    (running, banner)
}

/// One raw HTTP/1.1 GET to the view; returns the status code and the body.
fn get(url: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let authority = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .expect("an http:// URL");
    let mut stream = TcpStream::connect(authority).expect("connect to the view");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

fn token_of(ui_url: &str) -> &str {
    ui_url.split_once("?token=").expect("a token in the URL").1
}

#[test]
fn the_page_shows_a_live_session_pairs_its_ack_injects_an_event_and_exports_a_capture() {
    require_browser_deps();
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("ui.toml");
    std::fs::write(&scenario, SCENARIO).expect("scenario");
    let (_server, banner) = serve(&[
        "--ui",
        "--speed",
        "0",
        "--scenario",
        scenario.to_str().expect("UTF-8"),
    ]);
    let ui_url = banner["ui_url"].as_str().expect("the banner has ui_url");
    let mock_url = banner["url"].as_str().expect("url");
    assert!(
        ui_url.starts_with(&format!("{mock_url}/__ui/?token=")),
        "{ui_url}"
    );
    assert_eq!(token_of(ui_url), banner["admin_token"].as_str().unwrap());
    let out = screenshots_dir();
    let (result, ok) = run_ui_page(&[
        "live",
        "--ui-url",
        ui_url,
        "--mock-url",
        mock_url,
        "--token",
        banner["token"].as_str().expect("token"),
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert!(ok, "the page failed: {result:#}");
    // The session row: its sid, transport, namespace and the tenant from the redacted token.
    let row = result["session_row"].as_str().unwrap();
    let sid = result["sid"].as_str().unwrap();
    assert!(row.contains(&sid[..10]), "{row}");
    for expected in ["websocket", "/chatomni", "tomato.tpos.vn"] {
        assert!(row.contains(expected), "{expected} not in {row}");
    }
    // The rt-2 chat line: the first replayed on-events of the bundled capture.
    let chat = result["chat_line"].as_str().unwrap();
    assert!(
        chat.starts_with("Facebook") || chat.starts_with("Zalo"),
        "{chat}"
    );
    // Filtered to one event, whose ack link leads to the server's ACK with the same id.
    assert_eq!(
        result["filtered_events"],
        serde_json::json!(["ask-the-mock"])
    );
    assert_eq!(result["paired_detail"]["decoded"]["socket_io"], "ACK");
    assert_eq!(result["paired_detail"]["decoded"]["ack_id"], 0);
    assert_eq!(result["paired_detail"]["record"]["from"], "server");
    assert_eq!(result["ack_received"], serde_json::json!({"n": 7}));
    // The event the page emitted through the admin API reached the real client.
    assert_eq!(
        result["client_received"],
        serde_json::json!(["hello from the web view", {"k": 1}])
    );
    // The exported selection is a capture `check --offline` reads, twice to the same transcript.
    let export = PathBuf::from(result["export"].as_str().unwrap());
    let exported = std::fs::read_to_string(&export).expect("export written");
    assert!(exported.contains("from-the-page"), "{exported}");
    assert!(
        !exported.contains(banner["token"].as_str().unwrap()),
        "the token was exported"
    );
    let golden = dir.path().join("export.snap");
    for extra in [&["--accept"][..], &[][..]] {
        sio_replay()
            .args(["check", "--offline"])
            .arg(&export)
            .arg("--golden")
            .arg(&golden)
            .args(extra)
            .assert()
            .success();
    }
    sio_replay()
        .arg("decode")
        .arg(result["export_har"].as_str().unwrap())
        .assert()
        .success()
        .stdout(predicates::str::contains("ask-the-mock"));
}

#[test]
fn sio_replay_ui_shows_every_record_of_the_bundled_capture_in_chromium() {
    require_browser_deps();
    let capture = bundled_capture();
    let records = std::fs::read_to_string(&capture)
        .expect("bundled capture")
        .lines()
        .count()
        - 1;
    let (_view, banner) = serve_ui(&[&capture]);
    assert_eq!(banner["records"], records + 1, "{banner}");
    let out = screenshots_dir();
    let screenshot = out.join("ui-file.png");
    let (result, ok) = run_ui_page(&[
        "file",
        "--ui-url",
        banner["ui_url"].as_str().unwrap(),
        "--records",
        &records.to_string(),
        "--out",
        out.to_str().unwrap(),
        "--screenshot",
        screenshot.to_str().unwrap(),
    ]);
    assert!(ok, "the page failed: {result:#}");
    assert_eq!(result["items"], records);
    // The list keeps only the rows in sight in the DOM.
    let rows = result["rows_in_dom"].as_u64().unwrap();
    assert!((10..100).contains(&rows), "{rows} rows in the DOM");
}

#[test]
fn the_view_refuses_a_missing_or_wrong_token_and_other_origins() {
    let (_view, banner) = serve_ui(&[&bundled_capture()]);
    let url = banner["ui_url"].as_str().unwrap();
    let token = token_of(url);
    for path in [
        "/__ui/",
        "/__ui/api/records",
        "/__ui/api/stream",
        "/__ui/api/info",
    ] {
        assert_eq!(get(url, path, &[]).0, 401, "{path} without a token");
        let wrong = format!("{path}?token=not-{token}");
        assert_eq!(get(url, &wrong, &[]).0, 403, "{path} with a wrong token");
    }
    let records = format!("/__ui/api/records?token={token}");
    let (status, body) = get(url, &records, &[]);
    assert_eq!(status, 200);
    assert!(body.contains("\"type\":\"frame\""), "{body}");
    // A page of another origin holding the token still cannot read the data.
    for header in [
        ("Origin", "http://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let (status, body) = get(url, &records, &[header]);
        assert_eq!(status, 403, "{header:?}");
        assert!(!body.contains("\"type\":\"frame\""));
    }
    // DNS rebinding: the right token but another host name.
    let authority = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = TcpStream::connect(authority).unwrap();
    write!(
        stream,
        "GET {records} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
}

#[test]
fn sio_replay_ui_names_a_missing_file() {
    sio_replay()
        .args(["ui", "no-such-capture.jsonl"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no-such-capture.jsonl"));
}

#[test]
fn proxy_ui_shows_the_proxied_traffic_and_refuses_a_missing_token() {
    // Nothing listens on the discard port: every request through the proxy gets its 502,
    // which the capture (and so the view) records as an HTTP exchange.
    let mut proxy = spawn(
        &assert_cmd::cargo::cargo_bin("sio-replay"),
        &[
            "proxy",
            "--upstream",
            "http://127.0.0.1:9",
            "--port",
            "0",
            "--ui",
            "--format",
            "json",
        ],
        &[],
    );
    let banner = proxy.json_line().expect("the banner");
    let ui = banner["ui_url"]
        .as_str()
        .expect("ui_url in the banner")
        .to_owned();
    let listening = banner["listening"].as_str().expect("listening").to_owned();
    assert_ne!(
        ui.split('/').nth(2),
        listening.split('/').nth(2),
        "the view has its own port"
    );
    let token = token_of(&ui).to_owned();

    assert_eq!(get(&ui, "/__ui/api/info", &[]).0, 401, "no token");
    assert_eq!(get(&ui, "/__ui/api/info?token=wrong", &[]).0, 403);
    let (status, info) = get(&ui, &format!("/__ui/api/info?token={token}"), &[]);
    assert_eq!(status, 200, "{info}");
    let info: Value = serde_json::from_str(&info).expect("info is JSON");
    assert_eq!(info["live"], true, "{info}");

    let (status, _) = get(
        &listening,
        "/api/facebook-graph/livevideo?pageid=1&access_token=secret-in-the-query",
        &[],
    );
    assert_eq!(status, 502);
    let records_path = format!("/__ui/api/records?after=0&token={token}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let records = loop {
        let (status, body) = get(&ui, &records_path, &[]);
        assert_eq!(status, 200, "{body}");
        if body.contains("livevideo") {
            break body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the exchange never reached the view: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(records.contains("502"), "{records}");
    assert!(
        !records.contains("secret-in-the-query"),
        "the view shows what the capture would: redacted"
    );

    proxy.interrupt();
    while proxy.json_line().is_some() {}
    assert_eq!(proxy.wait(Duration::from_secs(20)), Some(0));
}
