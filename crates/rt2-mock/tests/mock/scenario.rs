//! Scenario rules carried out by the real mock (127.0.0.1:0), driven with raw WebSocket frames:
//! connect refusals and delayed greetings, event matching with `where`, fixed acks,
//! disconnects, timers, frames taken from the capture, skipping the replay, and faults.
//! (The two bundled protocol scenarios are covered by `conformance.rs`.)

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rt2_mock::scenario::Scenario;
use rt2_mock::{Capture, MockConfig, Pace, RunningMock};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const WAIT: Duration = Duration::from_secs(5);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn chat_capture() -> Arc<Capture> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../captures/rt2-chatomni.jsonl");
    Arc::new(Capture::open(path).expect("bundled capture"))
}

async fn start(toml: &str, capture: bool) -> RunningMock {
    let scenario = Scenario::from_toml(toml, "test.toml").expect("valid scenario");
    let mut config = MockConfig::default();
    if capture {
        config.capture = Some(chat_capture());
        config.replay.pace = Pace::AsFastAsClientReads;
    }
    scenario.apply_to(&mut config);
    RunningMock::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("the mock starts")
}

async fn session(mock: &RunningMock) -> Socket {
    let url = format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket&room=tomato.tpos.vn",
        mock.addr()
    );
    let (mut socket, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("in time")
        .expect("WebSocket accepted");
    let open = next(&mut socket).await.expect("open packet");
    assert!(open.starts_with('0'), "{open}");
    socket
}

/// The next text frame other than a ping; `None` once the socket is closed or cut.
async fn next(socket: &mut Socket) -> Option<String> {
    next_within(socket, WAIT)
        .await
        .unwrap_or_else(|| panic!("no frame within {WAIT:?}"))
}

/// `Some(frame or None for closed)` if something came within `wait`, `None` if nothing did.
async fn next_within(socket: &mut Socket, wait: Duration) -> Option<Option<String>> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let frame = tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()?;
        match frame {
            Some(Ok(Message::Text(text))) if text.as_str() == "2" => {
                let _ = socket.send(Message::text("3")).await;
            }
            Some(Ok(Message::Text(text))) => return Some(Some(text.as_str().to_owned())),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Some(None),
            Some(Ok(_)) => {}
        }
    }
}

async fn send(socket: &mut Socket, text: &str) {
    socket
        .send(Message::text(text.to_owned()))
        .await
        .expect("send");
}

