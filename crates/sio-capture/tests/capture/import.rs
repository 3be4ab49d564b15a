//! Importers on browser exports: what they find, what they redact, and how they fail.

use sio_capture::import::{
    CaptureFile, DETECT_PREFIX_BYTES, ImportOptions, InputKind, detect_file_kind,
    detect_input_kind, import_capture, open_file,
};
use sio_capture::{
    CaptureError, CaptureReader, Direction, FrameKind, ImportLocation, Record, Redactor,
};

use crate::fixtures::{FIXTURE_JWT_SIGNATURE, fixture};

fn import(bytes: &[u8]) -> sio_capture::import::Imported {
    import_capture(bytes, &ImportOptions::default()).unwrap()
}

fn frames(records: &[Record]) -> Vec<&sio_capture::FrameRecord> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Frame(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn import_error(bytes: &[u8], kind: InputKind) -> sio_capture::ImportError {
    match import_capture(bytes, &ImportOptions::default().kind(kind)) {
        Err(CaptureError::Import(e)) => e,
        other => panic!("expected an import error, got {other:?}"),
    }
}

#[test]
fn each_fixture_is_detected_as_what_it_is() {
    assert_eq!(detect_input_kind(&fixture("chrome.har")), InputKind::Har);
    assert_eq!(detect_input_kind(&fixture("firefox.har")), InputKind::Har);
    assert_eq!(
        detect_input_kind(&fixture("devtools.txt")),
        InputKind::DevtoolsText
    );
    assert_eq!(
        detect_input_kind(&fixture("plain.txt")),
        InputKind::PlainText
    );
}

/// Files are told apart by their first `DETECT_PREFIX_BYTES` alone: a minified HAR whose one
/// line runs far past them is still a HAR, a native capture of any length still native, and a
/// missing file is the I/O error.
#[test]
fn files_are_detected_from_their_first_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let har: serde_json::Value = serde_json::from_slice(&fixture("chrome.har")).unwrap();
    let mut minified = serde_json::to_string(&har).unwrap();
    while (minified.len() as u64) < 2 * DETECT_PREFIX_BYTES {
        minified = format!("{{\"pad\":{minified},{}", &minified[1..]);
    }
    let har_path = dir.path().join("one-line.har");
    std::fs::write(&har_path, &minified).unwrap();
    assert_eq!(detect_file_kind(&har_path).unwrap(), InputKind::Har);

    let native = dir.path().join("big.jsonl");
    let header = r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"t"}"#;
    let frame = r#"{"type":"frame","t_ms":1,"conn":1,"from":"server","kind":"text","data":"2"}"#;
    let lines = (DETECT_PREFIX_BYTES as usize) / frame.len() * 2;
    let text = std::iter::once(header)
        .chain(std::iter::repeat_n(frame, lines))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&native, text).unwrap();
    assert_eq!(detect_file_kind(&native).unwrap(), InputKind::Native);

    let devtools = dir.path().join("devtools.txt");
    std::fs::write(&devtools, fixture("devtools.txt")).unwrap();
    assert_eq!(
        detect_file_kind(&devtools).unwrap(),
        InputKind::DevtoolsText
    );
    assert!(detect_file_kind(&dir.path().join("missing")).is_err());
}

/// `open_file` streams a native capture and imports anything else, redacted, with the records
/// an import of the same bytes gives.
#[test]
fn open_file_streams_captures_and_imports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("session.har");
    std::fs::write(&har, fixture("chrome.har")).unwrap();
    let file = open_file(&har, &ImportOptions::default()).unwrap();
    assert_eq!(file.kind(), InputKind::Har);
    assert!(matches!(file, CaptureFile::Imported(_)));
    let records: Vec<Record> = file.into_records().map(Result::unwrap).collect();
    assert_eq!(
        records,
        import(&fixture("chrome.har"))
            .all_records()
            .collect::<Vec<_>>()
    );
    assert!(
        !format!("{records:?}").contains(FIXTURE_JWT_SIGNATURE),
        "redacted"
    );

    let native = dir.path().join("session.jsonl");
    let mut bytes = Vec::new();
    import(&fixture("chrome.har")).write_to(&mut bytes).unwrap();
    std::fs::write(&native, &bytes).unwrap();
    let file = open_file(&native, &ImportOptions::default()).unwrap();
    assert_eq!(file.kind(), InputKind::Native);
    assert!(matches!(file, CaptureFile::Native(_)));
    let streamed: Vec<Record> = file.into_records().map(Result::unwrap).collect();
    assert_eq!(streamed.len(), records.len());

    // A forced kind is not second-guessed: this capture read as plain text is one frame per line.
    let forced = open_file(
        &native,
        &ImportOptions::default().kind(InputKind::PlainText),
    )
    .unwrap();
    assert_eq!(forced.kind(), InputKind::PlainText);

    assert!(matches!(
        open_file(&dir.path().join("missing"), &ImportOptions::default()),
        Err(CaptureError::Io(_))
    ));
    let cut = dir.path().join("cut.har");
    let har_bytes = fixture("chrome.har");
    std::fs::write(&cut, &har_bytes[..har_bytes.len() / 2]).unwrap();
    assert!(matches!(
        open_file(&cut, &ImportOptions::default()),
        Err(CaptureError::Import(_))
    ));
}

