//! Every bad line is reported with its line number and reason.

use sio_capture::{CaptureError, CaptureReader, LineErrorKind, Record};

const HEADER: &str =
    r#"{"type":"header","format":"sio-replay-capture","version":1,"source":"test"}"#;
const FRAME: &str =
    r#"{"type":"frame","t_ms":1.0,"conn":1,"from":"server","kind":"text","data":"2"}"#;

fn first_error(text: &str) -> CaptureError {
    CaptureReader::new(text.as_bytes())
        .find_map(Result::err)
        .expect("expected an error")
}

fn kind_at(text: &str) -> (u64, LineErrorKind) {
    match first_error(text) {
        CaptureError::Line { line, kind } => (line, kind),
        other => panic!("expected a line error, got {other}"),
    }
}

#[test]
fn invalid_json_names_its_line() {
    let text = format!("{HEADER}\n{FRAME}\n{{\"type\":\"frame\",\n{FRAME}\n");
    let err = first_error(&text);
    assert_eq!(err.line(), Some(3));
    assert!(
        err.to_string()
            .starts_with("line 3: invalid JSON: EOF while parsing"),
        "{err}"
    );
}

#[test]
fn unknown_direction() {
    let text = format!("{HEADER}\n{}\n", FRAME.replace("\"server\"", "\"browser\""));
    assert_eq!(
        kind_at(&text),
        (
            2,
            LineErrorKind::UnknownDirection {
                found: "browser".into()
            }
        )
    );
    assert_eq!(
        first_error(&text).to_string(),
        "line 2: unknown frame direction `from: browser` (expected client or server)"
    );
}

#[test]
fn unknown_record_type_and_kind() {
    let text = format!("{HEADER}\n{}\n", FRAME.replace("\"frame\"", "\"datagram\""));
    assert_eq!(
        kind_at(&text),
        (
            2,
            LineErrorKind::UnknownRecordType {
                found: "datagram".into()
            }
        )
    );
    let text = format!("{HEADER}\n{}\n", FRAME.replace("\"text\"", "\"utf16\""));
    assert_eq!(
        kind_at(&text),
        (
            2,
            LineErrorKind::UnknownFrameKind {
                found: "utf16".into()
            }
        )
    );
    let text = format!("{HEADER}\n[1,2]\n");
    assert_eq!(kind_at(&text), (2, LineErrorKind::MissingType));
}

