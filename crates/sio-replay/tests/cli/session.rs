//! End to end with real processes on 127.0.0.1: `serve` (the mock), `record`, `check` and
//! `load`, and a real Node socket.io v4 server standing in for the live rt-2.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::sio_replay;

/// The bundled capture.
pub(crate) fn bundled_capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../captures/rt2-chatomni.jsonl")
}

/// A child process that is interrupted (SIGINT) and reaped when dropped.
pub(crate) struct Running {
    child: Child,
    pub(crate) stdout: BufReader<ChildStdout>,
}

impl Running {
    /// The next line the process writes to stdout, without its newline.
    pub(crate) fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("a line on stdout");
        line.trim_end().to_owned()
    }

    /// The next line the process writes to stdout, as JSON; `None` at the end of its output.
    pub(crate) fn json_line(&mut self) -> Option<serde_json::Value> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line).expect("read stdout") == 0 {
            return None;
        }
        Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
    }

    /// Sends SIGINT (what Ctrl-C sends).
    pub(crate) fn interrupt(&self) {
        // The process may have exited already; `kill` then has nothing useful to say.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
    }

    /// Waits for the process to exit (at most `limit`), returning its exit code.
    pub(crate) fn wait(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        self.interrupt();
        if self.wait(Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Running {
    /// Spawns `command` with stdin closed, stdout piped and stderr inherited.
    pub(crate) fn from_command(mut command: Command) -> Running {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().expect("spawn");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Running { child, stdout }
    }
}

pub(crate) fn spawn(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    command
        .env_remove("RUST_LOG")
        .env_remove("SIO_TOKEN")
        .env_remove("SIO_ADMIN_TOKEN");
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    Running { child, stdout }
}

/// `sio-replay serve --port 0 --format json` with `extra` flags; returns the process and its
/// banner.
pub(crate) fn serve(extra: &[&str]) -> (Running, serde_json::Value) {
    serve_with_env(extra, &[])
}

/// [`serve`] with environment variables set.
pub(crate) fn serve_with_env(extra: &[&str], env: &[(&str, &str)]) -> (Running, serde_json::Value) {
    let mut args = vec!["serve", "--port", "0", "--format", "json"];
    args.extend_from_slice(extra);
    let mut server = spawn(&assert_cmd::cargo::cargo_bin("sio-replay"), &args, env);
    let mut line = String::new();
    server.stdout.read_line(&mut line).expect("banner line");
    let banner: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("banner {line:?}: {e}"));
    (server, banner)
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("capture written")
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("invalid line {line:?}: {e}"))
        })
        .collect()
}

#[test]
fn serve_prints_a_banner_with_a_token_that_record_can_use() {
    let (_server, banner) = serve(&["--speed", "0"]);
    assert_eq!(banner["room"], "tomato.tpos.vn");
    assert_eq!(banner["auth"], "claims");
    assert_eq!(banner["events"], 280);
    let url = banner["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let token = banner["token"].as_str().expect("token");

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("rec.jsonl");
    let assert = sio_replay()
        .args([
            "record",
            &url,
            "--room",
            "tomato.tpos.vn",
            "--events",
            "20",
            "--format",
            "json",
            "-o",
        ])
        .arg(&out)
        .env("SIO_TOKEN", token)
        .timeout(Duration::from_secs(20))
        .assert()
        .success();
    let summary: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("summary");
    assert_eq!(summary["events"], 20);
    assert_eq!(summary["stopped_by"], "events");
    assert_eq!(summary["redacted"]["jwts"], 1);

    let records = lines(&out);
    assert_eq!(records[0]["type"], "header");
    assert_eq!(
        records.len() as u64,
        summary["frames"].as_u64().expect("frames") + 1
    );
    let events = records
        .iter()
        .filter(|r| {
            r["data"]
                .as_str()
                .is_some_and(|d| d.starts_with("42/chatomni,"))
        })
        .count();
    assert_eq!(events, 20);
    let capture = std::fs::read_to_string(&out).expect("capture");
    assert!(
        !capture.contains(token),
        "the token must not reach the file"
    );
}

#[test]
fn record_with_a_bad_token_is_refused_with_the_servers_message() {
    let (_server, banner) = serve(&[]);
    let url = banner["url"].as_str().expect("url");
    let dir = tempfile::tempdir().expect("tempdir");
    sio_replay()
        .args([
            "record",
            url,
            "--room",
            "tomato.tpos.vn",
            "--token-env",
            "MY_TOKEN",
            "-o",
        ])
        .arg(dir.path().join("r.jsonl"))
        .env("MY_TOKEN", "not.a.jwt")
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("refused"))
        .stderr(predicates::str::contains("/chatomni"));
}

