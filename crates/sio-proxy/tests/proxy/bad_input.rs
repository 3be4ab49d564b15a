//! Bad input on either side: relayed or closed as the endpoints dictate, recorded with a
//! decode error (a gap record naming it), and the proxy stays up.

use std::net::SocketAddr;

use sio_capture::{Direction, GapRecord, HttpRecord, Record};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::support::{Proxy, WAIT};

const WS_PATH: &str = "/socket.io/?EIO=4&transport=websocket";

/// A WebSocket server that answers every upgrade with a 101 (accepting permessage-deflate
/// when `deflate`), writes `script` as raw bytes, then reads what the client sends until it
/// closes, reports those bytes, and closes.
async fn scripted_upstream(
    deflate: bool,
    script: Vec<u8>,
) -> (SocketAddr, mpsc::UnboundedReceiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let script = script.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let (head, _) = read_head(&mut tcp).await;
                let key = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .starts_with("sec-websocket-key:")
                            .then(|| l[18..].trim().to_owned())
                    })
                    .expect("a key");
                let mut response = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
                    derive_accept_key(key.as_bytes())
                );
                if deflate {
                    response.push_str("Sec-WebSocket-Extensions: permessage-deflate\r\n");
                }
                response.push_str("\r\n");
                tcp.write_all(response.as_bytes()).await.unwrap();
                tcp.write_all(&script).await.unwrap();
                let mut received = Vec::new();
                let _ = tcp.read_to_end(&mut received).await;
                let _ = tx.send(received);
            });
        }
    });
    (addr, rx)
}

/// Reads an HTTP head; returns it and whatever came after it.
async fn read_head(tcp: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return (String::from_utf8_lossy(&buf).into_owned(), rest);
        }
        let n = tcp.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the head: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A raw WebSocket client through the proxy: the upgrade (offering permessage-deflate),
/// then `send`, then the end of its stream; returns the response head and every byte after.
async fn raw_client(proxy: SocketAddr, send: &[u8]) -> (String, Vec<u8>) {
    let mut tcp = TcpStream::connect(proxy).await.unwrap();
    let request = format!(
        "GET {WS_PATH} HTTP/1.1\r\nHost: {proxy}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let (head, mut rest) = read_head(&mut tcp).await;
    tcp.write_all(send).await.unwrap();
    tcp.shutdown().await.unwrap();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut rest))
        .await
        .expect("the proxy closed in time")
        .unwrap();
    (head, rest)
}

fn gaps(records: &[Record]) -> Vec<&GapRecord> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Gap(g) => Some(g),
            _ => None,
        })
        .collect()
}

/// Runs `script` from the upstream and `send` from the client twice through one proxy (the
/// second run shows the proxy stayed up); checks both sides got exactly the other's bytes, and
/// returns the gap records.
async fn relayed_and_recorded(
    deflate: bool,
    script: &[u8],
    send: &[u8],
    max_message_size: Option<usize>,
) -> Vec<GapRecord> {
    let (upstream, mut received) = scripted_upstream(deflate, script.to_vec()).await;
    let proxy = Proxy::start_with(&format!("http://{upstream}"), |config| {
        if let Some(max) = max_message_size {
            config.max_message_size = max;
        }
    })
    .await;
    for _ in 0..2 {
        let (head, bytes) = raw_client(proxy.running.local_addr(), send).await;
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert_eq!(
            bytes, script,
            "the client got the upstream's bytes unchanged"
        );
        let got = tokio::time::timeout(WAIT, received.recv()).await.unwrap();
        assert_eq!(
            got.as_deref(),
            Some(send),
            "the upstream got the client's bytes unchanged"
        );
    }
    let (summary, records, _) = proxy.stop().await;
    let gaps: Vec<GapRecord> = gaps(&records).into_iter().cloned().collect();
    assert_eq!(summary.decode_errors as usize, gaps.len());
    gaps
}

