//! The mock against a real browser: headless Chromium (Debian's package, driven by
//! playwright-core) runs the chat-feed page of `interop/browser/`, served from another origin
//! than the mock, so the socket's polling requests and the live-video `fetch` go through CORS.
//!
//! Needs `scripts/install-node-deps.sh` (playwright-core, socket.io-client's browser bundle) and
//! `scripts/install-browser-deps.sh` (Chromium); without them these tests fail, naming the
//! script.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::session::{bundled_capture, serve};

/// How long the page may take to render every event (Chromium's start included); `run.mjs`
/// gives up after this and says what it was still waiting for.
const PAGE_TIMEOUT_MS: u64 = 40_000;
/// The hard limit on the whole `node run.mjs` process.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(90);

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop")
}

/// The Chromium `run.mjs` will use (its default, or `CHROMIUM_PATH`).
fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM_PATH")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Fails (never skips) when the browser or the Node packages are missing, naming the script
/// that installs them.
fn require_browser_deps() {
    interop_deps::ensure(interop_deps::Peer::Node);
    if std::env::var_os("CHROMIUM_PATH").is_none() {
        interop_deps::ensure(interop_deps::Peer::Chromium);
    }
    let chromium = chromium();
    assert!(
        chromium.is_file(),
        "no Chromium at {}: run scripts/install-browser-deps.sh first (Debian's chromium package)",
        chromium.display()
    );
    let modules = interop_dir().join("node_modules");
    for package in ["playwright-core", "socket.io-client"] {
        assert!(
            modules.join(package).join("package.json").is_file(),
            "interop/node_modules/{package} is missing: run scripts/install-node-deps.sh first \
             (needs node and npm)"
        );
    }
}

/// What a capture holds, read independently of the mock: the `Message.Id` of every
/// `on-events` the server sent, in order (`None` for a `chatomni.on-update`, which has no
/// Message), and the live videos of its HTTP exchanges.
struct Expected {
    message_ids: Vec<Option<String>>,
    page_id: String,
    videos: usize,
    live_videos: usize,
    /// How many requests a client paging with `limit=3` through `paging.next` makes.
    pages_of_three: usize,
}

fn read_capture(text: &str) -> Expected {
    let mut message_ids = Vec::new();
    let mut page_id = None;
    let mut videos = HashSet::new();
    let mut live = HashSet::new();
    for (number, line) in text.lines().enumerate() {
        let record: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("capture line {}: {e}", number + 1));
        match record["type"].as_str() {
            Some("frame") if record["from"] == "server" => {
                let Some(payload) = record["data"]
                    .as_str()
                    .and_then(|data| data.strip_prefix("42/chatomni,"))
                else {
                    continue;
                };
                let packet: Value = serde_json::from_str(payload).expect("EVENT payload");
                assert_eq!(packet[0], "on-events", "line {}", number + 1);
                let event: Value =
                    serde_json::from_str(packet[1].as_str().expect("a string holding JSON"))
                        .expect("on-events JSON");
                let id = event["Message"]["Id"].as_str().map(str::to_owned);
                assert_eq!(
                    id.is_none(),
                    event["Message"].is_null(),
                    "line {}: a Message without an Id",
                    number + 1
                );
                message_ids.push(id);
            }
            Some("http") if record["status"] == 200 => {
                let url = record["url"].as_str().expect("url");
                if !url.contains("/api/facebook-graph/livevideo") {
                    continue;
                }
                let pairs = record["query"].as_array().expect("query pairs");
                if let Some(pair) = pairs.iter().find(|pair| pair[0] == "pageid") {
                    page_id = pair[1].as_str().map(str::to_owned);
                }
                let body: Value =
                    serde_json::from_str(record["body"].as_str().expect("body")).expect("JSON");
                for video in body["data"].as_array().expect("data") {
                    let id = video["id"].as_str().expect("video id").to_owned();
                    if video["status"] == "LIVE" {
                        live.insert(id.clone());
                    }
                    videos.insert(id);
                }
            }
            _ => {}
        }
    }
    Expected {
        message_ids,
        page_id: page_id.expect("a live-video request with a pageid"),
        pages_of_three: videos.len().div_ceil(3),
        videos: videos.len(),
        live_videos: live.len(),
    }
}

