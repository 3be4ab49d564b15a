//! Importers keep what they are given: random Chrome HARs and DevTools logs import to the
//! frames they were made from.

use base64::Engine as _;
use proptest::prelude::*;
use sio_capture::import::{ImportOptions, InputKind, import_capture};
use sio_capture::{Direction, FrameKind, Record, Redactor};

/// One WebSocket message as Chrome writes it, and the frame it must become.
#[derive(Debug, Clone)]
struct Message {
    from: Direction,
    /// Milliseconds after the first message.
    offset_ms: u32,
    payload: Payload,
}

#[derive(Debug, Clone)]
enum Payload {
    Text(String),
    Binary(Vec<u8>),
}

fn message() -> impl Strategy<Value = Message> {
    let from = prop_oneof![Just(Direction::Client), Just(Direction::Server)];
    let payload = prop_oneof![
        ".{0,60}".prop_map(Payload::Text),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Payload::Binary),
    ];
    (from, 0u32..3_600_000, payload).prop_map(|(from, offset_ms, payload)| Message {
        from,
        offset_ms,
        payload,
    })
}

fn options() -> ImportOptions {
    // Redaction would rewrite random text that happens to look like a secret.
    ImportOptions::default().redactor(Redactor::disabled())
}

proptest! {
    #[test]
    fn a_chrome_har_imports_to_its_messages(mut messages in prop::collection::vec(message(), 1..30)) {
        messages.sort_by_key(|m| m.offset_ms);
        let start_s = 1_767_792_644.0;
        let har_messages: Vec<serde_json::Value> = messages
            .iter()
            .map(|m| {
                let (opcode, data) = match &m.payload {
                    Payload::Text(text) => (1, text.clone()),
                    Payload::Binary(bytes) => (2, base64::engine::general_purpose::STANDARD.encode(bytes)),
                };
                serde_json::json!({
                    "type": if m.from == Direction::Client { "send" } else { "receive" },
                    "time": start_s + f64::from(m.offset_ms) / 1000.0,
                    "opcode": opcode,
                    "data": data,
                })
            })
            .collect();
        let har = serde_json::json!({"log": {"version": "1.2", "creator": {"name": "WebInspector"}, "entries": [{
            "startedDateTime": "2026-01-07T13:30:44.000Z",
            "_resourceType": "websocket",
            "request": {"method": "GET", "url": "wss://h/socket.io/?EIO=4&transport=websocket", "headers": []},
            "response": {"status": 101, "headers": []},
            "_webSocketMessages": har_messages,
        }]}});
        let imported = import_capture(har.to_string().as_bytes(), &options()).unwrap();
        prop_assert_eq!(imported.summary.kind, InputKind::Har);
        prop_assert_eq!(imported.records.len(), messages.len());
        for (record, message) in imported.records.iter().zip(&messages) {
            let Record::Frame(frame) = record else {
                return Err(TestCaseError::fail("expected frames only"));
            };
            prop_assert_eq!(frame.from, message.from);
            prop_assert_eq!(frame.conn, 1);
            prop_assert!((frame.t_ms - f64::from(message.offset_ms)).abs() < 0.001, "{} vs {}", frame.t_ms, message.offset_ms);
            match &message.payload {
                Payload::Text(text) => {
                    prop_assert_eq!(frame.kind, FrameKind::Text);
                    prop_assert_eq!(&frame.data, text);
                }
                Payload::Binary(bytes) => {
                    prop_assert_eq!(frame.kind, FrameKind::Binary);
                    prop_assert_eq!(&frame.payload_bytes().unwrap(), bytes);
                }
            }
        }
    }

    #[test]
    fn a_devtools_log_imports_to_its_frames(
        rows in prop::collection::vec(
            (
                prop_oneof![Just(Direction::Client), Just(Direction::Server)],
                0u32..86_400_000,
                "[0-6]([0-9]{0,3}(/[a-z]{1,8},)?[\\[{][^\\t\\n\\r]{0,40}[\\]}])?",
                0usize..4,
            ),
            1..20,
        ),
    ) {
        // Times of day, in order, within one day.
        let mut rows = rows;
        rows.sort_by_key(|r| r.1);
        let mut log = String::new();
        for (from, at, data, shape) in &rows {
            let arrow = from.arrow();
            let time = format!(
                "{:02}:{:02}:{:02}.{:03}",
                at / 3_600_000,
                at / 60_000 % 60,
                at / 1000 % 60,
                at % 1000
            );
            // The shapes people paste: arrow and time before the data, Chrome's columns with an
            // arrow column, arrow then data then time, and columns with the arrow as a prefix.
            let row = match shape {
                0 => format!("{arrow} {time} {data}"),
                1 => format!("{arrow}\t{data}\t{}\t{time}", data.len()),
                2 => format!("{arrow} {data} {time}"),
                _ => format!("{arrow}{data}\t{}\t{time}", data.len()),
            };
            log.push_str(&row);
            log.push('\n');
        }
        let imported = import_capture(log.as_bytes(), &options()).unwrap();
        prop_assert_eq!(imported.summary.kind, InputKind::DevtoolsText);
        prop_assert_eq!(imported.summary.inferred_directions, 0);
        prop_assert_eq!(imported.records.len(), rows.len());
        let first = f64::from(rows[0].1);
        for (record, (from, at, data, _)) in imported.records.iter().zip(&rows) {
            let Record::Frame(frame) = record else {
                return Err(TestCaseError::fail("expected frames only"));
            };
            prop_assert_eq!(frame.from, *from);
            prop_assert_eq!(&frame.data, data.trim());
            prop_assert!((frame.t_ms - (f64::from(*at) - first)).abs() < 0.001);
        }
    }
}
