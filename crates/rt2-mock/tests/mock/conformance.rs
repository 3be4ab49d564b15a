//! Every server behaviour that engine.io's and socket.io's official protocol test suites check,
//! driven with raw frames against the real mock (127.0.0.1:0) running the bundled
//! `engineio-protocol` and `socketio-protocol` scenarios, over both transports.
//!
//! The suites themselves are run by hand from a scratch folder (see docs/scenarios.md); these
//! tests hold the same expectations in the project, one test per suite case or group of cases.
//! Timing follows the scenarios: pingInterval 300 ms, pingTimeout 200 ms, connectTimeout 1 s.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rt2_mock::scenario::Scenario;
use rt2_mock::{MockConfig, RunningMock};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Any single wait longer than this fails the test.
const WAIT: Duration = Duration::from_secs(5);
const PING_INTERVAL: Duration = Duration::from_millis(300);
const PING_TIMEOUT: Duration = Duration::from_millis(200);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A mock running a bundled scenario, and the Engine.IO path its suite uses.
struct Mock {
    running: RunningMock,
    path: &'static str,
}

async fn start(scenario: &str) -> Mock {
    let scenario = Scenario::bundled(scenario).expect("bundled scenario");
    let mut config = MockConfig::default();
    scenario.apply_to(&mut config);
    let path = if scenario.server.path.is_some() {
        "/engine.io/"
    } else {
        "/socket.io/"
    };
    let running = RunningMock::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("the mock starts");
    Mock { running, path }
}

async fn engineio() -> Mock {
    start("engineio-protocol").await
}

async fn socketio() -> Mock {
    start("socketio-protocol").await
}

impl Mock {
    fn url(&self, query: &str) -> String {
        format!("{}?{query}", self.path)
    }

