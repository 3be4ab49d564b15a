//! Normalised transcripts, as snapshot tests see them.

use sio_capture::import::{ImportOptions, import_capture};
use sio_capture::normalize::NormalizeConfig;
use sio_capture::transcript::{Transcript, render_capture, render_file, render_transcript};
use sio_capture::{CaptureReader, Direction, FrameRecord, Header, Record};

use crate::fixtures::fixture;

fn transcript_of(fixture_name: &str, config: &NormalizeConfig) -> String {
    let imported = import_capture(&fixture(fixture_name), &ImportOptions::default()).unwrap();
    let records: Vec<Record> = imported.all_records().collect();
    render_transcript(&records, config)
}

#[test]
fn chrome_har_transcript() {
    insta::assert_snapshot!(transcript_of("chrome.har", &NormalizeConfig::default()));
}

/// A file's transcript is the same whether it is the HAR or the capture imported from it.
#[test]
fn render_file_takes_a_har_as_it_takes_its_import() {
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("session.har");
    std::fs::write(&har, fixture("chrome.har")).unwrap();
    let capture = dir.path().join("session.jsonl");
    let imported = import_capture(&fixture("chrome.har"), &ImportOptions::default()).unwrap();
    std::fs::write(&capture, imported.write_to(Vec::new()).unwrap()).unwrap();
    let config = NormalizeConfig::default();
    let (from_har, warnings) = render_file(&har, &config).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(from_har, transcript_of("chrome.har", &config));
    assert_eq!(render_file(&capture, &config).unwrap().0, from_har);
    // A capture cut mid-line renders what it holds, and says so.
    let text = std::fs::read_to_string(&capture).unwrap();
    let torn = dir.path().join("torn.jsonl");
    std::fs::write(&torn, &text[..text.len() - 20]).unwrap();
    let (_, warnings) = render_file(&torn, &config).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("incomplete record"), "{warnings:?}");
}

#[test]
fn devtools_text_transcript_with_times_and_user_rules() {
    let config = NormalizeConfig::default()
        .with_rule("$.Message.Message=text")
        .unwrap()
        .with_rule("$..Data.message=text")
        .unwrap()
        .keep("$..UpdatedTime")
        .unwrap()
        .include_time(true);
    insta::assert_snapshot!(transcript_of("devtools.txt", &config));
}

#[test]
fn without_normalisation_the_volatile_values_show() {
    let text = transcript_of("plain.txt", &NormalizeConfig::none());
    assert!(text.contains("\"sid\": \"4RK_z0D5LofuOO3tR9vW\""), "{text}");
    assert!(
        text.contains("\"Id\": \"695e60057b7c8059540ed555\""),
        "{text}"
    );
    assert!(
        text.contains("\"UpdatedTime\": \"2026-01-07T13:30:51.329Z\""),
        "{text}"
    );
}

