//! Helpers shared by the tests: a clock, draining, and the reference servers of the two
//! official test suites written as small applications over `ServerSession`.

use std::time::{Duration, Instant};

use sio_session::{
    ClientEvent, ClientSession, Layer, ServerConfig, ServerEvent, ServerSession, Transmit,
    TransportKind,
};

/// A fixed origin for the test clock, and `ms` milliseconds after it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    pub(crate) start: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Clock {
    pub(crate) fn at(&self, ms: u64) -> Instant {
        self.start + Duration::from_millis(ms)
    }
}

pub(crate) fn drain(session: &mut ServerSession) -> Vec<Transmit> {
    std::iter::from_fn(|| session.poll_transmit()).collect()
}

pub(crate) fn events(session: &mut ServerSession) -> Vec<ServerEvent> {
    std::iter::from_fn(|| session.poll_event()).collect()
}

pub(crate) fn client_drain(session: &mut ClientSession) -> Vec<Transmit> {
    std::iter::from_fn(|| session.poll_transmit()).collect()
}

pub(crate) fn client_events(session: &mut ClientSession) -> Vec<ClientEvent> {
    std::iter::from_fn(|| session.poll_event()).collect()
}

pub(crate) fn text(s: &str) -> Transmit {
    Transmit::Text(s.to_owned())
}

pub(crate) fn poll_response(s: &str) -> Transmit {
    Transmit::PollResponse(s.to_owned())
}

/// The open packet the reference servers of both suites send.
pub(crate) fn suite_open(sid: &str, upgrades: &str) -> String {
    format!(
        r#"0{{"sid":"{sid}","upgrades":{upgrades},"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}}"#
    )
}

pub(crate) fn engineio_config() -> ServerConfig {
    let mut config = ServerConfig::protocol_test_suite();
    config.layer = Layer::EngineIo;
    config
}

/// The engine.io suite's server: `socket.on("data", (...args) => socket.send(...args))`.
/// Runs the application over the pending events and returns them.
pub(crate) fn engineio_echo(session: &mut ServerSession) -> Vec<ServerEvent> {
    let all = events(session);
    for event in &all {
        if let ServerEvent::Message(message) = event {
            session
                .send_message(message.clone())
                .expect("the session is open while it reports messages");
        }
    }
    all
}

/// The socket.io suite's server (README, "Test suite"): on connection to `/` or `/custom`,
/// emit `auth` with the handshake auth; on `message`, emit `message-back` with the same
/// arguments; on `message-with-ack`, ack with the arguments. Socket ids are `s-<namespace>`.
pub(crate) fn socketio_app(session: &mut ServerSession) -> Vec<ServerEvent> {
    let all = events(session);
    for event in &all {
        match event {
            ServerEvent::ConnectRequest { namespace, auth } => {
                session
                    .accept_connect(namespace, &format!("s-{namespace}"))
                    .expect("the CONNECT is pending");
                let auth = auth.as_deref().unwrap_or("{}");
                session
                    .emit(namespace, &format!(r#"["auth",{auth}]"#), &[])
                    .expect("the namespace was just accepted");
            }
            ServerEvent::Event(event) if event.name().as_deref() == Some("message") => {
                let args = event.args_json();
                let sep = if args.is_empty() { "" } else { "," };
                session
                    .emit(
                        &event.namespace,
                        &format!(r#"["message-back"{sep}{args}]"#),
                        &event.attachments,
                    )
                    .expect("the namespace is connected");
            }
            ServerEvent::Event(event) if event.name().as_deref() == Some("message-with-ack") => {
                let id = event.ack_id.expect("message-with-ack carries an ack id");
                session
                    .ack(
                        &event.namespace,
                        id,
                        &format!("[{}]", event.args_json()),
                        &event.attachments,
                    )
                    .expect("the namespace is connected");
            }
            _ => {}
        }
    }
    all
}

/// A WebSocket session of the socket.io suite's server with the open packet already drained.
pub(crate) fn socketio_ws(clock: &Clock) -> ServerSession {
    let mut session = ServerSession::new(
        clock.at(0),
        TransportKind::WebSocket,
        "sid-ws",
        ServerConfig::protocol_test_suite(),
    );
    assert_eq!(drain(&mut session), [text(&suite_open("sid-ws", "[]"))]);
    session
}

/// A polling session with the handshake GET answered.
pub(crate) fn polling(clock: &Clock, config: ServerConfig) -> ServerSession {
    let mut session = ServerSession::new(clock.at(0), TransportKind::Polling, "sid-p", config);
    session
        .handle_poll_request(clock.at(0))
        .expect("the handshake GET is accepted");
    let handshake = drain(&mut session);
    assert_eq!(handshake.len(), 1, "{handshake:?}");
    assert!(matches!(&handshake[0], Transmit::PollResponse(body) if body.starts_with("0{")));
    session
}

/// Closed with this reason, as the last event.
pub(crate) fn closed_with(events: &[ServerEvent]) -> Option<sio_session::CloseReason> {
    match events.last() {
        Some(ServerEvent::Closed(reason)) => Some(*reason),
        _ => None,
    }
}

/// The kinds of the violations among `events`.
pub(crate) fn violations(events: &[ServerEvent]) -> Vec<sio_session::ViolationKind> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Violation(v) => Some(v.kind),
            _ => None,
        })
        .collect()
}
