//! Server behaviours beyond the official suites: maxPayload, upgrade failures, server-side
//! acks and disconnects, refusals, closes, and application errors.

use std::time::Duration;

use sio_session::{
    CloseReason, InboundFrame, IncomingAck, Layer, RequestError, ServerConfig, ServerEvent,
    ServerSession, SessionError, Transmit, TransportKind, ViolationKind,
};

use crate::harness::{
    Clock, closed_with, drain, events, poll_response, polling, socketio_ws, text, violations,
};

fn small_payload_config() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.max_payload = 16;
    config.layer = Layer::EngineIo;
    config
}

/// A WebSocket session whose application accepts any namespace.
fn open_ws(clock: &Clock) -> ServerSession {
    let mut session = ServerSession::new(
        clock.at(0),
        TransportKind::WebSocket,
        "sid-ws",
        ServerConfig::default(),
    );
    drain(&mut session);
    session
}

fn chat(clock: &Clock) -> ServerSession {
    let mut session = open_ws(clock);
    session.handle_frame(
        clock.at(1),
        InboundFrame::Text(r#"40/chatomni,{"token":"t"}"#),
    );
    events(&mut session);
    session.accept_connect("/chatomni", "sock").unwrap();
    assert_eq!(drain(&mut session), [text(r#"40/chatomni,{"sid":"sock"}"#)]);
    session
}

#[test]
fn websocket_frame_above_max_payload_closes_the_session() {
    let clock = Clock::default();
    let mut session = ServerSession::new(
        clock.at(0),
        TransportKind::WebSocket,
        "s",
        small_payload_config(),
    );
    drain(&mut session);
    session.handle_frame(clock.at(1), InboundFrame::Text("4123456789abcdef"));
    assert!(!session.is_closed(), "16 bytes is within maxPayload");
    session.handle_frame(clock.at(1), InboundFrame::Binary(&[0; 17]));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    let events = events(&mut session);
    assert_eq!(violations(&events), [ViolationKind::PayloadTooLarge]);
    assert_eq!(
        closed_with(&events),
        Some(CloseReason::ProtocolViolation(
            ViolationKind::PayloadTooLarge
        ))
    );
}

#[test]
fn polling_post_above_max_payload_is_refused_with_413() {
    let clock = Clock::default();
    let mut session = polling(&clock, small_payload_config());
    let refusal = session
        .handle_polling_post(clock.at(1), &[b'4'; 17])
        .unwrap_err();
    assert_eq!(refusal, RequestError::PayloadTooLarge);
    assert_eq!(refusal.http_status(), 413);
    assert!(session.is_closed());
    assert_eq!(
        violations(&events(&mut session)),
        [ViolationKind::PayloadTooLarge]
    );
}

#[test]
fn polling_post_that_is_not_utf8_is_malformed() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    assert_eq!(
        session.handle_polling_post(clock.at(1), b"4\xff"),
        Err(RequestError::BadRequest)
    );
    assert_eq!(
        violations(&events(&mut session)),
        [ViolationKind::MalformedPacket]
    );
}

#[test]
fn packets_before_a_bad_record_are_handled() {
    let clock = Clock::default();
    let mut config = ServerConfig::default();
    config.layer = Layer::EngineIo;
    let mut session = polling(&clock, config);
    assert_eq!(
        session.handle_polling_post(clock.at(1), b"4first\x1ebad!"),
        Err(RequestError::BadRequest)
    );
    let events = events(&mut session);
    assert_eq!(
        events[0],
        ServerEvent::Message(sio_session::EngineMessage::Text("first".into()))
    );
    assert_eq!(violations(&events), [ViolationKind::MalformedPacket]);
}

#[test]
fn concurrent_posts_close_the_session() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    assert_eq!(session.begin_polling_post(clock.at(1)), Ok(()));
    assert_eq!(
        session.begin_polling_post(clock.at(1)),
        Err(RequestError::BadRequest)
    );
    assert!(session.is_closed());
}

#[test]
fn sequential_posts_are_fine() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    for _ in 0..3 {
        assert_eq!(session.begin_polling_post(clock.at(1)), Ok(()));
        assert_eq!(session.handle_polling_post(clock.at(1), b"3"), Ok(()));
    }
    assert!(!session.is_closed());
}

#[test]
fn probe_with_the_wrong_frame_abandons_the_upgrade_only() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    session.handle_websocket_upgrade(clock.at(1)).unwrap();
    session.handle_frame(clock.at(2), InboundFrame::Text("5"));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    assert_eq!(
        violations(&events(&mut session)),
        [ViolationKind::UpgradeFailed]
    );
    assert!(!session.is_closed());
    assert_eq!(session.transport(), TransportKind::Polling);
    // A new attempt may follow.
    assert_eq!(session.handle_websocket_upgrade(clock.at(3)), Ok(()));
}

