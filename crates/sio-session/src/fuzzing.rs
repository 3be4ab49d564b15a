//! Bodies of the fuzz targets that drive the session machines (rule 23 of the house style:
//! the harness lives in the library so that the committed corpus replays as ordinary tests).
//! Not a stable API.

use std::time::{Duration, Instant};

use crate::{
    ClientConfig, ClientSession, InboundFrame, Layer, ServerConfig, ServerEvent, ServerSession,
    TransportKind,
};

/// Drives a server session with `data` read as a script: each chunk between `\n` bytes is one
/// input, chosen by its first byte (`t` text frame, `b` binary frame, `p` polling POST, `g`
/// poll, `u` upgrade, `c` WebSocket closed, `a` advance the clock by the next byte × 10 ms,
/// `k` accept the pending CONNECT; anything else is a text frame). Panics only if the
/// machine breaks an invariant: more than one close event, or a close event that is not the
/// last one.
pub fn session_handle_frame(data: &[u8]) {
    let start = Instant::now();
    let (transport, layer) = match data.first() {
        Some(b) if b % 3 == 0 => (TransportKind::WebSocket, Layer::SocketIo),
        Some(b) if b % 3 == 1 => (TransportKind::Polling, Layer::SocketIo),
        _ => (TransportKind::Polling, Layer::EngineIo),
    };
    let mut config = ServerConfig::protocol_test_suite();
    config.layer = layer;
    config.max_payload = 4096;
    let mut session = ServerSession::new(start, transport, "fuzz", config);
    let mut now = start;
    let mut closes = 0;
    let mut last_was_close = true;
    for chunk in data.get(1..).unwrap_or_default().split(|&b| b == b'\n') {
        let (&op, rest) = chunk.split_first().unwrap_or((&b't', &[]));
        let text = String::from_utf8_lossy(rest);
        match op {
            b'b' => session.handle_frame(now, InboundFrame::Binary(rest)),
            b'p' => {
                let _ = session.handle_polling_post(now, rest);
            }
            b'g' => {
                let _ = session.handle_poll_request(now);
            }
            b'u' => {
                let _ = session.handle_websocket_upgrade(now);
            }
            b'c' => session.handle_websocket_closed(now),
            b'a' => {
                let ms = u64::from(rest.first().copied().unwrap_or(0)) * 10;
                now += Duration::from_millis(ms);
                session.handle_timeout(now);
            }
            b'k' => {
                let _ = session.accept_connect("/", "socket");
            }
            _ => session.handle_frame(now, InboundFrame::Text(&text)),
        }
        while session.poll_transmit().is_some() {}
        while let Some(event) = session.poll_event() {
            last_was_close = matches!(event, ServerEvent::Closed(_));
            closes += usize::from(last_was_close);
        }
    }
    assert!(closes <= 1, "the session reported its close {closes} times");
    assert!(closes == 0 || last_was_close, "an event after the close");
    assert_eq!(closes == 1, session.is_closed());
}

/// Drives a client session with `data` split into frames at `\n` bytes (a frame starting with
/// `b` is binary, the rest text); the first frame is preceded by a valid `open` packet half
/// the time, so that the Socket.IO layer is reached.
pub fn client_handle_frame(data: &[u8]) {
    let start = Instant::now();
    let mut client = ClientSession::new(start, ClientConfig::default());
    let _ = client.connect("/", Some("{}"));
    if data.first().is_some_and(|b| b % 2 == 0) {
        client.handle_frame(
            start,
            InboundFrame::Text(
                r#"0{"sid":"s","upgrades":[],"pingInterval":300,"pingTimeout":200}"#,
            ),
        );
        client.handle_frame(start, InboundFrame::Text(r#"40{"sid":"x"}"#));
    }
    for chunk in data.get(1..).unwrap_or_default().split(|&b| b == b'\n') {
        match chunk.split_first() {
            Some((b'b', rest)) => client.handle_frame(start, InboundFrame::Binary(rest)),
            _ => client.handle_frame(start, InboundFrame::Text(&String::from_utf8_lossy(chunk))),
        }
        while client.poll_transmit().is_some() {}
        while client.poll_event().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_run() {
        session_handle_frame(b"\x01\ng\np40\nk\ng\nt\na\x1e\ng\na\xff");
        session_handle_frame(b"\x00\nt40\nk\nt42[\"x\"]\nb\x01\na\x64\nc");
        session_handle_frame(b"\x02\nu\nt2probe\nt5\nt4hi\nb\x00");
        client_handle_frame(
            b"\x00\n42[\"a\"]\nb\x01\n451-[\"a\",{\"_placeholder\":true,\"num\":0}]\nb\x01\n1",
        );
        client_handle_frame(b"\x01\n0{}");
    }
}
