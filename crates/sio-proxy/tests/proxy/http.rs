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