#[test]
fn chrome_har_gives_frames_http_exchanges_and_a_summary() {
    let imported = import(&fixture("chrome.har"));
    let s = &imported.summary;
    assert_eq!(s.kind, InputKind::Har);
    assert_eq!(
        (
            s.connections,
            s.frames,
            s.binary_frames,
            s.events,
            s.http_exchanges,
            s.websocket_errors
        ),
        (1, 7, 1, 1, 3, 1)
    );
    // From the first frame (50 ms after the upgrade request) to the binary frame at 26 s.
    assert!((s.span_ms - 25_950.0).abs() < 0.01, "span {}", s.span_ms);
    assert_eq!(
        imported.header.url.as_deref(),
        Some("wss://rt-2.tpos.app/socket.io/?room=tomato.tpos.vn&EIO=4&transport=websocket")
    );
    assert_eq!(imported.header.room.as_deref(), Some("tomato.tpos.vn"));
    assert_eq!(
        imported.header.started_at.as_deref(),
        Some("2026-01-07T13:30:44.100Z")
    );
    assert_eq!(imported.header.source, "import-har");

    let frames = frames(&imported.records);
    let directions: Vec<Direction> = frames.iter().map(|f| f.from).collect();
    use Direction::{Client as C, Server as S};
    assert_eq!(directions, [S, C, S, S, S, C, S]);
    assert!(
        frames[0]
            .data
            .starts_with("0{\"sid\":\"4RK_z0D5LofuOO3tR9vW\"")
    );
    assert!((frames[0].t_ms - 50.0).abs() < 0.01);
    assert_eq!(frames[6].kind, FrameKind::Binary);
    assert_eq!(frames[6].payload_bytes().unwrap(), [1, 2, 3, 255]);
    // The records are in time order, HTTP exchanges interleaved with frames.
    let times: Vec<f64> = imported.records.iter().map(Record::t_ms).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    let Some(Record::Http(png)) = imported
        .records
        .iter()
        .find(|r| matches!(r, Record::Http(h) if h.url.ends_with(".png")))
    else {
        panic!("the favicon exchange is missing");
    };
    assert!(png.body_base64, "a PNG body stays base64");
    let Some(Record::Http(login)) = imported
        .records
        .iter()
        .find(|r| matches!(r, Record::Http(h) if h.method == "POST"))
    else {
        panic!("the login exchange is missing");
    };
    assert!(!login.body_base64, "a base64 JSON body is decoded to text");
    assert!(
        login.body.contains("\"token_type\": \"bearer\""),
        "{}",
        login.body
    );
}

