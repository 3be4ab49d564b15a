//! `load` beyond one process: segments, report files, `load merge` and its thresholds, and
//! `--replay` of captured sessions, against the real mock (`serve`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::session::serve;
use crate::sio_replay;

/// A capture whose one session has its namespace CONNECT acknowledged at 10 ms and three
/// events 2.0, 2.1 and 2.2 s later: every client of a run gets all three inside the window,
/// whenever the window opens after it connects.
fn delayed_events_capture(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("three-events.jsonl");
    let lines = [
        r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"generated","room":"tomato.tpos.vn"}"#,
        r#"{"type":"frame","t_ms":0,"conn":1,"from":"server","kind":"text","data":"0{\"sid\":\"s\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}"}"#,
        r#"{"type":"frame","t_ms":5,"conn":1,"from":"client","kind":"text","data":"40/chatomni,{\"token\":\"[redacted]\"}"}"#,
        r#"{"type":"frame","t_ms":10,"conn":1,"from":"server","kind":"text","data":"40/chatomni,{\"sid\":\"x\"}"}"#,
        r#"{"type":"frame","t_ms":2010,"conn":1,"from":"server","kind":"text","data":"42/chatomni,[\"on-events\",\"one\"]"}"#,
        r#"{"type":"frame","t_ms":2110,"conn":1,"from":"server","kind":"text","data":"42/chatomni,[\"on-events\",\"two\"]"}"#,
        r#"{"type":"frame","t_ms":2210,"conn":1,"from":"server","kind":"text","data":"42/chatomni,[\"on-events\",\"three\"]"}"#,
    ];
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

fn json_stdout(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "one JSON report ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn four_segments_as_processes_merge_to_the_counts_of_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let capture = delayed_events_capture(dir.path());
    let (_server, banner) = serve(&[capture.to_str().unwrap()]);
    let url = banner["url"].as_str().expect("url").to_owned();
    let common = |clients: &str| {
        vec![
            "load".to_owned(),
            url.clone(),
            "--room".to_owned(),
            "tomato.tpos.vn".to_owned(),
            "--clients".to_owned(),
            clients.to_owned(),
            "--duration".to_owned(),
            "4s".to_owned(),
            "--format".to_owned(),
            "json".to_owned(),
        ]
    };
    // Four segments of 10 clients, as separate processes starting together.
    let start_at = (unix_ms() + 2500).to_string();
    let binary = assert_cmd::cargo::cargo_bin("sio-replay");
    let children: Vec<_> = (0..4)
        .map(|i| {
            let report = dir.path().join(format!("seg{i}.json"));
            let mut args = common("10");
            args.extend([
                "--segment".to_owned(),
                format!("{i}/4"),
                "--start-at".to_owned(),
                start_at.clone(),
                "--report".to_owned(),
                report.display().to_string(),
            ]);
            Command::new(&binary)
                .args(&args)
                .env_remove("SIO_TOKEN")
                .env_remove("RUST_LOG")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn a segment")
        })
        .collect();
    let mut shares = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
        shares.push(json_stdout(&output)["clients"].as_u64().unwrap());
    }
    assert_eq!(
        shares,
        vec![2, 3, 2, 3],
        "⌊10·i/4⌋ boundaries: 0, 2, 5, 7, 10"
    );
    let reports: Vec<_> = (0..4)
        .map(|i| dir.path().join(format!("seg{i}.json")))
        .collect();
    let merged = sio_replay()
        .args(["load", "merge", "--format", "json"])
        .args(&reports)
        .assert()
        .success();
    let merged = json_stdout(merged.get_output());

    // The same ten clients in one run.
    let single = sio_replay()
        .args(common("10"))
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let single = json_stdout(single.get_output());

    assert_eq!(
        merged["segments"],
        serde_json::json!(["0/4", "1/4", "2/4", "3/4"])
    );
    assert_eq!(merged["missing_segments"], serde_json::json!([]));
    for field in ["clients", "connected", "failed", "dropped", "events"] {
        assert_eq!(
            merged[field], single[field],
            "{field}: {merged} vs {single}"
        );
    }
    assert_eq!(
        merged["events"], 30,
        "3 events for each of 10 clients: {merged}"
    );
    for histogram in ["connect_ms", "emit_to_receive_ms"] {
        assert_eq!(
            merged[histogram]["count"], single[histogram]["count"],
            "{histogram}: {merged} vs {single}"
        );
    }
    assert_eq!(
        merged["emit_to_receive_ms"]["count"], 30,
        "every event stamped"
    );
}

/// Writes a report through a real run of one client against `url`.
fn one_report(url: &str, path: &Path, segment: &str) {
    sio_replay()
        .args(["load", url, "--room", "tomato.tpos.vn", "--clients", "2"])
        .args(["--duration", "1s", "--segment", segment, "--format", "json"])
        .arg("--report")
        .arg(path)
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
}