#[test]
fn token_env_that_is_not_set_names_the_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    sio_replay()
        .args([
            "record",
            "ws://127.0.0.1:9",
            "--token-env",
            "SIO_REPLAY_TEST_UNSET",
            "-o",
        ])
        .arg(dir.path().join("r.jsonl"))
        .env_remove("SIO_REPLAY_TEST_UNSET")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--token-env SIO_REPLAY_TEST_UNSET",
        ));
}

#[test]
fn sigint_during_record_leaves_a_valid_capture_with_every_frame() {
    // 50x speed: the 280 events of ten minutes flow over about twelve seconds.
    let (_server, banner) = serve(&["--speed", "50"]);
    let url = banner["url"].as_str().expect("url").to_owned();
    let token = banner["token"].as_str().expect("token").to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("rec.jsonl");
    let out_arg = out.to_str().expect("UTF-8 path").to_owned();
    let mut recorder = spawn(
        &assert_cmd::cargo::cargo_bin("sio-replay"),
        &[
            "record",
            &url,
            "--room",
            "tomato.tpos.vn",
            "--format",
            "json",
            "-o",
            &out_arg,
        ],
        &[("SIO_TOKEN", &token)],
    );
    // Wait until some events have been written, then interrupt mid-stream.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.matches("42/chatomni,").count() >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no events recorded in time:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    recorder.interrupt();
    assert_eq!(
        recorder.wait(Duration::from_secs(10)),
        Some(0),
        "record exits 0 on SIGINT"
    );
    let mut summary = String::new();
    recorder
        .stdout
        .read_line(&mut summary)
        .expect("summary line");
    let summary: serde_json::Value = serde_json::from_str(&summary).expect("summary JSON");
    assert_eq!(summary["stopped_by"], "signal");

    let text = std::fs::read_to_string(&out).expect("capture");
    assert!(text.ends_with('\n'), "the last line is complete");
    let records = lines(&out);
    assert_eq!(
        records.len() as u64,
        summary["frames"].as_u64().expect("frames") + 1,
        "every frame received is in the file"
    );
    // And the capture reads back as a capture: decode accepts it.
    sio_replay()
        .args(["decode", "--format", "json"])
        .arg(&out)
        .assert()
        .success();
}

/// A session against the mock ends once every event of its capture arrived (0.3 s here); its
/// --duration only caps a stall. The default 10 s was reached once on a loaded 2-core CI
/// machine running Chromium tests beside it, which cut the transcript short.
const SLOW_MACHINE_DURATION: [&str; 2] = ["--duration", "60s"];

#[test]
fn check_passes_on_an_unchanged_session_and_fails_with_a_diff_on_an_altered_capture() {
    let dir = tempfile::tempdir().expect("tempdir");
    let golden = dir.path().join("session.snap");
    let capture = bundled_capture();
    sio_replay()
        .args(["check", "--serve"])
        .arg(&capture)
        .arg("--golden")
        .arg(&golden)
        .arg("--accept")
        .args(SLOW_MACHINE_DURATION)
        .timeout(Duration::from_secs(90))
        .assert()
        .success();
    let written = std::fs::read_to_string(&golden).expect("golden written");
    assert!(
        written.starts_with("---\nsource: "),
        "insta header: {written:.80}"
    );
    assert_eq!(
        written.matches("\"on-events\"").count(),
        280 * 2,
        "every event, name and argument"
    );

    // Unchanged: a match, exit 0, nothing pending.
    sio_replay()
        .args(["check", "--format", "json", "--serve"])
        .arg(&capture)
        .arg("--golden")
        .arg(&golden)
        .args(SLOW_MACHINE_DURATION)
        .timeout(Duration::from_secs(90))
        .assert()
        .success()
        .stdout(predicates::str::contains(r#""status":"match""#));
    assert!(!dir.path().join("session.snap.new").exists());

    // Altered: one message text changed in the served capture.
    let original = std::fs::read_to_string(&capture).expect("bundled capture");
    let altered = original.replacen(
        r#"\\\"Message\\\":\\\"Nu\\\""#,
        r#"\\\"Message\\\":\\\"Nu?\\\""#,
        1,
    );
    assert_ne!(altered, original, "the alteration applies");
    let altered_path = dir.path().join("altered.jsonl");
    std::fs::write(&altered_path, altered).expect("write altered capture");
    let junit = dir.path().join("junit.xml");
    let assert = sio_replay()
        .args(["check", "--format", "human", "--serve"])
        .arg(&altered_path)
        .arg("--golden")
        .arg(&golden)
        .arg("--junit")
        .arg(&junit)
        .args(SLOW_MACHINE_DURATION)
        .timeout(Duration::from_secs(90))
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("mismatch"), "{stdout}");
    assert!(
        stdout.contains("-          \"Message\": \"Nu\","),
        "{stdout}"
    );
    assert!(
        stdout.contains("+          \"Message\": \"Nu?\","),
        "{stdout}"
    );
    let pending = dir.path().join("session.snap.new");
    assert!(pending.exists(), "a .snap.new for cargo insta review");
    let junit = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        junit.contains("failures=\"1\"") && junit.contains("<failure"),
        "{junit}"
    );

    // Accept the new run, then it checks clean.
    sio_replay()
        .args(["check", "--accept", "--serve"])
        .arg(&altered_path)
        .arg("--golden")
        .arg(&golden)
        .args(SLOW_MACHINE_DURATION)
        .timeout(Duration::from_secs(90))
        .assert()
        .success();
    assert!(!pending.exists(), "accepting removes the pending snapshot");
    sio_replay()
        .args(["check", "--serve"])
        .arg(&altered_path)
        .arg("--golden")
        .arg(&golden)
        .args(SLOW_MACHINE_DURATION)
        .timeout(Duration::from_secs(90))
        .assert()
        .success();
}

