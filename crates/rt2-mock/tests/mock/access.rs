//! Who may reach the mock, tested as a hostile web page would try it: over raw HTTP on
//! 127.0.0.1, with the `Host`, `Origin`, `Authorization` and `Content-Type` headers a browser
//! would (or would not) send.

use std::net::SocketAddr;

use rt2_mock::{CorsPolicy, MockConfig, RunningMock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

/// What a raw exchange returned: status, headers (names lowercased) and body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every `access-control-*` header: none may reach a page the mock does not trust.
    fn cors_headers(&self) -> Vec<&(String, String)> {
        self.headers
            .iter()
            .filter(|(n, _)| n.starts_with("access-control-"))
            .collect()
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body` on a fresh
/// connection, exactly as written, and reads the answer until the server closes.
async fn raw(addr: SocketAddr, head: &str, body: &str) -> Answer {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{head}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.expect("send");
    let mut bytes = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut bytes))
        .await
        .expect("the answer in time")
        .expect("read");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole answer");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// The `host` header of a request that names the mock as a test normally does.
fn host(mock: &RunningMock) -> String {
    format!("host: {}", mock.addr())
}

/// `authorization: Bearer <the run's token>`.
fn bearer(mock: &RunningMock) -> String {
    format!("authorization: {}", admin_bearer(mock))
}

const POLLING_HANDSHAKE: &str = "/socket.io/?EIO=4&transport=polling&room=r";

// ------------------------------------------------------------------------------------------
// The Host allow-list, on every route.

#[tokio::test]
async fn every_route_refuses_a_host_it_does_not_know() {
    let mut config = MockConfig::default();
    config.capture = Some(live_video_capture());
    let mock = start(config).await;
    let port = mock.addr().port();
    let evil = format!("host: evil.example:{port}");
    let auth = bearer(&mock);
    let routes = [
        format!("GET {POLLING_HANDSHAKE} HTTP/1.1\r\n{evil}\r\norigin: http://evil.example:{port}"),
        format!(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n{evil}\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ=="
        ),
        format!(
            "GET /api/facebook-graph/livevideo?limit=2 HTTP/1.1\r\n{evil}\r\nauthorization: Bearer synthetic"
        ),
        format!("GET /__admin/sessions HTTP/1.1\r\n{evil}\r\n{auth}"),
        format!("GET /elsewhere HTTP/1.1\r\n{evil}"),
    ];
    for head in &routes {
        let answer = raw(mock.addr(), head, "").await;
        assert_eq!(answer.status, 403, "{head}: {}", answer.body);
        assert!(
            answer.body.contains("evil.example") && answer.body.contains("--allow-host"),
            "names the host and the flag: {}",
            answer.body
        );
        assert!(answer.cors_headers().is_empty(), "{:?}", answer.headers);
    }
    // A request target in absolute form names the host too.
    let answer = raw(
        mock.addr(),
        &format!(
            "GET http://evil.example:{port}{POLLING_HANDSHAKE} HTTP/1.1\r\n{}",
            host(&mock)
        ),
        "",
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    // HTTP/1.1 requires a Host.
    let answer = raw(
        mock.addr(),
        &format!("GET {POLLING_HANDSHAKE} HTTP/1.1"),
        "",
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    // Nothing was opened for the refused requests.
    let stats = admin_json(&mock, "GET", "/__admin/stats", "").await;
    assert_eq!(stats["sessions_opened"], 0, "{stats}");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn loopback_names_the_listening_address_and_allowed_hosts_are_answered() {
    let mut config = MockConfig::default();
    config.allowed_hosts = vec!["Mock.Test".into()];
    let mock = start(config).await;
    let port = mock.addr().port();
    for name in [
        format!("localhost:{port}"),
        "LocalHost".to_owned(),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("mock.test:{port}"),
        "MOCK.TEST".to_owned(),
    ] {
        let answer = raw(
            mock.addr(),
            &format!("GET {POLLING_HANDSHAKE} HTTP/1.1\r\nhost: {name}"),
            "",
        )
        .await;
        assert_eq!(answer.status, 200, "{name}: {}", answer.body);
        assert!(answer.body.starts_with("0{\"sid\":"), "{}", answer.body);
    }
    let answer = raw(
        mock.addr(),
        &format!("GET {POLLING_HANDSHAKE} HTTP/1.1\r\nhost: other.test:{port}"),
        "",
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    mock.shutdown().await.unwrap();
}

// ------------------------------------------------------------------------------------------
// The admin token.

#[tokio::test]
async fn admin_api_needs_the_runs_bearer_token() {
    let mock = start(MockConfig::default()).await;
    let other = start(MockConfig::default()).await;
    let token = mock.admin_token().expect("a token by default").to_owned();
    assert_ne!(
        Some(token.as_str()),
        other.admin_token(),
        "one token per run"
    );
    let host = host(&mock);
    let refused = [
        String::new(),
        "\r\nauthorization: Bearer".to_owned(),
        "\r\nauthorization: Bearer wrong".to_owned(),
        format!("\r\nauthorization: Bearer {token}x"),
        format!("\r\nauthorization: Basic {token}"),
        format!("\r\nauthorization: {}", admin_bearer(&other)),
    ];
    for (method, path, body) in [
        ("GET", "/__admin/", ""),
        ("GET", "/__admin/sessions", ""),
        ("GET", "/__admin/stats", ""),
        ("PUT", "/__admin/faults", r#"{"latency_ms":500}"#),
        ("POST", "/__admin/emit", r#"{"event":"x"}"#),
    ] {
        for authorization in &refused {
            let answer = raw(
                mock.addr(),
                &format!(
                    "{method} {path} HTTP/1.1\r\n{host}\r\ncontent-type: application/json{authorization}"
                ),
                body,
            )
            .await;
            assert_eq!(answer.status, 401, "{method} {path} {authorization:?}");
            assert!(
                answer
                    .header("www-authenticate")
                    .is_some_and(|challenge| challenge.starts_with("Bearer")),
                "{:?}",
                answer.headers
            );
        }
    }
    // None of the refused changes happened.
    let faults = admin_json(&mock, "GET", "/__admin/faults", "").await;
    assert_eq!(faults["latency_ms"], 0, "{faults}");
    // The scheme is case-insensitive; the token is not.
    let answer = raw(
        mock.addr(),
        &format!("GET /__admin/stats HTTP/1.1\r\n{host}\r\nauthorization: bearer {token}"),
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = raw(
        mock.addr(),
        &format!(
            "GET /__admin/stats HTTP/1.1\r\n{host}\r\nauthorization: Bearer {}",
            token.to_ascii_uppercase()
        ),
        "",
    )
    .await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    mock.shutdown().await.unwrap();
    other.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_waived_token_opens_the_admin_api_to_local_programs() {
    let mut config = MockConfig::default();
    config.admin_token = None;
    let mock = start(config).await;
    assert_eq!(mock.admin_token(), None);
    let host = host(&mock);
    let answer = raw(
        mock.addr(),
        &format!("GET /__admin/stats HTTP/1.1\r\n{host}"),
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // The content type still guards changes.
    let answer = raw(
        mock.addr(),
        &format!("PUT /__admin/faults HTTP/1.1\r\n{host}\r\ncontent-type: text/plain"),
        r#"{"latency_ms":500}"#,
    )
    .await;
    assert_eq!(answer.status, 415, "{}", answer.body);
    let answer = raw(
        mock.addr(),
        &format!("PUT /__admin/faults HTTP/1.1\r\n{host}\r\ncontent-type: application/json"),
        r#"{"latency_ms":500}"#,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    mock.shutdown().await.unwrap();
}

// ------------------------------------------------------------------------------------------
// Content-Type on changes.

#[tokio::test]
async fn admin_changes_need_a_json_content_type() {
    let mock = start(MockConfig::default()).await;
    let (mut socket, sid, _) = raw_session(&mock, r#"{"token":"x"}"#).await;
    let head = |method: &str, path: &str, content_type: Option<&str>| {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\n{}\r\n{}",
            host(&mock),
            bearer(&mock)
        );
        if let Some(content_type) = content_type {
            head.push_str(&format!("\r\ncontent-type: {content_type}"));
        }
        head
    };
    // What a form or a `fetch` in no-cors mode can send from any page: every one refused.
    let simple = [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ];
    let disconnect = format!("/__admin/sessions/{sid}/disconnect");
    let emit = format!("/__admin/sessions/{sid}/emit");
    let session_faults = format!("/__admin/sessions/{sid}/faults");
    for content_type in simple {
        for (method, path, body) in [
            ("PUT", "/__admin/faults", r#"{"latency_ms":500}"#),
            ("POST", "/__admin/faults", r#"{"latency_ms":500}"#),
            ("PUT", session_faults.as_str(), r#"{"drop_after_events":0}"#),
            ("POST", emit.as_str(), r#"{"raw":"4injected"}"#),
            ("POST", "/__admin/emit", r#"{"raw":"4injected"}"#),
            ("POST", disconnect.as_str(), ""),
        ] {
            let answer = raw(mock.addr(), &head(method, path, content_type), body).await;
            assert_eq!(
                answer.status, 415,
                "{method} {path} with {content_type:?}: {}",
                answer.body
            );
            assert!(answer.body.contains("application/json"), "{}", answer.body);
        }
    }
    // Nothing changed: no fault, no frame, the session still open.
    let faults = admin_json(&mock, "GET", "/__admin/faults", "").await;
    assert_eq!(faults["latency_ms"], 0, "{faults}");
    let report = admin_json(&mock, "GET", &format!("/__admin/sessions/{sid}"), "").await;
    assert_eq!(report["closed"], serde_json::Value::Null, "{report}");
    // With the JSON type (parameters allowed) the same requests work, bodiless ones too.
    let json = Some("application/json; charset=utf-8");
    let answer = raw(
        mock.addr(),
        &head("POST", &emit, json),
        r#"{"raw":"4hello"}"#,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(next_text(&mut socket).await.as_deref(), Some("4hello"));
    let answer = raw(mock.addr(), &head("POST", &disconnect, json), "").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains(r#""delivered":1"#), "{}", answer.body);
    mock.shutdown().await.unwrap();
}

// ------------------------------------------------------------------------------------------
// CORS: none on the admin API, as before on the Engine.IO endpoint.

#[tokio::test]
async fn admin_api_gives_pages_of_other_origins_no_cors_and_no_answer() {
    let mock = start(MockConfig::default()).await;
    let host = host(&mock);
    let auth = bearer(&mock);
    let origins = [
        "https://evil.example",
        "http://localhost:5173",
        "null",
        &format!("http://{}", mock.addr()),
    ];
    for origin in origins {
        // The request of the report that started this: now refused, and unreadable.
        for head in [
            format!("GET /__admin/sessions HTTP/1.1\r\n{host}\r\norigin: {origin}"),
            format!("GET /__admin/sessions HTTP/1.1\r\n{host}\r\norigin: {origin}\r\n{auth}"),
            format!(
                "PUT /__admin/faults HTTP/1.1\r\n{host}\r\norigin: {origin}\r\n{auth}\r\ncontent-type: application/json"
            ),
        ] {
            let answer = raw(mock.addr(), &head, r#"{"latency_ms":500}"#).await;
            assert_eq!(answer.status, 403, "{head}: {}", answer.body);
            assert!(answer.cors_headers().is_empty(), "{:?}", answer.headers);
        }
        // The preflight a page needs before sending the token is not approved.
        let answer = raw(
            mock.addr(),
            &format!(
                "OPTIONS /__admin/faults HTTP/1.1\r\n{host}\r\norigin: {origin}\r\naccess-control-request-method: PUT\r\naccess-control-request-headers: authorization, content-type"
            ),
            "",
        )
        .await;
        assert!(!(200..300).contains(&answer.status), "{}", answer.status);
        assert!(answer.cors_headers().is_empty(), "{:?}", answer.headers);
    }
    let faults = admin_json(&mock, "GET", "/__admin/faults", "").await;
    assert_eq!(faults["latency_ms"], 0, "{faults}");
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_origin_named_for_the_admin_api_may_call_it_with_the_token() {
    let mut config = MockConfig::default();
    config.admin_origins = vec!["http://localhost:5173".into()];
    let mock = start(config).await;
    let host = host(&mock);
    let origin = "origin: http://localhost:5173";
    let answer = raw(
        mock.addr(),
        &format!(
            "OPTIONS /__admin/faults HTTP/1.1\r\n{host}\r\n{origin}\r\naccess-control-request-method: PUT\r\naccess-control-request-headers: authorization, content-type"
        ),
        "",
    )
    .await;
    assert_eq!(answer.status, 204);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let allowed = answer
        .header("access-control-allow-headers")
        .unwrap_or_default();
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
    // The token is still needed; the refusal is readable by the page.
    let answer = raw(
        mock.addr(),
        &format!("GET /__admin/stats HTTP/1.1\r\n{host}\r\n{origin}"),
        "",
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let answer = raw(
        mock.addr(),
        &format!(
            "GET /__admin/stats HTTP/1.1\r\n{host}\r\n{origin}\r\n{}",
            bearer(&mock)
        ),
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("access-control-allow-credentials"), None);
    // Another origin is still refused.
    let answer = raw(
        mock.addr(),
        &format!(
            "GET /__admin/stats HTTP/1.1\r\n{host}\r\norigin: http://localhost:5174\r\n{}",
            bearer(&mock)
        ),
        "",
    )
    .await;
    assert_eq!(answer.status, 403);
    assert!(answer.cors_headers().is_empty(), "{:?}", answer.headers);
    mock.shutdown().await.unwrap();
}

#[tokio::test]
async fn engine_io_serves_pages_of_any_origin_unless_limited_to_named_ones() {
    // The main use: a dev server on another localhost port runs the app under test.
    let mock = start(MockConfig::default()).await;
    let head = |mock: &RunningMock, origin: &str| {
        format!(
            "GET {POLLING_HANDSHAKE} HTTP/1.1\r\n{}\r\norigin: {origin}",
            host(mock)
        )
    };
    for origin in ["http://localhost:5173", "http://127.0.0.1:8080"] {
        let answer = raw(mock.addr(), &head(&mock, origin), "").await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("access-control-allow-origin"), Some(origin));
        assert_eq!(
            answer.header("access-control-allow-credentials"),
            Some("true")
        );
    }
    mock.shutdown().await.unwrap();

    let mut config = MockConfig::default();
    config.cors = CorsPolicy::Origins(vec!["http://localhost:5173".into()]);
    let mock = start(config).await;
    let answer = raw(mock.addr(), &head(&mock, "http://localhost:5173"), "").await;
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let answer = raw(mock.addr(), &head(&mock, "http://localhost:5174"), "").await;
    assert!(answer.cors_headers().is_empty(), "{:?}", answer.headers);
    mock.shutdown().await.unwrap();
}

// ------------------------------------------------------------------------------------------
// Loopback peers under a dual-stack listener.

#[tokio::test]
async fn an_ipv4_mapped_loopback_peer_counts_as_loopback() {
    // An IPv6 socket bound to the IPv4-mapped 127.0.0.1 accepts IPv4 clients of 127.0.0.1
    // only, and sees each as ::ffff:127.0.0.1, as a listener on `::` sees IPv4 clients.
    let listener = std::net::TcpListener::bind("[::ffff:127.0.0.1]:0").expect(
        "binding [::ffff:127.0.0.1]:0 needs IPv4-mapped addresses on IPv6 sockets (Linux: net.ipv6.bindv6only=0)",
    );
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = MockConfig::default();
    let token = config.admin_token.clone().expect("a token");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(rt2_mock::serve(listener, config, async move {
        let _ = stopped.await;
    }));
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let host = format!("host: 127.0.0.1:{port}");
    let answer = raw(
        addr,
        &format!("GET {POLLING_HANDSHAKE} HTTP/1.1\r\n{host}"),
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = raw(
        addr,
        &format!(
            "GET /__admin/sessions HTTP/1.1\r\n{host}\r\nauthorization: Bearer {}",
            token.as_str()
        ),
        "",
    )
    .await;
    assert_eq!(answer.status, 200, "a loopback peer: {}", answer.body);
    let sessions: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    let remote = sessions[0]["remote"].as_str().expect("the session's peer");
    assert!(
        remote.starts_with("[::ffff:127.0.0.1]:"),
        "the mock saw an IPv4-mapped peer: {remote}"
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