#[test]
fn missing_field_names_the_field() {
    let text = format!("{HEADER}\n{}\n", FRAME.replace(r#""conn":1,"#, ""));
    let (line, kind) = kind_at(&text);
    assert_eq!(line, 2);
    let LineErrorKind::InvalidRecord {
        record_type,
        message,
    } = kind
    else {
        panic!("expected InvalidRecord, got {kind:?}");
    };
    assert_eq!(record_type, "frame");
    assert!(message.contains("missing field `conn`"), "{message}");
}

#[test]
fn bad_base64_in_a_binary_frame() {
    let frame =
        r#"{"type":"frame","t_ms":1.0,"conn":1,"from":"client","kind":"binary","data":"AAE*"}"#;
    let text = format!("{HEADER}\n{FRAME}\n{frame}\n");
    let (line, kind) = kind_at(&text);
    assert_eq!(line, 3);
    assert!(matches!(kind, LineErrorKind::BadBase64 { .. }), "{kind:?}");
    assert!(first_error(&text).to_string().contains("not valid base64"));
}

#[test]
fn missing_and_duplicate_headers() {
    let text = format!("{FRAME}\n{FRAME}\n");
    assert_eq!(
        kind_at(&text),
        (
            1,
            LineErrorKind::MissingHeader {
                found: "frame".into()
            }
        )
    );
    let text = format!("{HEADER}\n{FRAME}\n{HEADER}\n");
    assert_eq!(kind_at(&text), (3, LineErrorKind::DuplicateHeader));
}

#[test]
fn a_newer_version_is_refused_clearly_and_ends_reading() {
    let text = format!(
        "{}\n{FRAME}\n",
        HEADER.replace("\"version\":1", "\"version\":7")
    );
    let mut reader = CaptureReader::new(text.as_bytes()).lenient(true);
    let err = reader.next().unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1: capture format version 7 is newer than this reader supports (versions 1 to 1); upgrade sio-replay to read it"
    );
    assert!(
        reader.next().is_none(),
        "nothing after an unsupported header"
    );
}

#[test]
fn a_foreign_format_is_refused() {
    let text = format!("{}\n", HEADER.replace("sio-replay-capture", "pcap-ng"));
    assert_eq!(
        kind_at(&text),
        (
            1,
            LineErrorKind::WrongFormat {
                found: "pcap-ng".into()
            }
        )
    );
}

#[test]
fn a_torn_last_line_is_skipped_and_reported_not_an_error() {
    let text = format!("{HEADER}\n{FRAME}\n{}", &FRAME[..30]);
    for lenient in [false, true] {
        let mut reader = CaptureReader::new(text.as_bytes()).lenient(lenient);
        let records: Vec<Record> = reader.by_ref().collect::<Result<_, _>>().unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(reader.skipped_lines(), 0);
        let torn = reader.torn_last_line().expect("the torn line is reported");
        assert_eq!((torn.line, torn.bytes), (3, 30));
        assert_eq!(
            torn.to_string(),
            "line 3: the last line is an incomplete record (30 bytes, no newline), probably \
             from a recorder stopped mid-write; it was skipped"
        );
    }
}

/// Wherever a writer stops inside the last record, the reader reads what came before and
/// reports the rest as torn, never as an error: inside a string, a number (`1.`, `1e-`), a
/// literal, an escape, or a multi-byte character.
#[test]
fn a_record_cut_at_any_byte_is_a_torn_last_line() {
    let last = r#"{"type":"frame","t_ms":1.5e-3,"conn":1,"from":"client","kind":"text","data":"40/chatomni,{\"name\":\"Thảo\",\"ok\":true,\"n\":null,\"u\":\"\u00e9\"}"}"#;
    for cut in 1..last.len() {
        let mut bytes = format!("{HEADER}\n{FRAME}\n").into_bytes();
        bytes.extend_from_slice(&last.as_bytes()[..cut]);
        let mut reader = CaptureReader::new(bytes.as_slice());
        let results: Vec<_> = reader.by_ref().collect();
        assert!(
            results.iter().all(Result::is_ok),
            "cut at {cut} ({:?}): {results:?}",
            String::from_utf8_lossy(&last.as_bytes()[..cut])
        );
        assert_eq!(results.len(), 2, "cut at {cut}");
        assert_eq!(
            reader.torn_last_line().map(|t| t.line),
            Some(3),
            "cut at {cut}"
        );
    }
}

#[test]
fn a_torn_line_in_the_middle_stays_an_error_naming_the_line() {
    let text = format!("{HEADER}\n{}\n{FRAME}\n", &FRAME[..30]);
    let err = first_error(&text);
    assert_eq!(err.line(), Some(2));
    assert!(err.to_string().starts_with("line 2: invalid JSON"), "{err}");
    let mut reader = CaptureReader::new(text.as_bytes());
    let _ = reader.by_ref().count();
    assert_eq!(reader.torn_last_line(), None);
}

#[test]
fn a_complete_but_bad_last_line_without_newline_stays_an_error() {
    let text = format!("{HEADER}\n{}", FRAME.replace("server", "nobody"));
    let (line, kind) = kind_at(&text);
    assert_eq!(line, 2);
    assert!(
        matches!(kind, LineErrorKind::UnknownDirection { .. }),
        "{kind:?}"
    );
    // And a complete last line without its newline is simply read.
    let text = format!("{HEADER}\n{FRAME}");
    let mut reader = CaptureReader::new(text.as_bytes());
    assert_eq!(reader.by_ref().filter(Result::is_ok).count(), 2);
    assert_eq!(reader.torn_last_line(), None);
}

#[test]
fn lenient_mode_skips_and_counts() {
    let text = format!(
        "{HEADER}\n{FRAME}\nnot json\n{}\n\n{FRAME}\r\n{}\n",
        FRAME.replace("server", "nobody"),
        &FRAME[..20]
    );
    let mut reader = CaptureReader::new(text.as_bytes()).lenient(true);
    let records: Vec<Record> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(reader.skipped_lines(), 3);
    let lines: Vec<u64> = reader
        .problems()
        .iter()
        .filter_map(CaptureError::line)
        .collect();
    assert_eq!(lines, [3, 4, 7]);
    assert_eq!(reader.header().map(|h| h.source.as_str()), Some("test"));
}

#[test]
fn strict_mode_can_continue_after_an_error() {
    let text = format!("{HEADER}\nnot json\n{FRAME}\n");
    let results: Vec<_> = CaptureReader::new(text.as_bytes()).collect();
    assert_eq!(results.len(), 3);
    assert!(results[1].is_err());
    assert!(results[2].is_ok());
}

#[test]
fn overlong_lines_are_refused_without_buffering_them() {
    let long = format!(
        r#"{{"type":"frame","t_ms":1.0,"conn":1,"from":"server","kind":"text","data":"{}"}}"#,
        "x".repeat(10_000)
    );
    let text = format!("{HEADER}\n{long}\n{FRAME}\n");
    let mut reader = CaptureReader::new(text.as_bytes())
        .max_line_bytes(1024)
        .lenient(true);
    assert_eq!(reader.by_ref().filter_map(Result::ok).count(), 2);
    assert_eq!(reader.skipped_lines(), 1);
    assert!(matches!(
        reader.problems()[0],
        CaptureError::Line {
            line: 2,
            kind: LineErrorKind::LineTooLong { max: 1024 }
        }
    ));
}

#[test]
fn invalid_utf8_names_the_byte() {
    let mut bytes = format!("{HEADER}\n").into_bytes();
    bytes.extend_from_slice(b"{\"type\":\xff}\n");
    let err = CaptureReader::new(bytes.as_slice())
        .find_map(Result::err)
        .unwrap();
    assert_eq!(
        err.to_string(),
        "line 2: invalid UTF-8 at byte 8 of the line"
    );
}

#[test]
fn version_zero_does_not_exist() {
    let text = format!("{}\n", HEADER.replace("\"version\":1", "\"version\":0"));
    let (line, kind) = kind_at(&text);
    assert_eq!(line, 1);
    assert!(
        matches!(&kind, LineErrorKind::InvalidRecord { message, .. } if message.contains("versions start at 1")),
        "{kind:?}"
    );
}