#[test]
fn merge_applies_thresholds_with_exit_1_and_refuses_bad_input_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, banner) = serve(&["--mode", "live", "--speed", "20", "--loop"]);
    let url = banner["url"].as_str().expect("url");
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    one_report(url, &a, "0/2");
    one_report(url, &b, "1/2");

    // Generous thresholds pass; the verdicts are in the report.
    let pass = sio_replay()
        .args([
            "load",
            "merge",
            "--format",
            "json",
            "--max-p99",
            "10s",
            "--min-rate",
            "1",
        ])
        .args([&a, &b])
        .assert()
        .success();
    let report = json_stdout(pass.get_output());
    assert_eq!(report["connected"], 2, "{report}");
    assert_eq!(report["thresholds"][0]["passed"], true, "{report}");
    assert_eq!(report["thresholds"][1]["threshold"], "min_rate", "{report}");

    // An impossible rate fails with 1 and says which threshold.
    sio_replay()
        .args(["load", "merge", "--format", "human", "--min-rate", "1e12"])
        .args([&a, &b])
        .assert()
        .code(1)
        .stdout(predicates::str::contains("FAIL --min-rate"));
    // So does a p99 no run can meet.
    sio_replay()
        .args(["load", "merge", "--max-p99", "1us"])
        .args([&a, &b])
        .assert()
        .code(1);

    // A missing segment is named, not an error.
    sio_replay()
        .args(["load", "merge", "--format", "human"])
        .arg(&a)
        .assert()
        .success()
        .stdout(predicates::str::contains("missing:       1/2"));

    // Bad input: exit 2, naming the file and what is wrong.
    sio_replay()
        .args(["load", "merge"])
        .args([&a, &a])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("segment 0/2 appears twice"));
    let not_a_report = dir.path().join("x.json");
    std::fs::write(&not_a_report, "{\"events\": 3}").unwrap();
    sio_replay()
        .args(["load", "merge"])
        .arg(&not_a_report)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("x.json"))
        .stderr(predicates::str::contains("not a load report"));
    sio_replay()
        .args(["load", "merge", "/nonexistent/r.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("/nonexistent/r.json"));
    sio_replay()
        .args(["load", "merge"])
        .arg(&a)
        .args(["--min-rate", "-5"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--min-rate"));

    // A report file is never overwritten by accident.
    sio_replay()
        .args(["load", url, "--room", "tomato.tpos.vn", "--report"])
        .arg(&a)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("pass --force"));
}

#[test]
fn load_with_thresholds_judges_its_own_run() {
    let (_server, banner) = serve(&["--mode", "live", "--speed", "20", "--loop"]);
    let url = banner["url"].as_str().expect("url");
    let run = |extra: &[&str]| {
        sio_replay()
            .args(["load", url, "--room", "tomato.tpos.vn", "--clients", "3"])
            .args(["--duration", "1s", "--format", "json"])
            .args(extra)
            .timeout(Duration::from_secs(30))
            .assert()
    };
    let ok = run(&["--max-p99", "10s"]).success();
    let report = json_stdout(ok.get_output());
    assert!(
        report["emit_to_receive_ms"]["count"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "the mock stamps for load: {report}"
    );
    run(&["--min-rate", "1e12"]).code(1);
    // Without stamps there is nothing to judge a p99 by: that fails too.
    let unstamped = run(&["--no-stamps", "--max-p99", "10s"]).code(1);
    let report = json_stdout(unstamped.get_output());
    assert_eq!(report["emit_to_receive_ms"]["count"], 0, "{report}");
    assert!(report["events"].as_u64().is_some_and(|n| n > 0), "{report}");
}

#[test]
fn replay_plays_each_captured_client_side_against_the_mock() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("client-side.jsonl");
    // One session on `/`: auth with a (redacted) token and a client field, a plain emit at
    // +1.0 s and an emit asking for an ack at +1.2 s.
    let lines = [
        r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"generated"}"#,
        r#"{"type":"frame","t_ms":0,"conn":1,"from":"client","kind":"text","data":"40{\"token\":\"[redacted]\",\"client\":\"web\"}"}"#,
        r#"{"type":"frame","t_ms":1000,"conn":1,"from":"client","kind":"text","data":"42[\"message\",1]"}"#,
        r#"{"type":"frame","t_ms":1200,"conn":1,"from":"client","kind":"text","data":"420[\"message-with-ack\",2]"}"#,
    ];
    std::fs::write(&capture, lines.join("\n") + "\n").unwrap();
    let (_server, banner) = serve(&["--scenario", "socketio-protocol", "--auth", "any"]);
    let url = banner["url"].as_str().expect("url");
    let assert = sio_replay()
        .args(["load", url, "--namespace", "/", "--clients", "3"])
        .args(["--duration", "3s", "--format", "json", "--replay"])
        .arg(&capture)
        .env("SIO_TOKEN", "fresh-token")
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let report = json_stdout(assert.get_output());
    assert_eq!(report["connected"], 3, "{report}");
    assert_eq!(report["replay_emits"], 6, "two emits per client: {report}");
    assert_eq!(report["acks_sent"], 3, "{report}");
    assert_eq!(
        report["acks_received"], 3,
        "the scenario acks message-with-ack: {report}"
    );
    // `message` is echoed as `message-back`: one event per client at least (the `auth`
    // event each gets on connect may fall before or after the window opens).
    let events = report["events"].as_u64().unwrap();
    assert!((3..=6).contains(&events), "{report}");

    // A capture with no client side to play is refused before any connection.
    let server_only = dir.path().join("server-only.jsonl");
    std::fs::write(
        &server_only,
        [lines[0], r#"{"type":"frame","t_ms":1,"conn":1,"from":"server","kind":"text","data":"42[\"x\"]"}"#]
            .join("\n")
            + "\n",
    )
    .unwrap();
    sio_replay()
        .args(["load", url, "--namespace", "/", "--replay"])
        .arg(&server_only)
        .env("SIO_TOKEN", "t")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("server-only.jsonl"))
        .stderr(predicates::str::contains("nothing to play"));
}
