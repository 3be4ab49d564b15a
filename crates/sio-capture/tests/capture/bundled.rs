//! The workspace's bundled captures and browser samples (`captures/`, written by the
//! rt2-corpus generator) read, import and render cleanly. These check properties, not exact
//! text, so that regenerating the captures does not break this crate's tests.

use sio_capture::import::{ImportOptions, InputKind, import_capture};
use sio_capture::normalize::{NormalizeConfig, is_hex24, is_iso8601};
use sio_capture::transcript::{Transcript, render_capture};
use sio_capture::{CaptureReader, Record, RedactionReport, Redactor};

use crate::fixtures::bundled;

/// Redacting again finds nothing: no JWT, token field or credential is left.
fn assert_nothing_left_to_redact(capture: &[u8]) {
    let redactor = Redactor::default();
    let mut report = RedactionReport::default();
    for record in CaptureReader::new(capture) {
        let mut record = record.unwrap();
        redactor.redact_record(&mut record, &mut report);
    }
    assert!(report.is_empty(), "left to redact: {report}");
}

/// No quoted 24-hex id or ISO 8601 time is left in a normalised transcript.
fn assert_no_volatile_values(transcript: &str) {
    for quoted in transcript.split('"').skip(1).step_by(2) {
        assert!(!is_hex24(quoted), "an id survived normalisation: {quoted}");
        assert!(
            !is_iso8601(quoted),
            "a time survived normalisation: {quoted}"
        );
    }
}

#[test]
fn the_chat_capture_reads_strictly_and_renders_every_frame() {
    let capture = bundled("rt2-chatomni.jsonl");
    let config = NormalizeConfig::default();
    let mut transcript = Transcript::new(&config);
    for record in CaptureReader::new(capture.as_slice()) {
        transcript.push(&record.unwrap());
    }
    assert!(transcript.frames() > 100, "{} frames", transcript.frames());
    assert_eq!(transcript.undecodable_frames(), 0);
    let text = transcript.finish();
    assert!(
        text.contains("\"Message\": \"Nu\""),
        "the seed's first message is there"
    );
    assert!(text.contains("\"sid\": \"[sid-1]\""));
    assert_no_volatile_values(&text);
    assert_nothing_left_to_redact(&capture);
    // Rendering is deterministic.
    let again = render_capture(CaptureReader::new(capture.as_slice()), &config).unwrap();
    assert_eq!(text, again);
}

#[test]
fn the_live_video_capture_holds_paged_http_exchanges() {
    let capture = bundled("rt2-livevideo.jsonl");
    let records: Vec<Record> = CaptureReader::new(capture.as_slice())
        .collect::<Result<_, _>>()
        .unwrap();
    let pages = records
        .iter()
        .filter(|r| matches!(r, Record::Http(_)))
        .count();
    assert!(pages >= 2, "{pages} exchanges");
    let text = render_capture(
        CaptureReader::new(capture.as_slice()),
        &NormalizeConfig::default(),
    )
    .unwrap();
    assert!(text.contains("response body:"));
    assert_no_volatile_values(&text);
    assert_nothing_left_to_redact(&capture);
}

#[test]
fn the_sample_chrome_har_imports_with_its_secrets_removed() {
    let imported =
        import_capture(&bundled("sample-chrome.har"), &ImportOptions::default()).unwrap();
    let s = &imported.summary;
    assert_eq!(s.kind, InputKind::Har);
    assert!(s.connections >= 1 && s.frames > 0 && s.events > 0, "{s}");
    assert!(s.redaction.jwts >= 1, "the sample's token is found: {s}");
    let written = imported.write_to(Vec::new()).unwrap();
    assert_nothing_left_to_redact(&written);
    let text = render_capture(
        CaptureReader::new(written.as_slice()),
        &NormalizeConfig::default(),
    )
    .unwrap();
    assert!(!text.contains("undecodable"), "{text}");
}

#[test]
fn the_sample_devtools_log_imports_with_its_marks() {
    let imported =
        import_capture(&bundled("sample-devtools.txt"), &ImportOptions::default()).unwrap();
    let s = &imported.summary;
    assert_eq!(s.kind, InputKind::DevtoolsText);
    assert!(s.frames > 0 && s.events > 0, "{s}");
    assert_eq!(s.inferred_directions, 0, "every line has an arrow");
    assert!(s.span_ms > 0.0, "the times were read");
    assert!(s.redaction.jwts >= 1, "{s}");
    let written = imported.write_to(Vec::new()).unwrap();
    assert_nothing_left_to_redact(&written);
}