/// The bundled chat capture with the bundled live-video exchanges added, written to `dir`: one
/// capture that has both, as a recording of a whole page load would.
fn capture_with_live_videos(dir: &Path) -> (PathBuf, Expected) {
    let chat = std::fs::read_to_string(bundled_capture()).expect("bundled capture");
    let live = std::fs::read_to_string(bundled_capture().with_file_name("rt2-livevideo.jsonl"))
        .expect("bundled live-video capture");
    let mut text = chat;
    for line in live
        .lines()
        .filter(|line| line.contains(r#""type":"http""#))
    {
        text.push_str(line);
        text.push('\n');
    }
    let path = dir.join("page-load.jsonl");
    std::fs::write(&path, &text).expect("write capture");
    (path, read_capture(&text))
}

/// One run of the page: what `run.mjs` printed and how it exited.
struct PageRun {
    result: Value,
    succeeded: bool,
    stderr: String,
}

/// Serves `capture` as fast as possible (with `serve_extra` flags) and runs the page in
/// Chromium with `transports`, waiting for `events` events and, with `page_id`, the live
/// videos. Returns the run and the mock's URL.
fn run_page(
    capture: &Path,
    serve_extra: &[&str],
    transports: &str,
    events: usize,
    page_id: Option<&str>,
) -> (PageRun, String) {
    require_browser_deps();
    let mut serve_args = vec![capture.to_str().expect("UTF-8 path"), "--speed", "0"];
    serve_args.extend_from_slice(serve_extra);
    let (_server, banner) = serve(&serve_args);
    let url = banner["url"].as_str().expect("url").to_owned();
    let run = interop_dir().join("browser/run.mjs");
    let mut node = assert_cmd::Command::new("node");
    node.arg(&run)
        .args(["--url", &url])
        .args(["--token", banner["token"].as_str().expect("token")])
        .args(["--room", banner["room"].as_str().expect("room")])
        .args(["--transports", transports])
        .args(["--events", &events.to_string()])
        .args(["--timeout-ms", &PAGE_TIMEOUT_MS.to_string()])
        .arg("--mock-report")
        .env(
            "SIO_ADMIN_TOKEN",
            banner["admin_token"].as_str().expect("admin_token"),
        )
        .timeout(PROCESS_TIMEOUT);
    if let Some(page_id) = page_id {
        node.args(["--page-id", page_id, "--limit", "3"]);
    }
    let output = node
        .output()
        .unwrap_or_else(|e| panic!("run node {}: {e} (is Node 20+ on PATH?)", run.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "run.mjs printed no result line ({e}; exit {:?}):\nstdout: {stdout}\nstderr: {stderr}",
            output.status.code()
        )
    });
    let run = PageRun {
        succeeded: output.status.success() && result["ok"] == true,
        result,
        stderr,
    };
    (run, url)
}

/// Runs the page over the page-load capture with `transports`, expecting success.
fn run_page_load(transports: &str) -> (Value, Expected, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (capture, expected) = capture_with_live_videos(dir.path());
    let (run, url) = run_page(
        &capture,
        &[],
        transports,
        expected.message_ids.len(),
        Some(&expected.page_id),
    );
    assert!(
        run.succeeded,
        "the page failed: {}\n{:#}\nstderr: {}",
        run.result["reason"], run.result, run.stderr
    );
    (run.result, expected, url)
}

/// What every transport setting must show: every event rendered in capture order, the live
/// videos fetched cross-origin, no console errors, a clean session on the mock's side (which
/// ended on `transport`).
fn assert_page_saw_the_capture(
    result: &Value,
    expected: &Expected,
    mock_url: &str,
    transport: &str,
) {
    let rendered: Vec<Option<String>> =
        serde_json::from_value(result["message_ids"].clone()).expect("message_ids");
    assert_eq!(
        rendered.len(),
        expected.message_ids.len(),
        "rendered events: {result}"
    );
    let first_difference = rendered
        .iter()
        .zip(&expected.message_ids)
        .position(|(got, want)| got != want);
    assert_eq!(
        first_difference,
        None,
        "the page rendered the capture's events out of order or changed: {:?} where the \
         capture has {:?}",
        first_difference.map(|at| &rendered[at]),
        first_difference.map(|at| &expected.message_ids[at])
    );
    assert!(
        result["other_events"].as_array().is_some_and(Vec::is_empty),
        "{result}"
    );

    // Cross-origin: the page's origin is not the mock's, and every page of videos arrived.
    let page_origin = result["page_origin"].as_str().expect("page_origin");
    assert!(
        page_origin.starts_with("http://127.0.0.1:"),
        "{page_origin}"
    );
    assert_ne!(
        page_origin, mock_url,
        "the page must come from another origin"
    );
    let videos = &result["live_videos"];
    assert_eq!(videos["state"], "done", "{videos}");
    assert_eq!(
        videos["count"].as_u64(),
        Some(expected.videos as u64),
        "{videos}"
    );
    assert_eq!(
        videos["live"].as_u64(),
        Some(expected.live_videos as u64),
        "{videos}"
    );
    assert_eq!(
        videos["pages"].as_u64(),
        Some(expected.pages_of_three as u64),
        "{videos}"
    );
    assert_eq!(
        videos["shown"],
        format!("{} ({} live)", expected.videos, expected.live_videos),
        "the count is rendered"
    );

    assert_eq!(result["console_errors"], serde_json::json!([]), "{result}");
    assert_eq!(result["page_errors"], serde_json::json!([]), "{result}");

    // The mock's own view of the session: no protocol violation from the browser, the token
    // arrived, every event went out, and the page's disconnect was seen.
    let session = &result["mock_session"];
    assert_eq!(session["sid"], result["engine_id"], "{session}");
    assert_eq!(session["transport"], transport, "{session}");
    assert_eq!(session["violations"], serde_json::json!([]), "{session}");
    assert_eq!(session["token_present"], true, "{session}");
    assert_eq!(
        session["events_sent"].as_u64(),
        Some(expected.message_ids.len() as u64),
        "{session}"
    );
    let received: Vec<(&str, &str)> = session["received"]
        .as_array()
        .expect("received")
        .iter()
        .map(|packet| {
            (
                packet["kind"].as_str().unwrap_or_default(),
                packet["namespace"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        received,
        [("connect", "/chatomni"), ("disconnect", "/chatomni")],
        "{session}"
    );
    // The page's `socket.disconnect()` then closes the transport: socket.io 4.8 reports
    // `transport close` for that on every transport, and so does the mock.
    assert_eq!(
        session["closed"], "transport close",
        "the session ended as the reference server words it: {session}"
    );
}

#[test]
fn chromium_renders_every_event_after_upgrading_from_polling_to_websocket() {
    let (result, expected, url) = run_page_load("default");
    assert_eq!(result["opened_with"], "polling", "{result}");
    assert_eq!(result["upgraded_to"], "websocket", "{result}");
    assert_eq!(result["transport"], "websocket", "{result}");
    assert_page_saw_the_capture(&result, &expected, &url, "websocket");
}

#[test]
fn chromium_renders_every_event_over_websocket_only() {
    let (result, expected, url) = run_page_load("websocket");
    assert_eq!(result["opened_with"], "websocket", "{result}");
    assert_eq!(result["upgraded_to"], Value::Null, "{result}");
    assert_eq!(result["transport"], "websocket", "{result}");
    assert_page_saw_the_capture(&result, &expected, &url, "websocket");
}

#[test]
fn chromium_renders_every_event_over_long_polling_only() {
    let (result, expected, url) = run_page_load("polling");
    assert_eq!(result["opened_with"], "polling", "{result}");
    assert_eq!(result["upgraded_to"], Value::Null, "{result}");
    assert_eq!(result["transport"], "polling", "{result}");
    assert_page_saw_the_capture(&result, &expected, &url, "polling");
}

#[test]
fn a_page_from_an_origin_the_mock_does_not_allow_fails_with_the_browsers_cors_error() {
    // The other side of the cross-origin checks above: with CORS limited to another origin,
    // Chromium blocks the long-polling handshake and run.mjs says so. WebSocket is not subject
    // to CORS (the reference server does not check it either), so a WebSocket-only page still
    // gets its events.
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("cors.toml");
    std::fs::write(
        &scenario,
        "name = \"cors-elsewhere\"\n[server]\ncors_origin = \"http://app.example.test\"\n",
    )
    .expect("write scenario");
    let scenario = scenario.to_str().expect("UTF-8 path");

    let (refused, _) = run_page(
        &bundled_capture(),
        &["--scenario", scenario],
        "default",
        5,
        None,
    );
    assert!(!refused.succeeded, "{:#}", refused.result);
    assert_eq!(
        refused.result["reason"], "connect error: xhr poll error",
        "{:#}",
        refused.result
    );
    let errors = refused.result["console_errors"]
        .as_array()
        .expect("console_errors");
    assert!(
        errors.iter().any(|error| error
            .as_str()
            .is_some_and(|text| text.contains("blocked by CORS policy"))),
        "Chromium names CORS: {errors:?}"
    );
    assert_eq!(refused.result["events"], 0, "{:#}", refused.result);

    let (websocket, _) = run_page(
        &bundled_capture(),
        &["--scenario", scenario],
        "websocket",
        5,
        None,
    );
    assert!(
        websocket.succeeded,
        "{:#}\nstderr: {}",
        websocket.result, websocket.stderr
    );
}

#[test]
fn the_capture_reader_of_these_tests_finds_what_the_bundled_captures_hold() {
    // Guards the expectations above: an empty or misread capture would make them vacuous.
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, expected) = capture_with_live_videos(dir.path());
    assert_eq!(expected.message_ids.len(), 280);
    assert_eq!(
        expected.message_ids[0].as_deref(),
        Some("695e60057b7c8059540ed555"),
        "the seed's first message"
    );
    let messages: Vec<&String> = expected.message_ids.iter().flatten().collect();
    assert_eq!(
        messages.len(),
        272,
        "280 events, 8 of them conversation updates"
    );
    assert_eq!(
        messages.iter().collect::<HashSet<_>>().len(),
        messages.len(),
        "message ids are distinct, so order is checkable"
    );
    assert_eq!((expected.videos, expected.live_videos), (7, 1));
    assert_eq!(expected.pages_of_three, 3);
}
