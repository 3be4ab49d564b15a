//! Every server behaviour `engine.io-protocol/test-suite/test-suite.js` checks, against its
//! README's reference server (pingInterval 300, pingTimeout 200, maxPayload 1e6, an echo of
//! every message). The HTTP refusals (bad `EIO`, `transport`, method) are covered by
//! `validate_request`'s unit tests.

use sio_session::{
    CloseReason, InboundFrame, RequestError, ServerEvent, ServerSession, Transmit, TransportKind,
    ViolationKind,
};

use crate::harness::{
    Clock, closed_with, drain, engineio_config, engineio_echo, poll_response, polling, suite_open,
    text, violations,
};

fn ws(clock: &Clock) -> ServerSession {
    let mut session = ServerSession::new(
        clock.at(0),
        TransportKind::WebSocket,
        "sid-ws",
        engineio_config(),
    );
    assert_eq!(drain(&mut session), [text(&suite_open("sid-ws", "[]"))]);
    session
}

// describe("handshake") --------------------------------------------------------------------

#[test]
fn handshake_polling_successfully_opens_a_session() {
    let clock = Clock::default();
    let mut session = ServerSession::new(
        clock.at(0),
        TransportKind::Polling,
        "lv_VI97HAXpY6yYWAAAC",
        engineio_config(),
    );
    assert_eq!(session.handle_poll_request(clock.at(0)), Ok(()));
    assert_eq!(
        drain(&mut session),
        [poll_response(&suite_open(
            "lv_VI97HAXpY6yYWAAAC",
            r#"["websocket"]"#
        ))]
    );
}

#[test]
fn handshake_websocket_successfully_opens_a_session() {
    let clock = Clock::default();
    ws(&clock);
}

#[test]
fn handshake_polling_without_upgrades_offers_none() {
    let clock = Clock::default();
    let mut config = engineio_config();
    config.allow_upgrades = false;
    let mut session = ServerSession::new(clock.at(0), TransportKind::Polling, "x", config);
    session.handle_poll_request(clock.at(0)).unwrap();
    assert_eq!(drain(&mut session), [poll_response(&suite_open("x", "[]"))]);
    assert_eq!(
        session.handle_websocket_upgrade(clock.at(1)),
        Err(RequestError::BadRequest)
    );
}

// describe("message") ----------------------------------------------------------------------

#[test]
fn polling_sends_and_receives_one_plain_text_packet() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    assert_eq!(session.handle_polling_post(clock.at(1), b"4hello"), Ok(()));
    let events = engineio_echo(&mut session);
    assert_eq!(
        events,
        [ServerEvent::Message(sio_session::EngineMessage::Text(
            "hello".into()
        ))]
    );
    assert_eq!(drain(&mut session), []);
    assert_eq!(session.handle_poll_request(clock.at(2)), Ok(()));
    assert_eq!(drain(&mut session), [poll_response("4hello")]);
}

#[test]
fn polling_sends_and_receives_several_plain_text_packets() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    assert_eq!(
        session.handle_polling_post(clock.at(1), b"4test1\x1e4test2\x1e4test3"),
        Ok(())
    );
    assert_eq!(engineio_echo(&mut session).len(), 3);
    session.handle_poll_request(clock.at(2)).unwrap();
    assert_eq!(
        drain(&mut session),
        [poll_response("4test1\x1e4test2\x1e4test3")]
    );
}

#[test]
fn polling_sends_and_receives_plain_text_and_binary_packets() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    assert_eq!(
        session.handle_polling_post(clock.at(1), b"4hello\x1ebAQIDBA=="),
        Ok(())
    );
    assert_eq!(
        engineio_echo(&mut session),
        [
            ServerEvent::Message(sio_session::EngineMessage::Text("hello".into())),
            ServerEvent::Message(sio_session::EngineMessage::Binary(vec![1, 2, 3, 4])),
        ]
    );
    session.handle_poll_request(clock.at(2)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("4hello\x1ebAQIDBA==")]);
}

#[test]
fn polling_closes_the_session_upon_invalid_packet_format() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    assert_eq!(
        session.handle_polling_post(clock.at(1), b"abc"),
        Err(RequestError::BadRequest)
    );
    let events = engineio_echo(&mut session);
    assert_eq!(violations(&events), [ViolationKind::MalformedPacket]);
    assert_eq!(
        closed_with(&events),
        Some(CloseReason::ProtocolViolation(
            ViolationKind::MalformedPacket
        ))
    );
    assert!(session.is_closed());
    assert_eq!(
        session.handle_poll_request(clock.at(2)),
        Err(RequestError::UnknownSid)
    );
}

#[test]
fn polling_closes_the_session_upon_duplicate_poll_requests() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    assert_eq!(session.handle_poll_request(clock.at(1)), Ok(()));
    assert_eq!(drain(&mut session), []);
    // The second, concurrent GET is refused, and the first one is answered with `close`.
    assert_eq!(
        session.handle_poll_request(clock.at(6)),
        Err(RequestError::BadRequest)
    );
    assert_eq!(drain(&mut session), [poll_response("1")]);
    let events = engineio_echo(&mut session);
    assert_eq!(violations(&events), [ViolationKind::DuplicatePoll]);
    assert!(session.is_closed());
    assert_eq!(
        session.handle_poll_request(clock.at(7)),
        Err(RequestError::UnknownSid)
    );
}