#[test]
fn chrome_har_import_redacts_every_secret() {
    let imported = import(&fixture("chrome.har"));
    let r = imported.summary.redaction;
    assert_eq!(
        (r.jwts, r.headers, r.query_params, r.token_fields),
        (3, 2, 3, 0)
    );
    let written = String::from_utf8(imported.write_to(Vec::new()).unwrap()).unwrap();
    for secret in [
        FIXTURE_JWT_SIGNATURE,
        "opaque-query-secret",
        "abc123",
        "zzz999",
        "hunter2",
        "do-not-show",
    ] {
        assert!(!written.contains(secret), "{secret} survived:\n{written}");
    }
    assert!(written.contains(
        "[jwt TenantId=tomato.tpos.vn UserId=0b2d7a6e-1c3f-4a5b-9d8e-7f6a5b4c3d2e ClientId=tmtWebApp exp=1767800000]"
    ));
    assert!(written.contains("Bearer [jwt TenantId=tomato.tpos.vn"));
    assert!(written.contains("tpos_session=[redacted]; Path=/; HttpOnly"));
    assert!(written.contains("access_token=[redacted]"));
    // The written capture reads back strictly.
    let count = CaptureReader::new(written.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .len();
    assert_eq!(count, 1 + 7 + 3);
}

#[test]
fn redaction_can_be_turned_off_explicitly() {
    let options = ImportOptions::default().redactor(Redactor::disabled());
    let imported = import_capture(&fixture("chrome.har"), &options).unwrap();
    assert!(imported.summary.redaction.is_empty());
    let written = String::from_utf8(imported.write_to(Vec::new()).unwrap()).unwrap();
    assert!(written.contains(FIXTURE_JWT_SIGNATURE));
}

#[test]
fn firefox_har_imports_http_and_says_it_has_no_messages() {
    let imported = import(&fixture("firefox.har"));
    let s = &imported.summary;
    assert_eq!((s.connections, s.frames, s.http_exchanges), (1, 0, 1));
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("written by Firefox, which exports no WebSocket messages")),
        "{:?}",
        s.notes
    );
    // Firefox writes local times with an offset: 14:30:44.100+01:00 is 13:30:44.100Z.
    assert_eq!(
        imported.header.started_at.as_deref(),
        Some("2026-01-07T13:30:44.100Z")
    );
    let Record::Http(http) = &imported.records[0] else {
        panic!("expected the HTTP exchange");
    };
    assert!((http.t_ms - 900.0).abs() < 0.01);
    assert!(
        s.to_string()
            .contains("note: this HAR was written by Firefox")
    );
}

#[test]
fn devtools_text_with_marks_times_and_columns() {
    let imported = import(&fixture("devtools.txt"));
    let s = &imported.summary;
    assert_eq!(
        (s.kind, s.frames, s.events, s.inferred_directions),
        (InputKind::DevtoolsText, 6, 1, 2)
    );
    let frames = frames(&imported.records);
    use Direction::{Client as C, Server as S};
    assert_eq!(
        frames.iter().map(|f| f.from).collect::<Vec<_>>(),
        [S, C, S, S, S, C]
    );
    let times: Vec<f64> = frames
        .iter()
        .map(|f| (f.t_ms * 1000.0).round() / 1000.0)
        .collect();
    assert_eq!(times, [0.0, 11.0, 70.0, 7179.0, 25000.0, 25002.0]);
    assert_eq!(frames[4].data, "2");
    assert!(frames[1].data.starts_with("40/chatomni,{\"token\":"));
    assert_eq!(s.redaction.jwts, 1);
}

#[test]
fn plain_text_infers_every_direction() {
    let imported = import(&fixture("plain.txt"));
    let s = &imported.summary;
    assert_eq!(
        (s.kind, s.frames, s.inferred_directions),
        (InputKind::PlainText, 6, 6)
    );
    use Direction::{Client as C, Server as S};
    let frames = frames(&imported.records);
    assert_eq!(
        frames.iter().map(|f| f.from).collect::<Vec<_>>(),
        [S, C, S, S, S, C]
    );
}

#[test]
fn an_explicit_kind_overrides_detection() {
    let options = ImportOptions::default().kind(InputKind::PlainText);
    let imported = import_capture(&fixture("devtools.txt"), &options).unwrap();
    let frames = frames(&imported.records);
    assert!(frames[0].data.starts_with("↓ 13:30:44.150\t0{"));
}

#[test]
fn a_native_capture_imports_as_itself() {
    let chrome = import(&fixture("chrome.har"));
    let native = chrome.write_to(Vec::new()).unwrap();
    assert_eq!(detect_input_kind(&native), InputKind::Native);
    let again = import(&native);
    assert_eq!(again.records, chrome.records);
    assert_eq!(again.header, chrome.header);
}

#[test]
fn a_truncated_har_says_it_ended_early_and_where() {
    let har = fixture("chrome.har");
    let err = import_error(&har[..har.len() / 2], InputKind::Har);
    let ImportLocation::JsonPath { path, line, .. } = &err.location else {
        panic!("expected a JSON path, got {:?}", err.location);
    };
    assert!(path.starts_with("log.entries["), "{path}");
    assert!(*line > 1);
    assert!(err.message.contains("ended early"), "{}", err.message);
    assert!(
        err.to_string()
            .starts_with("HAR import failed at log.entries"),
        "{err}"
    );
}

