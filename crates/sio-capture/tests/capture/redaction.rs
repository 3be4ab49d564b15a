//! No JWT signature survives redaction, wherever the token hides.

use proptest::prelude::*;
use sio_capture::{
    CaptureReader, CaptureWriter, Direction, FrameRecord, Header, HttpRecord, Record,
    RedactionReport, Redactor,
};

use crate::fixtures::synthetic_jwt;

/// Random claims: some allow-listed, some not, with values that need escaping.
fn claims() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("TenantId".to_owned()),
        Just("UserId".to_owned()),
        Just("ClientId".to_owned()),
        Just("DisplayName".to_owned()),
        Just("SecurityStamp".to_owned()),
        "[a-zA-Z]{1,10}",
    ];
    let value = prop_oneof![
        ".{0,20}".prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<bool>().prop_map(serde_json::Value::from),
    ];
    prop::collection::vec((name, value), 0..6).prop_map(|pairs| {
        let map: serde_json::Map<String, serde_json::Value> = pairs.into_iter().collect();
        serde_json::Value::Object(map).to_string()
    })
}

/// A signature long enough never to occur by chance elsewhere in the output.
fn signature() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{32,64}"
}

/// Where in a capture the token is put.
#[derive(Debug, Clone)]
enum Hiding {
    /// In a frame, inside a JSON value encoded `depth` times as a string, under `field`.
    Frame {
        field: String,
        depth: usize,
        prefix: String,
    },
    /// As (part of) a header value.
    Header { name: String, bearer: bool },
    /// As a query parameter, or in the path.
    Url { param: String, in_path: bool },
    /// In an HTTP response body, with text around it.
    Body { before: String, after: String },
    /// Inside a binary frame's bytes.
    Binary { before: Vec<u8> },
}

fn hiding() -> impl Strategy<Value = Hiding> {
    prop_oneof![
        (
            "[a-z_]{1,12}|token|access_token",
            0usize..4,
            "42/chatomni,|40/chatomni,|4|"
        )
            .prop_map(|(field, depth, prefix)| Hiding::Frame {
                field,
                depth,
                prefix
            }),
        (
            "[A-Za-z-]{1,16}|Authorization|Cookie|Set-Cookie",
            any::<bool>()
        )
            .prop_map(|(name, bearer)| Hiding::Header { name, bearer }),
        ("[a-z_]{1,12}|access_token|token", any::<bool>())
            .prop_map(|(param, in_path)| Hiding::Url { param, in_path }),
        (".{0,20}", ".{0,20}").prop_map(|(before, after)| Hiding::Body { before, after }),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(|before| Hiding::Binary { before }),
    ]
}

fn record_hiding(jwt: &str, hiding: &Hiding) -> Record {
    match hiding {
        Hiding::Frame {
            field,
            depth,
            prefix,
        } => {
            let mut value = serde_json::json!({ field.as_str(): jwt, "other": "x" }).to_string();
            for _ in 0..*depth {
                value = serde_json::Value::from(value).to_string();
            }
            let data = if prefix.starts_with("42") {
                format!("{prefix}[\"on-events\",{value}]")
            } else {
                format!("{prefix}{value}")
            };
            Record::Frame(FrameRecord::text(1.0, 1, Direction::Client, data))
        }
        Hiding::Header { name, bearer } => {
            let value = if *bearer {
                format!("Bearer {jwt}")
            } else {
                jwt.to_owned()
            };
            Record::Http(http(
                "https://h/p".to_owned(),
                vec![(name.clone(), value)],
                String::new(),
            ))
        }
        Hiding::Url { param, in_path } => {
            let url = if *in_path {
                format!("https://h/p/{jwt}/x?a=1")
            } else {
                format!("https://h/p?a=1&{param}={jwt}&b=2")
            };
            let mut record = http(url, Vec::new(), String::new());
            if !*in_path {
                record.query = vec![("a".into(), "1".into()), (param.clone(), jwt.to_owned())];
            }
            Record::Http(record)
        }
        Hiding::Body { before, after } => Record::Http(http(
            "https://h/p".to_owned(),
            Vec::new(),
            format!("{before}{jwt}{after}"),
        )),
        Hiding::Binary { before } => {
            let mut bytes = before.clone();
            bytes.extend_from_slice(jwt.as_bytes());
            Record::Frame(FrameRecord::binary(1.0, 1, Direction::Server, &bytes))
        }
    }
}

