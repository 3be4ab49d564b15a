//! Frames that Node's `ws` 8 (the WebSocket library under socket.io) sent with
//! permessage-deflate, captured raw with the handshake heads that negotiated them:
//! `tests/fixtures/node-ws-*`, written by `interop/ws-deflate-fixtures.mjs`. Context takeover
//! and none, window bits 15, 10 and 9, a fragmented compressed message, empty and 40 KB
//! messages, binary attachments.

use std::path::PathBuf;

use ws_passive::{Config, Direction, MessageKind, Observer, WsEvent};

use crate::{C2S, S2C, drain, errors};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// `(name, value)` of each header line of an HTTP head.
fn headers(head: &[u8]) -> Vec<(&str, &[u8])> {
    let text = std::str::from_utf8(head).expect("ASCII heads");
    text.split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim(), value.trim().as_bytes()))
        .collect()
}

/// The messages both sides were asked to send: kind byte, 4-byte length, bytes.
fn expected() -> Vec<(MessageKind, Vec<u8>)> {
    let data = fixture("node-ws.messages");
    let mut rest = &data[..];
    let mut out = Vec::new();
    while let [kind, a, b, c, d, tail @ ..] = rest {
        let len = u32::from_be_bytes([*a, *b, *c, *d]) as usize;
        let kind = if *kind == b't' {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        out.push((kind, tail[..len].to_vec()));
        rest = &tail[len..];
    }
    out
}

fn check(name: &str, direction: Direction, window_bits: u8, no_takeover: bool) {
    let request = fixture(&format!("{name}.request"));
    let response = fixture(&format!("{name}.response"));
    let frames = fixture(&format!("{name}.bin"));
    let mut observer = Observer::new(Config::default());
    let ext = observer
        .handshake(headers(&request), headers(&response))
        .unwrap();
    let deflate = ext
        .permessage_deflate
        .expect("ws accepted permessage-deflate");
    assert_eq!(deflate.max_window_bits(direction), window_bits, "{name}");
    assert_eq!(
        deflate.no_context_takeover(direction),
        no_takeover,
        "{name}"
    );
    for chunk in [frames.len(), 64, 1] {
        observer.set_extensions(ext);
        for piece in frames.chunks(chunk) {
            observer.feed(direction, piece);
        }
        observer.finish(direction);
        let events = drain(&mut observer);
        assert_eq!(errors(&events), vec![], "{name}");
        let got: Vec<(MessageKind, Vec<u8>)> = events
            .iter()
            .filter_map(|e| match e {
                WsEvent::Message { kind, data, .. } => Some((*kind, data.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(got, expected(), "{name} in chunks of {chunk}");
        // ws compresses every message here (threshold 0), the empty one too, and sends the
        // fragmented one in two frames.
        let compressed: Vec<(bool, usize)> = events
            .iter()
            .filter_map(|e| match e {
                WsEvent::Message {
                    compressed, frames, ..
                } => Some((*compressed, *frames)),
                _ => None,
            })
            .collect();
        assert!(compressed.iter().all(|(c, _)| *c), "{name}: {compressed:?}");
        assert_eq!(compressed.iter().filter(|(_, f)| *f == 2).count(), 1);
        assert_eq!(
            events.last(),
            Some(&WsEvent::Close {
                direction,
                code: Some(1000),
                reason: "xong".into()
            }),
            "{name}"
        );
    }
}

#[test]
fn ws_server_with_context_takeover() {
    check("node-ws-server-takeover", S2C, 15, false);
}

#[test]
fn ws_server_without_context_takeover_and_a_1_kib_window() {
    check("node-ws-server-no-takeover-w10", S2C, 10, true);
}

#[test]
fn ws_client_with_context_takeover() {
    check("node-ws-client-takeover", C2S, 15, false);
}

#[test]
fn ws_client_without_context_takeover_and_a_512_byte_window() {
    check("node-ws-client-no-takeover-w9", C2S, 9, true);
}