#[test]
fn upgrade_timeout_closes_the_probing_websocket() {
    let clock = Clock::default();
    let mut config = ServerConfig::default();
    config.upgrade_timeout = Duration::from_millis(100);
    let mut session = polling(&clock, config);
    session.handle_websocket_upgrade(clock.at(10)).unwrap();
    session.handle_frame(clock.at(20), InboundFrame::Text("2probe"));
    assert_eq!(drain(&mut session), [text("3probe")]);
    assert_eq!(session.poll_timeout(), Some(clock.at(110)));
    session.handle_timeout(clock.at(110));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    assert_eq!(
        violations(&events(&mut session)),
        [ViolationKind::UpgradeFailed]
    );
    assert_eq!(session.handle_poll_request(clock.at(111)), Ok(()));
}

#[test]
fn probing_websocket_closed_by_the_client_leaves_polling_alone() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    session.handle_websocket_upgrade(clock.at(1)).unwrap();
    session.handle_websocket_closed(clock.at(2));
    assert!(!session.is_closed());
    assert_eq!(session.handle_poll_request(clock.at(3)), Ok(()));
}

#[test]
fn websocket_closed_ends_a_websocket_session() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.handle_websocket_closed(clock.at(2));
    assert!(session.is_closed());
    assert_eq!(drain(&mut session), []);
    let reason = closed_with(&events(&mut session));
    assert_eq!(reason, Some(CloseReason::TransportClosed));
    // As engine.io words a closed WebSocket (and socket.io's `disconnect` reason).
    assert_eq!(reason.map(CloseReason::as_str), Some("transport close"));
}

#[test]
fn aborted_poll_closes_the_session() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    session.handle_poll_request(clock.at(1)).unwrap();
    session.handle_poll_aborted(clock.at(2));
    assert!(session.is_closed());
    let reason = closed_with(&events(&mut session));
    assert_eq!(reason, Some(CloseReason::PollAborted));
    assert_eq!(reason.map(CloseReason::as_str), Some("transport error"));
}

#[test]
fn client_ping_is_a_violation() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.handle_frame(clock.at(2), InboundFrame::Text("2"));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    assert_eq!(
        violations(&events(&mut session)),
        [ViolationKind::UnexpectedPacket]
    );
}