    /// One HTTP/1.1 request on a fresh connection: status and body.
    async fn http(&self, method: &str, query: &str, body: &[u8]) -> (u16, String) {
        let stream = TcpStream::connect(self.running.addr())
            .await
            .expect("connect");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("HTTP handshake");
        tokio::spawn(connection);
        let request = http::Request::builder()
            .method(method)
            .uri(self.url(query))
            .header("host", self.running.addr().to_string())
            .body(Full::new(bytes::Bytes::from(body.to_vec())))
            .unwrap();
        let response = tokio::time::timeout(WAIT, sender.send_request(request))
            .await
            .expect("an answer in time");
        let Ok(response) = response else {
            // The server cut the connection: no status (node-fetch throws here too).
            return (0, String::new());
        };
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn get(&self, query: &str) -> (u16, String) {
        self.http("GET", query, b"").await
    }

    async fn post(&self, query: &str, body: &[u8]) -> (u16, String) {
        self.http("POST", query, body).await
    }

    /// A long-polling handshake: the sid.
    async fn polling_session(&self) -> String {
        let (status, body) = self.get("EIO=4&transport=polling").await;
        assert_eq!(status, 200, "{body}");
        open_packet(&body)["sid"].as_str().unwrap().to_owned()
    }

    /// A WebSocket, or the HTTP status that refused it.
    async fn try_websocket(&self, query: &str) -> Result<Socket, u16> {
        let url = format!("ws://{}{}", self.running.addr(), self.url(query));
        match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("a WebSocket answer in time")
        {
            Ok((socket, _)) => Ok(socket),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(other) => panic!("unexpected WebSocket failure: {other}"),
        }
    }

    async fn websocket(&self, query: &str) -> Socket {
        self.try_websocket(query).await.expect("WebSocket accepted")
    }

    /// A WebSocket session past its open packet.
    async fn ws_session(&self) -> Socket {
        let mut socket = self.websocket("EIO=4&transport=websocket").await;
        let open = next_text(&mut socket).await.expect("open packet");
        assert!(open.starts_with('0'), "{open}");
        socket
    }

    /// A Socket.IO connection to `/`, past the CONNECT answer and the `auth` event.
    async fn socketio_session(&self) -> Socket {
        let mut socket = self.ws_session().await;
        send(&mut socket, "40").await;
        let connect = next_text(&mut socket).await.expect("CONNECT answer");
        assert!(connect.starts_with("40{\"sid\":"), "{connect}");
        assert_eq!(
            next_text(&mut socket).await.as_deref(),
            Some(r#"42["auth",{}]"#)
        );
        socket
    }
}

fn open_packet(text: &str) -> serde_json::Value {
    assert!(text.starts_with('0'), "not an open packet: {text}");
    serde_json::from_str(&text[1..]).expect("open packet JSON")
}

/// The next frame; `None` once the socket is closed.
async fn next_frame(socket: &mut Socket) -> Option<Message> {
    loop {
        match tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame or a close in time")
        {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(message)) => return Some(message),
        }
    }
}

async fn next_text(socket: &mut Socket) -> Option<String> {
    match next_frame(socket).await? {
        Message::Text(text) => Some(text.as_str().to_owned()),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// The next frame that is not an Engine.IO ping.
async fn next_non_ping(socket: &mut Socket) -> Option<Message> {
    loop {
        match next_frame(socket).await? {
            Message::Text(text) if text.as_str() == "2" => continue,
            other => return Some(other),
        }
    }
}

async fn send(socket: &mut Socket, text: &str) {
    socket
        .send(Message::text(text.to_owned()))
        .await
        .expect("send");
}

async fn send_binary(socket: &mut Socket, bytes: &[u8]) {
    socket
        .send(Message::binary(bytes.to_vec()))
        .await
        .expect("send");
}

/// Waits for the server to close the socket, answering pings so that only the behaviour under
/// test can end it.
async fn closed(socket: &mut Socket) {
    while let Some(frame) = next_frame(socket).await {
        if matches!(&frame, Message::Text(text) if text.as_str() == "2") {
            let _ = socket.send(Message::text("3")).await;
        }
    }
}

// ------------------------------------------------------------------------------------------
// Engine.IO: handshake.

#[tokio::test]
async fn polling_handshake_opens_a_session_with_the_scenario_settings() {
    let mock = engineio().await;
    let (status, body) = mock.get("EIO=4&transport=polling").await;
    assert_eq!(status, 200);
    let open = open_packet(&body);
    let keys: Vec<&str> = open
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5, "{open}");
    assert!(open["sid"].is_string());
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
    assert_eq!(open["pingInterval"], 300);
    assert_eq!(open["pingTimeout"], 200);
    assert_eq!(open["maxPayload"], 1_000_000);
}

#[tokio::test]
async fn websocket_handshake_opens_a_session_without_upgrades() {
    let mock = engineio().await;
    let mut socket = mock.websocket("EIO=4&transport=websocket").await;
    let open = open_packet(&next_text(&mut socket).await.unwrap());
    assert!(open["sid"].is_string());
    assert_eq!(open["upgrades"], serde_json::json!([]));
    assert_eq!(open["pingInterval"], 300);
    assert_eq!(open["pingTimeout"], 200);
    assert_eq!(open["maxPayload"], 1_000_000);
}

#[tokio::test]
async fn a_bad_eio_is_refused_on_both_transports() {
    let mock = engineio().await;
    let version = r#"{"code":5,"message":"Unsupported protocol version"}"#;
    assert_eq!(mock.get("transport=polling").await, (400, version.into()));
    assert_eq!(
        mock.get("EIO=abc&transport=polling").await,
        (400, version.into())
    );
    assert_eq!(
        mock.get("EIO=3&transport=polling").await,
        (400, version.into())
    );
    assert_eq!(
        mock.try_websocket("transport=websocket").await.err(),
        Some(400)
    );
    assert_eq!(
        mock.try_websocket("EIO=abc&transport=websocket")
            .await
            .err(),
        Some(400)
    );
}

#[tokio::test]
async fn a_bad_transport_is_refused_on_both_transports() {
    let mock = engineio().await;
    let unknown = r#"{"code":0,"message":"Transport unknown"}"#;
    assert_eq!(mock.get("EIO=4").await, (400, unknown.into()));
    assert_eq!(mock.get("EIO=4&transport=abc").await, (400, unknown.into()));
    assert_eq!(mock.try_websocket("EIO=4").await.err(), Some(400));
    assert_eq!(
        mock.try_websocket("EIO=4&transport=abc").await.err(),
        Some(400)
    );
}

#[tokio::test]
async fn a_handshake_that_is_not_a_get_is_refused() {
    let mock = engineio().await;
    let method = r#"{"code":2,"message":"Bad handshake method"}"#;
    assert_eq!(
        mock.post("EIO=4&transport=polling", b"").await,
        (400, method.into())
    );
    assert_eq!(
        mock.http("PUT", "EIO=4&transport=polling", b"").await,
        (400, method.into())
    );
}

// ------------------------------------------------------------------------------------------
// Engine.IO: messages (the echo server).

#[tokio::test]
async fn polling_payloads_of_text_and_binary_packets_are_echoed() {
    let mock = engineio().await;
    for (sent, expected) in [
        ("4hello", "4hello"),
        ("4test1\x1e4test2\x1e4test3", "4test1\x1e4test2\x1e4test3"),
        ("4hello\x1ebAQIDBA==", "4hello\x1ebAQIDBA=="),
    ] {
        let sid = mock.polling_session().await;
        let query = format!("EIO=4&transport=polling&sid={sid}");
        assert_eq!(mock.post(&query, sent.as_bytes()).await, (200, "ok".into()));
        assert_eq!(mock.get(&query).await, (200, expected.into()));
    }
}

#[tokio::test]
async fn websocket_text_and_binary_messages_are_echoed() {
    let mock = engineio().await;
    let mut socket = mock.ws_session().await;
    send(&mut socket, "4hello").await;
    assert_eq!(next_text(&mut socket).await.as_deref(), Some("4hello"));
    send_binary(&mut socket, &[1, 2, 3, 4]).await;
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::binary(vec![1, 2, 3, 4]))
    );
}

