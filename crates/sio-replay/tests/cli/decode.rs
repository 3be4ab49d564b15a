//! `decode`: frames from a capture, a HAR or stdin, in the human view and as JSON.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use crate::{fixture, sio_replay};

fn decode(args: &[&str]) -> String {
    let out = sio_replay()
        .arg("decode")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("decode prints UTF-8")
}

#[test]
fn human_view_of_frames() {
    let path = fixture("frames.txt");
    insta::assert_snapshot!(decode(&[
        path.to_str().expect("UTF-8 path"),
        "--format",
        "human"
    ]));
}

#[test]
fn json_view_of_frames() {
    let path = fixture("frames.txt");
    insta::assert_snapshot!(decode(&[
        path.to_str().expect("UTF-8 path"),
        "--format",
        "json"
    ]));
}

#[test]
fn json_objects_carry_every_field_and_error_offsets() {
    let path = fixture("frames.txt");
    let text = decode(&[path.to_str().expect("UTF-8 path"), "--format", "json"]);
    let frames: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .filter(|v: &serde_json::Value| v["record"] == "frame")
        .collect();
    assert_eq!(frames.len(), 11);
    for frame in &frames {
        for key in [
            "engine_type",
            "socket_type",
            "namespace",
            "ack_id",
            "attachments",
            "data",
            "error",
        ] {
            assert!(frame.get(key).is_some(), "{key} missing in {frame}");
        }
    }
    let event = &frames[3];
    assert_eq!(event["socket_type"], "EVENT");
    assert_eq!(event["namespace"], "/chatomni");
    assert_eq!(event["event"], "on-events");
    assert!(
        event["data"][1]
            .as_str()
            .expect("stringified payload")
            .contains("chatomni.on-message")
    );
    let ack = &frames[6];
    assert_eq!(ack["ack_id"], 17);
    let binary = &frames[8];
    assert_eq!(binary["socket_type"], "BINARY_EVENT");
    assert_eq!(binary["attachments"], 1);
    // `42/chatomni,["on-events"` ends early: at byte 24, its length.
    let truncated = &frames[9];
    assert_eq!(truncated["error"]["layer"], "socket");
    assert_eq!(truncated["error"]["kind"], "Json(UnexpectedEnd)");
    assert_eq!(truncated["error"]["offset"], 24);
    let unknown = &frames[10];
    assert_eq!(unknown["error"]["layer"], "engine");
    assert_eq!(unknown["error"]["kind"], "UnknownPacketType");
    assert_eq!(unknown["error"]["offset"], 0);
}

#[test]
fn stdin_one_frame_per_line() {
    let assert = sio_replay()
        .args(["decode", "-", "--format", "json"])
        .write_stdin("2\n42/chatomni,[\"x\",1]\n")
        .assert()
        .success();
    let text = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines[1]["engine_type"], "ping");
    assert_eq!(lines[2]["event"], "x");
}

#[test]
fn har_frames_and_direction_filter() {
    let path = fixture("session.har");
    let text = decode(&[
        path.to_str().expect("UTF-8 path"),
        "--format",
        "json",
        "--only",
        "client",
    ]);
    let frames: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .filter(|v: &serde_json::Value| v["record"] == "frame")
        .collect();
    assert_eq!(frames.len(), 2, "{text}");
    assert!(frames.iter().all(|f| f["from"] == "client"));
    assert_eq!(frames[0]["socket_type"], "CONNECT");
    assert_eq!(frames[1]["engine_type"], "pong");
}

#[test]
fn a_missing_file_names_it() {
    sio_replay()
        .args(["decode", "/nonexistent/capture.jsonl"])
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with(
            "error: reading /nonexistent/capture.jsonl",
        ));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sio-replay"))
        .args(["decode", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sio-replay");
    let mut stdin = child.stdin.take().expect("stdin");
    // Far more output than a pipe buffers, so the writer must meet the closed pipe.
    let input: String = (0..20_000)
        .map(|n| format!("42/chatomni,[\"e\",{n}]\n"))
        .collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    assert!(first.contains("header"), "{first}");
    drop(stdout);
    let output = child.wait_with_output().expect("wait");
    writer.join().expect("writer thread");
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "no error message: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