#[test]
fn refuse_connect_sends_connect_error_and_keeps_the_session() {
    let clock = Clock::default();
    let mut session = open_ws(&clock);
    session.handle_frame(clock.at(1), InboundFrame::Text("40/chatomni,"));
    events(&mut session);
    session
        .refuse_connect("/chatomni", "Not \"authorized\"")
        .unwrap();
    assert_eq!(
        drain(&mut session),
        [text(r#"44/chatomni,{"message":"Not \"authorized\""}"#)]
    );
    assert!(!session.is_closed());
    assert_eq!(
        session.refuse_connect("/chatomni", "again"),
        Err(SessionError::NoPendingConnect("/chatomni".into()))
    );
    // The client may try again.
    session.handle_frame(clock.at(2), InboundFrame::Text("40/chatomni,"));
    assert!(matches!(
        events(&mut session).as_slice(),
        [ServerEvent::ConnectRequest { .. }]
    ));
    session
        .refuse_connect_with("/chatomni", r#"{"message":"expired","data":{"code":401}}"#)
        .unwrap();
    assert_eq!(
        drain(&mut session),
        [text(
            r#"44/chatomni,{"message":"expired","data":{"code":401}}"#
        )]
    );
}

#[test]
fn server_emit_with_ack_and_the_clients_answer() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    let first = session
        .emit_with_ack("/chatomni", r#"["question",1]"#, &[])
        .unwrap();
    let second = session
        .emit_with_ack("/chatomni", r#"["question",2]"#, &[b"bin".to_vec()])
        .unwrap();
    assert_eq!((first, second), (0, 1));
    assert_eq!(
        drain(&mut session),
        [
            text(r#"42/chatomni,0["question",1]"#),
            text(r#"451-/chatomni,1["question",2]"#),
            Transmit::Binary(b"bin".to_vec()),
        ]
    );
    session.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"43/chatomni,1["answer"]"#),
    );
    session.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"461-/chatomni,0[{"_placeholder":true,"num":0}]"#),
    );
    session.handle_frame(clock.at(2), InboundFrame::Binary(&[9]));
    // An ack nobody asked for is reported and ignored.
    session.handle_frame(clock.at(2), InboundFrame::Text(r#"43/chatomni,1["again"]"#));
    let events = events(&mut session);
    assert_eq!(
        events,
        [
            ServerEvent::Ack(IncomingAck {
                namespace: "/chatomni".into(),
                ack_id: 1,
                data: r#"["answer"]"#.into(),
                attachments: vec![],
            }),
            ServerEvent::Ack(IncomingAck {
                namespace: "/chatomni".into(),
                ack_id: 0,
                data: r#"[{"_placeholder":true,"num":0}]"#.into(),
                attachments: vec![vec![9]],
            }),
            ServerEvent::Violation(sio_session::Violation {
                kind: ViolationKind::UnknownAck,
                detail: r#"ACK 1 in "/chatomni" answers no emit"#.into(),
            }),
        ]
    );
    assert!(!session.is_closed());
}

#[test]
fn server_disconnect_sends_disconnect_and_forgets_the_namespace() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.disconnect("/chatomni").unwrap();
    assert_eq!(drain(&mut session), [text("41/chatomni,")]);
    assert_eq!(
        session.emit("/chatomni", r#"["x"]"#, &[]),
        Err(SessionError::NotConnected("/chatomni".into()))
    );
    // Events for the namespace now are packets for a namespace the client has not joined.
    session.handle_frame(clock.at(2), InboundFrame::Text(r#"42/chatomni,["late"]"#));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    assert_eq!(
        violations(&events(&mut session)),
        [ViolationKind::UnexpectedPacket]
    );
}

#[test]
fn event_for_a_namespace_not_joined_closes() {
    let clock = Clock::default();
    let mut session = socketio_ws(&clock);
    session.handle_frame(clock.at(1), InboundFrame::Text(r#"42["hello"]"#));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    let events = events(&mut session);
    let ServerEvent::Violation(v) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(v.kind, ViolationKind::UnexpectedPacket);
    assert!(v.detail.contains("not joined"), "{}", v.detail);
}

#[test]
fn second_connect_to_a_namespace_closes() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.handle_frame(clock.at(2), InboundFrame::Text("40/chatomni,"));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    assert_eq!(
        violations(&events(&mut session)),
        [ViolationKind::UnexpectedPacket]
    );
}

#[test]
fn connect_error_from_the_client_closes() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"44/chatomni,{"message":"no"}"#),
    );
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
}

#[test]
fn text_while_attachments_are_awaited_closes() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"451-/chatomni,["up",{"_placeholder":true,"num":0}]"#),
    );
    session.handle_frame(clock.at(2), InboundFrame::Text(r#"42/chatomni,["x"]"#));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    assert_eq!(
        violations(&events(&mut session)),
        [ViolationKind::UnexpectedPacket]
    );
}

#[test]
fn binary_without_a_binary_packet_closes() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.handle_frame(clock.at(2), InboundFrame::Binary(&[1, 2]));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    assert_eq!(
        violations(&events(&mut session)),
        [ViolationKind::UnexpectedPacket]
    );
}

#[test]
fn reserved_event_name_closes() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"42/chatomni,["disconnect"]"#),
    );
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    assert_eq!(
        violations(&events(&mut session)),
        [ViolationKind::MalformedPacket]
    );
}

#[test]
fn application_errors() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    assert_eq!(
        session.accept_connect("/other", "x"),
        Err(SessionError::NoPendingConnect("/other".into()))
    );
    assert_eq!(
        session.emit("/other", r#"["x"]"#, &[]),
        Err(SessionError::NotConnected("/other".into()))
    );
    assert!(matches!(
        session.emit("/chatomni", r#"{"not":"an array"}"#, &[]),
        Err(SessionError::InvalidPayload { field: "data", .. })
    ));
    assert!(matches!(
        session.ack("/chatomni", 1, r#"["unterminated"#, &[]),
        Err(SessionError::InvalidPayload { .. })
    ));
    assert_eq!(drain(&mut session), []);
    session.close(clock.at(2));
    assert_eq!(
        session.emit("/chatomni", r#"["x"]"#, &[]),
        Err(SessionError::Closed)
    );

    let mut engine = ServerSession::new(clock.at(0), TransportKind::WebSocket, "e", {
        let mut c = ServerConfig::default();
        c.layer = Layer::EngineIo;
        c
    });
    assert_eq!(
        engine.emit("/", r#"["x"]"#, &[]),
        Err(SessionError::EngineIoLayer)
    );
}

#[test]
fn encode_event_is_what_emit_queues_and_is_open_until_a_close() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    assert!(session.is_open());
    for data in [
        r#"["on-events","{\"a\":1}",1733363200123456]"#,
        r#"[7]"#,
        "[\"é\"]",
    ] {
        session.emit("/chatomni", data, &[]).unwrap();
        let encoded = sio_session::encode_event("/chatomni", data).unwrap();
        assert_eq!(drain(&mut session), [text(&encoded)]);
    }
    assert_eq!(
        sio_session::encode_event("/", r#"["x"]"#).as_deref(),
        Ok(r#"42["x"]"#)
    );
    assert!(matches!(
        sio_session::encode_event("/chatomni", r#"{"not":"an array"}"#),
        Err(SessionError::InvalidPayload { field: "data", .. })
    ));
    assert_eq!(
        sio_session::encode_event("no-slash", "[1]"),
        Err(SessionError::InvalidNamespace("no-slash".into()))
    );
    session.close(clock.at(2));
    assert!(!session.is_open(), "closing is not open");
    assert!(!session.is_closed(), "the close is still going out");
}

#[test]
fn server_close_on_websocket_flushes_then_closes() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.emit("/chatomni", r#"["bye"]"#, &[]).unwrap();
    session.close(clock.at(2));
    assert_eq!(
        drain(&mut session),
        [text(r#"42/chatomni,["bye"]"#), Transmit::CloseWebSocket]
    );
    assert!(session.is_closed());
    assert_eq!(
        closed_with(&events(&mut session)),
        Some(CloseReason::Requested)
    );
}

#[test]
fn server_close_on_polling_waits_for_the_next_poll() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    session
        .send_message(sio_session::EngineMessage::Text("last".into()))
        .unwrap();
    session.close(clock.at(1));
    assert!(!session.is_closed());
    assert_eq!(drain(&mut session), []);
    // The queued packets first, and the close alone in the next answer (as engine.io, and
    // so that socket.io-client sees a DISCONNECT before the close).
    session.handle_poll_request(clock.at(2)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("4last")]);
    assert!(!session.is_closed());
    session.handle_poll_request(clock.at(3)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("1")]);
    assert!(session.is_closed());
    assert_eq!(
        closed_with(&events(&mut session)),
        Some(CloseReason::Requested)
    );
}

/// socket.io-client handles a `close` in a poll answer before the Socket.IO packets beside
/// it, so a DISCONNECT must come in an answer of its own to read as "io server disconnect".
#[test]
fn server_disconnect_then_close_on_polling_answers_two_polls() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    session.handle_polling_post(clock.at(1), b"40").unwrap();
    events(&mut session);
    session.accept_connect("/", "s").unwrap();
    session.handle_poll_request(clock.at(2)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("40{\"sid\":\"s\"}")]);
    // A poll is pending when the server disconnects and closes.
    session.handle_poll_request(clock.at(3)).unwrap();
    session.disconnect("/").unwrap();
    session.close(clock.at(3));
    assert_eq!(drain(&mut session), [poll_response("41")]);
    assert!(!session.is_closed());
    session.handle_poll_request(clock.at(4)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("1")]);
    assert_eq!(
        closed_with(&events(&mut session)),
        Some(CloseReason::Requested)
    );
}

/// A polling session joined to `/`, with its CONNECT answer collected.
fn joined_polling(clock: &Clock) -> ServerSession {
    let mut session = polling(clock, ServerConfig::default());
    session.handle_polling_post(clock.at(1), b"40").unwrap();
    events(&mut session);
    session.accept_connect("/", "s").unwrap();
    session.handle_poll_request(clock.at(2)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("40{\"sid\":\"s\"}")]);
    session
}

#[test]
fn close_now_answers_the_pending_poll_and_ends() {
    let clock = Clock::default();
    let mut session = joined_polling(&clock);
    session.handle_poll_request(clock.at(3)).unwrap();
    session.disconnect("/").unwrap();
    session.close_now(clock.at(4));
    assert!(session.is_closed());
    // The DISCONNECT, without the close behind it (socket.io-client would handle the close
    // first).
    assert_eq!(drain(&mut session), [poll_response("41")]);
    assert_eq!(
        closed_with(&events(&mut session)),
        Some(CloseReason::Requested)
    );
    assert_eq!(
        session.handle_poll_request(clock.at(5)),
        Err(RequestError::UnknownSid)
    );
}

#[test]
fn close_now_with_nothing_queued_answers_the_pending_poll_with_close() {
    let clock = Clock::default();
    let mut session = joined_polling(&clock);
    session.handle_poll_request(clock.at(3)).unwrap();
    session.close_now(clock.at(4));
    assert!(session.is_closed());
    assert_eq!(drain(&mut session), [poll_response("1")]);
}

#[test]
fn close_now_without_a_pending_poll_ends_without_waiting() {
    let clock = Clock::default();
    let mut session = joined_polling(&clock);
    session.disconnect("/").unwrap();
    session.close_now(clock.at(4));
    assert!(session.is_closed());
    assert_eq!(drain(&mut session), []);
    assert_eq!(
        closed_with(&events(&mut session)),
        Some(CloseReason::Requested)
    );
}

#[test]
fn close_now_on_websocket_sends_the_queue_then_closes() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.disconnect("/chatomni").unwrap();
    session.close_now(clock.at(2));
    assert_eq!(
        drain(&mut session),
        [text("41/chatomni,"), Transmit::CloseWebSocket]
    );
    assert!(session.is_closed());
    assert_eq!(
        closed_with(&events(&mut session)),
        Some(CloseReason::Requested)
    );
}

#[test]
fn close_now_ends_a_close_under_way_with_its_reason() {
    let clock = Clock::default();
    let mut session = engine_polling(&clock, Duration::from_millis(50));
    assert_eq!(session.handle_polling_post(clock.at(10), b"1"), Ok(()));
    session.close_now(clock.at(11));
    assert!(session.is_closed());
    assert_eq!(drain(&mut session), []);
    assert_eq!(
        closed_with(&events(&mut session)),
        Some(CloseReason::PeerClose)
    );
}

#[test]
fn server_close_on_polling_gives_up_after_close_timeout() {
    let clock = Clock::default();
    let mut config = ServerConfig::default();
    config.close_timeout = Duration::from_millis(50);
    let mut session = polling(&clock, config);
    session.close(clock.at(10));
    assert_eq!(session.poll_timeout(), Some(clock.at(60)));
    session.handle_timeout(clock.at(60));
    assert!(session.is_closed());
    assert_eq!(
        closed_with(&events(&mut session)),
        Some(CloseReason::Requested)
    );
}

/// A polling session of the Engine.IO layer whose client's `close` waits `grace` for a raced
/// `GET`.
fn engine_polling(clock: &Clock, grace: Duration) -> ServerSession {
    let mut config = ServerConfig::default();
    config.layer = Layer::EngineIo;
    config.peer_close_grace = grace;
    polling(clock, config)
}

#[test]
fn client_close_without_a_pending_poll_ends_after_the_grace() {
    let clock = Clock::default();
    let mut session = engine_polling(&clock, Duration::from_millis(50));
    assert_eq!(session.handle_polling_post(clock.at(10), b"1"), Ok(()));
    assert!(!session.is_closed());
    assert_eq!(drain(&mut session), []);
    assert_eq!(events(&mut session), []);
    assert_eq!(session.poll_timeout(), Some(clock.at(60)));
    // Over for the application, and for anything but the raced GET.
    assert_eq!(
        session.send_message(sio_session::EngineMessage::Text("late".into())),
        Err(SessionError::Closed)
    );
    assert_eq!(
        session.handle_websocket_upgrade(clock.at(20)),
        Err(RequestError::BadRequest)
    );
    session.handle_timeout(clock.at(59));
    assert!(!session.is_closed());
    session.handle_timeout(clock.at(60));
    assert!(session.is_closed());
    assert_eq!(drain(&mut session), []);
    assert_eq!(
        closed_with(&events(&mut session)),
        Some(CloseReason::PeerClose)
    );
    assert_eq!(
        session.handle_poll_request(clock.at(61)),
        Err(RequestError::UnknownSid)
    );
}

#[test]
fn a_get_after_the_grace_meets_an_unknown_sid() {
    let clock = Clock::default();
    let mut session = engine_polling(&clock, Duration::from_millis(50));
    assert_eq!(session.handle_polling_post(clock.at(10), b"1"), Ok(()));
    // The transport's timer has not fired yet: the GET runs it first.
    assert_eq!(
        session.handle_poll_request(clock.at(60)),
        Err(RequestError::UnknownSid)
    );
    assert_eq!(drain(&mut session), []);
    assert_eq!(
        closed_with(&events(&mut session)),
        Some(CloseReason::PeerClose)
    );
}

#[test]
fn a_zero_grace_ends_a_client_close_at_once() {
    let clock = Clock::default();
    let mut session = engine_polling(&clock, Duration::ZERO);
    assert_eq!(session.handle_polling_post(clock.at(10), b"1"), Ok(()));
    assert!(session.is_closed());
    assert_eq!(
        closed_with(&events(&mut session)),
        Some(CloseReason::PeerClose)
    );
    assert_eq!(
        session.handle_poll_request(clock.at(10)),
        Err(RequestError::UnknownSid)
    );
}

#[test]
fn client_close_drops_what_is_queued_and_handles_the_packets_before_it() {
    let clock = Clock::default();
    let mut session = engine_polling(&clock, Duration::from_millis(50));
    session
        .send_message(sio_session::EngineMessage::Text("queued".into()))
        .unwrap();
    assert_eq!(
        session.handle_polling_post(clock.at(10), b"4before\x1e1\x1e4after"),
        Ok(())
    );
    assert_eq!(
        events(&mut session),
        [ServerEvent::Message(sio_session::EngineMessage::Text(
            "before".into()
        ))]
    );
    session.handle_poll_request(clock.at(11)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("6")]);
    assert_eq!(
        events(&mut session),
        [ServerEvent::Closed(CloseReason::PeerClose)]
    );
}

#[test]
fn client_close_while_upgrading_closes_the_probing_websocket() {
    let clock = Clock::default();
    let mut session = engine_polling(&clock, Duration::from_millis(50));
    session.handle_websocket_upgrade(clock.at(1)).unwrap();
    session.handle_frame(clock.at(2), InboundFrame::Text("2probe"));
    assert_eq!(drain(&mut session), [text("3probe")]);
    assert_eq!(session.handle_polling_post(clock.at(3), b"1"), Ok(()));
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    session.handle_poll_request(clock.at(4)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("6")]);
    assert!(session.is_closed());
}