#[tokio::test]
async fn an_invalid_polling_packet_closes_the_session() {
    let mock = engineio().await;
    let sid = mock.polling_session().await;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    let (status, _) = mock.post(&query, b"abc").await;
    assert!(status == 400 || status == 0, "{status}");
    assert_eq!(mock.get(&query).await.0, 400);
}

#[tokio::test]
async fn an_invalid_websocket_packet_closes_the_session() {
    let mock = engineio().await;
    let mut socket = mock.ws_session().await;
    send(&mut socket, "abc").await;
    closed(&mut socket).await;
}

#[tokio::test]
async fn duplicate_concurrent_polls_close_the_session() {
    let mock = engineio().await;
    let sid = mock.polling_session().await;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    let burst = format!("{query}&t=burst");
    let (first, second) = tokio::join!(mock.get(&query), async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        mock.get(&burst).await
    });
    assert_eq!(first, (200, "1".into()), "the first poll carries the close");
    assert!(second.0 == 400 || second.0 == 500, "{second:?}");
    assert_eq!(mock.get(&query).await.0, 400);
}

// ------------------------------------------------------------------------------------------
// Engine.IO: heartbeat and close.

#[tokio::test]
async fn polling_heartbeat_pings_and_accepts_pongs() {
    let mock = engineio().await;
    let sid = mock.polling_session().await;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    for _ in 0..3 {
        assert_eq!(mock.get(&query).await, (200, "2".into()));
        assert_eq!(mock.post(&query, b"3").await, (200, "ok".into()));
    }
}

#[tokio::test]
async fn polling_session_closes_when_no_pong_comes() {
    let mock = engineio().await;
    let sid = mock.polling_session().await;
    tokio::time::sleep(PING_INTERVAL + PING_TIMEOUT).await;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    assert_eq!(mock.get(&query).await.0, 400);
}

#[tokio::test]
async fn websocket_heartbeat_pings_and_accepts_pongs() {
    let mock = engineio().await;
    let mut socket = mock.ws_session().await;
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(next_text(&mut socket).await.as_deref(), Some("2"));
        assert!(
            started.elapsed() < PING_INTERVAL * 3,
            "{:?}",
            started.elapsed()
        );
        send(&mut socket, "3").await;
    }
}

#[tokio::test]
async fn websocket_session_closes_when_no_pong_comes() {
    let mock = engineio().await;
    let mut socket = mock.ws_session().await;
    let started = Instant::now();
    assert_eq!(next_text(&mut socket).await.as_deref(), Some("2"));
    assert_eq!(next_frame(&mut socket).await, None);
    let elapsed = started.elapsed();
    assert!(elapsed >= PING_INTERVAL / 2, "{elapsed:?}");
}

#[tokio::test]
async fn a_polling_close_packet_ends_the_session() {
    let mock = engineio().await;
    let sid = mock.polling_session().await;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    let (poll, post) = tokio::join!(mock.get(&query), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        mock.post(&query, b"1").await
    });
    assert_eq!(
        poll,
        (200, "6".into()),
        "the waiting poll is ended with a noop"
    );
    assert_eq!(post.0, 200);
    assert_eq!(mock.get(&query).await.0, 400);
}

#[tokio::test]
async fn a_websocket_close_packet_ends_the_session() {
    let mock = engineio().await;
    let mut socket = mock.ws_session().await;
    send(&mut socket, "1").await;
    closed(&mut socket).await;
}