#[test]
fn check_says_when_its_duration_cut_the_mocks_replay_short_and_accepts_no_such_golden() {
    let dir = tempfile::tempdir().expect("tempdir");
    let assert = sio_replay()
        .args(["check", "--serve"])
        .arg(bundled_capture())
        .arg("--golden")
        .arg(dir.path().join("short.snap"))
        .args(["--duration", "1ms"])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("stopped at --duration 1ms after ")
            && stderr.contains(" of the 280 events the mock replays: the transcript is incomplete"),
        "{stderr}"
    );

    // Accepting a cut-short run as the golden is refused, and nothing is written.
    let golden = dir.path().join("never.snap");
    let assert = sio_replay()
        .args(["check", "--accept", "--serve"])
        .arg(bundled_capture())
        .arg("--golden")
        .arg(&golden)
        .args(["--duration", "1ms"])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("--duration 1ms: the session received ")
            && stderr.contains("not accepted as the golden (raise --duration)"),
        "{stderr}"
    );
    assert!(!golden.exists(), "no golden from an incomplete run");
}

#[test]
fn check_offline_compares_a_capture_without_a_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let golden = dir.path().join("offline.snap");
    let capture = bundled_capture();
    // No golden yet: exit 1 and a pending snapshot.
    sio_replay()
        .args(["check", "--offline"])
        .arg(&capture)
        .arg("--golden")
        .arg(&golden)
        .assert()
        .code(1);
    let pending = dir.path().join("offline.snap.new");
    assert!(pending.exists());
    // INSTA_UPDATE=no (what CI sets) writes nothing.
    std::fs::remove_file(&pending).expect("remove");
    sio_replay()
        .args(["check", "--offline"])
        .arg(&capture)
        .arg("--golden")
        .arg(&golden)
        .env("INSTA_UPDATE", "no")
        .assert()
        .code(1);
    assert!(!pending.exists());
    // Accept with insta's file name convention (`mv x.snap.new x.snap`, as `cargo insta
    // accept` does), then check.
    sio_replay()
        .args(["check", "--offline"])
        .arg(&capture)
        .arg("--golden")
        .arg(&golden)
        .assert()
        .code(1);
    std::fs::rename(&pending, &golden).expect("accept");
    sio_replay()
        .args(["check", "--offline"])
        .arg(&capture)
        .arg("--golden")
        .arg(&golden)
        .assert()
        .success();
}

/// `INSTA_UPDATE` is read as insta reads it; a value insta does not define is an error (exit 2)
/// before anything runs, rather than a silent default.
#[test]
fn check_refuses_an_insta_update_value_insta_does_not_define() {
    let dir = tempfile::tempdir().expect("tempdir");
    let golden = dir.path().join("offline.snap");
    sio_replay()
        .args(["check", "--offline"])
        .arg(bundled_capture())
        .arg("--golden")
        .arg(&golden)
        .env("INSTA_UPDATE", "yes")
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "INSTA_UPDATE=\"yes\" is not one of insta's values",
        ));
    assert!(!golden.exists() && !dir.path().join("offline.snap.new").exists());
    // `unseen` writes a golden that does not exist yet, as insta does.
    sio_replay()
        .args(["check", "--offline"])
        .arg(bundled_capture())
        .arg("--golden")
        .arg(&golden)
        .env("INSTA_UPDATE", "unseen")
        .assert()
        .success();
    assert!(golden.exists());
}