#[test]
fn unknown_namespace_list_none_hands_every_connect_to_the_application() {
    let clock = Clock::default();
    let mut session = ServerSession::new(
        clock.at(0),
        TransportKind::WebSocket,
        "s",
        ServerConfig::default(),
    );
    drain(&mut session);
    session.handle_frame(clock.at(1), InboundFrame::Text("40/anything,"));
    assert_eq!(
        events(&mut session),
        [ServerEvent::ConnectRequest {
            namespace: "/anything".into(),
            auth: None
        }]
    );
}

#[test]
fn raw_frames_go_out_untouched() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.send_raw_text("42/chatomni,[broken").unwrap();
    assert_eq!(drain(&mut session), [text("42/chatomni,[broken")]);
}

#[test]
fn violation_details_name_the_place() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"42/chatomni,["on-events","x"#),
    );
    let events = events(&mut session);
    let ServerEvent::Violation(v) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(v.kind, ViolationKind::MalformedPacket);
    assert!(v.detail.contains("at byte"), "{}", v.detail);
    assert!(v.detail.contains("on-events"), "{}", v.detail);
}

#[test]
fn queued_bytes_counts_what_waits_for_the_client() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    assert_eq!(session.queued_bytes(), 0);
    session.handle_polling_post(clock.at(1), b"40").unwrap();
    events(&mut session);
    session.accept_connect("/", "s").unwrap();
    session.emit("/", r#"["a"]"#, &[vec![1, 2, 3]]).unwrap();
    // `40{"sid":"s"}`, `451-["a"]` and three attachment bytes.
    assert_eq!(session.queued_bytes(), 13 + 9 + 3);
    session.handle_poll_request(clock.at(2)).unwrap();
    assert_eq!(
        drain(&mut session),
        [poll_response("40{\"sid\":\"s\"}\x1e451-[\"a\"]\x1ebAQID")]
    );
    assert_eq!(session.queued_bytes(), 0);
}

