//! Files on a developer's machine: captures cut short by a killed recorder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::session::bundled_capture;
use crate::sio_replay;

/// The bundled capture with its last line cut in the middle, as a recorder killed mid-write
/// leaves it; returns the path and how many complete lines it has.
fn torn_capture(dir: &Path) -> (PathBuf, usize) {
    let text = std::fs::read(bundled_capture()).expect("bundled capture");
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let keep = 40;
    let mut torn = lines[..keep].join(&b'\n');
    torn.push(b'\n');
    let last = lines[keep];
    torn.extend_from_slice(&last[..last.len() / 2]);
    let path = dir.join("torn.jsonl");
    std::fs::write(&path, torn).expect("write");
    (path, keep)
}

#[test]
fn serve_reads_a_capture_with_a_torn_last_line_and_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (torn, _) = torn_capture(dir.path());
    let output = sio_replay()
        .args(["serve", "--port", "0", "--format", "json"])
        .arg(&torn)
        .timeout(Duration::from_secs(2))
        .output()
        .expect("serve ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.contains("\"websocket_url\""),
        "it served: {stdout} {stderr}"
    );
    assert!(
        stderr.contains("line 41: the last line is an incomplete record"),
        "{stderr}"
    );
    assert!(stderr.contains("it was skipped"), "{stderr}");
}

#[test]
fn decode_reads_a_capture_with_a_torn_last_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (torn, complete) = torn_capture(dir.path());
    let assert = sio_replay()
        .args(["decode", "--format", "json"])
        .arg(&torn)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout);
    assert_eq!(stdout.lines().count(), complete, "every complete line");
}

#[test]
fn import_reads_a_capture_with_a_torn_last_line_and_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (torn, complete) = torn_capture(dir.path());
    let out = dir.path().join("out.jsonl");
    let assert = sio_replay()
        .args(["import", "--format", "json", "-o"])
        .arg(&out)
        .arg(&torn)
        .assert()
        .success();
    let output = assert.get_output();
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).expect("summary");
    let warnings = summary["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{summary}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 41: the last line is an incomplete record"),
        "{stderr}"
    );
    let written = std::fs::read_to_string(&out).expect("written");
    assert_eq!(written.lines().count(), complete);
}

#[test]
fn a_torn_line_in_the_middle_is_an_error_naming_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read(bundled_capture()).expect("bundled capture");
    let mut lines: Vec<Vec<u8>> = text.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let cut = lines[5].len() / 2;
    lines[5].truncate(cut);
    let path = dir.path().join("middle.jsonl");
    std::fs::write(&path, lines.join(&b'\n')).expect("write");
    for args in [&["decode"][..], &["serve", "--port", "0"]] {
        let command = args[0];
        let output = sio_replay()
            .args(args)
            .arg(&path)
            .timeout(Duration::from_secs(5))
            .output()
            .expect("ran");
        assert_eq!(output.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(":6: ") || stderr.contains("line 6: "),
            "{command}: {stderr}"
        );
    }
}
