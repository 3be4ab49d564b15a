//! sio-contract against the bundled captures: what is inferred from them validates them, and a
//! changed field is reported at its path.

mod fuzz_corpus;

use std::path::{Path, PathBuf};

use serde_json::Value;
use sio_capture::import::{ImportOptions, open_file};
use sio_capture::{FrameRecord, Record};
use sio_contract::{Contract, InferOptions, Inference, ValidationReport};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn inputs() -> Vec<PathBuf> {
    let root = workspace();
    vec![
        root.join("captures/rt2-chatomni.jsonl"),
        root.join("captures/rt2-livevideo.jsonl"),
        root.join("crates/sio-replay/tests/cli/fixtures/session.har"),
    ]
}

fn records(path: &Path) -> Vec<Record> {
    open_file(path, &ImportOptions::default())
        .and_then(|file| file.into_records().collect::<Result<Vec<_>, _>>())
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn infer(paths: &[PathBuf]) -> Value {
    let mut inference = Inference::new(InferOptions::default());
    for path in paths {
        inference.begin_source(&path.file_name().unwrap().to_string_lossy());
        for record in records(path) {
            inference.observe(&record);
        }
    }
    inference.document()
}

fn validate(document: &Value, sources: &[(&str, Vec<Record>)]) -> ValidationReport {
    let contract = Contract::from_document(document.clone()).expect("a usable document");
    let mut validation = contract.validation();
    for (name, records) in sources {
        validation.begin_source(name);
        for record in records {
            validation.check(record);
        }
    }
    validation.finish()
}

#[test]
fn the_rt2_document_describes_chatomni() {
    let document = infer(&inputs());
    let channel = &document["channels"]["chatomni"];
    assert_eq!(channel["address"], "/chatomni");
    assert_eq!(
        channel["bindings"]["ws"]["query"]["properties"]["room"]["examples"],
        serde_json::json!(["tomato.tpos.vn"])
    );
    assert_eq!(
        channel["x-sio-auth"]["properties"]["token"]["type"],
        "string"
    );
    let message = &document["components"]["messages"]["chatomni-on-events-server"];
    assert_eq!(message["x-sio-payload"], "first-argument");
    let content = &message["payload"]["contentSchema"]["properties"];
    assert_eq!(
        content["Conversation"]["properties"]["ChannelType"]["enum"],
        serde_json::json!([1, 4])
    );
    assert_eq!(
        content["Conversation"]["properties"]["UpdatedTime"]["format"],
        "date-time"
    );
    // The HAR's ids are `m1`, `c1`: only the bundled capture's are all ObjectIds.
    assert_eq!(content["Message"]["properties"]["Id"]["type"], "string");
    let bundled = infer(&inputs()[..1]);
    let content = &bundled["components"]["messages"]["chatomni-on-events-server"]["payload"]["contentSchema"]
        ["properties"];
    assert_eq!(
        content["Message"]["properties"]["Id"]["pattern"],
        sio_contract::schema::OBJECT_ID_PATTERN
    );
    assert_eq!(
        content["Message"]["properties"]["MessageType"]["enum"],
        serde_json::json!([11, 12])
    );
    assert_eq!(
        document["operations"]["send-chatomni-on-events-server"]["action"],
        "send"
    );
    assert_eq!(document["servers"]["websocket"]["protocol"], "wss");
    assert_eq!(document["servers"]["polling"]["protocol"], "https");
}

/// The `on-events` content schema's `EventName` at the top level and inside `Message`.
fn event_name_schemas(document: &Value) -> (Value, Value, Value, Value) {
    let content = &document["components"]["messages"]["chatomni-on-events-server"]["payload"]["contentSchema"];
    (
        content["properties"]["EventName"].clone(),
        content["required"].clone(),
        content["properties"]["Message"]["properties"]["EventName"].clone(),
        content["properties"]["Message"]["required"].clone(),
    )
}

fn required_has(required: &Value, name: &str) -> bool {
    required
        .as_array()
        .is_some_and(|r| r.iter().any(|v| v == name))
}

#[test]
fn the_bundled_capture_shows_event_name_inside_message_as_the_seed_does() {
    let document = infer(&inputs()[..1]);
    let (top, top_required, inside, inside_required) = event_name_schemas(&document);
    // Every message carries it inside Message (required there); conversation updates, which
    // have no Message, at the top level (so optional there).
    assert_eq!(inside["type"], "string", "{inside}");
    assert!(
        required_has(&inside_required, "EventName"),
        "{inside_required}"
    );
    assert_eq!(top["type"], "string", "{top}");
    assert!(!required_has(&top_required, "EventName"), "{top_required}");
}

#[test]
fn both_shapes_of_a_message_event_appear_in_the_document() {
    use rt2_corpus::{EventNamePlacement, session_frames_with};
    let session = |placement| {
        session_frames_with(7, placement)
            .into_iter()
            .map(|f| Record::Frame(FrameRecord::text(f.t as f64 / 1000.0, 1, f.from, f.data)))
            .collect::<Vec<_>>()
    };
    let enum_of = |schema: &Value| schema["enum"].clone();
    let mut inference = Inference::new(InferOptions::default());
    for (name, placement) in [
        ("seed-shape", EventNamePlacement::InMessage),
        ("top-level", EventNamePlacement::TopLevel),
    ] {
        inference.begin_source(name);
        for record in session(placement) {
            inference.observe(&record);
        }
    }
    let document = inference.document();
    let (top, _, inside, inside_required) = event_name_schemas(&document);
    // The top level held both names (messages of the variant, updates of either); inside
    // Message only the message event's.
    assert_eq!(
        enum_of(&top),
        serde_json::json!(["chatomni.on-message", "chatomni.on-update"]),
        "{top}"
    );
    assert_eq!(inside["type"], "string", "{inside}");
    assert!(
        !required_has(&inside_required, "EventName"),
        "{inside_required}"
    );
    // And both shapes validate against it.
    let report = validate(
        &document,
        &[
            ("seed-shape", session(EventNamePlacement::InMessage)),
            ("top-level", session(EventNamePlacement::TopLevel)),
        ],
    );
    assert!(report.passed(), "{:#?}", report.violations);
}

#[test]
fn inference_is_deterministic() {
    let a = serde_json::to_string_pretty(&infer(&inputs())).unwrap();
    let b = serde_json::to_string_pretty(&infer(&inputs())).unwrap();
    assert_eq!(a, b);
}

#[test]
fn the_captures_validate_against_their_own_document() {
    let paths = inputs();
    let document = infer(&paths);
    let sources: Vec<(&str, Vec<Record>)> = paths.iter().map(|p| ("capture", records(p))).collect();
    let report = validate(&document, &sources);
    assert!(report.passed(), "{:#?}", report.violations);
    assert!(report.events >= 281, "{report:?}");
}

#[test]
fn a_changed_field_type_is_reported_at_its_path() {
    let path = &inputs()[0];
    let document = infer(std::slice::from_ref(path));
    let mut records = records(path);
    // The first on-events frame: MessageType becomes a string.
    let (index, frame) = records
        .iter_mut()
        .filter_map(|r| match r {
            Record::Frame(f) => Some(f),
            _ => None,
        })
        .enumerate()
        .find(|(_, f)| f.data.contains("MessageType\\\":12"))
        .expect("an on-events frame");
    let changed = frame
        .data
        .replacen("MessageType\\\":12", "MessageType\\\":\\\"12\\\"", 1);
    *frame = FrameRecord::text(frame.t_ms, frame.conn, frame.from, changed);
    let report = validate(&document, &[("changed", records)]);
    let found: Vec<_> = report
        .violations
        .iter()
        .map(|v| (v.frame, v.path.as_str(), v.rule.as_str()))
        .collect();
    assert_eq!(
        found,
        [(index as u64 + 1, "$[0](json).Message.MessageType", "type")]
    );
    assert_eq!(report.violations[0].event.as_deref(), Some("on-events"));
}

fn frames(from_to: &[(sio_capture::Direction, &str)]) -> Vec<Record> {
    from_to
        .iter()
        .map(|(from, data)| Record::Frame(FrameRecord::text(0.0, 1, *from, *data)))
        .collect()
}

#[test]
fn acks_are_x_ack_and_are_checked() {
    use sio_capture::Direction::{Client, Server};
    let observed = frames(&[
        (Client, r#"40/chat,{"token":"[redacted]"}"#),
        (Client, r#"42/chat,5["join",{"room":"a"},2]"#),
        (Server, r#"43/chat,5[{"ok":true}]"#),
        (Client, r#"42/chat,6["join",{"room":"b"}]"#),
        (Server, r#"43/chat,6[{"ok":false}]"#),
    ]);
    let mut inference = Inference::new(InferOptions::default());
    inference.begin_source("acks");
    observed.iter().for_each(|r| inference.observe(r));
    let document = inference.document();
    let message = &document["components"]["messages"]["chat-join-client"];
    assert_eq!(message["x-sio-payload"], "arguments");
    assert_eq!(message["payload"]["minItems"], 1);
    assert_eq!(message["payload"]["maxItems"], 2);
    assert_eq!(
        message["x-ack"]["args"]["items"][0]["properties"]["ok"]["type"],
        "boolean"
    );
    assert_eq!(
        document["operations"]["receive-chat-join-client"]["action"],
        "receive"
    );
    assert!(validate(&document, &[("acks", observed)]).passed());

    let changed = frames(&[
        (Client, r#"42/chat,5["join",{"room":1}]"#),
        (Server, r#"43/chat,5[{"ok":"yes"}]"#),
        (Server, r#"42/chat,["join",{"room":"a"}]"#),
        (Client, r#"42/other,["join"]"#),
        (Client, r#"42/chat,["leave"]"#),
        (Client, r#"42/chat,["#),
    ]);
    let report = validate(&document, &[("changed", changed)]);
    let found: Vec<_> = report
        .violations
        .iter()
        .map(|v| (v.frame, v.path.as_str(), v.rule.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (1, "$[0].room", "type"),
            (2, "$[0].ok", "type"),
            (3, "$", "message"),
            (4, "$", "channel"),
            (5, "$", "message"),
            (6, "$", "decode"),
        ]
    );
}

#[test]
fn the_handshake_query_of_the_header_is_checked_as_frame_0() {
    let path = &inputs()[0];
    let document = infer(std::slice::from_ref(path));
    let mut records = records(path);
    let Record::Header(header) = &mut records[0] else {
        panic!("a header first");
    };
    header.url = Some("wss://rt-2.tpos.app/socket.io/?EIO=3&transport=websocket".to_owned());
    let report = validate(&document, &[("old", records)]);
    let found: Vec<_> = report
        .violations
        .iter()
        .map(|v| (v.frame, v.path.as_str(), v.rule.as_str()))
        .collect();
    assert_eq!(found, [(0, "$", "required"), (0, "$.EIO", "enum")]);
    assert!(
        report.violations[0]
            .message
            .starts_with("the handshake query: ")
    );
}

#[test]
fn documents_that_are_not_asyncapi_3_json_are_refused_with_where() {
    let err = Contract::from_json("asyncapi: 3.0.0\n").unwrap_err();
    assert!(
        err.to_string().starts_with("line 1, column 1: not JSON"),
        "{err}"
    );
    let err = Contract::from_json(r#"{"asyncapi":"2.6.0"}"#).unwrap_err();
    assert!(err.to_string().contains("only AsyncAPI 3"), "{err}");
    let err = Contract::from_json(
        r##"{"asyncapi":"3.0.0","operations":{"o":{"action":"send","channel":{"$ref":"#/channels/x"}}}}"##,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("operations.o.channel: #/channels/x does not resolve"),
        "{err}"
    );
}

mod traffic_validates_against_its_own_document {
    use super::*;
    use proptest::prelude::*;
    use sio_capture::Direction;

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| serde_json::json!(n)),
            (-1e6f64..1e6).prop_map(|f| serde_json::json!(f)),
            "[a-z0-9 :.{}\\[\\]\"-]{0,10}".prop_map(Value::String),
            Just(serde_json::json!("2026-01-07T20:30:45+07:00")),
            Just(serde_json::json!(
                "{\"ChannelType\":4,\"Id\":\"689763acb11cca3c0b168e77\"}"
            )),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-c]", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// One step of a session: an event (maybe wanting an ack, answered at once), or noise.
    #[derive(Debug, Clone)]
    enum Step {
        Event {
            client: bool,
            namespace: &'static str,
            name: &'static str,
            args: Vec<Value>,
            ack: Option<Vec<Value>>,
        },
        Garbage(String),
    }

    fn any_step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (
                any::<bool>(),
                prop_oneof![Just("/"), Just("/chatomni")],
                prop_oneof![Just("on-events"), Just("chat message"), Just("x")],
                proptest::collection::vec(any_json(), 0..3),
                proptest::option::of(proptest::collection::vec(any_json(), 0..2)),
            )
                .prop_map(|(client, namespace, name, args, ack)| Step::Event {
                    client,
                    namespace,
                    name,
                    args,
                    ack,
                }),
            1 => "[0-9a-z\\[\"/,]{0,12}".prop_map(Step::Garbage),
        ]
    }

    fn packet(kind: char, namespace: &str, id: Option<u64>, data: &Value) -> String {
        let ns = if namespace == "/" {
            String::new()
        } else {
            format!("{namespace},")
        };
        let id = id.map(|id| id.to_string()).unwrap_or_default();
        format!("4{kind}{ns}{id}{data}")
    }

    fn frames(steps: &[Step]) -> Vec<Record> {
        let mut out = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let id = i as u64;
            match step {
                Step::Event {
                    client,
                    namespace,
                    name,
                    args,
                    ack,
                } => {
                    let (from, to) = if *client {
                        (Direction::Client, Direction::Server)
                    } else {
                        (Direction::Server, Direction::Client)
                    };
                    let mut data = vec![Value::String((*name).to_owned())];
                    data.extend(args.iter().cloned());
                    let event = packet(
                        '2',
                        namespace,
                        ack.as_ref().map(|_| id),
                        &Value::Array(data),
                    );
                    out.push(Record::Frame(FrameRecord::text(0.0, 1, from, event)));
                    if let Some(ack) = ack {
                        let answer = packet('3', namespace, Some(id), &Value::Array(ack.clone()));
                        out.push(Record::Frame(FrameRecord::text(0.0, 1, to, answer)));
                    }
                }
                Step::Garbage(text) => out.push(Record::Frame(FrameRecord::text(
                    0.0,
                    1,
                    Direction::Server,
                    text.clone(),
                ))),
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever was observed conforms to the document inferred from it: only frames that
        /// do not decode are reported.
        #[test]
        fn holds(steps in proptest::collection::vec(any_step(), 1..12)) {
            let records = frames(&steps);
            let mut inference = Inference::new(InferOptions { enum_max: 8, enum_min_count: 1 });
            inference.begin_source("generated");
            records.iter().for_each(|r| inference.observe(r));
            let document = inference.document();
            let report = validate(&document, &[("generated", records)]);
            let bad: Vec<_> = report.violations.iter().filter(|v| v.rule != "decode").collect();
            prop_assert!(bad.is_empty(), "{bad:#?}\n{document:#}");
        }
    }
}