#[test]
fn har_type_errors_name_the_json_path() {
    let har = String::from_utf8(fixture("chrome.har")).unwrap();
    let broken = har.replacen("\"opcode\": 1", "\"opcode\": \"1\"", 3);
    let err = import_error(broken.as_bytes(), InputKind::Har);
    let ImportLocation::JsonPath { path, .. } = &err.location else {
        panic!("expected a JSON path");
    };
    assert_eq!(path, "log.entries[0]._webSocketMessages[0].opcode");
    assert!(err.message.contains("expected i64"), "{}", err.message);

    let missing = har.replacen("\"startedDateTime\": \"2026-01-07T13:30:45.000Z\",", "", 1);
    let err = import_error(missing.as_bytes(), InputKind::Har);
    assert!(err.to_string().contains("log.entries[1]"), "{err}");
    assert!(
        err.message.contains("missing field `startedDateTime`"),
        "{}",
        err.message
    );
}

/// `text` with the `n`th (0-based) occurrence of `from` replaced by `to`.
fn replace_nth(text: &str, from: &str, to: &str, n: usize) -> String {
    let (at, _) = text
        .match_indices(from)
        .nth(n)
        .expect("not enough occurrences");
    format!("{}{to}{}", &text[..at], &text[at + from.len()..])
}

#[test]
fn har_value_errors_name_the_json_path() {
    let har = String::from_utf8(fixture("chrome.har")).unwrap();
    let cases = [
        (
            replace_nth(&har, "\"opcode\": 1", "\"opcode\": 7", 2),
            "log.entries[0]._webSocketMessages[2].opcode",
            "found 7",
        ),
        (
            har.replacen("\"AQID/w==\"", "\"AQ*D\"", 1),
            "log.entries[0]._webSocketMessages[6].data",
            "expected base64",
        ),
        (
            har.replacen("\"type\": \"send\"", "\"type\": \"sent\"", 1),
            "log.entries[0]._webSocketMessages[1].type",
            "\"sent\"",
        ),
        (
            har.replacen("2026-01-07T13:30:45.500Z", "yesterday", 1),
            "log.entries[2].startedDateTime",
            "expected an ISO 8601 date-time",
        ),
    ];
    for (input, want_path, want_message) in cases {
        let err = import_error(input.as_bytes(), InputKind::Har);
        assert_eq!(
            err.location,
            ImportLocation::JsonPath {
                path: want_path.into(),
                line: 0,
                column: 0
            },
            "{err}"
        );
        assert!(err.message.contains(want_message), "{err}");
    }
}

#[test]
fn not_a_har_at_all() {
    let err = import_error(b"{\"entries\": []}", InputKind::Har);
    assert!(err.message.contains("missing field `log`"), "{err}");
    let err = import_error(b"", InputKind::Har);
    assert!(err.message.contains("ended early"), "{err}");
}

#[test]
fn devtools_rows_without_data_name_their_line() {
    let err = import_error(
        "↓ 13:30:44.150 2\n↑ 13:30:44.161\n".as_bytes(),
        InputKind::DevtoolsText,
    );
    assert_eq!(err.location, ImportLocation::Line(2));
    assert!(err.message.contains("expected a frame's data"), "{err}");
    let err = import_error(b"2\n\xff\n", InputKind::PlainText);
    assert_eq!(err.location, ImportLocation::Line(2));
    assert!(err.message.contains("expected UTF-8 text"), "{err}");
}

#[test]
fn lenient_where_har_writers_differ() {
    let har = String::from_utf8(fixture("chrome.har")).unwrap();
    // A start time without an offset is UTC; a status of -1 means no response.
    let har = har
        .replacen("2026-01-07T13:30:45.000Z", "2026-01-07T13:30:45.000", 1)
        .replacen("\"status\": 200", "\"status\": -1", 1);
    let imported = import(har.as_bytes());
    let Some(Record::Http(http)) = imported
        .records
        .iter()
        .find(|r| matches!(r, Record::Http(_)))
    else {
        panic!("the first exchange is missing");
    };
    assert!((http.t_ms - 900.0).abs() < 0.01, "{}", http.t_ms);
    assert_eq!(http.status, 0);
}

#[test]
fn a_native_capture_with_a_torn_last_line_imports_with_a_warning() {
    let capture = concat!(
        r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"record"}"#,
        "\n",
        r#"{"type":"frame","t_ms":1.0,"conn":1,"from":"server","kind":"text","data":"2"}"#,
        "\n",
        r#"{"type":"frame","t_ms":2.0,"conn":1,"fr"#,
    );
    let imported = import_capture(capture.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!(imported.summary.frames, 1);
    assert_eq!(imported.summary.warnings.len(), 1);
    assert!(
        imported.summary.warnings[0].starts_with("line 3: the last line is an incomplete record"),
        "{:?}",
        imported.summary.warnings
    );
    assert!(
        imported
            .summary
            .to_string()
            .contains("\nwarning: line 3: the last line")
    );
}

