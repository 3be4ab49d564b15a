//! The client role over WebSocket.

use std::time::Duration;

use sio_session::{
    ClientConfig, ClientEvent, ClientSession, CloseReason, InboundFrame, IncomingAck,
    IncomingEvent, Layer, OpenInfo, SessionError, Transmit, ViolationKind,
};

use crate::harness::{Clock, client_drain, client_events, text};

const OPEN: &str = r#"0{"sid":"4RK_z0D5LofuOO3tR9vW","upgrades":[],"pingInterval":25000,"pingTimeout":60000,"maxPayload":1000000}"#;

fn opened(clock: &Clock) -> ClientSession {
    let mut client = ClientSession::new(clock.at(0), ClientConfig::default());
    client.handle_frame(clock.at(1), InboundFrame::Text(OPEN));
    client
}

fn joined(clock: &Clock) -> ClientSession {
    let mut client = opened(clock);
    client
        .connect("/chatomni", Some(r#"{"token":"t"}"#))
        .unwrap();
    client.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"40/chatomni,{"sid":"SSUs7rUdms63DeB9R9vX"}"#),
    );
    client_drain(&mut client);
    client_events(&mut client);
    client
}

#[test]
fn parses_the_open_packet() {
    let clock = Clock::default();
    let mut client = opened(&clock);
    let info = OpenInfo {
        sid: "4RK_z0D5LofuOO3tR9vW".into(),
        upgrades: vec![],
        ping_interval_ms: 25_000,
        ping_timeout_ms: 60_000,
        max_payload: 1_000_000,
    };
    assert_eq!(
        client_events(&mut client),
        [ClientEvent::Opened(info.clone())]
    );
    assert_eq!(client.open_info(), Some(&info));
    // The server is considered gone after pingInterval + pingTimeout without a ping.
    assert_eq!(client.poll_timeout(), Some(clock.at(1 + 85_000)));
}

#[test]
fn connect_with_auth_is_held_until_open_then_acknowledged() {
    let clock = Clock::default();
    let mut client = ClientSession::new(clock.at(0), ClientConfig::default());
    client
        .connect("/chatomni", Some(r#"{"token":"t"}"#))
        .unwrap();
    assert_eq!(client_drain(&mut client), []);
    client.handle_frame(clock.at(1), InboundFrame::Text(OPEN));
    assert_eq!(
        client_drain(&mut client),
        [text(r#"40/chatomni,{"token":"t"}"#)]
    );
    assert!(!client.is_connected("/chatomni"));
    client.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"40/chatomni,{"sid":"abc"}"#),
    );
    let events = client_events(&mut client);
    assert_eq!(
        events[1],
        ClientEvent::Connected {
            namespace: "/chatomni".into(),
            data: Some(r#"{"sid":"abc"}"#.into())
        }
    );
    assert!(client.is_connected("/chatomni"));
    assert_eq!(
        client.connect("/chatomni", None),
        Err(SessionError::AlreadyConnected("/chatomni".into()))
    );
}

#[test]
fn connect_to_main_namespace_without_auth() {
    let clock = Clock::default();
    let mut client = opened(&clock);
    client.connect("/", None).unwrap();
    assert_eq!(client_drain(&mut client), [text("40")]);
    assert!(matches!(
        client.connect("/x", Some("[1]")),
        Err(SessionError::InvalidPayload { field: "auth", .. })
    ));
}

#[test]
fn connect_error_is_reported() {
    let clock = Clock::default();
    let mut client = opened(&clock);
    client
        .connect("/chatomni", Some(r#"{"token":"bad"}"#))
        .unwrap();
    client.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"44/chatomni,{"message":"Not authorized"}"#),
    );
    let events = client_events(&mut client);
    assert_eq!(
        events[1],
        ClientEvent::ConnectError {
            namespace: "/chatomni".into(),
            data: Some(r#"{"message":"Not authorized"}"#.into())
        }
    );
    assert!(!client.is_connected("/chatomni"));
    // It may try again.
    assert_eq!(
        client.connect("/chatomni", Some(r#"{"token":"good"}"#)),
        Ok(())
    );
}

#[test]
fn answers_pings_and_rearms_the_deadline() {
    let clock = Clock::default();
    let mut client = opened(&clock);
    client.handle_frame(clock.at(25_000), InboundFrame::Text("2"));
    assert_eq!(client_drain(&mut client), [text("3")]);
    assert_eq!(client.poll_timeout(), Some(clock.at(110_000)));
}

#[test]
fn missing_pings_close_the_session() {
    let clock = Clock::default();
    let mut client = opened(&clock);
    client_events(&mut client);
    client.handle_timeout(clock.at(85_001));
    assert!(client.is_closed());
    assert_eq!(client_drain(&mut client), [Transmit::CloseWebSocket]);
    let events = client_events(&mut client);
    assert!(matches!(&events[0], ClientEvent::Violation(v) if v.kind == ViolationKind::MissedPong));
    assert_eq!(events[1], ClientEvent::Closed(CloseReason::PingTimeout));
}

#[test]
fn open_timeout_gives_up() {
    let clock = Clock::default();
    let mut config = ClientConfig::default();
    config.open_timeout = Some(Duration::from_millis(100));
    let mut client = ClientSession::new(clock.at(0), config);
    client.connect("/", None).unwrap();
    client.handle_timeout(clock.at(100));
    assert!(client.is_closed());
    assert_eq!(client_drain(&mut client), [Transmit::CloseWebSocket]);
}

#[test]
fn first_frame_must_be_open() {
    let clock = Clock::default();
    let mut client = ClientSession::new(clock.at(0), ClientConfig::default());
    client.handle_frame(clock.at(1), InboundFrame::Text("40"));
    assert!(client.is_closed());
    let events = client_events(&mut client);
    assert!(
        matches!(&events[0], ClientEvent::Violation(v) if v.kind == ViolationKind::MalformedPacket)
    );
}

#[test]
fn reports_events_and_binary_events() {
    let clock = Clock::default();
    let mut client = joined(&clock);
    client.handle_frame(
        clock.at(3),
        InboundFrame::Text(
            r#"42/chatomni,["on-events","{\"EventName\":\"chatomni.on-message\"}"]"#,
        ),
    );
    client.handle_frame(
        clock.at(3),
        InboundFrame::Text(r#"451-/chatomni,7["file",{"_placeholder":true,"num":0}]"#),
    );
    client.handle_frame(clock.at(3), InboundFrame::Binary(&[1, 2, 3, 4]));
    assert_eq!(
        client_events(&mut client),
        [
            ClientEvent::Event(IncomingEvent {
                namespace: "/chatomni".into(),
                data: r#"["on-events","{\"EventName\":\"chatomni.on-message\"}"]"#.into(),
                ack_id: None,
                attachments: vec![],
            }),
            ClientEvent::Event(IncomingEvent {
                namespace: "/chatomni".into(),
                data: r#"["file",{"_placeholder":true,"num":0}]"#.into(),
                ack_id: Some(7),
                attachments: vec![vec![1, 2, 3, 4]],
            }),
        ]
    );
    client.ack("/chatomni", 7, r#"["ok"]"#, &[]).unwrap();
    assert_eq!(client_drain(&mut client), [text(r#"43/chatomni,7["ok"]"#)]);
}

#[test]
fn emits_and_receives_acks() {
    let clock = Clock::default();
    let mut client = joined(&clock);
    let id = client
        .emit_with_ack("/chatomni", r#"["send",{"text":"hi"}]"#, &[])
        .unwrap();
    client
        .emit("/chatomni", r#"["typing"]"#, &[vec![0xff]])
        .unwrap();
    assert_eq!(
        client_drain(&mut client),
        [
            text(r#"42/chatomni,0["send",{"text":"hi"}]"#),
            text(r#"451-/chatomni,["typing"]"#),
            Transmit::Binary(vec![0xff]),
        ]
    );
    client.handle_frame(
        clock.at(3),
        InboundFrame::Text(&format!(r#"43/chatomni,{id}[true]"#)),
    );
    assert_eq!(
        client_events(&mut client),
        [ClientEvent::Ack(IncomingAck {
            namespace: "/chatomni".into(),
            ack_id: id,
            data: "[true]".into(),
            attachments: vec![],
        })]
    );
}

#[test]
fn a_raw_event_with_an_ack_id_has_its_ack_awaited() {
    let clock = Clock::default();
    let mut client = joined(&clock);
    // A client frame replayed from a capture, with the ack id the capture had.
    client
        .send_raw_text(r#"42/chatomni,5["create",{}]"#)
        .unwrap();
    client.handle_frame(
        clock.at(3),
        InboundFrame::Text(r#"43/chatomni,5[{"id":"r"}]"#),
    );
    assert_eq!(
        client_events(&mut client),
        [ClientEvent::Ack(IncomingAck {
            namespace: "/chatomni".into(),
            ack_id: 5,
            data: r#"[{"id":"r"}]"#.into(),
            attachments: vec![],
        })]
    );
    // The session's own ids start above it.
    let id = client.emit_with_ack("/chatomni", r#"["x"]"#, &[]).unwrap();
    assert_eq!(id, 6);
    // A second answer to 5 is still a violation, and a raw frame without an id awaits nothing.
    client.send_raw_text(r#"42/chatomni,["plain"]"#).unwrap();
    client.handle_frame(clock.at(4), InboundFrame::Text(r#"43/chatomni,5[]"#));
    let events = client_events(&mut client);
    assert!(
        matches!(&events[..], [ClientEvent::Violation(v)] if v.kind == ViolationKind::UnknownAck),
        "{events:?}"
    );
}

#[test]
fn server_disconnect_and_close() {
    let clock = Clock::default();
    let mut client = joined(&clock);
    client.handle_frame(clock.at(3), InboundFrame::Text("41/chatomni,"));
    assert_eq!(
        client_events(&mut client),
        [ClientEvent::Disconnect {
            namespace: "/chatomni".into()
        }]
    );
    assert_eq!(
        client.emit("/chatomni", r#"["x"]"#, &[]),
        Err(SessionError::NotConnected("/chatomni".into()))
    );
    client.handle_frame(clock.at(4), InboundFrame::Text("1"));
    assert!(client.is_closed());
    assert_eq!(client_drain(&mut client), [Transmit::CloseWebSocket]);
    assert_eq!(
        client_events(&mut client),
        [ClientEvent::Closed(CloseReason::PeerClose)]
    );
}

#[test]
fn malformed_frames_close_the_client() {
    for frame in ["x", "4abc", "42/chatomni,{}"] {
        let clock = Clock::default();
        let mut client = joined(&clock);
        client.handle_frame(clock.at(3), InboundFrame::Text(frame));
        assert!(client.is_closed(), "{frame}");
        let events = client_events(&mut client);
        assert!(
            matches!(&events[0], ClientEvent::Violation(v) if v.kind == ViolationKind::MalformedPacket),
            "{frame}: {events:?}"
        );
    }
}

#[test]
fn packets_for_other_namespaces_are_reported_not_fatal() {
    let clock = Clock::default();
    let mut client = joined(&clock);
    client.handle_frame(clock.at(3), InboundFrame::Text(r#"42/other,["x"]"#));
    let events = client_events(&mut client);
    assert!(
        matches!(&events[0], ClientEvent::Violation(v) if v.kind == ViolationKind::UnexpectedPacket)
    );
    assert!(!client.is_closed());
}

#[test]
fn close_flushes_then_closes_the_websocket() {
    let clock = Clock::default();
    let mut client = joined(&clock);
    client.disconnect("/chatomni").unwrap();
    client.close();
    assert_eq!(
        client_drain(&mut client),
        [text("41/chatomni,"), Transmit::CloseWebSocket]
    );
    assert_eq!(client.send_raw_text("x"), Err(SessionError::Closed));
    client.handle_websocket_closed(clock.at(5));
    assert_eq!(
        client_events(&mut client),
        [ClientEvent::Closed(CloseReason::Requested)]
    );
}

#[test]
fn engineio_layer_reports_messages() {
    let clock = Clock::default();
    let mut config = ClientConfig::default();
    config.layer = Layer::EngineIo;
    let mut client = ClientSession::new(clock.at(0), config);
    client.handle_frame(clock.at(1), InboundFrame::Text(OPEN));
    client.handle_frame(clock.at(2), InboundFrame::Text("4hello"));
    client.handle_frame(clock.at(2), InboundFrame::Binary(&[1, 2]));
    let events = client_events(&mut client);
    assert_eq!(
        events[1..],
        [
            ClientEvent::Message(sio_session::EngineMessage::Text("hello".into())),
            ClientEvent::Message(sio_session::EngineMessage::Binary(vec![1, 2])),
        ]
    );
    assert_eq!(client.connect("/", None), Err(SessionError::EngineIoLayer));
    client
        .send_message(sio_session::EngineMessage::Text("back".into()))
        .unwrap();
    assert_eq!(client_drain(&mut client), [text("4back")]);
}
