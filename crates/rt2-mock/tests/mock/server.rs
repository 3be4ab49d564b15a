//! The mock driven with raw frames and raw HTTP: endpoints, admin API, limits, shutdown.

use std::time::Duration;

use futures_util::StreamExt;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rt2_mock::{MockConfig, MockError, RunningMock};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

#[tokio::test]
async fn live_video_pages_through_the_capture_and_requires_a_bearer_token() {
    let mut config = MockConfig::default();
    config.capture = Some(live_video_capture());
    let mock = start(config).await;
    let first = "/api/facebook-graph/livevideo?pageid=104857600213377&limit=2&facebook_Type=page";

    let (status, headers, _) = http(&mock, "GET", first, &[], "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");

    let auth = [("authorization", "Bearer synthetic")];
    let mut ids = Vec::new();
    let mut path = first.to_owned();
    let mut pages = 0;
    loop {
        let (status, _, body) = http(&mock, "GET", &path, &auth, "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page = tpos_chat::decode_live_video_page(&body).unwrap();
        assert!(page.data.len() <= 2);
        ids.extend(page.data.iter().map(|video| video.id.to_string()));
        pages += 1;
        let Some(next) = page.paging.as_ref().and_then(|p| p.next.as_deref()) else {
            break;
        };
        let prefix = format!("http://{}", mock.addr());
        path = next
            .strip_prefix(&prefix)
            .expect("next points at the mock")
            .to_owned();
        assert!(pages < 50, "paging must end");
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "no video twice: {ids:?}");
    // The capture saw three pages of three; the mock serves all of them, whatever the limit.
    assert!(ids.len() >= 7, "{ids:?}");
    assert_eq!(pages, ids.len().div_ceil(2));

    let (status, _, body) = http(
        &mock,
        "GET",
        "/api/facebook-graph/livevideo?limit=2",
        &auth,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("pageid"), "{body}");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn engine_io_refusals_use_the_reference_codes() {
    let mock = start(MockConfig::default()).await;
    let cases = [
        (
            "GET",
            "/socket.io/?EIO=3&transport=polling",
            400,
            json!({"code":5,"message":"Unsupported protocol version"}),
        ),
        (
            "GET",
            "/socket.io/?EIO=4&transport=carrier-pigeon",
            400,
            json!({"code":0,"message":"Transport unknown"}),
        ),
        (
            "POST",
            "/socket.io/?EIO=4&transport=polling",
            400,
            json!({"code":2,"message":"Bad handshake method"}),
        ),
        (
            "GET",
            "/socket.io/?EIO=4&transport=polling&sid=nope",
            400,
            json!({"code":1,"message":"Session ID unknown"}),
        ),
    ];
    for (method, path, status, body) in cases {
        let (got, _, text) = http(&mock, method, path, &[], "").await;
        assert_eq!(got.as_u16(), status, "{method} {path}: {text}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            body,
            "{path}"
        );
    }
    let (status, _, _) = http(&mock, "GET", "/nothing-here", &[], "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn polling_handshake_has_upgrades_and_cors_for_a_browser_origin() {
    let mut config = MockConfig::default();
    config.session.ping_interval = Duration::from_millis(300);
    let mock = start(config).await;
    let origin = [("origin", "http://localhost:5173")];
    let (status, headers, body) = http(
        &mock,
        "GET",
        "/socket.io/?EIO=4&transport=polling&room=r",
        &origin,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert_eq!(headers["access-control-allow-credentials"], "true");
    let open: serde_json::Value = serde_json::from_str(body.strip_prefix('0').unwrap()).unwrap();
    assert_eq!(open["upgrades"], json!(["websocket"]));
    assert_eq!(open["pingInterval"], 300);
    assert_eq!(open["pingTimeout"], 60000);
    assert_eq!(open["maxPayload"], 1_000_000);
    assert_eq!(open["sid"].as_str().unwrap().len(), 20);

    let (status, headers, _) = http(
        &mock,
        "OPTIONS",
        "/socket.io/?EIO=4&transport=polling",
        &[
            ("origin", "http://localhost:5173"),
            ("access-control-request-headers", "content-type"),
        ],
        "",
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(headers["access-control-allow-headers"], "content-type");
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:5173"
    );
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn admin_api_shows_what_a_client_sent_and_its_violations() {
    let mock = start(MockConfig::default()).await;
    let (mut socket, sid, reply) = raw_session(&mock, "{}").await;
    assert!(reply.starts_with("40/chatomni,{\"sid\":"), "{reply}");
    send_text(&mut socket, r#"42/chatomni,["send-message",{"text":"hi"}]"#).await;
    send_text(&mut socket, "40/nowhere,").await;
    assert_eq!(
        next_text(&mut socket).await.as_deref(),
        Some(r#"44/nowhere,{"message":"Invalid namespace"}"#)
    );
    // A packet that does not decode closes the session.
    send_text(&mut socket, "4garbage{").await;
    assert_eq!(
        next_text(&mut socket).await,
        None,
        "the server closed the socket"
    );

    let report = wait_for(|| async {
        let report = admin_json(&mock, "GET", &format!("/__admin/sessions/{sid}"), "").await;
        report["closed"].is_string().then_some(report)
    })
    .await;
    let received: Vec<(&str, &str)> = report["received"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap(),
                r["namespace"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        received,
        [
            ("connect", "/chatomni"),
            ("event", "/chatomni"),
            ("connect", "/nowhere")
        ]
    );
    assert_eq!(
        report["received"][1]["data"],
        r#"["send-message",{"text":"hi"}]"#
    );
    let kinds: Vec<&str> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"connect_without_token"), "{report:#}");
    assert!(kinds.contains(&"malformed_packet"), "{report:#}");
    assert_eq!(report["token_present"], false);
    assert!(
        report["closed"].as_str().unwrap().contains("parse error"),
        "{report:#}"
    );

    let stats = admin_json(&mock, "GET", "/__admin/stats", "").await;
    assert_eq!(stats["sessions_opened"], 1);
    assert_eq!(stats["sessions_open"], 0);
    assert!(stats["violations"].as_u64().unwrap() >= 2);
    let routes = admin_json(&mock, "GET", "/__admin/", "").await;
    assert!(routes.as_array().unwrap().len() >= 10);
    let bearer = admin_bearer(&mock);
    let admin = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
    ];
    let (status, _, body) = http(&mock, "GET", "/__admin/sessions/unknown-sid", &admin, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, body) = http(
        &mock,
        "PUT",
        "/__admin/faults",
        &admin,
        r#"{"drop_after":1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("unknown field"), "{body}");
    mock.shutdown().await.unwrap();
}

/// Polls `check` until it returns something (bounded by the test wait).
async fn wait_for<T, F, Fut>(mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn admin_emit_to_one_session_and_a_malformed_frame_on_request() {
    let mock = start(MockConfig::default()).await;
    let token = token(ROOM, "k");
    let (mut socket, sid, _) = raw_session(&mock, &format!(r#"{{"token":"{token}"}}"#)).await;
    let answer = admin_json(
        &mock,
        "POST",
        &format!("/__admin/sessions/{sid}/emit"),
        r#"{"data":"[\"on-events\",\"{}\"]"}"#,
    )
    .await;
    assert_eq!(answer["delivered"], 1);
    assert_eq!(
        next_text(&mut socket).await.as_deref(),
        Some(r#"42/chatomni,["on-events","{}"]"#)
    );
    admin_json(
        &mock,
        "POST",
        &format!("/__admin/sessions/{sid}/emit"),
        r#"{"raw":"42/chatomni,[\"on-events\""}"#,
    )
    .await;
    assert_eq!(
        next_text(&mut socket).await.as_deref(),
        Some(r#"42/chatomni,["on-events""#)
    );
    let report = admin_json(&mock, "GET", &format!("/__admin/sessions/{sid}"), "").await;
    assert_eq!(report["token_present"], true);
    assert_eq!(report["tenant"], ROOM);
    assert_eq!(report["events_sent"], 1);
    // A JWT is kept as the capture redactor keeps one: its claims, never its signature.
    let data = report["received"][0]["data"].as_str().unwrap();
    assert!(
        data.starts_with(r#"{"token":"[jwt TenantId=tomato.tpos.vn UserId=u-test"#),
        "tokens are not kept: {data}"
    );
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn per_session_faults_apply_at_once() {
    let mock = start(MockConfig::default()).await;
    let (mut socket, sid, _) = raw_session(&mock, r#"{"token":"x"}"#).await;
    admin_json(
        &mock,
        "PUT",
        &format!("/__admin/sessions/{sid}/faults"),
        r#"{"malformed_after_events":0,"malformed_frame":"4{broken"}"#,
    )
    .await;
    assert_eq!(next_text(&mut socket).await.as_deref(), Some("4{broken"));
    admin_json(
        &mock,
        "PUT",
        &format!("/__admin/sessions/{sid}/faults"),
        r#"{"close_after_events":0,"close_reason":"bye"}"#,
    )
    .await;
    assert_eq!(
        next_text(&mut socket).await.as_deref(),
        Some("41/chatomni,")
    );
    assert_eq!(next_text(&mut socket).await, None);
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn reject_auth_fault_refuses_every_connect() {
    let mut config = MockConfig::default();
    config.faults.reject_auth = Some("tenant suspended".into());
    let mock = start(config).await;
    let (_, _, reply) = raw_session(&mock, r#"{"token":"x"}"#).await;
    assert_eq!(reply, r#"44/chatomni,{"message":"tenant suspended"}"#);
    // The run's faults can be changed for sessions opened afterwards.
    admin_json(&mock, "PUT", "/__admin/faults", "{}").await;
    let (_, _, reply) = raw_session(&mock, r#"{"token":"x"}"#).await;
    assert!(reply.starts_with("40/chatomni,"), "{reply}");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn replayed_timestamps_can_be_shifted_to_now() {
    let mut config = fast_replay();
    config.replay.shift_timestamps = true;
    let mock = start(config).await;
    let (mut socket, _, _) = raw_session(&mock, r#"{"token":"x"}"#).await;
    let frame = next_text(&mut socket).await.unwrap();
    let array: Vec<serde_json::Value> =
        serde_json::from_str(frame.strip_prefix("42/chatomni,").unwrap()).unwrap();
    let payload: serde_json::Value = serde_json::from_str(array[1].as_str().unwrap()).unwrap();
    let updated = payload["Conversation"]["UpdatedTime"].as_str().unwrap();
    let updated =
        time::OffsetDateTime::parse(updated, &time::format_description::well_known::Rfc3339)
            .unwrap();
    let age = time::OffsetDateTime::now_utc() - updated;
    // The first event comes about 9 s after the connect in the capture; shifted, its time is
    // within a minute of now rather than in January 2026.
    assert!(
        age.whole_seconds().abs() < 60,
        "UpdatedTime {updated} is {age} from now"
    );
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn scaled_pace_spaces_events_like_the_capture() {
    let mut config = MockConfig::default();
    config.capture = Some(chat_capture());
    // The capture's first event comes 9.27 s after its connect ack; at 100x, 93 ms.
    config.replay.pace = rt2_mock::Pace::Scaled(100.0);
    let mock = start(config).await;
    let (mut socket, _, _) = raw_session(&mock, r#"{"token":"x"}"#).await;
    let started = std::time::Instant::now();
    let frame = next_text(&mut socket).await.unwrap();
    assert!(frame.starts_with("42/chatomni,"), "{frame}");
    let first = started.elapsed();
    assert!(
        first >= Duration::from_millis(80),
        "not sent early: {first:?}"
    );
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_connection_limit_answers_503() {
    let mut config = MockConfig::default();
    config.max_connections = 1;
    let mock = start(config).await;
    let _held = raw_websocket(&mock, "room=r").await;
    let (status, headers, body) = http(&mock, "GET", "/__admin/stats", &[], "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(headers["retry-after"], "1");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let mock = start(MockConfig::default()).await;
    let err = RunningMock::start(mock.addr(), MockConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(err, MockError::Bind { .. }), "{err}");
    assert!(err.to_string().contains("in use"), "{err}");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_handshake_timeout() {
    let mut config = MockConfig::default();
    config.handshake_timeout = Duration::from_millis(200);
    let mock = start(config).await;
    let mut tcp = TcpStream::connect(mock.addr()).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server closed the idle connection");
    // A request that is never finished is cut too.
    let mut tcp = TcpStream::connect(mock.addr()).await.unwrap();
    tcp.write_all(b"GET /socket.io/?EIO=4 HTTP/1.1\r\n")
        .await
        .unwrap();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut buf)).await;
    assert!(read.is_ok());
    mock.shutdown().await.unwrap();
}

/// Shutdown closes every session as the admin `disconnect` does (docs/admin-api.md):
/// DISCONNECT for each joined namespace, so that socket.io-client reports
/// "io server disconnect", then the Engine.IO close.
#[tokio::test]
async fn shutdown_disconnects_a_websocket_session_with_a_reason() {
    let mock = start(MockConfig::default()).await;
    let (mut socket, _, reply) = raw_session(&mock, "{}").await;
    assert!(reply.starts_with("40/chatomni,{\"sid\":"), "{reply}");
    let stopping = tokio::spawn(mock.shutdown());
    let mut texts = Vec::new();
    let close = loop {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame in time");
        match frame {
            Some(Ok(Message::Text(text))) => texts.push(text.as_str().to_owned()),
            Some(Ok(Message::Close(close))) => break close.expect("a close frame with a code"),
            Some(Ok(_)) => {}
            other => panic!("the socket ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(texts, ["41/chatomni,"]);
    assert_eq!(u16::from(close.code), 1000);
    assert_eq!(close.reason.as_str(), "server shutting down");
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("serve returned within the grace period")
        .unwrap()
        .unwrap();
}

/// On long-polling the DISCONNECT answers the pending poll, and the session ends without
/// waiting for another one (none could reach a listener that has stopped).
#[tokio::test]
async fn shutdown_answers_a_pending_poll_with_disconnect() {
    let mut config = MockConfig::default();
    config.shutdown_grace = Duration::from_secs(10);
    let mock = start(config).await;
    let base = format!("/socket.io/?EIO=4&transport=polling&room={ROOM}");
    let (status, _, open) = http(&mock, "GET", &base, &[], "").await;
    assert_eq!(status, StatusCode::OK, "{open}");
    let sid = serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = format!("{base}&sid={sid}");
    let (status, _, _) = http(&mock, "POST", &query, &[], "40/chatomni,{}").await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, reply) = http(&mock, "GET", &query, &[], "").await;
    assert!(reply.starts_with("40/chatomni,{\"sid\":"), "{reply}");

    // The poll goes out on a connection opened before shutdown begins, and is given a moment
    // to reach the session: hyper's graceful shutdown closes a connection whose request it
    // has not read yet.
    let stream = TcpStream::connect(mock.addr()).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP handshake");
    tokio::spawn(connection);
    let request = http::Request::builder()
        .method("GET")
        .uri(&query)
        .header("host", mock.addr().to_string())
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    let pending = tokio::spawn(sender.send_request(request));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(mock.shutdown());
    let response = tokio::time::timeout(WAIT, pending)
        .await
        .expect("the poll answered in time")
        .unwrap()
        .expect("a response");
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(String::from_utf8_lossy(&body), "41/chatomni,");
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("serve returned well within the grace period")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn bad_options_and_a_bad_capture_are_refused_with_the_place() {
    let mut config = MockConfig::default();
    config.replay.pace = rt2_mock::Pace::Scaled(-1.0);
    let err = RunningMock::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`speed`"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.jsonl");
    std::fs::write(
        &path,
        "{\"type\":\"header\",\"format\":\"sio-replay-capture\",\"version\":1,\"source\":\"test\"}\n{\"type\":\"frame\",\"t_ms\":1}\n",
    )
    .unwrap();
    let err = rt2_mock::Capture::open(&path).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("broken.jsonl:2:"), "{text}");
}

/// The admin report of a session whose token was refused says a token was sent (and the
/// refusal went to the client), unlike a session that sent none.
#[tokio::test]
async fn a_refused_token_is_reported_as_present() {
    let mut config = MockConfig::default();
    config.auth = rt2_mock::AuthMode::Claims;
    let mock = start(config).await;
    for (auth, present, refusal) in [
        (r#"{"token":"bad"}"#, true, "malformed token"),
        ("{}", false, "no token"),
    ] {
        let (_socket, sid, reply) = raw_session(&mock, auth).await;
        assert!(reply.starts_with("44/chatomni,{\"message\":"), "{reply}");
        assert!(reply.contains(refusal), "{auth}: {reply}");
        let report = admin_json(&mock, "GET", &format!("/__admin/sessions/{sid}"), "").await;
        assert_eq!(report["token_present"], present, "{auth}: {report:#}");
    }
    mock.shutdown().await.unwrap();
}

/// `Capture::open` takes what `sio-replay import` takes: a HAR file is imported in memory, with
/// its token redacted, and served; a truncated one is refused with the place.
#[tokio::test]
async fn a_har_file_is_imported_redacted_and_served() {
    let har_path = repo_root().join("captures/sample-chrome.har");
    let har: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&har_path).unwrap()).unwrap();
    let messages: usize = har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["_webSocketMessages"].as_array())
        .map(Vec::len)
        .sum();
    let capture = rt2_mock::Capture::open(&har_path).unwrap();
    assert_eq!(capture.frames.len(), messages);
    let connect = capture
        .frames
        .iter()
        .find(|frame| frame.data.starts_with("40/chatomni,{\"token\""))
        .expect("the HAR's namespace connect");
    assert!(
        !connect.data.contains("eyJ"),
        "token not redacted: {}",
        connect.data
    );
    let events = capture.timeline("/chatomni").len();
    assert!(events > 0);

    let mut config = MockConfig::default();
    config.capture = Some(std::sync::Arc::new(capture));
    config.replay.pace = rt2_mock::Pace::AsFastAsClientReads;
    let mock = start(config).await;
    let (mut ws, _, _) = raw_session(&mock, r#"{"token":"x"}"#).await;
    let first = next_text(&mut ws).await.unwrap();
    assert!(first.starts_with("42/chatomni,[\"on-events\""), "{first}");

    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("cut.har");
    let bytes = std::fs::read(&har_path).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = rt2_mock::Capture::open(&truncated).unwrap_err();
    assert!(matches!(err, MockError::CaptureImport { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("cut.har") && text.contains("line "), "{text}");
}

#[tokio::test]
async fn live_mode_shares_one_timeline_per_room() {
    let mut config = MockConfig::default();
    config.capture = Some(chat_capture());
    config.replay.mode = rt2_mock::ReplayMode::Live;
    config.replay.pace = rt2_mock::Pace::Scaled(50.0);
    let mock = start(config).await;
    let (mut first, _, _) = raw_session(&mock, r#"{"token":"x"}"#).await;
    // Two events into the room's timeline, a second client joins.
    next_text(&mut first).await.unwrap();
    let second_event = next_text(&mut first).await.unwrap();
    let (mut second, _, _) = raw_session(&mock, r#"{"token":"x"}"#).await;
    let joined_at = next_text(&mut second).await.unwrap();
    assert_ne!(
        joined_at,
        chat_first_event(),
        "a late joiner does not start from the beginning"
    );
    // From then on both see the same events in the same order.
    let mut seen_by_first = vec![second_event];
    for _ in 0..3 {
        seen_by_first.push(next_text(&mut first).await.unwrap());
    }
    assert!(
        seen_by_first.contains(&joined_at),
        "the late joiner's first event is one the first client saw too"
    );
    let stats = admin_json(&mock, "GET", "/__admin/stats", "").await;
    assert_eq!(stats["live_rooms"], 1);
    mock.shutdown().await.unwrap();
}

fn chat_first_event() -> String {
    let timeline = chat_capture().timeline("/chatomni");
    format!("42/chatomni,{}", timeline.events()[0].data)
}

#[tokio::test]
async fn stop_answering_keeps_the_socket_open_but_silent_until_cleared() {
    let mut config = MockConfig::default();
    config.session.ping_interval = Duration::from_millis(100);
    config.session.ping_timeout = Duration::from_millis(5000);
    let mock = start(config).await;
    let (mut socket, sid, _) = raw_session(&mock, r#"{"token":"x"}"#).await;
    assert_eq!(
        next_text(&mut socket).await.as_deref(),
        Some("2"),
        "pings flow"
    );
    send_text(&mut socket, "3").await;
    admin_json(
        &mock,
        "PUT",
        &format!("/__admin/sessions/{sid}/faults"),
        r#"{"stop_answering_after_events":0}"#,
    )
    .await;
    admin_json(
        &mock,
        "POST",
        &format!("/__admin/sessions/{sid}/emit"),
        r#"{"data":"[\"ignored\"]"}"#,
    )
    .await;
    send_text(&mut socket, r#"42/chatomni,["hello"]"#).await;
    // Several ping intervals pass in silence; the connection stays open.
    let silent = tokio::time::timeout(Duration::from_millis(600), next_text(&mut socket)).await;
    assert!(
        silent.is_err(),
        "nothing is sent while the server stops answering: {silent:?}"
    );
    let report = admin_json(&mock, "GET", &format!("/__admin/sessions/{sid}"), "").await;
    assert_eq!(report["closed"], serde_json::Value::Null);
    assert_eq!(report["events_sent"], 0);
    // Clearing the fault lets the session go on.
    admin_json(
        &mock,
        "PUT",
        &format!("/__admin/sessions/{sid}/faults"),
        "{}",
    )
    .await;
    assert_eq!(next_text(&mut socket).await.as_deref(), Some("2"));
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn latency_delays_what_the_client_receives() {
    let mut config = MockConfig::default();
    config.faults.latency_ms = 300;
    let mock = start(config).await;
    let started = std::time::Instant::now();
    let (mut socket, sid, reply) = raw_session(&mock, r#"{"token":"x"}"#).await;
    assert!(reply.starts_with("40/chatomni,"), "{reply}");
    // The open packet and the CONNECT reply each came at least 300 ms after their cause.
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    let sent = std::time::Instant::now();
    admin_json(
        &mock,
        "POST",
        &format!("/__admin/sessions/{sid}/emit"),
        r#"{"event":"on-events","args":["{}"]}"#,
    )
    .await;
    assert_eq!(
        next_text(&mut socket).await.as_deref(),
        Some(r#"42/chatomni,["on-events","{}"]"#)
    );
    assert!(
        sent.elapsed() >= Duration::from_millis(300),
        "{:?}",
        sent.elapsed()
    );
    mock.shutdown().await.unwrap();
}

/// Opens a session with `query` and joins `/chatomni`; returns the socket after the reply.
async fn session_with_query(mock: &RunningMock, query: &str) -> RawSocket {
    let mut socket = raw_websocket(mock, query).await;
    let open = next_text(&mut socket).await.expect("open packet");
    assert!(open.starts_with('0'), "{open}");
    send_text(&mut socket, r#"40/chatomni,{"token":"x"}"#).await;
    let reply = next_text(&mut socket).await.expect("connect reply");
    assert!(reply.starts_with("40/chatomni,"), "{reply}");
    socket
}

/// The last argument of an event frame, when it is a 16-digit integer.
fn trailing_stamp(frame: &str) -> Option<(String, u64)> {
    let body = frame.strip_suffix(']')?;
    let (rest, last) = body.rsplit_once(',')?;
    let stamp = last.parse::<u64>().ok().filter(|_| last.len() == 16)?;
    Some((format!("{rest}]"), stamp))
}

#[tokio::test]
async fn stamp_1_appends_the_rooms_emit_time_to_every_event_of_that_client_only() {
    let mut config = MockConfig::default();
    config.capture = Some(chat_capture());
    config.replay.mode = rt2_mock::ReplayMode::Live;
    config.replay.pace = rt2_mock::Pace::Scaled(50.0);
    let mock = start(config).await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let mut stamped = session_with_query(&mock, "room=tomato.tpos.vn&stamp=1").await;
    let mut plain = session_with_query(&mock, "room=tomato.tpos.vn").await;
    // The plain client joined later: find the stamped client's copy of its first event.
    let plain_first = next_text(&mut plain).await.unwrap();
    assert!(trailing_stamp(&plain_first).is_none(), "{plain_first}");
    let mut copy = None;
    for _ in 0..50 {
        let frame = next_text(&mut stamped).await.unwrap();
        let (unstamped, stamp) = trailing_stamp(&frame).unwrap_or_else(|| panic!("{frame}"));
        if unstamped == plain_first {
            copy = Some(stamp);
            break;
        }
    }
    let stamp = copy.expect("the stamped client sees the plain client's first event");
    let after = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    assert!(
        (before..=after).contains(&stamp),
        "{before} <= {stamp} <= {after}"
    );
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn stamp_1_stamps_per_connection_replay() {
    let mock = start(fast_replay()).await;
    let mut socket = session_with_query(&mock, "room=tomato.tpos.vn&stamp=1").await;
    let first = next_text(&mut socket).await.unwrap();
    let (unstamped, _) = trailing_stamp(&first).unwrap_or_else(|| panic!("{first}"));
    assert_eq!(unstamped, chat_first_event());
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn stamp_1_stamps_admin_emits_when_they_are_delivered() {
    let mock = start(MockConfig::default()).await;
    let mut socket = raw_websocket(&mock, "room=tomato.tpos.vn&stamp=1").await;
    let open = next_text(&mut socket).await.expect("open packet");
    let sid = serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    send_text(&mut socket, r#"40/chatomni,{"token":"x"}"#).await;
    next_text(&mut socket).await.expect("connect reply");
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    admin_json(
        &mock,
        "POST",
        &format!("/__admin/sessions/{sid}/emit"),
        r#"{"data":"[\"injected\",{\"n\":1}]"}"#,
    )
    .await;
    let frame = next_text(&mut socket).await.unwrap();
    let (unstamped, stamp) = trailing_stamp(&frame).unwrap_or_else(|| panic!("{frame}"));
    assert_eq!(unstamped, r#"42/chatomni,["injected",{"n":1}]"#);
    assert!(stamp >= before, "{stamp} >= {before}");
    mock.shutdown().await.unwrap();
}
