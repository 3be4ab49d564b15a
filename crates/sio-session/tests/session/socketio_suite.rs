//! Every server behaviour `socket.io-protocol/test-suite/test-suite.js` checks, against its
//! README's reference server (see `harness::socketio_app`). The Engine.IO part of that suite
//! repeats the engine.io suite's cases, covered in `engineio_suite`; the cases below are its
//! "Socket.IO protocol" part, plus the polling variants of the same exchanges.

use sio_session::{
    CloseReason, InboundFrame, ServerConfig, ServerEvent, ServerSession, Transmit, TransportKind,
    ViolationKind,
};

use crate::harness::{
    Clock, closed_with, drain, poll_response, polling, socketio_app, socketio_ws, text, violations,
};

/// `initSocketIOConnection()`: the Engine.IO handshake, `40`, the Socket.IO handshake and the
/// `auth` packet.
fn connected(clock: &Clock) -> ServerSession {
    let mut session = socketio_ws(clock);
    session.handle_frame(clock.at(1), InboundFrame::Text("40"));
    socketio_app(&mut session);
    assert_eq!(
        drain(&mut session),
        [text(r#"40{"sid":"s-/"}"#), text(r#"42["auth",{}]"#)]
    );
    session
}

fn placeholders(n: usize) -> String {
    (0..n)
        .map(|k| format!(r#"{{"_placeholder":true,"num":{k}}}"#))
        .collect::<Vec<_>>()
        .join(",")
}

// describe("connect") ----------------------------------------------------------------------

#[test]
fn allows_connection_to_the_main_namespace() {
    let clock = Clock::default();
    let mut session = socketio_ws(&clock);
    session.handle_frame(clock.at(1), InboundFrame::Text("40"));
    let events = socketio_app(&mut session);
    assert_eq!(
        events,
        [ServerEvent::ConnectRequest {
            namespace: "/".into(),
            auth: None
        }]
    );
    assert_eq!(
        drain(&mut session),
        [text(r#"40{"sid":"s-/"}"#), text(r#"42["auth",{}]"#)]
    );
    assert_eq!(
        session.connected_namespaces().collect::<Vec<_>>(),
        [("/", "s-/")]
    );
}

#[test]
fn allows_connection_to_the_main_namespace_with_a_payload() {
    let clock = Clock::default();
    let mut session = socketio_ws(&clock);
    session.handle_frame(clock.at(1), InboundFrame::Text(r#"40{"token":"123"}"#));
    socketio_app(&mut session);
    assert_eq!(
        drain(&mut session),
        [
            text(r#"40{"sid":"s-/"}"#),
            text(r#"42["auth",{"token":"123"}]"#)
        ]
    );
}

#[test]
fn allows_connection_to_a_custom_namespace() {
    let clock = Clock::default();
    let mut session = socketio_ws(&clock);
    session.handle_frame(clock.at(1), InboundFrame::Text("40/custom,"));
    socketio_app(&mut session);
    assert_eq!(
        drain(&mut session),
        [
            text(r#"40/custom,{"sid":"s-/custom"}"#),
            text(r#"42/custom,["auth",{}]"#)
        ]
    );
}

#[test]
fn allows_connection_to_a_custom_namespace_with_a_payload() {
    let clock = Clock::default();
    let mut session = socketio_ws(&clock);
    session.handle_frame(
        clock.at(1),
        InboundFrame::Text(r#"40/custom,{"token":"abc"}"#),
    );
    socketio_app(&mut session);
    assert_eq!(
        drain(&mut session),
        [
            text(r#"40/custom,{"sid":"s-/custom"}"#),
            text(r#"42/custom,["auth",{"token":"abc"}]"#)
        ]
    );
}

#[test]
fn disallows_connection_to_an_unknown_namespace() {
    let clock = Clock::default();
    let mut session = socketio_ws(&clock);
    // The suite sends the namespace without the trailing comma.
    session.handle_frame(clock.at(1), InboundFrame::Text("40/random"));
    let events = socketio_app(&mut session);
    assert_eq!(violations(&events), [ViolationKind::UnknownNamespace]);
    assert_eq!(
        drain(&mut session),
        [text(r#"44/random,{"message":"Invalid namespace"}"#)]
    );
    assert!(!session.is_closed());
    // The client may still join a namespace that exists.
    session.handle_frame(clock.at(2), InboundFrame::Text("40"));
    socketio_app(&mut session);
    assert_eq!(drain(&mut session).len(), 2);
}

#[test]
fn disallows_connection_with_an_invalid_handshake() {
    let clock = Clock::default();
    let mut session = socketio_ws(&clock);
    session.handle_frame(clock.at(1), InboundFrame::Text("4abc"));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    let events = socketio_app(&mut session);
    assert_eq!(violations(&events), [ViolationKind::MalformedPacket]);
    assert_eq!(
        closed_with(&events),
        Some(CloseReason::ProtocolViolation(
            ViolationKind::MalformedPacket
        ))
    );
}

#[test]
fn closes_the_connection_if_no_handshake_is_received() {
    let clock = Clock::default();
    let mut session = socketio_ws(&clock);
    // The client answers pings, so only connectTimeout (1000 ms) can close the session.
    let mut now = 0;
    while !session.is_closed() {
        let wake = session.poll_timeout().expect("a timer runs while open");
        now = u64::try_from((wake - clock.start).as_millis()).unwrap();
        session.handle_timeout(wake);
        if drain(&mut session).contains(&text("2")) {
            session.handle_frame(wake, InboundFrame::Text("3"));
        }
    }
    assert_eq!(now, 1000);
    let events = socketio_app(&mut session);
    assert_eq!(violations(&events), [ViolationKind::ConnectTimeout]);
    assert_eq!(
        closed_with(&events),
        Some(CloseReason::ProtocolViolation(
            ViolationKind::ConnectTimeout
        ))
    );
}

#[test]
fn connect_timeout_is_disarmed_by_the_first_accepted_connect() {
    let clock = Clock::default();
    let mut session = connected(&clock);
    for round in 1..=5 {
        session.handle_timeout(clock.at(300 * round));
        session.handle_frame(clock.at(300 * round), InboundFrame::Text("3"));
    }
    assert!(!session.is_closed());
    drain(&mut session);
}

// describe("disconnect") -------------------------------------------------------------------

#[test]
fn disconnects_from_the_main_namespace() {
    let clock = Clock::default();
    let mut session = connected(&clock);
    session.handle_frame(clock.at(2), InboundFrame::Text("41"));
    assert_eq!(
        socketio_app(&mut session),
        [ServerEvent::Disconnect {
            namespace: "/".into()
        }]
    );
    // Nothing answers the DISCONNECT: the next frame the client sees is the ping.
    assert_eq!(drain(&mut session), []);
    session.handle_timeout(clock.at(300));
    assert_eq!(drain(&mut session), [text("2")]);
    assert!(!session.is_connected("/"));
}

#[test]
fn connects_then_disconnects_from_a_custom_namespace() {
    let clock = Clock::default();
    let mut session = connected(&clock);
    session.handle_timeout(clock.at(300));
    assert_eq!(drain(&mut session), [text("2")]);
    session.handle_frame(clock.at(301), InboundFrame::Text("40/custom"));
    socketio_app(&mut session);
    assert_eq!(
        drain(&mut session),
        [
            text(r#"40/custom,{"sid":"s-/custom"}"#),
            text(r#"42/custom,["auth",{}]"#)
        ]
    );
    session.handle_frame(clock.at(302), InboundFrame::Text("41/custom"));
    session.handle_frame(
        clock.at(302),
        InboundFrame::Text(r#"42["message","message to main namespace"]"#),
    );
    socketio_app(&mut session);
    assert_eq!(
        drain(&mut session),
        [text(r#"42["message-back","message to main namespace"]"#)]
    );
    assert!(session.is_connected("/"));
    assert!(!session.is_connected("/custom"));
}

// describe("message") ----------------------------------------------------------------------

#[test]
fn sends_a_plain_text_packet() {
    let clock = Clock::default();
    let mut session = connected(&clock);
    session.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"42["message",1,"2",{"3":[true]}]"#),
    );
    socketio_app(&mut session);
    assert_eq!(
        drain(&mut session),
        [text(r#"42["message-back",1,"2",{"3":[true]}]"#)]
    );
}

#[test]
fn sends_a_packet_with_binary_attachments() {
    let clock = Clock::default();
    let mut session = connected(&clock);
    let header = format!(r#"452-["message",{}]"#, placeholders(2));
    session.handle_frame(clock.at(2), InboundFrame::Text(&header));
    assert_eq!(socketio_app(&mut session), []);
    session.handle_frame(clock.at(2), InboundFrame::Binary(&[1, 2, 3]));
    assert_eq!(socketio_app(&mut session), []);
    session.handle_frame(clock.at(2), InboundFrame::Binary(&[4, 5, 6]));
    let events = socketio_app(&mut session);
    let [ServerEvent::Event(event)] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(event.attachments, [vec![1, 2, 3], vec![4, 5, 6]]);
    assert_eq!(
        drain(&mut session),
        [
            text(&format!(r#"452-["message-back",{}]"#, placeholders(2))),
            Transmit::Binary(vec![1, 2, 3]),
            Transmit::Binary(vec![4, 5, 6]),
        ]
    );
}

#[test]
fn sends_a_plain_text_packet_with_an_ack() {
    let clock = Clock::default();
    let mut session = connected(&clock);
    session.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"42456["message-with-ack",1,"2",{"3":[false]}]"#),
    );
    socketio_app(&mut session);
    assert_eq!(drain(&mut session), [text(r#"43456[1,"2",{"3":[false]}]"#)]);
}

#[test]
fn sends_a_packet_with_binary_attachments_and_an_ack() {
    let clock = Clock::default();
    let mut session = connected(&clock);
    let header = format!(r#"452-789["message-with-ack",{}]"#, placeholders(2));
    session.handle_frame(clock.at(2), InboundFrame::Text(&header));
    session.handle_frame(clock.at(2), InboundFrame::Binary(&[1, 2, 3]));
    session.handle_frame(clock.at(2), InboundFrame::Binary(&[4, 5, 6]));
    socketio_app(&mut session);
    assert_eq!(
        drain(&mut session),
        [
            text(&format!(r#"462-789[{}]"#, placeholders(2))),
            Transmit::Binary(vec![1, 2, 3]),
            Transmit::Binary(vec![4, 5, 6]),
        ]
    );
}

fn assert_closes_upon(frame: &str) {
    let clock = Clock::default();
    let mut session = connected(&clock);
    session.handle_frame(clock.at(2), InboundFrame::Text(frame));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket], "{frame}");
    let events = socketio_app(&mut session);
    assert_eq!(
        violations(&events),
        [ViolationKind::MalformedPacket],
        "{frame}"
    );
    assert!(session.is_closed(), "{frame}");
}

#[test]
fn closes_the_connection_upon_invalid_format_unknown_packet_type() {
    assert_closes_upon("4abc");
}

#[test]
fn closes_the_connection_upon_invalid_format_invalid_payload_format() {
    assert_closes_upon("42{}");
}

#[test]
fn closes_the_connection_upon_invalid_format_invalid_ack_id() {
    assert_closes_upon(r#"42abc["message-with-ack",1,"2",{"3":[false]}]"#);
}

// The same exchanges over long-polling. -----------------------------------------------------

#[test]
fn polling_several_events_in_one_payload() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::protocol_test_suite());
    assert_eq!(
        session.handle_polling_post(clock.at(1), b"40{\"token\":\"123\"}"),
        Ok(())
    );
    socketio_app(&mut session);
    session.handle_poll_request(clock.at(2)).unwrap();
    assert_eq!(
        drain(&mut session),
        [poll_response(
            "40{\"sid\":\"s-/\"}\x1e42[\"auth\",{\"token\":\"123\"}]"
        )]
    );
    assert_eq!(
        session.handle_polling_post(
            clock.at(3),
            b"42[\"message\",\"a\"]\x1e42[\"message\",\"b\"]"
        ),
        Ok(())
    );
    socketio_app(&mut session);
    session.handle_poll_request(clock.at(4)).unwrap();
    assert_eq!(
        drain(&mut session),
        [poll_response(
            "42[\"message-back\",\"a\"]\x1e42[\"message-back\",\"b\"]"
        )]
    );
}

#[test]
fn events_before_the_connect_is_accepted_close_like_socketio() {
    // socket.io's Client.ondecoded: a packet for a namespace without a socket (the CONNECT
    // is still being decided) is an "invalid state" and closes the connection.
    // socket.io-client never does this: it buffers emits until the CONNECT is acknowledged.
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::protocol_test_suite());
    assert_eq!(
        session.handle_polling_post(clock.at(1), b"40\x1e42[\"message\",\"a\"]"),
        Ok(())
    );
    let events = crate::harness::events(&mut session);
    assert_eq!(violations(&events), [ViolationKind::UnexpectedPacket]);
    session.handle_poll_request(clock.at(2)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("1")]);
    assert!(session.is_closed());
}

#[test]
fn polling_binary_attachments_travel_as_base64_records() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::protocol_test_suite());
    session.handle_polling_post(clock.at(1), b"40").unwrap();
    socketio_app(&mut session);
    session.handle_poll_request(clock.at(2)).unwrap();
    drain(&mut session);
    let body = format!("452-[\"message\",{}]\x1ebAQID\x1ebBAUG", placeholders(2));
    session
        .handle_polling_post(clock.at(3), body.as_bytes())
        .unwrap();
    socketio_app(&mut session);
    session.handle_poll_request(clock.at(4)).unwrap();
    assert_eq!(
        drain(&mut session),
        [poll_response(&format!(
            "452-[\"message-back\",{}]\x1ebAQID\x1ebBAUG",
            placeholders(2)
        ))]
    );
}

#[test]
fn polling_socketio_violation_closes_with_a_close_packet_on_the_next_poll() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::protocol_test_suite());
    // A valid Engine.IO message holding an invalid Socket.IO packet: socket.io closes the
    // connection, which on polling means a `close` packet in the next poll.
    assert_eq!(session.handle_polling_post(clock.at(1), b"4abc"), Ok(()));
    assert!(!session.is_closed());
    session.handle_poll_request(clock.at(2)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("1")]);
    assert!(session.is_closed());
    let events = socketio_app(&mut session);
    assert_eq!(violations(&events), [ViolationKind::MalformedPacket]);
}

#[test]
fn polling_session_on_the_socketio_path_upgrades_like_engineio() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::protocol_test_suite());
    session.handle_websocket_upgrade(clock.at(1)).unwrap();
    session.handle_frame(clock.at(1), InboundFrame::Text("2probe"));
    session.handle_frame(clock.at(1), InboundFrame::Text("5"));
    assert_eq!(drain(&mut session), [text("3probe")]);
    assert_eq!(session.transport(), TransportKind::WebSocket);
    session.handle_frame(clock.at(2), InboundFrame::Text("40"));
    socketio_app(&mut session);
    assert_eq!(drain(&mut session).len(), 2);
}

#[test]
fn connect_with_a_payload_that_is_not_an_object_closes() {
    // socket.io-parser's isPayloadValid: a CONNECT payload must be an object.
    for frame in [r#"40"abc""#, "40[1]", r#"40/custom,"x""#, "40{"] {
        let clock = Clock::default();
        let mut session = socketio_ws(&clock);
        session.handle_frame(clock.at(1), InboundFrame::Text(frame));
        assert_eq!(drain(&mut session), [Transmit::CloseWebSocket], "{frame}");
        let events = socketio_app(&mut session);
        assert_eq!(
            violations(&events),
            [ViolationKind::MalformedPacket],
            "{frame}"
        );
    }
}

#[test]
fn event_without_arguments_and_numeric_event_names_are_valid() {
    let clock = Clock::default();
    let mut session = connected(&clock);
    session.handle_frame(clock.at(2), InboundFrame::Text(r#"42["message"]"#));
    session.handle_frame(clock.at(2), InboundFrame::Text("42[1,2]"));
    socketio_app(&mut session);
    assert_eq!(drain(&mut session), [text(r#"42["message-back"]"#)]);
    assert!(!session.is_closed());
}
