//! `asyncapi` and `validate`: the document inferred from the bundled captures and a HAR is
//! accepted by the real `@asyncapi/parser`, those captures validate against it, and a changed
//! field type is reported at exactly its path.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use predicates::prelude::*;
use serde_json::Value;

use crate::{fixture, sio_replay};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bundled captures (`captures/*.jsonl`) and the HAR fixture.
fn inputs() -> Vec<PathBuf> {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(workspace().join("captures"))
        .expect("captures/")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 2, "{inputs:?}");
    inputs.push(fixture("session.har"));
    inputs
}

/// Runs `asyncapi` on `inputs`, writing `out`.
fn infer(inputs: &[PathBuf], out: &Path) -> Value {
    let assert = sio_replay()
        .args(["asyncapi", "--format", "json", "-o"])
        .arg(out)
        .args(inputs)
        .assert()
        .success();
    serde_json::from_slice(&assert.get_output().stdout).expect("one JSON summary")
}

/// Runs `validate`, returning the exit code and the JSON report.
fn validate(inputs: &[PathBuf], document: &Path, extra: &[&str]) -> (i32, Value) {
    let output = sio_replay()
        .args(["validate", "--format", "json", "--asyncapi"])
        .arg(document)
        .args(extra)
        .args(inputs)
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "{err}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().expect("an exit code"), report)
}

/// What the real `@asyncapi/parser` says of `document` (interop/asyncapi-validate.mjs).
fn asyncapi_parser(document: &Path) -> Value {
    interop_deps::ensure(interop_deps::Peer::Node);
    let interop = workspace().join("interop");
    assert!(
        interop.join("node_modules/@asyncapi/parser").is_dir(),
        "run scripts/install-node-deps.sh first (needs node and npm)"
    );
    let output = Process::new("node")
        .arg(interop.join("asyncapi-validate.mjs"))
        .arg(document)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

#[test]
fn the_inferred_document_is_accepted_by_the_asyncapi_parser_and_validates_its_captures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let document = dir.path().join("asyncapi.yaml");
    let inputs = inputs();
    let summary = infer(&inputs, &document);
    assert_eq!(summary["channels"], 1, "{summary}");
    assert_eq!(summary["undecodable_frames"], 0, "{summary}");

    let parsed = asyncapi_parser(&document);
    assert_eq!(parsed["valid"], true, "{parsed:#}");
    assert_eq!(parsed["errors"], 0, "{parsed:#}");
    let warnings: Vec<&Value> = parsed["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "warning")
        .collect();
    assert!(warnings.is_empty(), "{warnings:#?}");

    let (code, report) = validate(&inputs, &document, &[]);
    assert_eq!(report["violations"], serde_json::json!([]), "{report:#}");
    assert_eq!((code, report["status"].as_str()), (0, Some("ok")));
    assert!(report["events"].as_u64() > Some(280), "{report}");
}

/// The bundled rt-2 capture with the first `"MessageType":12` of an on-events argument made
/// `"12"`, written under `dir`; its path and the changed frame's index among frames.
fn changed_capture(dir: &Path) -> (PathBuf, usize) {
    let bundled = workspace().join("captures/rt2-chatomni.jsonl");
    let text = std::fs::read_to_string(&bundled).expect("capture");
    let needle = r#"MessageType\\\":12"#;
    let (line_no, _) = text
        .lines()
        .enumerate()
        .find(|(_, line)| line.contains(needle))
        .expect("a MessageType 12 event");
    let changed: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == line_no {
                line.replacen(needle, r#"MessageType\\\":\\\"12\\\""#, 1)
            } else {
                line.to_owned()
            }
        })
        .collect();
    let capture = dir.join("changed.jsonl");
    std::fs::write(&capture, changed.join("\n") + "\n").expect("write");
    // Line 1 is the header: a frame's index among frames is its line number minus one.
    (capture, line_no)
}

/// Namespaces `/` and `/admin`, event names with spaces, slashes and accents, acks with and
/// without arguments, an event with none, a binary event, several arguments.
#[test]
fn odd_traffic_still_gives_a_document_the_asyncapi_parser_accepts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let document = dir.path().join("odd.json");
    let log = fixture("asyncapi-odd.txt");
    let assert = sio_replay()
        .args(["asyncapi", "--from", "devtools", "--format", "json", "-o"])
        .arg(&document)
        .arg(&log)
        .assert()
        .success();
    let summary: Value = serde_json::from_slice(&assert.get_output().stdout).expect("summary");
    assert_eq!(
        (summary["channels"].as_u64(), summary["messages"].as_u64()),
        (Some(2), Some(6))
    );

    let parsed = asyncapi_parser(&document);
    assert_eq!(
        (parsed["valid"].as_bool(), parsed["errors"].as_u64()),
        (Some(true), Some(0)),
        "{parsed:#}"
    );

    let text = std::fs::read_to_string(&document).expect("document");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    let messages = &doc["components"]["messages"];
    assert_eq!(messages["root-chat_message-client"]["name"], "chat message");
    assert_eq!(
        messages["root-_n_code_ev_ent_x-client"]["name"],
        "ünïcode ev/ent.x"
    );
    assert!(messages["root-chat_message-client"]["x-ack"]["args"].is_object());
    assert_eq!(messages["admin-ping-client"]["payload"]["maxItems"], 0);

    let (code, report) = validate(&[log], &document, &["--from", "devtools"]);
    assert_eq!(
        (code, report["violations"].clone()),
        (0, serde_json::json!([])),
        "{report:#}"
    );
    assert_eq!(report["events"], 10);
}

