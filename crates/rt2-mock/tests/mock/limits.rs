//! What a misbehaving client can make the mock hold, and for how long: raw sockets on
//! 127.0.0.1 (a client library would read, pong and time out for us), each test bounded.

use std::time::{Duration, Instant};

use rt2_mock::{AuthMode, MockConfig, QueueLimits, RunningMock, SlowClientPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{ROOM, WAIT, admin_bearer, admin_json, fast_replay, http, raw_session, start};

/// A refused CONNECT: the mock answers each with a CONNECT_ERROR the client never reads.
const REFUSED_CONNECT: &str = r#"40/chatomni,{"token":"bad"}"#;

/// A client WebSocket frame (FIN, text, masked with a fixed key) carrying `payload`.
fn masked_text_frame(payload: &[u8]) -> Vec<u8> {
    let mask = [0x12, 0x34, 0x56, 0x78];
    let mut frame = vec![0x81];
    match payload.len() {
        len @ 0..=125 => frame.push(0x80 | len as u8),
        len @ 126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// A WebSocket session opened by hand on a socket with a small receive buffer, whose answer
/// (the 101 head) is read and nothing after it: the client never reads again.
async fn never_reading_websocket(mock: &RunningMock) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut tcp = socket.connect(mock.addr()).await.unwrap();
    let request = format!(
        "GET /socket.io/?EIO=4&transport=websocket&room={ROOM} HTTP/1.1\r\nhost: {}\r\n\
         connection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\n\
         sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        mock.addr()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        tokio::time::timeout(WAIT, tcp.read_exact(&mut byte))
            .await
            .expect("the 101 in time")
            .expect("the 101");
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    tcp
}

/// Writes refused CONNECTs in batches until the server cuts the connection (a write fails)
/// or `max_frames` were written; returns how many were written.
async fn flood_refused_connects(tcp: &mut TcpStream, max_frames: usize) -> usize {
    let batch: Vec<u8> = (0..500)
        .flat_map(|_| masked_text_frame(REFUSED_CONNECT.as_bytes()))
        .collect();
    let mut written = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while written < max_frames && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(2), tcp.write_all(&batch)).await {
            Ok(Ok(())) => written += 500,
            // Cut (reset) or stalled: the server stopped reading this client.
            Ok(Err(_)) | Err(_) => break,
        }
    }
    written
}

/// Opens a long-polling session; returns its sid.
async fn polling_handshake(mock: &RunningMock) -> String {
    let path = format!("/socket.io/?EIO=4&transport=polling&room={ROOM}");
    let (status, _, open) = http(mock, "GET", &path, &[], "").await;
    assert_eq!(status, 200, "{open}");
    let open: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    open["sid"].as_str().unwrap().to_owned()
}

/// Waits until `check` holds for the mock's stats.
async fn wait_for_stats(mock: &RunningMock, check: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + WAIT;
    loop {
        let stats = admin_json(mock, "GET", "/__admin/stats", "").await;
        if check(&stats) {
            return;
        }
        assert!(Instant::now() < deadline, "stats never got there: {stats}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn closed_reasons(mock: &RunningMock) -> Vec<String> {
    let sessions = admin_json(mock, "GET", "/__admin/sessions", "").await;
    sessions
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["closed"].as_str().map(str::to_owned))
        .collect()
}

fn refusing_config() -> MockConfig {
    let mut config = MockConfig::default();
    config.auth = AuthMode::Claims;
    config
}

#[tokio::test]
async fn a_websocket_client_that_never_reads_is_cut_as_slow_client() {
    let mut config = refusing_config();
    config.queue.max_unsent_bytes = 64 * 1024;
    let mock = start(config).await;
    let mut tcp = never_reading_websocket(&mock).await;
    // The kernel buffers a few MB of answers before the mock holds any; 400 000 refusals is
    // far more than that and the 64 KiB limit together.
    let written = flood_refused_connects(&mut tcp, 400_000).await;
    assert!(written < 400_000, "the mock never cut the client");
    wait_for_stats(&mock, |stats| stats["slow_clients"] == 1).await;
    let reasons = closed_reasons(&mock).await;
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("slow_client: ") && r.contains("bytes unsent (limit 65536)")),
        "{reasons:?}"
    );
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_polling_client_that_never_polls_is_cut_as_slow_client() {
    let mut config = refusing_config();
    config.queue.max_unsent_bytes = 4096;
    let mock = start(config).await;
    let sid = polling_handshake(&mock).await;
    // One CONNECT per POST: a second one in the same payload would find the first still
    // pending, which socket.io treats as a protocol error.
    let body = REFUSED_CONNECT;
    let post = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
    let mut posts = 0;
    loop {
        let (status, _, _) = http(&mock, "POST", &post, &[], body).await;
        if status != 200 {
            // The session is gone: its sid is unknown now.
            assert_eq!(status, 400);
            break;
        }
        posts += 1;
        assert!(
            posts < 500,
            "the mock kept every refusal for a client that never polls"
        );
    }
    let report = admin_json(&mock, "GET", &format!("/__admin/sessions/{sid}"), "").await;
    let closed = report["closed"].as_str().unwrap();
    assert!(
        closed.starts_with("slow_client: ") && closed.contains("(limit 4096)"),
        "{closed}"
    );
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_stalled_websocket_write_is_cut_and_frees_its_connection_slot() {
    let mut config = refusing_config();
    // Only the write timeout can end this client: no byte limit it could reach.
    config.queue = QueueLimits {
        max_unsent_bytes: usize::MAX,
        ..QueueLimits::default()
    };
    config.write_timeout = Duration::from_millis(500);
    config.max_connections = 1;
    let mock = start(config).await;
    let mut tcp = never_reading_websocket(&mock).await;
    flood_refused_connects(&mut tcp, 400_000).await;
    // The connection ends (reset or closed) once the stalled write times out.
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            let mut chunk = [0; 65536];
            match tcp.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stalled connection was never cut");
    drop(tcp);
    // Its place under max_connections is free again: a new client gets in.
    let deadline = Instant::now() + WAIT;
    loop {
        let bearer = admin_bearer(&mock);
        let headers = [("authorization", bearer.as_str())];
        let (status, _, body) = http(&mock, "GET", "/__admin/stats", &headers, "").await;
        if status == 200 {
            let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(stats["sessions_open"], 0, "{stats}");
            break;
        }
        assert_eq!(status, 503);
        assert!(
            Instant::now() < deadline,
            "the connection slot was never freed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_polling_post_whose_body_never_comes_is_answered_408() {
    let mut config = MockConfig::default();
    config.body_timeout = Duration::from_millis(300);
    let mock = start(config).await;
    let sid = polling_handshake(&mock).await;
    let mut tcp = TcpStream::connect(mock.addr()).await.unwrap();
    let head = format!(
        "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nhost: {}\r\n\
         content-type: text/plain\r\ncontent-length: 100\r\n\r\n40/chat",
        mock.addr()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    tokio::time::timeout(WAIT, tcp.read_to_string(&mut answer))
        .await
        .expect("an answer before the test's own timeout")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() >= Duration::from_millis(250));
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_admin_request_whose_body_never_comes_is_answered_408() {
    let mut config = MockConfig::default();
    config.body_timeout = Duration::from_millis(300);
    let mock = start(config).await;
    let mut tcp = TcpStream::connect(mock.addr()).await.unwrap();
    let head = format!(
        "PUT /__admin/faults HTTP/1.1\r\nhost: {}\r\nauthorization: {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"latency",
        mock.addr(),
        admin_bearer(&mock)
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(WAIT, tcp.read_to_string(&mut answer))
        .await
        .expect("an answer before the test's own timeout")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn polling_sessions_count_against_max_connections() {
    let mut config = MockConfig::default();
    config.max_connections = 2;
    let mock = start(config).await;
    let handshake = format!("/socket.io/?EIO=4&transport=polling&room={ROOM}");
    let mut sids = Vec::new();
    for _ in 0..2 {
        sids.push(polling_handshake(&mock).await);
    }
    // Two sessions are open, though no connection is: a third is refused.
    let (status, headers, body) = http(&mock, "GET", &handshake, &[], "").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("session limit reached"), "{body}");
    assert_eq!(headers["retry-after"], "1");
    // Closing one (Engine.IO close packet) makes room.
    let post = format!("/socket.io/?EIO=4&transport=polling&sid={}", sids[0]);
    let (status, _, _) = http(&mock, "POST", &post, &[], "1").await;
    assert_eq!(status, 200);
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, _, _) = http(&mock, "GET", &handshake, &[], "").await;
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the closed session kept its place"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn session_reports_keep_a_bounded_excerpt_of_each_packet_with_its_size() {
    let mock = start(fast_replay()).await;
    let (mut socket, sid, reply) = raw_session(&mock, r#"{"token":"t"}"#).await;
    assert!(reply.starts_with("40/chatomni,"), "{reply}");
    let big = format!(r#"42/chatomni,["big","{}"]"#, "x".repeat(100_000));
    crate::support::send_text(&mut socket, &big).await;
    let deadline = Instant::now() + WAIT;
    let packet = loop {
        let report = admin_json(&mock, "GET", &format!("/__admin/sessions/{sid}"), "").await;
        let found = report["received"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == "event")
            .cloned();
        if let Some(packet) = found {
            break packet;
        }
        assert!(
            Instant::now() < deadline,
            "the event never reached the report"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let data = packet["data"].as_str().unwrap();
    assert!(data.len() < 4096, "{} bytes kept", data.len());
    assert!(
        data.ends_with("bytes in all)"),
        "{}",
        &data[data.len() - 40..]
    );
    assert_eq!(packet["bytes"].as_u64(), Some(big.len() as u64 - 12));
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_live_room_is_removed_when_its_last_client_leaves() {
    let mut config = fast_replay();
    config.replay.mode = rt2_mock::ReplayMode::Live;
    config.replay.pace = rt2_mock::Pace::Scaled(1.0);
    config.queue.policy = SlowClientPolicy::DropOldest;
    let mock = start(config).await;
    let (first, _, _) = raw_session(&mock, r#"{"token":"t"}"#).await;
    let (second, _, _) = raw_session(&mock, r#"{"token":"t"}"#).await;
    wait_for_stats(&mock, |stats| stats["live_rooms"] == 1).await;
    drop(first);
    wait_for_stats(&mock, |stats| stats["sessions_open"] == 1).await;
    let stats = admin_json(&mock, "GET", "/__admin/stats", "").await;
    assert_eq!(stats["live_rooms"], 1, "one client is still in the room");
    drop(second);
    wait_for_stats(&mock, |stats| {
        stats["sessions_open"] == 0 && stats["live_rooms"] == 0
    })
    .await;
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn session_reports_never_show_a_token_wherever_the_client_put_it() {
    let mock = start(fast_replay()).await;
    let jwt = crate::support::token(ROOM, "secret");
    let (mut socket, sid, _) = raw_session(&mock, &format!(r#"{{"token":"{jwt}"}}"#)).await;
    // A token inside an event's arguments, and one in a frame that is not even valid.
    let event = format!(r#"42/chatomni,["login",{{"access_token":"{jwt}"}}]"#);
    crate::support::send_text(&mut socket, &event).await;
    crate::support::send_text(&mut socket, &format!(r#"42/chatomni,["x","Bearer {jwt}""#)).await;
    let deadline = Instant::now() + WAIT;
    let report = loop {
        let report = admin_json(&mock, "GET", &format!("/__admin/sessions/{sid}"), "").await;
        let events = report["received"].as_array().unwrap().len();
        if events >= 2 && !report["violations"].as_array().unwrap().is_empty() {
            break report;
        }
        assert!(
            Instant::now() < deadline,
            "the packets never reached the report: {report}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let text = report.to_string();
    // Not the signature, nor any piece of it (a violation quotes an excerpt of the frame).
    let signature = jwt.rsplit('.').next().unwrap();
    for piece in signature.as_bytes().windows(10) {
        let piece = std::str::from_utf8(piece).unwrap();
        assert!(
            !text.contains(piece),
            "{piece:?} of the signature in the report: {text}"
        );
    }
    assert!(text.contains("[jwt TenantId=tomato.tpos.vn"), "{text}");
    assert!(text.contains("the frame held a secret"), "{text}");
    mock.shutdown().await.unwrap();
}