/// `check --offline` and `check --serve` take a HAR file as they take the capture `import`
/// makes of it: the transcripts are the same, and the HAR's token never reaches the golden.
#[test]
fn check_takes_a_har_file_as_it_takes_its_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let har = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../captures/sample-chrome.har");
    let imported = dir.path().join("imported.jsonl");
    sio_replay()
        .arg("import")
        .arg(&har)
        .arg("-o")
        .arg(&imported)
        .assert()
        .success();
    for mode in ["--offline", "--serve"] {
        let golden = dir.path().join(format!("{}.snap", &mode[2..]));
        sio_replay()
            .args(["check", "--accept", mode])
            .arg(&har)
            .arg("--golden")
            .arg(&golden)
            .assert()
            .success();
        let text = std::fs::read_to_string(&golden).expect("golden written");
        assert!(text.contains("on-events"), "{text}");
        assert!(!text.contains("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJDbGllbnRJZCI6InRtdFdlYkFwcCIsIlRlbmFudElkIjoidG9tYXRvLnRwb3Mudm4iLCJVc2VySWQiOiI4YTFi"));
        sio_replay()
            .args(["check", mode])
            .arg(&imported)
            .arg("--golden")
            .arg(&golden)
            .assert()
            .success();
    }
    let truncated = dir.path().join("cut.har");
    let bytes = std::fs::read(&har).expect("read HAR");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    sio_replay()
        .args(["check", "--offline"])
        .arg(&truncated)
        .arg("--golden")
        .arg(dir.path().join("never.snap"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cut.har"))
        .stderr(predicates::str::contains("line "));
}

#[test]
fn check_errors_exit_2_and_name_the_file() {
    sio_replay()
        .args([
            "check",
            "--offline",
            "/nonexistent/c.jsonl",
            "--golden",
            "/tmp/never.snap",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("/nonexistent/c.jsonl"));
}

#[test]
fn load_reports_every_client_connected_and_events_received() {
    let (_server, banner) = serve(&["--speed", "0", "--loop", "--auth", "any"]);
    let url = banner["url"].as_str().expect("url");
    let assert = sio_replay()
        .args([
            "load",
            url,
            "--room",
            "tomato.tpos.vn",
            "--clients",
            "8",
            "--duration",
            "1s",
            "--format",
            "json",
        ])
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("one JSON report");
    assert_eq!(report["clients"], 8);
    assert_eq!(report["connected"], 8);
    assert_eq!(report["failed"], 0);
    assert!(report["events"].as_u64().is_some_and(|n| n > 0), "{report}");
    assert!(
        report["events_per_sec"].as_f64().is_some_and(|n| n > 0.0),
        "{report}"
    );
    assert_eq!(report["connect_ms"]["count"], 8);
}

#[test]
fn record_from_a_real_node_socket_io_server() {
    let (_node, url) = node_server("7");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("node.jsonl");
    let assert = sio_replay()
        .args([
            "record",
            &url,
            "--room",
            "tomato.tpos.vn",
            "--events",
            "7",
            "--format",
            "json",
            "-o",
        ])
        .arg(&out)
        .env("SIO_TOKEN", "synthetic-token")
        .timeout(Duration::from_secs(20))
        .assert()
        .success();
    let summary: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("summary");
    assert_eq!(summary["events"], 7);
    let records = lines(&out);
    let data: Vec<&str> = records.iter().filter_map(|r| r["data"].as_str()).collect();
    assert!(
        data[0].starts_with("0{\"sid\":"),
        "Engine.IO open first: {data:?}"
    );
    assert!(data[1].starts_with("40/chatomni,{\"token\":"), "{data:?}");
    assert!(data[2].starts_with("40/chatomni,{\"sid\":"), "{data:?}");
    assert_eq!(
        data.iter()
            .filter(|d| d.starts_with("42/chatomni,[\"on-events\""))
            .count(),
        7
    );

    // And without a token the real server's middleware refuses us.
    sio_replay()
        .args(["record", &url, "--room", "tomato.tpos.vn", "-o"])
        .arg(dir.path().join("refused.jsonl"))
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no token"));
}

#[test]
fn record_over_wss_from_serve_tls_trusting_its_ca() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    let ca_arg = ca.to_str().expect("UTF-8 path").to_owned();
    let (_server, banner) = serve(&["--tls", "--ca-out", &ca_arg, "--speed", "0"]);
    let url = banner["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert!(
        banner["websocket_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("wss://"))
    );
    assert!(
        std::fs::read_to_string(&ca)
            .expect("CA written")
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let token = banner["token"].as_str().expect("token");
    let wss = url.replacen("https://", "wss://", 1);

    // Without the CA the certificate is refused, with advice.
    sio_replay()
        .args([
            "record",
            &wss,
            "--room",
            "tomato.tpos.vn",
            "--events",
            "3",
            "-o",
        ])
        .arg(dir.path().join("untrusted.jsonl"))
        .env("SIO_TOKEN", token)
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--ca"));

    let out = dir.path().join("wss.jsonl");
    let assert = sio_replay()
        .args([
            "record",
            &wss,
            "--room",
            "tomato.tpos.vn",
            "--events",
            "3",
            "--format",
            "json",
            "--ca",
            &ca_arg,
            "-o",
        ])
        .arg(&out)
        .env("SIO_TOKEN", token)
        .timeout(Duration::from_secs(20))
        .assert()
        .success();
    let summary: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("summary");
    assert_eq!(summary["events"], 3);
    let records = lines(&out);
    assert!(
        records[0]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("wss://127.0.0.1:"))
    );
}

#[test]
fn record_refuses_to_overwrite_a_capture_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("keep.jsonl");
    std::fs::write(&out, "precious").expect("write");
    sio_replay()
        .args(["record", "ws://127.0.0.1:9", "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "precious");
}

#[test]
fn record_http_get_records_the_live_video_exchange_with_the_bearer_redacted() {
    let livevideo =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../captures/rt2-livevideo.jsonl");
    let (_server, banner) = serve(&[livevideo.to_str().expect("UTF-8 path")]);
    let url = banner["url"].as_str().expect("url").to_owned();
    let token = banner["token"].as_str().expect("token");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("http.jsonl");
    let get = format!(
        "{url}/api/facebook-graph/livevideo?pageid=104857600213377&limit=3&facebook_Type=page"
    );
    sio_replay()
        .args([
            "record",
            &url,
            "--room",
            "tomato.tpos.vn",
            "--duration",
            "300ms",
            "--http-get",
            &get,
            "-o",
        ])
        .arg(&out)
        .env("SIO_TOKEN", token)
        .timeout(Duration::from_secs(20))
        .assert()
        .success();
    let records = lines(&out);
    let http: Vec<&serde_json::Value> = records.iter().filter(|r| r["type"] == "http").collect();
    assert_eq!(http.len(), 1, "{records:?}");
    assert_eq!(http[0]["status"], 200);
    assert_eq!(http[0]["url"], get.as_str());
    assert!(
        http[0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("\"data\"")),
        "{}",
        http[0]
    );
    let text = std::fs::read_to_string(&out).expect("capture");
    assert!(!text.contains(token), "the bearer token is redacted");
    assert!(
        text.contains("Bearer [jwt TenantId=tomato.tpos.vn"),
        "{text}"
    );
}

/// Behind `--tls` the live-video endpoint's `paging.next` link is `https://`, so a client that
/// follows it (a browser paging through live videos) reaches the mock again.
#[test]
fn serve_tls_writes_https_paging_links_that_record_can_follow() {
    let livevideo =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../captures/rt2-livevideo.jsonl");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    let (_server, banner) = serve(&[
        livevideo.to_str().expect("UTF-8 path"),
        "--tls",
        "--ca-out",
        ca.to_str().expect("UTF-8 path"),
    ]);
    let url = banner["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with("https://"), "{url}");
    let token = banner["token"].as_str().expect("token");
    let first = format!(
        "{url}/api/facebook-graph/livevideo?pageid=104857600213377&limit=3&facebook_Type=page"
    );
    let record = |get: &str, out: &Path| {
        sio_replay()
            .args(["record", &url.replacen("https://", "wss://", 1)])
            .args(["--room", "tomato.tpos.vn", "--duration", "300ms", "--ca"])
            .arg(&ca)
            .args(["--http-get", get, "-o"])
            .arg(out)
            .env("SIO_TOKEN", token)
            .timeout(Duration::from_secs(20))
            .assert()
            .success();
        let records = lines(out);
        let http = records
            .iter()
            .find(|r| r["type"] == "http")
            .expect("an http record")
            .clone();
        assert_eq!(http["status"], 200, "{http}");
        let body: serde_json::Value =
            serde_json::from_str(http["body"].as_str().expect("a body")).expect("JSON body");
        body
    };
    let page = record(&first, &dir.path().join("first.jsonl"));
    let next = page["paging"]["next"]
        .as_str()
        .expect("a next link")
        .to_owned();
    assert!(next.starts_with(&format!("{url}/api/")), "{next}");
    let second = record(&next, &dir.path().join("second.jsonl"));
    assert!(
        second["data"].as_array().is_some_and(|d| !d.is_empty()),
        "{second}"
    );
    assert_ne!(second["data"], page["data"]);
}

/// A capture that holds nothing to serve still serves (handshakes, auth), with a warning that
/// says so; a capture of HTTP exchanges only (the live-video one) gets none.
#[test]
fn serve_warns_when_the_capture_holds_nothing_to_serve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.har");
    std::fs::write(&empty, r#"{"log":{"version":"1.2","entries":[]}}"#).expect("write");
    let livevideo =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../captures/rt2-livevideo.jsonl");
    for (capture, warns) in [(empty.as_path(), true), (livevideo.as_path(), false)] {
        let output = sio_replay()
            .args(["serve", "--port", "0"])
            .arg(capture)
            .timeout(Duration::from_secs(2))
            .output()
            .expect("serve ran");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("\"websocket_url\""), "it served: {stdout}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            stderr.contains("no server events in /chatomni and no HTTP exchanges"),
            warns,
            "{}: {stderr}",
            capture.display()
        );
    }
}

#[test]
fn check_with_a_script_sends_its_frames_and_names_bad_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let golden = dir.path().join("script.snap");
    sio_replay()
        .args(["check", "--accept", "--events", "2", "--serve"])
        .arg(bundled_capture())
        .arg("--script")
        .arg(crate::fixture("script.txt"))
        .arg("--golden")
        .arg(&golden)
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let text = std::fs::read_to_string(&golden).expect("golden");
    assert!(
        text.contains("↑ client: message EVENT /chatomni \"get-conversations\""),
        "{text}"
    );
    assert_eq!(
        text.matches("message EVENT /chatomni \"on-events\"")
            .count(),
        2,
        "{text}"
    );

    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "# comment\n42/chatomni,[\"ok\"]\n9nonsense\n").expect("write");
    sio_replay()
        .args(["check", "--serve"])
        .arg(bundled_capture())
        .arg("--script")
        .arg(&bad)
        .arg("--golden")
        .arg(&golden)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--script [TMP]/bad.txt: line 3: not a frame"
                .replace("[TMP]", &dir.path().display().to_string()),
        ));
}