/// A HAR message time is epoch seconds in a JSON number, so anything can be there: huge times
/// import (and round-trip through a native capture), negative or unrepresentable ones are
/// refused naming the message; none panics.
#[test]
fn extreme_har_message_times_import_or_are_refused_clearly() {
    let har = |time: &str| {
        format!(
            r#"{{"log":{{"version":"1.2","entries":[{{"startedDateTime":"2026-01-07T13:30:45.000Z","request":{{"method":"GET","url":"wss://h/socket.io/?EIO=4&transport=websocket"}},"response":{{"status":101}},"_webSocketMessages":[{{"type":"receive","time":1767792645.1,"opcode":1,"data":"2"}},{{"type":"receive","time":{time},"opcode":1,"data":"3"}}]}}]}}}}"#
        )
    };
    for time in ["9e18", "1e300", "1.7e305"] {
        let imported = import(har(time).as_bytes());
        assert_eq!(imported.summary.frames, 2, "{time}");
        assert!(imported.summary.span_ms.is_finite(), "{time}");
        let written = imported.write_to(Vec::new()).unwrap();
        let read = CaptureReader::new(written.as_slice())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(read.len(), 3, "{time}");
    }
    for time in ["-9e18", "-1", "1e306", "1.7e308"] {
        let err = import_capture(har(time).as_bytes(), &ImportOptions::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("log.entries[0]._webSocketMessages[1].time"),
            "{time}: {err}"
        );
    }
}

/// `write_to` writes what the import redacted, once: every fixture's written capture reads
/// back as exactly the header and records of the import, and a second pass of the default
/// redactor over it finds nothing (the pass `write_to` no longer makes would have changed
/// nothing).
#[test]
fn write_to_writes_the_imported_records_and_nothing_is_left_to_redact() {
    for name in [
        "chrome.har",
        "firefox.har",
        "devtools.txt",
        "plain.txt",
        "pcap/websocket-only.pcap",
        "pcap/polling-upgrade.pcap",
    ] {
        let imported = import(&fixture(name));
        let written = imported.write_to(Vec::new()).unwrap();
        let read: Vec<Record> = CaptureReader::new(written.as_slice())
            .collect::<Result<_, _>>()
            .unwrap();
        let expected: Vec<Record> = imported.all_records().collect();
        assert_eq!(read, expected, "{name}");
        let mut report = sio_capture::RedactionReport::default();
        for mut record in read {
            Redactor::default().redact_record(&mut record, &mut report);
        }
        assert!(report.is_empty(), "{name}: a second pass redacted {report}");
    }
}

/// A redactor with an extra token field redacts at import; `write_to` keeps that redaction
/// (it writes the records as imported, not through the default redactor).
#[test]
fn write_to_keeps_a_custom_redactors_work() {
    let log = "0{\"sid\":\"a\"}\n42/chatomni,[\"login\",{\"pin\":\"4321\"}]\n";
    let options = ImportOptions::default().redactor(Redactor::default().token_field("pin"));
    let imported = import_capture(log.as_bytes(), &options).unwrap();
    assert_eq!(imported.summary.redaction.token_fields, 1);
    let written = String::from_utf8(imported.write_to(Vec::new()).unwrap()).unwrap();
    assert!(!written.contains("4321"), "{written}");
    assert!(written.contains(r#"\"pin\":\"[redacted]\""#), "{written}");
}

/// Output is written in batches of whole lines: a capture larger than one batch (64 KiB)
/// reads back whole, and a header record among the records is refused as `CaptureWriter`
/// refuses it.
#[test]
fn write_to_batches_whole_lines_and_refuses_a_second_header() {
    let mut log = String::from("0{\"sid\":\"a\"}\n");
    for i in 0..3000 {
        log.push_str(&format!("42/chatomni,[\"on-events\",{{\"n\":{i}}}]\n"));
    }
    let mut imported = import(log.as_bytes());
    let written = imported.write_to(Vec::new()).unwrap();
    assert!(written.len() > 3 * 64 * 1024, "{} bytes", written.len());
    let read: Vec<Record> = CaptureReader::new(written.as_slice())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(read.len(), 1 + 3001);
    assert_eq!(read, imported.all_records().collect::<Vec<_>>());
    imported
        .records
        .push(Record::Header(imported.header.clone()));
    assert!(matches!(
        imported.write_to(Vec::new()),
        Err(CaptureError::HeaderAlreadyWritten)
    ));
}
