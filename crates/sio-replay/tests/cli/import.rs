//! `import`: a HAR becomes a native capture, redacted, with a summary.

use crate::{fixture, sio_replay};

#[test]
fn har_becomes_a_redacted_capture_with_a_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("session.jsonl");
    let assert = sio_replay()
        .args(["import", "--format", "json", "-o"])
        .arg(&out)
        .arg(fixture("session.har"))
        .assert()
        .success();
    let summary: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("one JSON summary");
    assert_eq!(summary["kind"], "HAR");
    assert_eq!(summary["connections"], 1);
    assert_eq!(summary["frames"], 6);
    assert_eq!(summary["events"], 1);
    assert_eq!(summary["http_exchanges"], 1);
    // From the first message (0.1 s after the HAR's start) to the last (25.31 s).
    let span = summary["span_ms"].as_f64().expect("span_ms is a number");
    assert!((span - 25_210.0).abs() < 0.5, "{span}");
    assert!(
        summary["redacted"]["jwts"].as_u64().unwrap_or(0) >= 1,
        "{summary}"
    );

    let capture = std::fs::read_to_string(&out).expect("capture written");
    let lines: Vec<&str> = capture.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 6 + 1,
        "header, six frames, one HTTP exchange"
    );
    assert!(lines[0].contains(r#""type":"header""#));
    assert!(
        !capture.contains("c3ludGhldGljLXNpZ25hdHVyZQ"),
        "the JWT signature must be gone"
    );
}

#[test]
fn human_summary_names_input_output_and_redaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.jsonl");
    let assert = sio_replay()
        .args(["import", "--format", "human", "-o"])
        .arg(&out)
        .arg(fixture("session.har"))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&assert.get_output().stdout)
        .replace(&dir.path().display().to_string(), "[TMP]");
    let text = text.replace(&fixture("session.har").display().to_string(), "session.har");
    insta::assert_snapshot!(text);
}

#[test]
fn existing_output_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.jsonl");
    std::fs::write(&out, "keep me").expect("write");
    sio_replay()
        .args(["import", "-o"])
        .arg(&out)
        .arg(fixture("session.har"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "keep me");
    sio_replay()
        .args(["import", "--force", "-o"])
        .arg(&out)
        .arg(fixture("session.har"))
        .assert()
        .success();
}

#[test]
fn a_broken_har_names_the_file_and_the_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.har");
    std::fs::write(&bad, r#"{"log":{"entries":[{"startedDateTime":"x"}]}}"#).expect("write");
    let assert = sio_replay()
        .args(["import", "-o"])
        .arg(dir.path().join("out.jsonl"))
        .arg(&bad)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(stderr.starts_with("error: importing "), "{stderr}");
    assert!(stderr.contains("bad.har"), "{stderr}");
    assert!(stderr.contains("entries[0]"), "{stderr}");
}

#[test]
fn a_missing_input_names_the_file() {
    sio_replay()
        .args([
            "import",
            "-o",
            "/tmp/never-written.jsonl",
            "/nonexistent/in.har",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("reading /nonexistent/in.har"));
}
