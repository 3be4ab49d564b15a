//! Who may reach the mock, tested as a hostile web page would try it: over raw HTTP on
//! 127.0.0.1, with the `Host` header a browser would send.

use std::net::SocketAddr;

use rt2_mock::{MockConfig, RunningMock};
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
    /// Every `access-control-*` header.
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
    let routes = [
        format!("GET {POLLING_HANDSHAKE} HTTP/1.1\r\n{evil}\r\norigin: http://evil.example:{port}"),
        format!(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n{evil}\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ=="
        ),
        format!(
            "GET /api/facebook-graph/livevideo?limit=2 HTTP/1.1\r\n{evil}\r\nauthorization: Bearer synthetic"
        ),
        format!("GET /__admin/sessions HTTP/1.1\r\n{evil}"),
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
        &format!("GET /__admin/sessions HTTP/1.1\r\n{host}"),
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