/// `check --scenario`, the old name of `--script`, still works for one release: hidden from
/// `--help`, with a warning that names the new flag.
#[test]
fn check_scenario_is_a_hidden_alias_of_script_that_warns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let golden = dir.path().join("script.snap");
    let with = |flag: &str| {
        sio_replay()
            .args(["check", "--accept", "--events", "2", "--serve"])
            .arg(bundled_capture())
            .arg(flag)
            .arg(crate::fixture("script.txt"))
            .arg("--golden")
            .arg(&golden)
            .timeout(Duration::from_secs(30))
            .assert()
            .success()
            .get_output()
            .stderr
            .clone()
    };
    let stderr = String::from_utf8_lossy(&with("--scenario")).into_owned();
    assert!(
        stderr.contains("check --scenario is now --script"),
        "{stderr}"
    );
    let old = std::fs::read_to_string(&golden).expect("golden");
    assert!(old.contains("\"get-conversations\""), "{old}");
    let stderr = String::from_utf8_lossy(&with("--script")).into_owned();
    assert!(!stderr.contains("--scenario"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&golden).expect("golden"), old);

    sio_replay()
        .args([
            "check",
            "--offline",
            "x.jsonl",
            "--script",
            "a",
            "--golden",
            "g.snap",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot be used with"));
    sio_replay()
        .args([
            "check",
            "--script",
            "a",
            "--scenario",
            "b",
            "--golden",
            "g.snap",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot be used with"));
    let help = sio_replay()
        .args(["check", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(!String::from_utf8_lossy(&help).contains("--scenario"));
}

#[test]
fn check_mismatch_output_reads_well() {
    // A small capture, its golden, and one changed event: the human diff as a person sees it.
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = dir.path().join("small.jsonl");
    let header = r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"record","room":"tomato.tpos.vn"}"#;
    let frames = [
        r#"{"type":"frame","t_ms":0.0,"conn":1,"from":"server","kind":"text","data":"0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":60000,\"maxPayload\":1000000}"}"#,
        r#"{"type":"frame","t_ms":1.0,"conn":1,"from":"server","kind":"text","data":"40/chatomni,{\"sid\":\"def\"}"}"#,
        r#"{"type":"frame","t_ms":2.0,"conn":1,"from":"server","kind":"text","data":"42/chatomni,[\"on-events\",\"{\\\"Message\\\":{\\\"Message\\\":\\\"Nu\\\"}}\"]"}"#,
    ];
    std::fs::write(&capture, format!("{header}\n{}\n", frames.join("\n"))).expect("write");
    let golden = dir.path().join("small.snap");
    sio_replay()
        .args(["check", "--accept", "--offline"])
        .arg(&capture)
        .arg("--golden")
        .arg(&golden)
        .assert()
        .success();
    let changed = std::fs::read_to_string(&capture)
        .expect("read")
        .replace(r#"\\\"Nu\\\""#, r#"\\\"Nu nữa\\\""#);
    std::fs::write(&capture, changed).expect("write");
    let assert = sio_replay()
        .args(["check", "--format", "human", "--offline"])
        .arg(&capture)
        .arg("--golden")
        .arg(&golden)
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&assert.get_output().stdout)
        .replace(&dir.path().display().to_string(), "[TMP]");
    insta::assert_snapshot!(text);
}

#[test]
fn record_reconnects_after_the_mock_drops_it_and_marks_the_gap() {
    let (_server, banner) = serve(&["--speed", "0", "--drop-after", "5"]);
    let url = banner["url"].as_str().expect("url").to_owned();
    let token = banner["token"].as_str().expect("token");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("gaps.jsonl");
    let assert = sio_replay()
        .args([
            "record",
            &url,
            "--room",
            "tomato.tpos.vn",
            "--events",
            "12",
            "--format",
            "json",
            "-o",
        ])
        .arg(&out)
        .env("SIO_TOKEN", token)
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let summary: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("summary");
    assert_eq!(summary["events"], 12);
    // Five events per connection: dropped twice, the third connection reaches twelve.
    assert_eq!(summary["connections"], 3, "{summary}");
    assert_eq!(summary["gaps"], 2, "{summary}");
    let records = lines(&out);
    let gaps: Vec<&serde_json::Value> = records.iter().filter(|r| r["type"] == "gap").collect();
    assert_eq!(gaps.len(), 2);
    assert_eq!(
        (gaps[0]["conn"].as_u64(), gaps[1]["conn"].as_u64()),
        (Some(1), Some(2))
    );
    let last_conn = records
        .iter()
        .filter(|r| r["type"] == "frame")
        .filter_map(|r| r["conn"].as_u64())
        .max();
    assert_eq!(last_conn, Some(3));
}

#[test]
fn serve_reject_auth_fault_refuses_every_client_with_its_message() {
    let (_server, banner) = serve(&["--reject-auth", "tenant suspended"]);
    let url = banner["url"].as_str().expect("url");
    let token = banner["token"].as_str().expect("token");
    let dir = tempfile::tempdir().expect("tempdir");
    sio_replay()
        .args(["record", url, "--room", "tomato.tpos.vn", "-o"])
        .arg(dir.path().join("r.jsonl"))
        .env("SIO_TOKEN", token)
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("tenant suspended"));
}

/// The Node stand-in for rt-2 (see `fixtures/node-rt2.js`), emitting `events` events per
/// client; returns the process and its `ws://` URL.
fn node_server(events: &str) -> (Running, String) {
    interop_deps::ensure(interop_deps::Peer::Node);
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/node_modules");
    assert!(
        interop.join("socket.io").is_dir(),
        "run scripts/install-node-deps.sh first (needs node and npm)"
    );
    let script = crate::fixture("node-rt2.js");
    let mut node = spawn(
        Path::new("node"),
        &[script.to_str().expect("UTF-8 path")],
        &[
            ("NODE_PATH", interop.to_str().expect("UTF-8 path")),
            ("EVENTS", events),
        ],
    );
    let mut port = String::new();
    node.stdout.read_line(&mut port).expect("port line");
    (node, format!("ws://127.0.0.1:{}", port.trim()))
}

#[test]
fn load_measures_ack_round_trips_against_a_node_socket_io_server() {
    let (_node, url) = node_server("0");
    let assert = sio_replay()
        .args(["load", &url, "--clients", "4", "--duration", "1s"])
        .args([
            "--ack-event",
            "message-with-ack",
            "--ack-rate",
            "20",
            "--format",
            "json",
        ])
        .env("SIO_TOKEN", "synthetic-token")
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("one JSON report");
    assert_eq!(report["connected"], 4, "{report}");
    let sent = report["acks_sent"].as_u64().expect("acks_sent");
    let received = report["acks_received"].as_u64().expect("acks_received");
    assert!(sent >= 40, "4 clients x 20/s x 1 s: {report}");
    assert!(received + 4 >= sent, "nearly every emit acked: {report}");
    assert!(
        report["ack_round_trip_ms"]["p99"]
            .as_f64()
            .is_some_and(|ms| ms > 0.0),
        "{report}"
    );
}

#[test]
fn check_against_a_live_server_is_stable_across_runs() {
    let (_node, url) = node_server("3");
    let dir = tempfile::tempdir().expect("tempdir");
    let golden = dir.path().join("live.snap");
    let run = |extra: &[&str]| {
        sio_replay()
            .args([
                "check",
                "--url",
                &url,
                "--room",
                "tomato.tpos.vn",
                "--events",
                "3",
                "--golden",
            ])
            .arg(&golden)
            .args(extra)
            .env("SIO_TOKEN", "synthetic-token")
            .timeout(Duration::from_secs(30))
            .assert()
    };
    run(&["--accept"]).success();
    let text = std::fs::read_to_string(&golden).expect("golden");
    assert_eq!(
        text.matches("\"on-events\"").count(),
        3 * 2,
        "name and argument: {text}"
    );
    assert!(
        text.contains("\"sid\": \"[sid-1]\""),
        "Node's random sids are normalised: {text}"
    );
    // A second session with new sids gives the same transcript.
    run(&[]).success();
}

#[test]
fn load_human_report_shows_ack_round_trips_against_the_mock_scenario() {
    let (_server, banner) = serve(&["--scenario", "socketio-protocol", "--auth", "any"]);
    let url = banner["url"].as_str().expect("url");
    let assert = sio_replay()
        .args([
            "load",
            url,
            "--namespace",
            "/",
            "--clients",
            "2",
            "--duration",
            "500ms",
        ])
        .args([
            "--ack-event",
            "message-with-ack",
            "--ack-rate",
            "20",
            "--format",
            "human",
        ])
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(text.starts_with("load 2 of 2 clients connected"), "{text}");
    assert!(text.contains("  ack round trip: p50 "), "{text}");
    assert!(text.contains(" acked)"), "{text}");
}

#[test]
fn serve_banner_reads_well() {
    let mut server = spawn(
        &assert_cmd::cargo::cargo_bin("sio-replay"),
        &["serve", "--port", "0", "--format", "human"],
        &[],
    );
    let mut banner = String::new();
    while !banner.contains("stop with Ctrl-C") {
        let mut line = String::new();
        if server.stdout.read_line(&mut line).expect("banner line") == 0 {
            break;
        }
        banner.push_str(&line);
    }
    // The port, the token's times and the admin token change from run to run.
    let port = banner
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .expect("a port in the banner")
        .to_owned();
    let banner: String = banner
        .replace(&format!(":{port}"), ":[PORT]")
        .lines()
        .map(|line| {
            if let Some(token) = line.strip_prefix("  token:     ") {
                assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
                return "  token:     [JWT]\n".to_owned();
            }
            if let Some((admin, token)) = line.split_once("Bearer ") {
                let token = token
                    .strip_suffix(')')
                    .expect("(Authorization: Bearer <token>)");
                assert_eq!(token.len(), 32, "a fresh admin token: {token}");
                return format!("{admin}Bearer [ADMIN_TOKEN])\n");
            }
            format!("{line}\n")
        })
        .collect();
    insta::assert_snapshot!(banner);
}

#[test]
fn load_against_the_mock_with_no_token_mints_one_and_says_so() {
    // The README's example, as written: `serve`, then `load` with no SIO_TOKEN set.
    let (_server, banner) = serve(&["--speed", "0", "--loop"]);
    let url = banner["url"].as_str().expect("url");
    let assert = sio_replay()
        .args(["load", url, "--room", "tomato.tpos.vn", "--clients", "5"])
        .args(["--duration", "500ms", "--format", "json"])
        .env_remove("SIO_TOKEN")
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("one JSON report");
    assert_eq!(report["connected"], 5, "{report}");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("is sio-replay's mock (auth claims), so this run uses a synthetic token"),
        "{stderr}"
    );
}

#[test]
fn load_without_a_token_against_another_server_fails_before_connecting() {
    // A server that is not the mock: a listener that never answers HTTP.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("ws://{}", listener.local_addr().expect("addr"));
    sio_replay()
        .args(["load", &url, "--room", "tomato.tpos.vn", "--clients", "3"])
        .env_remove("SIO_TOKEN")
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no token given: set SIO_TOKEN"));
    // A mock that checks a real secret takes no synthetic token either.
    let (_server, banner) = serve_with_env(
        &["--auth", "hs256", "--secret-env", "LOAD_TEST_SECRET"],
        &[("LOAD_TEST_SECRET", "a secret that is not the test one")],
    );
    let url = banner["url"].as_str().expect("url");
    sio_replay()
        .args(["load", url, "--room", "tomato.tpos.vn", "--clients", "3"])
        .env_remove("SIO_TOKEN")
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "this mock checks signatures with a secret of its own (auth hs256)",
        ));
}

/// A port in use is one clear error: the cause once, and what to do.
#[test]
fn serve_on_a_port_in_use_says_so_once_with_a_hint() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let output = sio_replay()
        .args(["serve", "--port", &port])
        .timeout(Duration::from_secs(10))
        .output()
        .expect("serve ran");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("already in use").count(), 1, "{stderr}");
    assert!(stderr.contains("choose another port"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