#[test]
fn a_changed_field_type_is_reported_at_exactly_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundled = workspace().join("captures/rt2-chatomni.jsonl");
    let document = dir.path().join("asyncapi.json");
    infer(std::slice::from_ref(&bundled), &document);
    let (capture, line_no) = changed_capture(dir.path());

    let junit = dir.path().join("validate.xml");
    let (code, report) = validate(
        std::slice::from_ref(&capture),
        &document,
        &["--junit", junit.to_str().expect("UTF-8")],
    );
    assert_eq!(code, 1, "{report:#}");
    let violations = report["violations"].as_array().expect("violations");
    assert_eq!(violations.len(), 1, "{report:#}");
    let v = &violations[0];
    assert_eq!(v["frame"], line_no as u64);
    assert_eq!(v["path"], "$[0](json).Message.MessageType");
    assert_eq!(v["rule"], "type");
    assert_eq!(v["event"], "on-events");
    assert_eq!(v["namespace"], "/chatomni");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains(r#"failures="1""#), "{xml}");
    assert!(
        xml.contains("$[0](json).Message.MessageType: type"),
        "{xml}"
    );

    let human = sio_replay()
        .args(["validate", "--format", "human", "--asyncapi"])
        .arg(&document)
        .arg(&capture)
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&human.get_output().stdout).into_owned();
    assert!(
        text.contains(&format!(
            "frame {line_no} (conn 1, server /chatomni on-events) $[0](json).Message.MessageType: \
             type: expected integer, found string"
        )),
        "{text}"
    );
}

#[test]
fn check_asyncapi_validates_a_session_against_the_mock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundled = workspace().join("captures/rt2-chatomni.jsonl");
    let document = dir.path().join("asyncapi.json");
    infer(std::slice::from_ref(&bundled), &document);
    let check = |capture: &Path| {
        let output = sio_replay()
            .args(["check", "--format", "json", "--events", "40", "--serve"])
            .arg(capture)
            .arg("--asyncapi")
            .arg(&document)
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .expect("runs");
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&output.stderr)));
        (output.status.code(), report)
    };
    let (code, report) = check(&bundled);
    assert_eq!(
        report["contract"]["violations"],
        serde_json::json!([]),
        "{report:#}"
    );
    assert_eq!((code, report["status"].as_str()), (Some(0), Some("ok")));
    assert!(
        report["contract"]["events"].as_u64() >= Some(40),
        "{report}"
    );

    let (changed, _) = changed_capture(dir.path());
    let (code, report) = check(&changed);
    assert_eq!(code, Some(1), "{report:#}");
    let violations = report["contract"]["violations"]
        .as_array()
        .expect("violations");
    let found: Vec<(&str, &str)> = violations
        .iter()
        .map(|v| {
            (
                v["path"].as_str().unwrap_or(""),
                v["rule"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("$[0](json).Message.MessageType", "type")],
        "{report:#}"
    );
}

#[test]
fn the_same_input_gives_the_same_document() {
    let run = || {
        sio_replay()
            .args(["asyncapi", "--format", "human"])
            .args(inputs())
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    let first = run();
    assert_eq!(first, run());
    let document: Value = serde_json::from_slice(&first).expect("the document on stdout");
    assert_eq!(document["asyncapi"], "3.0.0");
}

#[test]
fn bad_inputs_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = dir.path().join("spec.yaml");
    std::fs::write(&yaml, "asyncapi: 3.0.0\n").expect("write");
    sio_replay()
        .args(["validate", "--asyncapi"])
        .arg(&yaml)
        .arg(fixture("session.har"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "spec.yaml: line 1, column 1: not JSON",
        ));

    // A bad line inside the capture is an error naming it; a torn last line (a recorder
    // stopped mid-write) is skipped with a warning.
    let header =
        "{\"type\":\"header\",\"format\":\"sio-replay-capture\",\"version\":1,\"source\":\"x\"}";
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, format!("{header}\n{{\"type\":\"frame\"\n{header}\n")).expect("write");
    sio_replay()
        .args(["asyncapi"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.jsonl").and(predicates::str::contains("line 2")));
    let torn = dir.path().join("torn.jsonl");
    std::fs::write(&torn, format!("{header}\n{{\"type\":\"frame\"")).expect("write");
    sio_replay()
        .args(["asyncapi"])
        .arg(&torn)
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "torn.jsonl: line 2: the last line is an incomplete record",
        ));
}