#[test]
fn two_recordings_that_differ_only_in_volatile_values_give_one_transcript() {
    let session = |sid: &str, ns_sid: &str, id: &str, at: &str| {
        vec![
            Record::Header(Header::new("record")),
            Record::Frame(FrameRecord::text(
                0.0,
                1,
                Direction::Server,
                format!(
                    r#"0{{"sid":"{sid}","upgrades":[],"pingInterval":25000,"pingTimeout":60000}}"#
                ),
            )),
            Record::Frame(FrameRecord::text(
                1.0,
                1,
                Direction::Server,
                format!(r#"40/chatomni,{{"sid":"{ns_sid}"}}"#),
            )),
            Record::Frame(FrameRecord::text(
                2.0,
                1,
                Direction::Server,
                format!(
                    r#"42/chatomni,["on-events","{{\"Message\":{{\"Id\":\"{id}\",\"CreatedTime\":\"{at}\"}},\"ReplyTo\":\"{id}\"}}"]"#
                ),
            )),
        ]
    };
    let config = NormalizeConfig::default();
    let a = render_transcript(
        &session(
            "4RK_z0D5LofuOO3tR9vW",
            "SSUs7rUdms63DeB9R9vX",
            "695e60057b7c8059540ed555",
            "2026-01-07T13:30:51.329Z",
        ),
        &config,
    );
    let b = render_transcript(
        &session(
            "zzzzzzzzzzzzzzzzzzzz",
            "yyyyyyyyyyyyyyyyyyyy",
            "aaaaaaaaaaaaaaaaaaaaaaaa",
            "2027-02-01T00:00:00Z",
        ),
        &config,
    );
    assert_eq!(a, b);
    assert!(
        a.contains("\"ReplyTo\": \"[id-1]\""),
        "the same id keeps its number:\n{a}"
    );
    assert!(a.contains("\"sid\": \"[sid-2]\""), "{a}");
}

#[test]
fn undecodable_frames_are_shown_not_dropped() {
    let config = NormalizeConfig::default();
    let mut transcript = Transcript::new(&config);
    transcript.push(&Record::Frame(FrameRecord::text(
        0.0,
        1,
        Direction::Server,
        "9nonsense",
    )));
    transcript.push(&Record::Frame(FrameRecord::text(
        0.0,
        1,
        Direction::Client,
        "42/chatomni,[\"x\"",
    )));
    assert_eq!(transcript.undecodable_frames(), 2);
    assert_eq!(transcript.frames(), 2);
    insta::assert_snapshot!(transcript.finish());
}

#[test]
fn render_capture_reports_the_bad_line() {
    let text = "{\"type\":\"header\",\"format\":\"sio-replay-capture\",\"version\":1,\"source\":\"t\"}\nnope\n";
    let err = render_capture(
        CaptureReader::new(text.as_bytes()),
        &NormalizeConfig::default(),
    )
    .unwrap_err();
    assert_eq!(err.line(), Some(2));
}

#[test]
fn polling_urls_have_their_sid_and_times_normalised_by_the_same_rules() {
    let http = sio_capture::HttpRecord {
        t_ms: 0.0,
        method: "GET".into(),
        url: "https://rt-2.tpos.app/socket.io/?EIO=4&transport=polling&t=1767792644100&sid=4RK_z0D5LofuOO3tR9vW".into(),
        query: Vec::new(),
        request_headers: Vec::new(),
        request_body: None,
        status: 200,
        response_headers: Vec::new(),
        body: "2".into(),
        body_base64: false,
    };
    let records = [
        Record::Frame(FrameRecord::text(
            0.0,
            1,
            Direction::Server,
            r#"0{"sid":"4RK_z0D5LofuOO3tR9vW","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":60000}"#,
        )),
        Record::Http(http),
    ];
    let text = render_transcript(&records, &NormalizeConfig::default());
    assert!(
        text.contains("?EIO=4&transport=polling&t=[time-1]&sid=[sid-1] -> 200"),
        "{text}"
    );
    let kept = render_transcript(&records, &NormalizeConfig::default().keep("$.t").unwrap());
    assert!(kept.contains("&t=1767792644100&"), "{kept}");
    let raw = render_transcript(&records, &NormalizeConfig::none());
    assert!(raw.contains("sid=4RK_z0D5LofuOO3tR9vW"), "{raw}");
}

#[test]
fn long_polling_exchanges_show_their_packets() {
    let exchange = |method: &str, request_body: Option<&str>, body: &str| {
        Record::Http(sio_capture::HttpRecord {
            t_ms: 0.0,
            method: method.into(),
            url: "https://rt-2.tpos.app/socket.io/?room=tomato.tpos.vn&EIO=4&transport=polling&sid=4RK_z0D5LofuOO3tR9vW".into(),
            query: Vec::new(),
            request_headers: Vec::new(),
            request_body: request_body.map(str::to_owned),
            status: 200,
            response_headers: Vec::new(),
            body: body.into(),
            body_base64: false,
        })
    };
    let records = [
        exchange(
            "GET",
            None,
            r#"0{"sid":"4RK_z0D5LofuOO3tR9vW","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":60000,"maxPayload":1000000}"#,
        ),
        exchange("POST", Some(r#"40/chatomni,{"token":"[redacted]"}"#), "ok"),
        exchange(
            "GET",
            None,
            "40/chatomni,{\"sid\":\"SSUs7rUdms63DeB9R9vX\"}\u{1e}42/chatomni,[\"on-events\",\"{\\\"Message\\\":{\\\"Id\\\":\\\"695e60057b7c8059540ed555\\\"}}\"]\u{1e}bAQID",
        ),
        exchange("POST", Some("3\u{1e}2probe"), "ok"),
    ];
    let config = NormalizeConfig::default();
    let mut transcript = Transcript::new(&config);
    for record in &records {
        transcript.push(record);
    }
    assert_eq!(transcript.frames(), 7);
    assert_eq!(transcript.undecodable_frames(), 0);
    insta::assert_snapshot!(transcript.finish());
}