#[tokio::test]
async fn connect_rules_refuse_or_greet_after_their_delay() {
    let mock = start(
        r#"
        [[on_connect]]
        namespace = "/admin"
        refuse = "Not authorized"

        [[on_connect]]
        namespace = "/lobby"
        delay_ms = 80
        emit = [{ event = "hello", args = ["welcome", 1] }, { event = "who", args = "auth" }]
        "#,
        false,
    )
    .await;
    let mut socket = session(&mock).await;
    send(&mut socket, "40/admin,").await;
    assert_eq!(
        next(&mut socket).await.as_deref(),
        Some(r#"44/admin,{"message":"Not authorized"}"#)
    );
    // Without a rule or the namespaces list, an unknown namespace is refused as socket.io does.
    send(&mut socket, "40/nobody,").await;
    assert_eq!(
        next(&mut socket).await.as_deref(),
        Some(r#"44/nobody,{"message":"Invalid namespace"}"#)
    );
    send(&mut socket, r#"40/lobby,{"user":"u1"}"#).await;
    let joined = next(&mut socket).await.unwrap();
    let answered = Instant::now();
    assert!(joined.starts_with("40/lobby,{\"sid\":"), "{joined}");
    assert_eq!(
        next(&mut socket).await.as_deref(),
        Some(r#"42/lobby,["hello","welcome",1]"#)
    );
    assert!(
        answered.elapsed() >= Duration::from_millis(60),
        "greeted after {:?}",
        answered.elapsed()
    );
    assert_eq!(
        next(&mut socket).await.as_deref(),
        Some(r#"42/lobby,["who",{"user":"u1"}]"#)
    );
}

#[tokio::test]
async fn event_rules_match_arguments_ack_and_disconnect() {
    let mock = start(
        r#"
        [[on_event]]
        name = "join"
        where = { path = "$[0].room", equals = "vip" }
        ack = [{ ok = true }]
        disconnect = true
        emit = [{ event = "welcome-vip", args = "echo" }]

        [[on_event]]
        name = "join"
        ack = [{ ok = false }]
        "#,
        false,
    )
    .await;
    let mut socket = session(&mock).await;
    send(&mut socket, "40").await;
    assert!(next(&mut socket).await.unwrap().starts_with("40{"));
    send(&mut socket, r#"421["join",{"room":"lobby"}]"#).await;
    assert_eq!(
        next(&mut socket).await.as_deref(),
        Some(r#"431[{"ok":false}]"#)
    );
    send(&mut socket, r#"422["join",{"room":"vip"}]"#).await;
    assert_eq!(
        next(&mut socket).await.as_deref(),
        Some(r#"42["welcome-vip",{"room":"vip"}]"#)
    );
    assert_eq!(
        next(&mut socket).await.as_deref(),
        Some(r#"432[{"ok":true}]"#)
    );
    assert_eq!(next(&mut socket).await.as_deref(), Some("41"));
    // Disconnected from `/`, the client can join it again.
    send(&mut socket, "40").await;
    assert!(next(&mut socket).await.unwrap().starts_with("40{"));
}

#[tokio::test]
async fn timers_fire_every_period_up_to_their_count() {
    let mock = start(
        r#"
        [[timer]]
        namespace = "/"
        every_ms = 40
        first_ms = 10
        count = 3
        emit = [{ event = "tick" }]
        "#,
        false,
    )
    .await;
    let mut socket = session(&mock).await;
    // Nothing before the join.
    assert_eq!(
        next_within(&mut socket, Duration::from_millis(100)).await,
        None
    );
    send(&mut socket, "40").await;
    assert!(next(&mut socket).await.unwrap().starts_with("40{"));
    let joined = Instant::now();
    for _ in 0..3 {
        assert_eq!(next(&mut socket).await.as_deref(), Some(r#"42["tick"]"#));
    }
    assert!(
        joined.elapsed() >= Duration::from_millis(80),
        "{:?}",
        joined.elapsed()
    );
    assert_eq!(
        next_within(&mut socket, Duration::from_millis(200)).await,
        None
    );
}

#[tokio::test]
async fn replay_can_be_skipped_and_capture_frames_sent_on_request() {
    let mock = start(
        r#"
        [[on_connect]]
        namespace = "/chatomni"
        replay = false

        [[on_event]]
        name = "more"
        emit = [{ capture = { index = 0 } }, { capture = { event = "on-events", nth = 1 } }]
        "#,
        true,
    )
    .await;
    let capture = chat_capture();
    let timeline = capture.timeline("/chatomni");
    let events = timeline.events();
    let mut socket = session(&mock).await;
    send(&mut socket, r#"40/chatomni,{"token":"synthetic"}"#).await;
    assert!(
        next(&mut socket)
            .await
            .unwrap()
            .starts_with("40/chatomni,{")
    );
    // The replay would send hundreds of events at once; it was skipped.
    assert_eq!(
        next_within(&mut socket, Duration::from_millis(200)).await,
        None
    );
    send(&mut socket, r#"42/chatomni,["more"]"#).await;
    assert_eq!(
        next(&mut socket).await,
        Some(format!("42/chatomni,{}", events[0].data))
    );
    assert_eq!(
        next(&mut socket).await,
        Some(format!("42/chatomni,{}", events[1].data))
    );
}

#[tokio::test]
async fn the_rt2_scenario_replays_chatomni() {
    let scenario = Scenario::bundled("rt2").unwrap();
    let mut config = MockConfig::default();
    config.capture = Some(chat_capture());
    config.replay.pace = Pace::AsFastAsClientReads;
    scenario.apply_to(&mut config);
    let mock = RunningMock::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let mut socket = session(&mock).await;
    send(&mut socket, "40").await;
    assert!(next(&mut socket).await.unwrap().starts_with("40{"));
    send(&mut socket, r#"40/chatomni,{"token":"synthetic"}"#).await;
    assert!(
        next(&mut socket)
            .await
            .unwrap()
            .starts_with("40/chatomni,{")
    );
    for _ in 0..5 {
        let event = next(&mut socket).await.unwrap();
        assert!(event.starts_with(r#"42/chatomni,["on-events","#), "{event}");
    }
}

#[tokio::test]
async fn a_fault_rule_cuts_the_connection() {
    let mock = start(
        r#"
        [[on_event]]
        name = "crash"
        fault = "drop"
        "#,
        false,
    )
    .await;
    let mut socket = session(&mock).await;
    send(&mut socket, "40").await;
    assert!(next(&mut socket).await.unwrap().starts_with("40{"));
    send(&mut socket, r#"42["crash"]"#).await;
    // Cut without a close frame: the stream ends or errors.
    let end = tokio::time::timeout(WAIT, socket.next())
        .await
        .expect("cut in time");
    assert!(
        matches!(end, None | Some(Err(_))),
        "expected the connection cut, got {end:?}"
    );
}
