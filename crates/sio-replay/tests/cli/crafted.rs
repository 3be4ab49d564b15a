//! Crafted inputs never panic: timestamps at the edges of what JSON numbers hold, replay speeds
//! at the edges of what an `f64` holds, and durations longer than an instant can reach.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::raw_ws::{LoggedServer, RawWebSocket};
use crate::sio_replay;

const HEADER: &str = r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"test","room":"tomato.tpos.vn"}"#;

fn frame(t_ms: &str, from: &str, data: &str) -> String {
    serde_json::json!({"type": "frame", "t_ms": 0, "conn": 1, "from": from, "kind": "text", "data": data})
        .to_string()
        .replace(r#""t_ms":0"#, &format!(r#""t_ms":{t_ms}"#))
}

/// A capture whose connect acknowledgement (the replay's origin) and events sit at extreme
/// times: the events come at once, after 9e18 ms, or "never".
fn extreme_capture(dir: &Path) -> PathBuf {
    let lines = [
        HEADER.to_owned(),
        frame(
            "-9e18",
            "server",
            r#"0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":60000,"maxPayload":1000000}"#,
        ),
        frame("-9e18", "client", r#"40/chatomni,{"token":"x"}"#),
        frame("-9e18", "server", r#"40/chatomni,{"sid":"b"}"#),
        frame("-1.7e308", "server", r#"42/chatomni,["on-events","first"]"#),
        frame("-9e18", "server", r#"42/chatomni,["on-events","second"]"#),
        frame("9e18", "server", r#"42/chatomni,["on-events","third"]"#),
        frame("1.7e308", "server", r#"42/chatomni,["on-events","fourth"]"#),
    ];
    let path = dir.join("extreme.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    path
}

/// Joins `/chatomni` on the mock and reads up to `n` events (stops early at a silence).
fn read_events(banner: &serde_json::Value, n: usize) -> Vec<String> {
    let addr = LoggedServer::addr(banner);
    let room = banner["room"].as_str().expect("room");
    let (mut socket, answer) =
        RawWebSocket::join_chatomni(&addr, room, r#"{"token":"x"}"#).expect("join");
    assert!(answer.starts_with("40/chatomni,"), "{answer}");
    let mut events = Vec::new();
    while events.len() < n {
        match socket.recv_text() {
            Ok(Some(text)) => events.push(text),
            _ => break,
        }
    }
    events
}

fn assert_no_panic(stderr: &str) {
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn serve_replays_a_capture_with_extreme_timestamps_at_any_speed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = extreme_capture(dir.path());
    let capture = capture.to_str().expect("utf-8 path");
    // (speed, extra flags, the events that come without waiting)
    let cases: [(&str, &[&str], usize); 6] = [
        ("1", &[], 2),
        ("0", &[], 4),
        ("1e300", &[], 4),
        ("1e-300", &[], 2),
        ("1e300", &["--loop"], 40),
        ("1e300", &["--loop", "--mode", "live"], 40),
    ];
    for (speed, extra, expected) in cases {
        let mut args = vec![capture, "--auth", "any", "--speed", speed];
        args.extend_from_slice(extra);
        let (mut server, banner) = LoggedServer::start(&args, &[]);
        std::thread::sleep(Duration::from_millis(50));
        let events = if expected == 2 {
            // The rest is "never": read with a short patience.
            read_until_quiet(&banner)
        } else {
            read_events(&banner, expected)
        };
        assert!(
            events.len() >= expected,
            "--speed {speed} {extra:?}: {events:?}"
        );
        assert!(server.is_running(), "--speed {speed} {extra:?}");
        // A second client after the first: the server still answers.
        let again = if expected == 2 {
            read_until_quiet(&banner)
        } else {
            read_events(&banner, 1)
        };
        assert!(!again.is_empty(), "--speed {speed} {extra:?}");
        assert_no_panic(&server.stop());
    }
}

/// Events that arrive within half a second of joining.
fn read_until_quiet(banner: &serde_json::Value) -> Vec<String> {
    let addr = LoggedServer::addr(banner);
    let (socket, _) = RawWebSocket::join_chatomni(&addr, "tomato.tpos.vn", "{}").expect("join");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut socket = socket;
        while let Ok(Some(text)) = socket.recv_text() {
            if sender.send(text).is_err() {
                break;
            }
        }
    });
    let mut events = Vec::new();
    while let Ok(text) = receiver.recv_timeout(Duration::from_millis(500)) {
        events.push(text);
    }
    events
}

#[test]
fn speeds_that_are_not_finite_are_refused_naming_the_flag() {
    for speed in ["inf", "-inf", "NaN", "1e400"] {
        let output = sio_replay()
            .args(["serve", "--port", "0", &format!("--speed={speed}")])
            .timeout(Duration::from_secs(5))
            .output()
            .expect("ran");
        assert_eq!(output.status.code(), Some(2), "{speed}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--speed"), "{speed}: {stderr}");
        assert!(stderr.contains("finite"), "{speed}: {stderr}");
        assert_no_panic(&stderr);
    }
    // A negative factor, written as a plain argument, is refused by the same check.
    let output = sio_replay()
        .args(["serve", "--port", "0", "--speed", "-1"])
        .timeout(Duration::from_secs(5))
        .output()
        .expect("ran");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--speed -1: must be a finite number")
    );
}

#[test]
fn decode_and_import_take_extreme_timestamps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = extreme_capture(dir.path());
    let assert = sio_replay()
        .args(["decode", "--format", "json"])
        .arg(&capture)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout);
    assert!(stdout.contains(r#""t_ms":1.7e+308"#), "{stdout}");
    sio_replay()
        .args(["decode", "--format", "human"])
        .arg(&capture)
        .assert()
        .success();
    let out = dir.path().join("out.jsonl");
    sio_replay()
        .args(["import", "-o"])
        .arg(&out)
        .arg(&capture)
        .assert()
        .success();
}

/// A HAR whose second message is at `time` epoch seconds.
fn har(time: &str) -> String {
    format!(
        r#"{{"log":{{"version":"1.2","entries":[{{"startedDateTime":"2026-01-07T13:30:45.000Z","request":{{"method":"GET","url":"wss://h/socket.io/?EIO=4&transport=websocket&room=tomato.tpos.vn"}},"response":{{"status":101}},"_webSocketMessages":[{{"type":"receive","time":1767792645.1,"opcode":1,"data":"40/chatomni,{{\"sid\":\"b\"}}"}},{{"type":"receive","time":1767792645.2,"opcode":1,"data":"42/chatomni,[\"on-events\",\"now\"]"}},{{"type":"receive","time":{time},"opcode":1,"data":"42/chatomni,[\"on-events\",\"later\"]"}}]}}]}}}}"#
    )
}

#[test]
fn a_har_with_extreme_message_times_is_imported_served_or_refused_without_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    for time in ["9e18", "1.7e305"] {
        let path = dir.path().join(format!("t{time}.har"));
        std::fs::write(&path, har(time)).expect("write");
        let out = dir.path().join(format!("t{time}.jsonl"));
        sio_replay()
            .args(["import", "-o"])
            .arg(&out)
            .arg(&path)
            .assert()
            .success();
        sio_replay().arg("decode").arg(&out).assert().success();
        let (mut server, banner) =
            LoggedServer::start(&[path.to_str().expect("utf-8"), "--auth", "any"], &[]);
        let events = read_events(&banner, 1);
        assert_eq!(events.len(), 1, "{time}: {events:?}");
        assert_no_panic(&server.stop());
    }
    for time in ["-9e18", "1.7e308"] {
        let path = dir.path().join(format!("bad{time}.har"));
        std::fs::write(&path, har(time)).expect("write");
        for args in [&["decode"][..], &["serve", "--port", "0"]] {
            let command = args[0];
            let output = sio_replay()
                .args(args)
                .arg(&path)
                .timeout(Duration::from_secs(5))
                .output()
                .expect("ran");
            assert_eq!(output.status.code(), Some(2), "{command} {time}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains("_webSocketMessages[2].time"),
                "{command} {time}: {stderr}"
            );
            assert_no_panic(&stderr);
        }
    }
}

#[test]
fn durations_beyond_what_an_instant_holds_are_refused_naming_the_flag() {
    let cases: [&[&str]; 4] = [
        &[
            "record",
            "ws://127.0.0.1:9",
            "-o",
            "never.jsonl",
            "--duration",
            "500000000000y",
        ],
        &[
            "check",
            "--url",
            "ws://127.0.0.1:9",
            "--golden",
            "g.snap",
            "--duration",
            "500000000000y",
        ],
        &["load", "ws://127.0.0.1:9", "--duration", "500000000000y"],
        &[
            "load",
            "ws://127.0.0.1:9",
            "--connect-timeout",
            "500000000000y",
        ],
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for args in cases {
        let output = sio_replay()
            .args(args)
            .current_dir(dir.path())
            .timeout(Duration::from_secs(10))
            .output()
            .expect("ran");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let flag = args[args.len() - 2];
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert!(stderr.contains("100 years"), "{args:?}: {stderr}");
        assert_no_panic(&stderr);
    }
}

/// An event larger than a client's whole send queue (4 MiB) is announced when serving starts,
/// dropped when its turn comes, and the replay goes on.
#[test]
fn an_event_larger_than_the_send_queue_is_announced_and_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let huge = format!(r#"42/chatomni,["on-events","{}"]"#, "x".repeat(5 << 20));
    let lines = [
        HEADER.to_owned(),
        frame("0", "server", r#"40/chatomni,{"sid":"b"}"#),
        frame("1", "server", r#"42/chatomni,["on-events","before"]"#),
        frame("2", "server", &huge),
        frame("3", "server", r#"42/chatomni,["on-events","after"]"#),
    ];
    let path = dir.path().join("huge.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    let (mut server, banner) =
        LoggedServer::start(&[path.to_str().expect("utf-8"), "--auth", "any"], &[]);
    let events = read_events(&banner, 2);
    assert_eq!(
        events,
        [
            r#"42/chatomni,["on-events","before"]"#,
            r#"42/chatomni,["on-events","after"]"#
        ]
    );
    let stderr = server.stop();
    assert!(
        stderr.contains("1 of its events are larger than a client's send queue"),
        "{stderr}"
    );
    assert_no_panic(&stderr);
}

/// A binary event with `attachments` attachments to the `socketio-protocol` scenario's main
/// namespace, which echoes `message` back: the answer, or `None` when the server closed.
fn send_binary_message(banner: &serde_json::Value, attachments: usize) -> Option<String> {
    let addr = LoggedServer::addr(banner);
    let mut socket =
        RawWebSocket::connect(&addr, "/socket.io/?EIO=4&transport=websocket").expect("connect");
    assert!(
        socket
            .recv_text()
            .expect("open")
            .expect("open")
            .starts_with('0')
    );
    socket.send_text("40").expect("send");
    assert!(
        socket
            .recv_text()
            .expect("sid")
            .expect("sid")
            .starts_with("40{")
    );
    let placeholders: Vec<String> = (0..attachments)
        .map(|n| format!(r#"{{"_placeholder":true,"num":{n}}}"#))
        .collect();
    socket
        .send_text(&format!(
            r#"45{attachments}-["message",{}]"#,
            placeholders.join(",")
        ))
        .expect("send");
    for n in 0..attachments {
        // Once the server has closed, a write may fail: that is the answer too.
        if socket.send_binary(&[n as u8]).is_err() {
            return None;
        }
    }
    loop {
        match socket.recv_text() {
            Ok(Some(text)) if text.starts_with("42[\"auth\"") => continue,
            Ok(Some(text)) => return Some(text),
            _ => return None,
        }
    }
}

/// socket.io-parser refuses a binary packet announcing more than 10 attachments; so does the
/// mock (the session closes), and it still takes 10.
#[test]
fn serve_refuses_more_than_ten_attachments_as_socket_io_does() {
    let (mut server, banner) = LoggedServer::start(&["--scenario", "socketio-protocol"], &[]);
    let echo = send_binary_message(&banner, 10).expect("10 attachments are echoed");
    assert!(echo.starts_with(r#"4510-["message-back","#), "{echo}");
    assert_eq!(send_binary_message(&banner, 11), None);
    assert_no_panic(&server.stop());
}