fn masked(opcode_byte: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [7u8, 1, 9, 3];
    let mut frame = vec![opcode_byte, 0x80 | payload.len() as u8];
    frame.extend(mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

#[tokio::test]
async fn garbage_frames_from_a_client_are_relayed_and_recorded() {
    // A frame with reserved opcode 0x3, then bytes that are no frame at all.
    let mut garbage = masked(0x83, b"xyz");
    garbage.extend_from_slice(b"\xff\xfe not a frame");
    let gaps = relayed_and_recorded(false, b"", &garbage, None).await;
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    for gap in gaps {
        assert_eq!(gap.from, Some(Direction::Client));
        let reason = gap.reason.unwrap();
        assert!(reason.contains("reserved opcode 0x3"), "{reason}");
        assert!(reason.contains("byte 0"), "{reason}");
    }
}

#[tokio::test]
async fn an_upstream_closing_mid_frame_is_relayed_and_recorded() {
    // A whole "2" (ping) packet, then a text frame announcing 5 bytes with 1 sent.
    let script = [0x81, 0x01, b'2', 0x81, 0x05, b'4'];
    let gaps = relayed_and_recorded(false, &script, b"", None).await;
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    for gap in gaps {
        assert_eq!(gap.from, Some(Direction::Server));
        let reason = gap.reason.unwrap();
        assert!(reason.contains("stream ended inside a frame"), "{reason}");
        assert!(reason.contains("byte 3"), "{reason}");
    }
}

#[tokio::test]
async fn a_compressed_frame_that_does_not_inflate_is_relayed_and_recorded() {
    // RSV1 (compressed) text frame whose payload is no deflate stream (block type 3), then a
    // plain text frame that still decodes.
    let script = [0xC1, 0x04, 0xff, 0xff, 0xff, 0xff, 0x81, 0x01, b'6'];
    let gaps = relayed_and_recorded(true, &script, b"", None).await;
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    for gap in gaps {
        assert_eq!(gap.from, Some(Direction::Server));
        let reason = gap.reason.unwrap();
        assert!(reason.contains("does not inflate"), "{reason}");
    }
}

#[tokio::test]
async fn an_oversized_message_is_relayed_whole_and_recorded() {
    let mut script = vec![0x81, 100];
    script.extend(std::iter::once(b'4').chain(std::iter::repeat_n(b'x', 99)));
    let gaps = relayed_and_recorded(false, &script, b"", Some(64)).await;
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    for gap in gaps {
        let reason = gap.reason.unwrap();
        assert!(
            reason.contains("larger than the configured maximum"),
            "{reason}"
        );
    }
}

/// A port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn an_unreachable_upstream_gets_a_502_naming_the_cause_and_is_recorded() {
    let upstream = closed_port().await;
    let proxy = Proxy::start(&format!("http://{upstream}")).await;
    let addr = proxy.running.local_addr();
    for request in [
        format!(
            "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        ),
        format!(
            "GET {WS_PATH} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ),
    ] {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(request.as_bytes()).await.unwrap();
        let (head, body) = read_head(&mut tcp).await;
        assert!(head.starts_with("HTTP/1.1 502"), "{head}");
        let mut body = body;
        if !head.to_ascii_lowercase().contains("content-length") {
            tcp.read_to_end(&mut body).await.unwrap();
        } else {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap();
            while body.len() < length {
                let mut chunk = [0u8; 1024];
                let n = tcp.read(&mut chunk).await.unwrap();
                assert!(n > 0);
                body.extend_from_slice(&chunk[..n]);
            }
        }
        let body = String::from_utf8(body).unwrap();
        assert!(
            body.contains(&format!("cannot connect to upstream http://{upstream}")),
            "{body}"
        );
    }
    let (_, records, _) = proxy.stop().await;
    let failed: Vec<&HttpRecord> = records
        .iter()
        .filter_map(|r| match r {
            Record::Http(h) if h.status == 502 => Some(h),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 2, "{records:#?}");
    assert!(failed[0].body.contains("cannot connect"), "{:?}", failed[0]);
}

#[tokio::test]
async fn a_host_outside_the_allow_list_is_refused() {
    let (upstream, _) = scripted_upstream(false, Vec::new()).await;
    let proxy = Proxy::start(&format!("http://{upstream}")).await;
    let mut tcp = TcpStream::connect(proxy.running.local_addr())
        .await
        .unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: rebound.example:3000\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (head, _) = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    let (summary, _, _) = proxy.stop().await;
    assert_eq!(
        summary.http_exchanges, 0,
        "a refused request never reaches the upstream"
    );
}

#[tokio::test]
async fn an_upgrade_the_upstream_refuses_gets_its_answer_and_is_recorded() {
    const BODY: &str = r#"{"code":1,"message":"Session ID unknown"}"#;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let _ = read_head(&mut tcp).await;
        let response = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{BODY}",
            BODY.len()
        );
        tcp.write_all(response.as_bytes()).await.unwrap();
        let _ = tcp.read(&mut [0u8; 16]).await;
    });
    let proxy = Proxy::start(&format!("http://{upstream}")).await;
    let addr = proxy.running.local_addr();
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {WS_PATH}&sid=unknown HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let (head, mut body) = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 400 Bad Request"), "{head}");
    while body.len() < BODY.len() {
        let mut chunk = [0u8; 256];
        let n = tokio::time::timeout(WAIT, tcp.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        body.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(String::from_utf8(body).unwrap(), BODY);
    drop(tcp);
    let (_, records, _) = proxy.stop().await;
    let refused: Vec<&HttpRecord> = records
        .iter()
        .filter_map(|r| match r {
            Record::Http(h) => Some(h),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 1, "{records:#?}");
    assert_eq!(refused[0].status, 400);
    assert_eq!(refused[0].body, BODY);
}