#[test]
fn packets_are_ignored_while_closing() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    session.handle_polling_post(clock.at(1), b"40").unwrap();
    events(&mut session);
    session.accept_connect("/", "s").unwrap();
    session.close(clock.at(2));
    assert_eq!(
        session.handle_polling_post(clock.at(3), b"42[\"late\"]"),
        Ok(())
    );
    assert_eq!(events(&mut session), []);
    session.handle_poll_request(clock.at(4)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("40{\"sid\":\"s\"}")]);
    session.handle_poll_request(clock.at(5)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("1")]);
}

#[test]
fn websocket_closing_before_the_close_went_out_keeps_the_reason() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.close(clock.at(2));
    session.handle_frame(
        clock.at(3),
        InboundFrame::Text(r#"42/chatomni,["ignored"]"#),
    );
    session.handle_websocket_closed(clock.at(3));
    assert_eq!(drain(&mut session), []);
    assert_eq!(
        events(&mut session),
        [ServerEvent::Closed(CloseReason::Requested)]
    );
}

/// A poll response carries at most `max_packets_per_poll` packets (16 by default, what
/// python-engineio clients accept); the rest go out on the next polls, and the close alone
/// after them.
#[test]
fn a_poll_response_carries_at_most_max_packets_per_poll() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    for i in 0..20 {
        session
            .send_message(sio_session::EngineMessage::Text(format!("m{i}")))
            .unwrap();
    }
    session.close(clock.at(1));
    let records = |t: Vec<Transmit>| match t.as_slice() {
        [Transmit::PollResponse(body)] => body.split('\x1e').map(str::to_owned).collect(),
        other => panic!("expected one poll response, got {other:?}"),
    };
    session.handle_poll_request(clock.at(2)).unwrap();
    let first: Vec<String> = records(drain(&mut session));
    let expected: Vec<String> = (0..16).map(|i| format!("4m{i}")).collect();
    assert_eq!(first, expected);
    assert!(!session.is_closed());
    session.handle_poll_request(clock.at(3)).unwrap();
    let second: Vec<String> = records(drain(&mut session));
    assert_eq!(second, ["4m16", "4m17", "4m18", "4m19"]);
    session.handle_poll_request(clock.at(4)).unwrap();
    assert_eq!(records(drain(&mut session)), ["1"]);
    assert!(session.is_closed());

    // 0: the whole queue in one response, as engine.io's reference server sends it.
    let mut config = ServerConfig::default();
    config.max_packets_per_poll = 0;
    let mut session = polling(&clock, config);
    for i in 0..20 {
        session
            .send_message(sio_session::EngineMessage::Text(format!("m{i}")))
            .unwrap();
    }
    session.handle_poll_request(clock.at(4)).unwrap();
    assert_eq!(records(drain(&mut session)).len(), 20);
}

