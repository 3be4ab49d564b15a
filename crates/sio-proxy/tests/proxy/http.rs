//! Plain HTTP through the proxy: bodies stream both ways (nothing waits for a body's end
//! before relaying), the exchange is recorded, and its secrets are redacted.

use sio_capture::{HttpRecord, Record};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

use crate::support::{Proxy, WAIT};

const SECRETS: [&str; 3] = ["query-secret-1", "header-secret-2", "cookie-secret-3"];

/// Reads from `tcp` into `buf` until it contains `needle`.
async fn read_until(tcp: &mut TcpStream, buf: &mut Vec<u8>, needle: &[u8]) {
    let mut chunk = [0u8; 4096];
    while !buf.windows(needle.len()).any(|w| w == needle) {
        let n = tokio::time::timeout(WAIT, tcp.read(&mut chunk))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{:?} never came: {}",
                    String::from_utf8_lossy(needle),
                    String::from_utf8_lossy(buf)
                )
            })
            .unwrap();
        assert!(n > 0, "closed before {:?}", String::from_utf8_lossy(needle));
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn bodies_stream_both_ways_and_the_exchange_is_recorded_redacted() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let (first_part_seen, mut first_part) = mpsc::unbounded_channel::<String>();
    let (finish_tx, finish_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        // The first chunk of the request body arrives while the client still holds the rest.
        read_until(&mut tcp, &mut request, b"alpha").await;
        first_part_seen
            .send(String::from_utf8_lossy(&request).into_owned())
            .unwrap();
        read_until(&mut tcp, &mut request, b"0\r\n\r\n").await;
        tcp.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n8\r\npart one\r\n",
        )
        .await
        .unwrap();
        // The rest of the response waits until the client has read the first part.
        finish_rx.await.unwrap();
        tcp.write_all(b"8\r\npart two\r\n0\r\n\r\n").await.unwrap();
        let _ = tcp.read(&mut [0u8; 16]).await;
    });

    let proxy = Proxy::start(&format!("http://{upstream}")).await;
    let mut client = TcpStream::connect(proxy.running.local_addr())
        .await
        .unwrap();
    let head = format!(
        "POST /api/facebook-graph/livevideo?pageid=1&access_token={} HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {}\r\nCookie: session={}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nalpha\r\n",
        SECRETS[0], SECRETS[1], SECRETS[2]
    );
    client.write_all(head.as_bytes()).await.unwrap();
    let seen_upstream = tokio::time::timeout(WAIT, first_part.recv())
        .await
        .expect("the first part of the request body reached the upstream on its own")
        .unwrap();
    assert!(
        seen_upstream.contains(&format!("Bearer {}", SECRETS[1])),
        "relayed as sent: {seen_upstream}"
    );
    assert!(
        seen_upstream.contains(&format!("Host: {upstream}")),
        "{seen_upstream}"
    );
    client.write_all(b"5\r\nomega\r\n0\r\n\r\n").await.unwrap();
    let mut response = Vec::new();
    read_until(&mut client, &mut response, b"part one").await;
    finish_tx.send(()).unwrap();
    read_until(&mut client, &mut response, b"0\r\n\r\n").await;
    let response = String::from_utf8(response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.contains("part two"), "{response}");

    let (summary, records, text) = proxy.stop().await;
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "{secret} reached the capture:\n{text}"
        );
    }
    assert_eq!(summary.http_exchanges, 1);
    let http: Vec<&HttpRecord> = records
        .iter()
        .filter_map(|r| match r {
            Record::Http(h) => Some(h),
            _ => None,
        })
        .collect();
    assert_eq!(http.len(), 1, "{records:#?}");
    let exchange = http[0];
    assert_eq!(exchange.method, "POST");
    assert!(
        exchange.url.starts_with(&format!(
            "http://{upstream}/api/facebook-graph/livevideo?pageid=1"
        )),
        "{}",
        exchange.url
    );
    assert_eq!(exchange.status, 200);
    assert_eq!(exchange.request_body.as_deref(), Some("alphaomega"));
    assert_eq!(exchange.body, "part onepart two");
}