// ------------------------------------------------------------------------------------------
// Engine.IO: upgrade.

/// Polling session, then a WebSocket for it that completes the probe.
async fn upgraded(mock: &Mock) -> (String, Socket) {
    let sid = mock.polling_session().await;
    let mut socket = mock
        .websocket(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    send(&mut socket, "2probe").await;
    assert_eq!(next_text(&mut socket).await.as_deref(), Some("3probe"));
    send(&mut socket, "5").await;
    (sid, socket)
}

#[tokio::test]
async fn polling_upgrades_to_websocket_with_probe_and_noop() {
    let mock = engineio().await;
    let sid = mock.polling_session().await;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    let mut socket = mock
        .websocket(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    send(&mut socket, "2probe").await;
    assert_eq!(next_text(&mut socket).await.as_deref(), Some("3probe"));
    // The poll still open during the probe is ended with a noop.
    assert_eq!(mock.get(&query).await, (200, "6".into()));
    send(&mut socket, "5").await;
    send(&mut socket, "4hello").await;
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::text("4hello"))
    );
}

#[tokio::test]
async fn http_requests_reusing_the_sid_after_upgrade_are_refused() {
    let mock = engineio().await;
    let (sid, mut socket) = upgraded(&mock).await;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    assert_eq!(mock.get(&query).await.0, 400);
    send(&mut socket, "4hello").await;
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::text("4hello"))
    );
}

#[tokio::test]
async fn a_second_websocket_for_an_upgraded_sid_is_refused() {
    let mock = engineio().await;
    let (sid, mut socket) = upgraded(&mock).await;
    // Accepted, then closed at once, as engine.io does: the suite's client treats an HTTP
    // refusal of the upgrade as an uncaught error.
    let mut second = mock
        .websocket(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    assert_eq!(next_frame(&mut second).await, None);
    send(&mut socket, "4hello").await;
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::text("4hello"))
    );
}

// ------------------------------------------------------------------------------------------
// Socket.IO: connect.

#[tokio::test]
async fn connect_to_the_main_and_custom_namespaces_emits_auth_in_its_own_frame() {
    let mock = socketio().await;
    for (connect, prefix, auth) in [
        ("40", "40", r#"42["auth",{}]"#),
        (
            r#"40{"token":"123"}"#,
            "40",
            r#"42["auth",{"token":"123"}]"#,
        ),
        ("40/custom,", "40/custom,", r#"42/custom,["auth",{}]"#),
        (
            r#"40/custom,{"token":"abc"}"#,
            "40/custom,",
            r#"42/custom,["auth",{"token":"abc"}]"#,
        ),
    ] {
        let mut socket = mock.ws_session().await;
        send(&mut socket, connect).await;
        let answer = next_text(&mut socket).await.unwrap();
        let handshake: serde_json::Value = serde_json::from_str(
            answer
                .strip_prefix(prefix)
                .unwrap_or_else(|| panic!("{answer}")),
        )
        .unwrap();
        assert!(handshake["sid"].is_string(), "{answer}");
        assert_eq!(handshake.as_object().unwrap().len(), 1, "{answer}");
        assert_eq!(next_text(&mut socket).await.as_deref(), Some(auth));
    }
}

#[tokio::test]
async fn connect_to_an_unknown_namespace_is_refused() {
    let mock = socketio().await;
    let mut socket = mock.ws_session().await;
    send(&mut socket, "40/random").await;
    assert_eq!(
        next_text(&mut socket).await.as_deref(),
        Some(r#"44/random,{"message":"Invalid namespace"}"#)
    );
}

#[tokio::test]
async fn an_invalid_handshake_payload_closes_the_connection() {
    let mock = socketio().await;
    let mut socket = mock.ws_session().await;
    send(&mut socket, "4abc").await;
    closed(&mut socket).await;
}

#[tokio::test]
async fn a_session_without_socketio_handshake_is_closed_after_connect_timeout() {
    let mock = socketio().await;
    let started = Instant::now();
    let mut socket = mock.ws_session().await;
    closed(&mut socket).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900),
        "closed after {elapsed:?}, before connectTimeout"
    );
}

// ------------------------------------------------------------------------------------------
// Socket.IO: disconnect.

#[tokio::test]
async fn disconnect_from_the_main_namespace_sends_nothing_back() {
    let mock = socketio().await;
    let mut socket = mock.socketio_session().await;
    send(&mut socket, "41").await;
    assert_eq!(next_text(&mut socket).await.as_deref(), Some("2"));
}

#[tokio::test]
async fn connect_then_disconnect_a_custom_namespace_keeps_the_main_one() {
    let mock = socketio().await;
    let mut socket = mock.socketio_session().await;
    assert_eq!(next_text(&mut socket).await.as_deref(), Some("2"));
    send(&mut socket, "40/custom").await;
    let answer = next_non_ping(&mut socket).await.unwrap();
    assert!(
        answer.to_text().unwrap().starts_with("40/custom,"),
        "{answer}"
    );
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::text(r#"42/custom,["auth",{}]"#))
    );
    send(&mut socket, "41/custom").await;
    send(&mut socket, r#"42["message","message to main namespace"]"#).await;
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::text(
            r#"42["message-back","message to main namespace"]"#
        ))
    );
}