#[test]
fn raw_text_with_a_record_separator_is_dropped_from_polling_payloads() {
    let clock = Clock::default();
    let mut session = polling(&clock, ServerConfig::default());
    session.send_raw_text("4a\x1eb").unwrap();
    session.send_raw_text("4ok").unwrap();
    session.handle_poll_request(clock.at(1)).unwrap();
    assert_eq!(drain(&mut session), [poll_response("4ok")]);
}

#[test]
fn stopped_heartbeat_sends_no_pings_and_awaits_no_pongs() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.handle_timeout(clock.at(25_000));
    assert_eq!(drain(&mut session), [text("2")]);
    // Stopping also forgets the ping already sent.
    session.set_pinging(clock.at(25_001), false);
    assert_eq!(session.poll_timeout(), None);
    session.handle_timeout(clock.at(500_000));
    session.handle_frame(clock.at(500_000), InboundFrame::Text("3"));
    assert_eq!(drain(&mut session), []);
    assert!(!session.is_closed());
    session.set_pinging(clock.at(600_000), true);
    assert_eq!(session.poll_timeout(), Some(clock.at(625_000)));
    session.handle_timeout(clock.at(625_000));
    assert_eq!(drain(&mut session), [text("2")]);
    session.handle_timeout(clock.at(645_000));
    assert!(session.is_closed());
}

