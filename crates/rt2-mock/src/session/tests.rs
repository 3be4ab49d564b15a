//! Whole sessions in memory with paused time: the session task, the WebSocket transport and
//! the hub, over an in-memory pipe instead of TCP, so that heartbeats, replay timing and the
//! slow-client policy are checked to the millisecond without waiting.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sio_session::TransportKind;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::session::messages::WsLink;
use crate::session::open_session;
use crate::state::ServerState;
use crate::transport::websocket::run_websocket;
use crate::{Capture, MockConfig, Pace, QueueLimits, SlowClientPolicy};

pub(super) type Client = WebSocketStream<tokio::io::DuplexStream>;

/// Opens a WebSocket session on `state` over a pipe of `buffer` bytes; returns the client end
/// and the session id.
async fn connect(state: &Arc<ServerState>, buffer: usize) -> (Client, Arc<str>) {
    connect_with(state, buffer, false).await
}

/// [`connect`], with `stamps`: the client asked for send-time stamps.
pub(super) async fn connect_with(
    state: &Arc<ServerState>,
    buffer: usize,
    stamps: bool,
) -> (Client, Arc<str>) {
    let (server_io, client_io) = tokio::io::duplex(buffer);
    let server = WebSocketStream::from_raw_socket(server_io, Role::Server, None).await;
    let client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
    let (link, frames) = WsLink::new();
    let (sid, inputs) = open_session(
        state,
        TransportKind::WebSocket,
        Some("tomato.tpos.vn"),
        stamps,
        "127.0.0.1:9".parse().unwrap(),
        &http::Uri::from_static("/socket.io/"),
        Some(link.clone()),
    )
    .unwrap();
    tokio::spawn(run_websocket(
        server,
        link,
        frames,
        inputs,
        state.config.write_timeout,
    ));
    (client, sid)
}

pub(super) async fn next_text(client: &mut Client) -> Option<String> {
    loop {
        match client.next().await {
            Some(Ok(Message::Text(text))) => return Some(text.as_str().to_owned()),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}

/// Reads the open packet and joins `/chatomni`; returns the CONNECT reply.
pub(super) async fn join(client: &mut Client) -> String {
    let open = next_text(client).await.unwrap();
    assert!(open.starts_with("0{"), "{open}");
    client
        .send(Message::text(r#"40/chatomni,{"token":"x"}"#))
        .await
        .unwrap();
    next_text(client).await.unwrap()
}

pub(super) fn state(config: MockConfig) -> Arc<ServerState> {
    let (state, trigger, _) = ServerState::new(config, "http");
    // The tests end by dropping everything; the trigger must outlive the sessions, or they
    // would see a shutdown.
    std::mem::forget(trigger);
    state
}

pub(super) fn chat_capture() -> Arc<Capture> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../captures/rt2-chatomni.jsonl"
    );
    Arc::new(Capture::open(path).unwrap())
}

#[tokio::test(start_paused = true)]
async fn a_client_that_pongs_stays_connected_through_many_ping_intervals() {
    let state = state(MockConfig::default());
    let (mut client, sid) = connect(&state, 64 * 1024).await;
    assert!(join(&mut client).await.starts_with("40/chatomni,{\"sid\":"));
    let start = Instant::now();
    for n in 1..=10u32 {
        assert_eq!(next_text(&mut client).await.as_deref(), Some("2"));
        // rt-2's pingInterval: 25 s after the handshake, then 25 s after each pong.
        assert_eq!(start.elapsed(), Duration::from_secs(25) * n);
        client.send(Message::text("3")).await.unwrap();
    }
    let report = state.hub.report(&sid).unwrap();
    assert_eq!(report.closed, None);
    assert!(report.violations.is_empty(), "{:?}", report.violations);
}

#[tokio::test(start_paused = true)]
async fn a_client_that_misses_a_pong_is_closed_and_the_violation_is_recorded() {
    let state = state(MockConfig::default());
    let (mut client, sid) = connect(&state, 64 * 1024).await;
    join(&mut client).await;
    let start = Instant::now();
    assert_eq!(next_text(&mut client).await.as_deref(), Some("2"));
    assert_eq!(next_text(&mut client).await, None, "closed");
    // pingInterval (25 s) then pingTimeout (60 s).
    assert_eq!(start.elapsed(), Duration::from_secs(85));
    tokio::task::yield_now().await;
    let report = state.hub.report(&sid).unwrap();
    assert_eq!(report.violations[0].kind, "missed_pong");
    assert_eq!(report.closed.as_deref(), Some("ping timeout"));
}

#[tokio::test(start_paused = true)]
async fn original_pace_sends_each_event_at_its_captured_offset() {
    let capture = chat_capture();
    let timeline = capture.timeline("/chatomni");
    let mut config = MockConfig {
        capture: Some(capture),
        ..MockConfig::default()
    };
    config.session.ping_interval = Duration::from_secs(3600);
    let state = state(config);
    let (mut client, _) = connect(&state, 1 << 20).await;
    join(&mut client).await;
    let start = Instant::now();
    for event in timeline.events().iter().take(5) {
        let frame = next_text(&mut client).await.unwrap();
        assert_eq!(frame, format!("42/chatomni,{}", event.data));
        let late = start.elapsed().saturating_sub(event.offset);
        assert!(
            late < Duration::from_millis(2),
            "{:?} vs {:?}",
            start.elapsed(),
            event.offset
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_client_that_stops_reading_is_dropped_after_the_grace_period() {
    let mut config = MockConfig {
        capture: Some(chat_capture()),
        ..MockConfig::default()
    };
    config.replay.pace = Pace::Scaled(1000.0);
    config.replay.repeat = true;
    config.session.ping_interval = Duration::from_secs(3600);
    config.queue = QueueLimits {
        max_frames: 8,
        max_bytes: 1 << 20,
        policy: SlowClientPolicy::Disconnect {
            grace: Duration::from_secs(5),
        },
        ..QueueLimits::default()
    };
    let state = state(config);
    // A 16 KiB pipe the client never drains: the writer blocks after a few events.
    let (mut client, sid) = connect(&state, 16 * 1024).await;
    join(&mut client).await;
    let start = Instant::now();
    let closed = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Some(reason) = state.hub.report(&sid).and_then(|r| r.closed) {
            break reason;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never dropped");
    };
    assert_eq!(closed, "slow_client: send queue full for 5000 ms");
    let report = state.hub.report(&sid).unwrap();
    assert!(report.events_dropped > 0);
    // Bounded: what the client was sent fits the pipe, the write window and the queue.
    assert!(report.events_sent < 8 + 32 + 64, "{}", report.events_sent);
}

#[test]
fn a_session_task_that_never_finishes_is_reported_closed_with_the_reason() {
    // Dropping the runtime drops the session task mid-run, as a panic unwinding through it
    // would: the session must not stay listed as open.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let state = state(MockConfig::default());
    let sid = runtime.block_on(async {
        let (sid, _inputs) = open_session(
            &state,
            TransportKind::Polling,
            None,
            false,
            "127.0.0.1:9".parse().unwrap(),
            &http::Uri::from_static("/socket.io/"),
            None,
        )
        .unwrap();
        tokio::task::yield_now().await;
        sid
    });
    assert_eq!(state.hub.len(), 1);
    drop(runtime);
    assert_eq!(state.hub.len(), 0);
    let report = state
        .hub
        .report(&sid)
        .expect("the closed report stays listed");
    assert_eq!(
        report.closed.as_deref(),
        Some("internal error: the session task ended unexpectedly (see the log)")
    );
}