#[test]
fn websocket_sends_and_receives_a_plain_text_packet() {
    let clock = Clock::default();
    let mut session = ws(&clock);
    session.handle_frame(clock.at(1), InboundFrame::Text("4hello"));
    engineio_echo(&mut session);
    assert_eq!(drain(&mut session), [text("4hello")]);
}

#[test]
fn websocket_sends_and_receives_a_binary_packet() {
    let clock = Clock::default();
    let mut session = ws(&clock);
    session.handle_frame(clock.at(1), InboundFrame::Binary(&[1, 2, 3, 4]));
    engineio_echo(&mut session);
    assert_eq!(drain(&mut session), [Transmit::Binary(vec![1, 2, 3, 4])]);
}

#[test]
fn websocket_closes_the_session_upon_invalid_packet_format() {
    let clock = Clock::default();
    let mut session = ws(&clock);
    session.handle_frame(clock.at(1), InboundFrame::Text("abc"));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    let events = engineio_echo(&mut session);
    assert_eq!(violations(&events), [ViolationKind::MalformedPacket]);
    let ServerEvent::Violation(v) = &events[0] else {
        panic!("{events:?}")
    };
    assert!(v.detail.contains("byte 0"), "{}", v.detail);
    assert!(session.is_closed());
}

// describe("heartbeat") --------------------------------------------------------------------

#[test]
fn polling_sends_ping_pong_packets() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    let mut now = 0;
    for _ in 0..3 {
        assert_eq!(session.handle_poll_request(clock.at(now + 1)), Ok(()));
        assert_eq!(drain(&mut session), []);
        let wake = session.poll_timeout().unwrap();
        assert_eq!(wake, clock.at(now + 300));
        session.handle_timeout(wake);
        assert_eq!(drain(&mut session), [poll_response("2")]);
        now += 300;
        assert_eq!(session.handle_polling_post(clock.at(now + 5), b"3"), Ok(()));
        now += 5;
    }
    assert!(!session.is_closed());
    assert_eq!(engineio_echo(&mut session), []);
}

#[test]
fn polling_closes_the_session_upon_ping_timeout() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    session.handle_timeout(clock.at(300));
    assert_eq!(session.poll_timeout(), Some(clock.at(500)));
    session.handle_timeout(clock.at(499));
    assert!(!session.is_closed());
    session.handle_timeout(clock.at(500));
    assert!(session.is_closed());
    let events = engineio_echo(&mut session);
    assert_eq!(violations(&events), [ViolationKind::MissedPong]);
    assert_eq!(closed_with(&events), Some(CloseReason::PingTimeout));
    assert_eq!(
        session.handle_poll_request(clock.at(501)),
        Err(RequestError::UnknownSid)
    );
}

#[test]
fn a_late_request_runs_the_overdue_timers_first() {
    // The GET of "closes the session upon ping timeout" may arrive before the transport's
    // timer fires: the session still refuses it.
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    assert_eq!(
        session.handle_poll_request(clock.at(520)),
        Err(RequestError::UnknownSid)
    );
}

#[test]
fn websocket_sends_ping_pong_packets() {
    let clock = Clock::default();
    let mut session = ws(&clock);
    let mut now = 0;
    for _ in 0..3 {
        let wake = session.poll_timeout().unwrap();
        assert_eq!(wake, clock.at(now + 300));
        session.handle_timeout(wake);
        assert_eq!(drain(&mut session), [text("2")]);
        now += 302;
        session.handle_frame(clock.at(now), InboundFrame::Text("3"));
    }
    assert!(!session.is_closed());
}

#[test]
fn websocket_closes_the_session_upon_ping_timeout() {
    let clock = Clock::default();
    let mut session = ws(&clock);
    session.handle_timeout(clock.at(300));
    assert_eq!(drain(&mut session), [text("2")]);
    session.handle_timeout(clock.at(500));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    assert_eq!(
        closed_with(&engineio_echo(&mut session)),
        Some(CloseReason::PingTimeout)
    );
}

// describe("close") ------------------------------------------------------------------------

#[test]
fn polling_forcefully_closes_the_session() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    assert_eq!(session.handle_poll_request(clock.at(1)), Ok(()));
    assert_eq!(session.handle_polling_post(clock.at(2), b"1"), Ok(()));
    assert_eq!(drain(&mut session), [poll_response("6")]);
    assert_eq!(
        closed_with(&engineio_echo(&mut session)),
        Some(CloseReason::PeerClose)
    );
    assert_eq!(
        session.handle_poll_request(clock.at(3)),
        Err(RequestError::UnknownSid)
    );
}

