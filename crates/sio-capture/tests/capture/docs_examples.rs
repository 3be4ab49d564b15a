//! `docs/capture-format.md` and `docs/capture-format.schema.json` agree with the code: the
//! documented examples read back strictly, and every record the writer produces has exactly
//! the members the schema allows and requires.

use std::collections::BTreeSet;

use serde_json::Value;
use sio_capture::import::{ImportOptions, import_capture};
use sio_capture::{
    CaptureReader, CaptureWriter, ConnEvent, ConnRecord, Direction, FrameRecord, GapRecord, Header,
    HttpRecord, Record, Redactor,
};

use crate::fixtures::fixture;

fn doc(name: &str) -> String {
    let path = format!("{}/../../docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The bodies of the ```jsonl blocks of the format document.
fn jsonl_examples() -> Vec<String> {
    let text = doc("capture-format.md");
    let mut blocks = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("```jsonl\n") {
        let body = &rest[start + "```jsonl\n".len()..];
        let end = body.find("```").expect("an unclosed jsonl block");
        blocks.push(body[..end].to_owned());
        rest = &body[end..][3..];
    }
    blocks
}

fn schema() -> Value {
    serde_json::from_str(&doc("capture-format.schema.json")).expect("the schema is JSON")
}

fn string_set(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks one line against the schema's members for its type: required ⊆ present ⊆ allowed,
/// and the enumerations of `from` and `kind`.
fn check_against_schema(schema: &Value, line: &str) {
    let record: Value = serde_json::from_str(line).unwrap();
    let record_type = record["type"].as_str().expect("a type member");
    let def = &schema["$defs"][record_type];
    assert!(
        def.is_object(),
        "the schema has no record type {record_type}"
    );
    let present: BTreeSet<String> = record.as_object().unwrap().keys().cloned().collect();
    let required = string_set(&def["required"]);
    let allowed: BTreeSet<String> = def["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(
        required.is_subset(&present),
        "{line}: missing {:?}",
        required.difference(&present)
    );
    assert!(
        present.is_subset(&allowed),
        "{line}: not in the schema {:?}",
        present.difference(&allowed)
    );
    for member in ["from", "kind", "event", "transport"] {
        if let Some(value) = record.get(member) {
            let allowed = string_set(&def["properties"][member]["enum"]);
            assert!(
                allowed.contains(value.as_str().unwrap()),
                "{line}: {member}"
            );
        }
    }
}

#[test]
fn the_documented_examples_read_back_strictly_and_match_the_schema() {
    let schema = schema();
    let examples = jsonl_examples();
    assert_eq!(examples.len(), 3);
    let mut lines = 0;
    for example in &examples {
        let records: Vec<Record> = CaptureReader::new(example.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{e} in\n{example}"));
        assert!(matches!(records[0], Record::Header(_)));
        // Written again, each record is the documented line (as JSON values).
        let mut iter = records.into_iter();
        let Some(Record::Header(header)) = iter.next() else {
            unreachable!()
        };
        let mut writer =
            CaptureWriter::with_redactor(Vec::new(), header, Redactor::disabled()).unwrap();
        for record in iter {
            writer.write_record(record).unwrap();
        }
        let written = String::from_utf8(writer.finish().unwrap()).unwrap();
        assert_eq!(written.lines().count(), example.lines().count());
        for (ours, documented) in written.lines().zip(example.lines()) {
            let a: Value = serde_json::from_str(ours).unwrap();
            let b: Value = serde_json::from_str(documented).unwrap();
            assert_eq!(a, b);
            check_against_schema(&schema, documented);
            lines += 1;
        }
    }
    assert_eq!(lines, 16);
}

#[test]
fn minimal_records_carry_exactly_the_required_members() {
    let schema = schema();
    let records = [
        Record::Header(Header {
            url: None,
            room: None,
            started_at: None,
            writer: None,
            ..Header::new("generated")
        }),
        Record::Frame(FrameRecord::text(0.0, 1, Direction::Client, "")),
        Record::Http(HttpRecord {
            t_ms: 0.0,
            method: "GET".into(),
            url: "/".into(),
            query: Vec::new(),
            request_headers: Vec::new(),
            request_body: None,
            status: 200,
            response_headers: Vec::new(),
            body: String::new(),
            body_base64: false,
        }),
        Record::Gap(GapRecord::lost(0.0, 1, None)),
        Record::Conn(ConnRecord::new(0.0, 1, ConnEvent::Open)),
    ];
    for record in records {
        let value = serde_json::to_value(&record).unwrap();
        let present: BTreeSet<String> = value.as_object().unwrap().keys().cloned().collect();
        let mut required = string_set(&schema["$defs"][record.type_name()]["required"]);
        // `body` is written even when empty: it is the one optional member with no skip.
        if record.type_name() == "http" {
            required.insert("body".into());
        }
        assert_eq!(present, required, "{}", record.type_name());
    }
}

#[test]
fn every_line_an_import_writes_matches_the_schema() {
    let schema = schema();
    for name in ["chrome.har", "firefox.har", "devtools.txt", "plain.txt"] {
        let imported = import_capture(&fixture(name), &ImportOptions::default()).unwrap();
        let written = String::from_utf8(imported.write_to(Vec::new()).unwrap()).unwrap();
        for line in written.lines() {
            check_against_schema(&schema, line);
        }
    }
}