// ------------------------------------------------------------------------------------------
// Socket.IO: messages.

#[tokio::test]
async fn a_plain_text_event_is_answered_with_message_back() {
    let mock = socketio().await;
    let mut socket = mock.socketio_session().await;
    send(&mut socket, r#"42["message",1,"2",{"3":[true]}]"#).await;
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::text(r#"42["message-back",1,"2",{"3":[true]}]"#))
    );
}

#[tokio::test]
async fn a_binary_event_is_answered_with_its_attachments() {
    let mock = socketio().await;
    let mut socket = mock.socketio_session().await;
    send(
        &mut socket,
        r#"452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
    )
    .await;
    send_binary(&mut socket, &[1, 2, 3]).await;
    send_binary(&mut socket, &[4, 5, 6]).await;
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::text(
            r#"452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
        ))
    );
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::binary(vec![1, 2, 3]))
    );
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::binary(vec![4, 5, 6]))
    );
}

#[tokio::test]
async fn an_event_with_an_ack_is_acked_with_its_arguments() {
    let mock = socketio().await;
    let mut socket = mock.socketio_session().await;
    send(
        &mut socket,
        r#"42456["message-with-ack",1,"2",{"3":[false]}]"#,
    )
    .await;
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::text(r#"43456[1,"2",{"3":[false]}]"#))
    );
}

#[tokio::test]
async fn a_binary_event_with_an_ack_gets_a_binary_ack() {
    let mock = socketio().await;
    let mut socket = mock.socketio_session().await;
    send(
        &mut socket,
        r#"452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
    )
    .await;
    send_binary(&mut socket, &[1, 2, 3]).await;
    send_binary(&mut socket, &[4, 5, 6]).await;
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::text(
            r#"462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
        ))
    );
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::binary(vec![1, 2, 3]))
    );
    assert_eq!(
        next_non_ping(&mut socket).await,
        Some(Message::binary(vec![4, 5, 6]))
    );
}

#[tokio::test]
async fn invalid_socketio_packets_close_the_connection() {
    let mock = socketio().await;
    for packet in [
        "4abc",
        "42{}",
        r#"42abc["message-with-ack",1,"2",{"3":[false]}]"#,
    ] {
        let mut socket = mock.socketio_session().await;
        send(&mut socket, packet).await;
        closed(&mut socket).await;
    }
}

#[tokio::test]
async fn socketio_over_polling_carries_several_and_binary_packets_per_payload() {
    let mock = socketio().await;
    let sid = mock.polling_session().await;
    let query = format!("EIO=4&transport=polling&sid={sid}");
    assert_eq!(mock.post(&query, b"40").await, (200, "ok".into()));
    // The CONNECT answer, then (a few milliseconds later, so in the same poll or the next)
    // the auth event.
    let mut records: Vec<String> = Vec::new();
    while records.len() < 2 {
        let (status, body) = mock.get(&query).await;
        assert_eq!(status, 200, "{body}");
        records.extend(body.split('\x1e').map(str::to_owned));
    }
    assert!(records[0].starts_with("40{\"sid\":"), "{records:?}");
    assert_eq!(records[1..], [r#"42["auth",{}]"#]);
    // One payload: a plain event, then a binary event and its attachment as a `b` record.
    let payload =
        "42[\"message\",1]\x1e451-[\"message\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID";
    assert_eq!(
        mock.post(&query, payload.as_bytes()).await,
        (200, "ok".into())
    );
    let (status, body) = mock.get(&query).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        "42[\"message-back\",1]\x1e451-[\"message-back\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID"
    );
}
