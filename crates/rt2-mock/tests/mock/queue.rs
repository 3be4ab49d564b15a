//! Events larger than a client's whole send queue: dropped and counted, and the replay goes
//! on with the next event.

use std::sync::Arc;
use std::time::Duration;

use rt2_mock::{Capture, MockConfig, Pace};
use sio_capture::{Direction, FrameRecord, Header, Record};

use crate::support::*;

/// A capture of three events after the connect ack, the middle one `huge_bytes` long.
fn capture_with_a_huge_event(huge_bytes: usize) -> Arc<Capture> {
    let event = |t_ms: f64, text: &str| {
        Record::Frame(FrameRecord::text(
            t_ms,
            1,
            Direction::Server,
            format!(r#"42/chatomni,["on-events","{text}"]"#),
        ))
    };
    Arc::new(Capture::from_records([
        Record::Header(Header::new("test")),
        Record::Frame(FrameRecord::text(
            0.0,
            1,
            Direction::Server,
            r#"40/chatomni,{"sid":"b"}"#,
        )),
        event(1.0, "before"),
        event(2.0, &"x".repeat(huge_bytes)),
        event(3.0, "after"),
    ]))
}

async fn events_received(pace: Pace) -> (Vec<String>, u64) {
    let mut config = MockConfig::default();
    config.capture = Some(capture_with_a_huge_event(4096));
    config.replay.pace = pace;
    config.queue.max_bytes = 1024;
    let mock = start(config).await;
    let (mut socket, sid, _) = raw_session(&mock, r#"{"token":"x"}"#).await;
    let mut events = Vec::new();
    while events.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(5), next_text(&mut socket)).await {
            Ok(Some(text)) if text.starts_with("42/") => events.push(text),
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    let report = admin_json(&mock, "GET", &format!("/__admin/sessions/{sid}"), "").await;
    let dropped = report["events_dropped"].as_u64().unwrap_or(0);
    mock.shutdown().await.unwrap();
    (events, dropped)
}

#[tokio::test]
async fn a_paced_replay_drops_an_event_larger_than_the_queue_and_goes_on() {
    let (events, dropped) = events_received(Pace::Scaled(100.0)).await;
    assert_eq!(
        events,
        [
            r#"42/chatomni,["on-events","before"]"#,
            r#"42/chatomni,["on-events","after"]"#
        ]
    );
    assert_eq!(dropped, 1);
}

/// An unpaced replay takes only what fits in the queue; it must not wait for room for an
/// event that can never fit.
#[tokio::test]
async fn an_unpaced_replay_drops_an_event_larger_than_the_queue_and_goes_on() {
    let (events, dropped) = events_received(Pace::AsFastAsClientReads).await;
    assert_eq!(
        events,
        [
            r#"42/chatomni,["on-events","before"]"#,
            r#"42/chatomni,["on-events","after"]"#
        ]
    );
    assert_eq!(dropped, 1);
}
