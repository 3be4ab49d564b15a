//! Files on a developer's machine: captures cut short by a killed recorder, output paths that
//! are symbolic links, and the permissions of captures that keep their tokens.

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
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(
        stderr.contains("line 41: the last line is an incomplete record"),
        "{stderr}"
    );
}

#[test]
fn check_offline_reads_a_capture_with_a_torn_last_line_and_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (torn, _) = torn_capture(dir.path());
    let golden = dir.path().join("torn.snap");
    let junit = dir.path().join("junit.xml");
    let assert = sio_replay()
        .args(["check", "--accept", "--offline"])
        .arg(&torn)
        .arg("--golden")
        .arg(&golden)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(
        stderr.contains("line 41: the last line is an incomplete record"),
        "{stderr}"
    );
    assert!(golden.exists() && junit.exists());
    // The JUnit report is never written through a symbolic link.
    let target = dir.path().join("elsewhere.xml");
    std::fs::write(&target, "untouched").expect("write");
    std::fs::remove_file(&junit).expect("remove");
    std::os::unix::fs::symlink(&target, &junit).expect("symlink");
    sio_replay()
        .args(["check", "--offline"])
        .arg(&torn)
        .arg("--golden")
        .arg(&golden)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("symbolic link"));
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "untouched");
}

#[test]
fn decode_shows_control_characters_a_peer_sent_as_escapes() {
    // A frame that would retitle the window, clear the screen and colour the rest red.
    let frame = "42[\"x\",\"\u{1b}]0;owned\u{7}\u{1b}[2J\u{1b}[31mred\"]\n";
    let assert = sio_replay()
        .args(["decode", "-", "--format", "human"])
        .write_stdin(frame)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred"),
        "{stdout}"
    );
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

/// A symbolic link planted at an output path, and the file it points to.
#[cfg(unix)]
fn planted_link(dir: &Path) -> (PathBuf, PathBuf) {
    let target = dir.join("precious.txt");
    std::fs::write(&target, "precious").expect("write");
    let link = dir.join("out.jsonl");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    (link, target)
}

#[cfg(unix)]
#[test]
fn import_refuses_a_symlinked_output_even_with_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (link, target) = planted_link(dir.path());
    for force in [false, true] {
        let mut cmd = sio_replay();
        cmd.arg("import");
        if force {
            cmd.arg("--force");
        }
        cmd.arg("-o")
            .arg(&link)
            .arg(crate::fixture("session.har"))
            .assert()
            .code(2)
            .stderr(predicates::str::contains("is a symbolic link"));
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious");
    }
    // A link pointing nowhere is refused too, and nothing is created where it points.
    let dangling = dir.path().join("dangling.jsonl");
    let nowhere = dir.path().join("nowhere.jsonl");
    std::os::unix::fs::symlink(&nowhere, &dangling).expect("symlink");
    sio_replay()
        .args(["import", "-o"])
        .arg(&dangling)
        .arg(crate::fixture("session.har"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a symbolic link"));
    assert!(!nowhere.exists());
}

#[cfg(unix)]
#[test]
fn record_refuses_a_symlinked_output_before_dialling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (link, target) = planted_link(dir.path());
    sio_replay()
        .args(["record", "ws://127.0.0.1:9", "--force", "-o"])
        .arg(&link)
        .timeout(Duration::from_secs(10))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("-o/--output"))
        .stderr(predicates::str::contains("is a symbolic link"));
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious");
}

#[cfg(unix)]
#[test]
fn serve_tls_refuses_a_symlinked_ca_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (link, target) = planted_link(dir.path());
    sio_replay()
        .args(["serve", "--port", "0", "--tls", "--ca-out"])
        .arg(&link)
        .timeout(Duration::from_secs(10))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--ca-out"))
        .stderr(predicates::str::contains("is a symbolic link"));
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[test]
fn an_unredacted_import_is_private_even_over_an_existing_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = dir.path().join("fresh.jsonl");
    let existing = dir.path().join("existing.jsonl");
    std::fs::write(&existing, "old").expect("write");
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    for (out, force) in [(&fresh, false), (&existing, true)] {
        let mut cmd = sio_replay();
        cmd.args(["import", "--no-redact"]);
        if force {
            cmd.arg("--force");
        }
        cmd.arg("-o")
            .arg(out)
            .arg(crate::fixture("session.har"))
            .assert()
            .success();
        assert_eq!(mode(out), 0o600, "{}", out.display());
    }
}

#[cfg(unix)]
#[test]
fn an_unredacted_recording_is_private() {
    let (_server, banner) = crate::session::serve(&["--speed", "0"]);
    let url = banner["url"].as_str().expect("url").to_owned();
    let token = banner["token"].as_str().expect("token").to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("rec.jsonl");
    sio_replay()
        .args(["record", &url, "--room", "tomato.tpos.vn", "--events", "3"])
        .args(["--no-redact", "-o"])
        .arg(&out)
        .env("SIO_TOKEN", &token)
        .timeout(Duration::from_secs(20))
        .assert()
        .success();
    assert_eq!(mode(&out), 0o600);
    let capture = std::fs::read_to_string(&out).expect("capture");
    assert!(capture.contains(&token), "--no-redact keeps the token");
}

/// A capture's header is whatever its writer put there: the banner shows control characters
/// in it as escapes instead of letting the terminal obey them.
#[test]
fn serve_banner_escapes_control_characters_from_the_capture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hostile.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"x","room":"t\u001b]0;owned\u0007\u001b[2J"}"#,
            "\n"
        ),
    )
    .expect("write");
    let output = sio_replay()
        .args(["serve", "--port", "0", "--format", "human"])
        .arg(&path)
        .timeout(Duration::from_secs(2))
        .output()
        .expect("serve ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("room:      t\\x1b]0;owned\\x07\\x1b[2J"),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
}