/// The suite sends the `GET` and the `POST` at once, and they may arrive in either order:
/// when the `close` comes first, the `GET` sent with it is still answered with `noop`, and
/// only the poll after that meets an unknown sid.
#[test]
fn polling_forcefully_closes_the_session_when_the_close_arrives_first() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    assert_eq!(session.handle_polling_post(clock.at(1), b"1"), Ok(()));
    assert_eq!(drain(&mut session), []);
    assert_eq!(session.handle_poll_request(clock.at(2)), Ok(()));
    assert_eq!(drain(&mut session), [poll_response("6")]);
    assert!(session.is_closed());
    assert_eq!(
        closed_with(&engineio_echo(&mut session)),
        Some(CloseReason::PeerClose)
    );
    assert_eq!(
        session.handle_poll_request(clock.at(3)),
        Err(RequestError::UnknownSid)
    );
}

#[test]
fn websocket_forcefully_closes_the_session() {
    let clock = Clock::default();
    let mut session = ws(&clock);
    session.handle_frame(clock.at(1), InboundFrame::Text("1"));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    assert_eq!(
        closed_with(&engineio_echo(&mut session)),
        Some(CloseReason::PeerClose)
    );
}

// describe("upgrade") ----------------------------------------------------------------------

#[test]
fn successfully_upgrades_from_polling_to_websocket() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    assert_eq!(session.handle_websocket_upgrade(clock.at(1)), Ok(()));
    session.handle_frame(clock.at(2), InboundFrame::Text("2probe"));
    assert_eq!(drain(&mut session), [text("3probe")]);
    // The GET after the probe is ended with a noop at once.
    assert_eq!(session.handle_poll_request(clock.at(3)), Ok(()));
    assert_eq!(drain(&mut session), [poll_response("6")]);
    session.handle_frame(clock.at(4), InboundFrame::Text("5"));
    assert_eq!(session.transport(), TransportKind::WebSocket);
    session.handle_frame(clock.at(5), InboundFrame::Text("4hello"));
    let events = engineio_echo(&mut session);
    assert_eq!(events[0], ServerEvent::Upgraded);
    assert_eq!(drain(&mut session), [text("4hello")]);
}

#[test]
fn a_pending_poll_is_released_with_noop_by_the_probe() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    session.handle_poll_request(clock.at(1)).unwrap();
    session.handle_websocket_upgrade(clock.at(2)).unwrap();
    assert_eq!(drain(&mut session), []);
    session.handle_frame(clock.at(3), InboundFrame::Text("2probe"));
    assert_eq!(drain(&mut session), [text("3probe"), poll_response("6")]);
}

#[test]
fn packets_queued_during_the_upgrade_go_out_on_the_websocket() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    session.handle_websocket_upgrade(clock.at(1)).unwrap();
    session.handle_frame(clock.at(2), InboundFrame::Text("2probe"));
    assert_eq!(drain(&mut session), [text("3probe")]);
    session
        .send_message(sio_session::EngineMessage::Text("queued".into()))
        .unwrap();
    assert_eq!(drain(&mut session), []);
    session.handle_frame(clock.at(3), InboundFrame::Text("5"));
    assert_eq!(drain(&mut session), [text("4queued")]);
}

#[test]
fn ignores_http_requests_with_same_sid_after_upgrade() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    session.handle_websocket_upgrade(clock.at(1)).unwrap();
    session.handle_frame(clock.at(1), InboundFrame::Text("2probe"));
    session.handle_frame(clock.at(1), InboundFrame::Text("5"));
    drain(&mut session);
    assert_eq!(
        session.handle_poll_request(clock.at(2)),
        Err(RequestError::BadRequest)
    );
    assert_eq!(
        session.handle_polling_post(clock.at(2), b"4x"),
        Err(RequestError::BadRequest)
    );
    session.handle_frame(clock.at(3), InboundFrame::Text("4hello"));
    engineio_echo(&mut session);
    assert_eq!(drain(&mut session), [text("4hello")]);
}

#[test]
fn ignores_websocket_connection_with_same_sid_after_upgrade() {
    let clock = Clock::default();
    let mut session = polling(&clock, engineio_config());
    session.handle_websocket_upgrade(clock.at(1)).unwrap();
    // A second WebSocket while the first is probing is refused too.
    assert_eq!(
        session.handle_websocket_upgrade(clock.at(1)),
        Err(RequestError::BadRequest)
    );
    session.handle_frame(clock.at(1), InboundFrame::Text("2probe"));
    session.handle_frame(clock.at(1), InboundFrame::Text("5"));
    drain(&mut session);
    assert_eq!(
        session.handle_websocket_upgrade(clock.at(2)),
        Err(RequestError::BadRequest)
    );
    session.handle_frame(clock.at(3), InboundFrame::Text("4hello"));
    engineio_echo(&mut session);
    assert_eq!(drain(&mut session), [text("4hello")]);
}

#[test]
fn a_websocket_session_cannot_be_upgraded() {
    let clock = Clock::default();
    let mut session = ws(&clock);
    assert_eq!(
        session.handle_websocket_upgrade(clock.at(1)),
        Err(RequestError::BadRequest)
    );
}