#[test]
fn a_connect_that_cannot_be_answered_does_not_count_as_joined() {
    // A namespace holding the polling record separator cannot be written back.
    let clock = Clock::default();
    let mut session = open_ws(&clock);
    session.handle_frame(clock.at(1), InboundFrame::Text("40/a\x1eb,"));
    assert!(matches!(
        events(&mut session).as_slice(),
        [ServerEvent::ConnectRequest { .. }]
    ));
    assert_eq!(
        session.accept_connect("/a\x1eb", "s"),
        Err(SessionError::InvalidNamespace("/a\x1eb".into()))
    );
    assert!(!session.is_connected("/a\x1eb"));
    assert_eq!(drain(&mut session), []);
}

/// socket.io-parser refuses a binary packet announcing more than `maxAttachments` (10 by
/// default) with "too many attachments", and the reference server closes the connection; the
/// server role does the same, and the limit is a setting.
#[test]
fn more_than_ten_attachments_are_refused_as_the_reference_server_does() {
    let clock = Clock::default();
    let mut session = chat(&clock);
    session.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"4510-/chatomni,["up",{"_placeholder":true,"num":0}]"#),
    );
    assert!(!session.is_closed(), "10 attachments are fine");
    assert!(drain(&mut session).is_empty());

    let mut session = chat(&clock);
    session.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"4511-/chatomni,["up",{"_placeholder":true,"num":0}]"#),
    );
    assert_eq!(drain(&mut session), [Transmit::CloseWebSocket]);
    let seen = events(&mut session);
    let ServerEvent::Violation(v) = &seen[0] else {
        panic!("{seen:?}")
    };
    assert_eq!(v.kind, ViolationKind::MalformedPacket);
    assert!(v.detail.contains("too many attachments"), "{}", v.detail);

    // The limit is the config's, and the codec's own default still reads 64.
    assert_eq!(
        ServerConfig::default().limits.max_attachments,
        sio_session::DEFAULT_SERVER_MAX_ATTACHMENTS
    );
    assert_eq!(sio_wire::Limits::default().max_attachments, 64);
    let mut config = ServerConfig::default();
    config.limits.max_attachments = 64;
    let mut session = ServerSession::new(clock.at(0), TransportKind::WebSocket, "s", config);
    drain(&mut session);
    session.handle_frame(
        clock.at(1),
        InboundFrame::Text(r#"40/chatomni,{"token":"t"}"#),
    );
    events(&mut session);
    session.accept_connect("/chatomni", "sock").unwrap();
    drain(&mut session);
    session.handle_frame(
        clock.at(2),
        InboundFrame::Text(r#"4564-/chatomni,["up",{"_placeholder":true,"num":0}]"#),
    );
    assert!(!session.is_closed());
}