#[tokio::test]
async fn without_redaction_secrets_stay_and_the_capture_is_private() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        read_until(&mut tcp, &mut request, b"\r\n\r\n").await;
        tcp.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .await
            .unwrap();
        let _ = tcp.read(&mut [0u8; 16]).await;
    });
    let proxy = Proxy::start_with(&format!("http://{upstream}"), |config| {
        config.redact = false
    })
    .await;
    let mut client = TcpStream::connect(proxy.running.local_addr())
        .await
        .unwrap();
    let head = format!(
        "GET /api/facebook-graph/livevideo?access_token={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        SECRETS[0]
    );
    client.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    read_until(&mut client, &mut response, b"\r\n\r\nok").await;
    drop(client);
    let capture = proxy.capture.clone();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&capture).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "a capture that keeps tokens is the owner's only"
        );
    }
    let (summary, _, text) = proxy.stop().await;
    assert!(
        text.contains(SECRETS[0]),
        "--no-redact keeps the token:\n{text}"
    );
    assert_eq!(summary.redaction.total(), 0);
}

/// An upstream that answers every request on every connection with `ok` (keep-alive), except
/// `GET /hold`, which it answers only when told; it reports each connection it accepts.
async fn keep_alive_upstream() -> (
    std::net::SocketAddr,
    mpsc::UnboundedReceiver<()>,
    mpsc::UnboundedSender<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (accepted_tx, accepted) = mpsc::unbounded_channel();
    let (release, release_rx) = mpsc::unbounded_channel::<()>();
    let release_rx = std::sync::Arc::new(tokio::sync::Mutex::new(release_rx));
    tokio::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            accepted_tx.send(()).unwrap();
            let release_rx = release_rx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tcp.read(&mut chunk).await {
                            Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                            _ => return,
                        }
                    }
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    buf.drain(..end);
                    if head.starts_with("GET /hold ") {
                        release_rx.lock().await.recv().await;
                    }
                    let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                    if tcp.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (address, accepted, release)
}

/// One request through the proxy on a connection of its own; the response's text.
async fn get(proxy: std::net::SocketAddr, path: &str) -> String {
    let mut client = TcpStream::connect(proxy).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    client.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    read_until(&mut client, &mut response, b"\r\n\r\nok").await;
    String::from_utf8(response).unwrap()
}

#[tokio::test]
async fn plain_requests_reuse_an_idle_upstream_connection_but_never_a_busy_one() {
    let (upstream, mut accepted, release) = keep_alive_upstream().await;
    let proxy = Proxy::start(&format!("http://{upstream}")).await;
    let address = proxy.running.local_addr();

    // Five polls one after the other, each from a new client connection: one upstream
    // connection carries them all.
    for n in 0..5 {
        let response = get(
            address,
            &format!("/socket.io/?EIO=4&transport=polling&n={n}"),
        )
        .await;
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    }
    tokio::time::timeout(WAIT, accepted.recv()).await.unwrap();
    assert!(
        accepted.try_recv().is_err(),
        "sequential requests each opened an upstream connection"
    );

    // A held request (a long poll) keeps its connection: a request meanwhile gets another,
    // and once the held one is answered both are idle and reused.
    let held = tokio::spawn(get(address, "/hold"));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        accepted.try_recv().is_err(),
        "the held request took the idle connection"
    );
    let response = get(address, "/socket.io/?EIO=4&transport=polling&during=hold").await;
    assert!(response.ends_with("ok"), "{response}");
    tokio::time::timeout(WAIT, accepted.recv())
        .await
        .expect("a request during a held one goes on a second upstream connection");
    release.send(()).unwrap();
    assert!(
        tokio::time::timeout(WAIT, held)
            .await
            .unwrap()
            .unwrap()
            .ends_with("ok")
    );
    for n in 0..3 {
        get(address, &format!("/after?n={n}")).await;
    }
    assert!(accepted.try_recv().is_err(), "no third upstream connection");

    // The six polls are Engine.IO traffic; the other four are recorded as HTTP exchanges.
    let (summary, _, _) = proxy.stop().await;
    assert_eq!(summary.http_exchanges, 4);
}

#[tokio::test]
async fn a_pooled_connection_the_upstream_closed_is_not_a_502() {
    // An upstream that answers one request per connection and then closes it without saying
    // so (no `Connection: close`): each pooled connection is gone by the next request.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut request = Vec::new();
                read_until(&mut tcp, &mut request, b"\r\n\r\n").await;
                let _ = tcp
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                    .await;
            });
        }
    });
    let proxy = Proxy::start(&format!("http://{upstream}")).await;
    for n in 0..5 {
        let response = get(proxy.running.local_addr(), &format!("/api/x?n={n}")).await;
        assert!(
            response.starts_with("HTTP/1.1 200 OK"),
            "request {n}: {response}"
        );
    }
    let (summary, _, _) = proxy.stop().await;
    assert_eq!(summary.http_exchanges, 5);
}
