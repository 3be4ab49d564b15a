//! `check --baseline-runs`: learned noise against a real Node socket.io server
//! (`interop/noisy-server.mjs`) that puts a fresh id and time in every reply.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::session::{Running, spawn};
use crate::sio_replay;

/// `interop/noisy-server.mjs` in `mode` (`normal`, `type-change`, `drop-event`); returns the
/// process and its `ws://` URL.
fn noisy_server(mode: &str) -> (Running, String) {
    interop_deps::ensure(interop_deps::Peer::Node);
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop");
    let script = interop.join("noisy-server.mjs");
    let mut node = spawn(
        Path::new("node"),
        &[script.to_str().expect("UTF-8 path")],
        &[("NOISY_MODE", mode)],
    );
    let line = node.read_line();
    let banner: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("banner {line:?}: {e}"));
    let port = banner["listening"].as_u64().expect("a port");
    (node, format!("ws://127.0.0.1:{port}"))
}

/// A capture of one session with the server: join /shop, create a room (its id comes back in
/// the ack), join it by that id. The ids and times are the ones of the run it was recorded
/// from; the server will make new ones.
fn capture(dir: &Path) -> PathBuf {
    let frames = [
        (
            "server",
            r#"0{"sid":"Jd0aBcDeFgHiJkLmAAAB","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
        ),
        ("client", r#"40/shop,{"token":"[redacted]"}"#),
        ("server", r#"40/shop,{"sid":"Wq1zXyZ0aBcDeFgHAAAC"}"#),
        (
            "server",
            r#"42/shop,["hello",{"id":"r7Zq0pLk3mNb","at":812.25,"greeting":"xin chào","version":2}]"#,
        ),
        ("client", r#"42/shop,1["create",{"name":"live tối nay"}]"#),
        (
            "server",
            r#"43/shop,1[{"ok":true,"id":"room-Q2x9LmPa7TkW","at":815.5}]"#,
        ),
        ("client", r#"42/shop,["join","room-Q2x9LmPa7TkW"]"#),
        (
            "server",
            r#"42/shop,["joined",{"room":"room-Q2x9LmPa7TkW","known":true,"id":"Zk2mP9qLx0Aa","at":818.0}]"#,
        ),
    ];
    let mut text = String::from(
        r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"generated","room":"shop.example"}"#,
    );
    text.push('\n');
    for (i, (from, data)) in frames.iter().enumerate() {
        let record = serde_json::json!({
            "type": "frame", "t_ms": i as f64, "conn": 1, "from": from, "kind": "text", "data": data,
        });
        text.push_str(&record.to_string());
        text.push('\n');
    }
    let path = dir.join("shop.jsonl");
    std::fs::write(&path, text).expect("write the capture");
    path
}

/// `check` against `url` driven by the capture, with `extra` flags (human output unless they
/// say otherwise); returns the exit code and stdout.
fn check(url: &str, capture: &Path, extra: &[&str]) -> (i32, String) {
    let format: &[&str] = if extra.contains(&"--format") {
        &[]
    } else {
        &["--format", "human"]
    };
    let output = sio_replay()
        .args(["check", "--url", url, "--capture"])
        .arg(capture)
        .args(["--events", "3", "--duration", "5s"])
        .args(format)
        .args(extra)
        .env("SIO_TOKEN", "synthetic-token")
        .env("INSTA_UPDATE", "no")
        .timeout(Duration::from_secs(60))
        .output()
        .expect("check runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code().expect("an exit code");
    assert!(code != 2, "check failed to run: {stdout}\n{stderr}");
    (code, stdout)
}

#[test]
fn baseline_runs_pass_where_plain_check_fails_and_still_catch_real_changes() {
    let (_reference, url) = noisy_server("normal");
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = capture(dir.path());
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

    // Plain check: the golden of one run never matches the next, fresh ids and times differ.
    let plain = path("plain.snap");
    assert_eq!(
        check(&url, &capture, &["--golden", &plain, "--accept"]).0,
        0
    );
    let (code, out) = check(&url, &capture, &["--golden", &plain]);
    assert_eq!(code, 1, "plain check should fail on fresh values: {out}");

    // Learned noise: accept once, then every later run passes.
    let live = path("live.snap");
    let (code, out) = check(
        &url,
        &capture,
        &["--baseline-runs", "2", "--golden", &live, "--accept"],
    );
    assert_eq!(code, 0, "{out}");
    let noise_file = dir.path().join("live.noise.json");
    let noise: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&noise_file).expect("the noise file"))
            .expect("JSON");
    let paths: Vec<String> = noise["noise"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["path"].as_str().unwrap(),
                p["varies"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        "$[0].id value",
        "$[0].at value",
        "$[0](json).Message.Id value",
        "$.sid value",
    ] {
        assert!(
            paths.iter().any(|p| p == expected),
            "{expected} in {paths:?}"
        );
    }
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("$[0].known") || p.starts_with("$[0].greeting")),
        "stable fields are not noise: {paths:?}"
    );
    assert!(out.contains("noisy path(s) from 2 runs"), "{out}");
    for _ in 0..2 {
        let (code, out) = check(&url, &capture, &["--baseline-runs", "2", "--golden", &live]);
        assert_eq!(code, 0, "learned noise makes runs agree: {out}");
    }
    // The room id the server made was carried into the join: the server knew it.
    let golden = std::fs::read_to_string(&live).expect("golden");
    assert!(golden.contains(r#""known": true"#), "{golden}");
    assert!(golden.contains(r#""id": "<varies: string>""#), "{golden}");

    // A candidate whose fresh id turns into a number fails, at that path, noise or not.
    let (_typed, typed_url) = noisy_server("type-change");
    let (code, out) = check(
        &typed_url,
        &capture,
        &[
            "--baseline-url",
            &url,
            "--baseline-runs",
            "2",
            "--golden",
            &live,
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(r#"/shop EVENT "hello" #1 $[0].id: type string became number"#),
        "{out}"
    );

    // A candidate that drops an event fails, naming it.
    let (_dropping, dropping_url) = noisy_server("drop-event");
    let junit = path("junit.xml");
    let (code, out) = check(
        &dropping_url,
        &capture,
        &[
            "--baseline-url",
            &url,
            "--baseline-runs",
            "2",
            "--format",
            "json",
            "--junit",
            &junit,
        ],
    );
    assert_eq!(code, 1, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("one JSON report");
    assert_eq!(report["live"]["status"], "mismatch", "{report}");
    assert_eq!(
        report["live"]["differences"],
        serde_json::json!([r#"/shop EVENT "news": 1 in the reference, 0 in the candidate"#]),
        "{report}"
    );
    let junit = std::fs::read_to_string(&junit).expect("the JUnit report");
    assert!(
        junit.contains("the candidate differs from the reference outside the learned noise"),
        "{junit}"
    );
    assert!(
        junit.contains(&dropping_url),
        "the case is named after the candidate: {junit}"
    );
}

#[test]
fn baseline_runs_need_two_runs_and_a_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = capture(dir.path());
    sio_replay()
        .args([
            "check",
            "--url",
            "ws://127.0.0.1:9",
            "--baseline-runs",
            "1",
            "--capture",
        ])
        .arg(&capture)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--baseline-runs"));
    sio_replay()
        .args(["check", "--offline"])
        .arg(&capture)
        .args(["--baseline-runs", "2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--baseline-runs"));
}