fn http(url: String, request_headers: Vec<(String, String)>, body: String) -> HttpRecord {
    HttpRecord {
        t_ms: 2.0,
        method: "GET".into(),
        url,
        query: Vec::new(),
        request_headers,
        request_body: None,
        status: 200,
        response_headers: Vec::new(),
        body,
        body_base64: false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_jwt_signature_survives_redaction(
        claims in claims(),
        signature in signature(),
        hidings in prop::collection::vec(hiding(), 1..4),
    ) {
        let jwt = synthetic_jwt(&claims, &signature);
        let mut header = Header::new("record");
        header.url = Some(format!("wss://h/socket.io/?access_token={jwt}&EIO=4"));
        let mut writer = CaptureWriter::new(Vec::new(), header).unwrap();
        for hiding in &hidings {
            writer.write_record(record_hiding(&jwt, hiding)).unwrap();
        }
        let report = writer.redaction_report();
        let bytes = writer.finish().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        prop_assert!(!text.contains(&signature), "signature survived:\n{}", text);
        // One JWT in the header URL, at least one per hiding place.
        prop_assert!(report.jwts > hidings.len() as u64, "{report:?}");
        // Redaction is idempotent: a second pass finds nothing and changes nothing.
        let redactor = Redactor::default();
        let mut second = RedactionReport::default();
        for record in CaptureReader::new(bytes.as_slice()) {
            let record = record.unwrap();
            let mut again = record.clone();
            redactor.redact_record(&mut again, &mut second);
            prop_assert_eq!(again, record);
        }
        prop_assert!(second.is_empty(), "{second:?}");
        // Binary payloads are checked after decoding, where the token was.
        let records: Vec<Record> = CaptureReader::new(bytes.as_slice())
            .collect::<Result<_, _>>()
            .unwrap();
        for record in &records {
            if let Record::Frame(frame) = record {
                let payload = frame.payload_bytes().unwrap();
                let payload = String::from_utf8_lossy(&payload);
                prop_assert!(!payload.contains(&signature));
                // Placeholders never break the JSON they sit in.
                if let Some(json) = payload.strip_prefix("42/chatomni,").or_else(|| payload.strip_prefix("40/chatomni,")) {
                    prop_assert!(serde_json::from_str::<serde_json::Value>(json).is_ok(), "{}", payload);
                }
            }
        }
    }
}

#[test]
fn a_token_double_encoded_in_an_event_keeps_its_claims_readable() {
    let jwt = synthetic_jwt(
        r#"{"TenantId":"tomato.tpos.vn","UserId":"42","DisplayName":"Thảo Tây","exp":1767800000}"#,
        "double-encoded-signature-0123456789abcdef",
    );
    let inner = serde_json::json!({ "Message": { "Token": jwt } }).to_string();
    let frame = format!(
        "42/chatomni,{}",
        serde_json::json!(["on-events", serde_json::Value::from(inner).to_string()])
    );
    let mut writer = CaptureWriter::new(Vec::new(), Header::new("record")).unwrap();
    writer
        .write_frame(&FrameRecord::text(0.0, 1, Direction::Server, frame))
        .unwrap();
    let text = String::from_utf8(writer.finish().unwrap()).unwrap();
    assert!(!text.contains("double-encoded-signature"), "{text}");
    assert!(
        text.contains("[jwt TenantId=tomato.tpos.vn UserId=42 exp=1767800000]"),
        "{text}"
    );
    assert!(
        !text.contains("DisplayName"),
        "claims off the allow-list are dropped: {text}"
    );
}
