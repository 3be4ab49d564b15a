//! Arbitrary input never panics either machine, and a session reports its end exactly once,
//! as its last event.

use std::time::Duration;

use proptest::prelude::*;
use sio_session::{
    ClientConfig, ClientEvent, ClientSession, InboundFrame, Layer, ServerConfig, ServerEvent,
    ServerSession, TransportKind,
};

use crate::harness::Clock;

/// What the peer (or the clock) does next.
#[derive(Debug, Clone)]
enum Step {
    Text(String),
    Binary(Vec<u8>),
    Post(Vec<u8>),
    Poll,
    Upgrade,
    WebSocketClosed,
    Advance(u64),
    Accept,
    CloseNow,
}

/// Text that is often close to valid: a known prefix followed by arbitrary characters.
fn frame_text() -> impl Strategy<Value = String> {
    let prefixes = prop::sample::select(vec![
        "",
        "0",
        "1",
        "2",
        "2probe",
        "3",
        "5",
        "6",
        "40",
        "40/custom,",
        "41",
        "42",
        "43",
        "44",
        "451-",
        "452-",
        "461-",
        "42[\"message\",",
        "40{\"token\":",
        "4",
        "42/custom,1[",
    ]);
    (prefixes, ".{0,24}").prop_map(|(p, rest)| format!("{p}{rest}"))
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => frame_text().prop_map(Step::Text),
        1 => prop::collection::vec(any::<u8>(), 0..8).prop_map(Step::Binary),
        2 => prop::collection::vec(frame_text(), 0..4)
            .prop_map(|records| Step::Post(records.join("\x1e").into_bytes())),
        1 => prop::collection::vec(any::<u8>(), 0..12).prop_map(Step::Post),
        2 => Just(Step::Poll),
        1 => Just(Step::Upgrade),
        1 => Just(Step::WebSocketClosed),
        2 => (0u64..700).prop_map(Step::Advance),
        1 => Just(Step::Accept),
        1 => Just(Step::CloseNow),
    ]
}

fn run_server(transport: TransportKind, layer: Layer, steps: &[Step]) {
    let clock = Clock::default();
    let mut config = ServerConfig::protocol_test_suite();
    config.layer = layer;
    config.upgrade_timeout = Duration::from_millis(400);
    config.max_payload = 64;
    let mut session = ServerSession::new(clock.at(0), transport, "sid", config);
    let mut now = 0;
    let mut events = Vec::new();
    for step in steps {
        let at = clock.at(now);
        match step {
            Step::Text(text) => session.handle_frame(at, InboundFrame::Text(text)),
            Step::Binary(bytes) => session.handle_frame(at, InboundFrame::Binary(bytes)),
            Step::Post(body) => {
                let _ = session.handle_polling_post(at, body);
            }
            Step::Poll => {
                let _ = session.handle_poll_request(at);
            }
            Step::Upgrade => {
                let _ = session.handle_websocket_upgrade(at);
            }
            Step::WebSocketClosed => session.handle_websocket_closed(at),
            Step::Advance(ms) => {
                now += ms;
                session.handle_timeout(clock.at(now));
            }
            Step::Accept => {
                let _ = session.accept_connect("/", "s");
                let _ = session.emit("/", r#"["x",{"_placeholder":true,"num":0}]"#, &[vec![1]]);
            }
            Step::CloseNow => session.close_now(at),
        }
        while session.poll_transmit().is_some() {}
        while let Some(event) = session.poll_event() {
            if let ServerEvent::ConnectRequest { namespace, .. } = &event {
                let _ = session.refuse_connect(namespace, "no");
            }
            events.push(event);
        }
        if let Some(deadline) = session.poll_timeout() {
            assert!(deadline >= clock.at(now), "a timer in the past");
        }
    }
    let closes = events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Closed(_)))
        .count();
    assert!(closes <= 1, "{events:?}");
    assert_eq!(closes == 1, session.is_closed());
    if closes == 1 {
        assert!(
            matches!(events.last(), Some(ServerEvent::Closed(_))),
            "{events:?}"
        );
    }
}

fn run_client(steps: &[Step]) {
    let clock = Clock::default();
    let mut client = ClientSession::new(clock.at(0), ClientConfig::default());
    let _ = client.connect("/", Some("{}"));
    let mut now = 0;
    let mut events = Vec::new();
    for step in steps {
        let at = clock.at(now);
        match step {
            Step::Text(text) => client.handle_frame(at, InboundFrame::Text(text)),
            Step::Binary(bytes) | Step::Post(bytes) => {
                client.handle_frame(at, InboundFrame::Binary(bytes))
            }
            Step::Poll | Step::Upgrade | Step::Accept => {
                let _ = client.emit("/", r#"["x"]"#, &[]);
            }
            Step::WebSocketClosed => client.handle_websocket_closed(at),
            Step::CloseNow => client.close(),
            Step::Advance(ms) => {
                now += ms * 100;
                client.handle_timeout(clock.at(now));
            }
        }
        while client.poll_transmit().is_some() {}
        events.extend(std::iter::from_fn(|| client.poll_event()));
    }
    let closes = events
        .iter()
        .filter(|e| matches!(e, ClientEvent::Closed(_)))
        .count();
    assert!(closes <= 1, "{events:?}");
    assert_eq!(closes == 1, client.is_closed());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn server_on_websocket_never_panics(steps in prop::collection::vec(step(), 0..24)) {
        run_server(TransportKind::WebSocket, Layer::SocketIo, &steps);
    }

    #[test]
    fn server_on_polling_never_panics(steps in prop::collection::vec(step(), 0..24)) {
        run_server(TransportKind::Polling, Layer::SocketIo, &steps);
    }

    #[test]
    fn engineio_server_never_panics(steps in prop::collection::vec(step(), 0..24)) {
        run_server(TransportKind::Polling, Layer::EngineIo, &steps);
    }

    #[test]
    fn client_never_panics(steps in prop::collection::vec(step(), 0..24)) {
        run_client(&steps);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The fuzz harness bodies (which assert the close invariants) on arbitrary bytes.
    #[test]
    fn fuzz_harnesses_hold_on_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..256)) {
        sio_session::fuzzing::session_handle_frame(&data);
        sio_session::fuzzing::client_handle_frame(&data);
    }
}
