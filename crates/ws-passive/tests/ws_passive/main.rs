//! Crate-level behaviour of ws-passive: each rule of RFC 6455 and RFC 7692 through the public
//! API, frames written by real implementations (tungstenite, flate2, and Node's `ws` in
//! committed fixtures), any chunking, and the fuzz seeds.

mod chunking;
mod deflate;
mod frames;
mod fuzz_corpus;
mod fuzz_regressions;
mod node_ws;
mod tungstenite_peer;

use ws_passive::{Direction, ErrorKind, Observer, WsEvent};

pub(crate) const C2S: Direction = Direction::ClientToServer;
pub(crate) const S2C: Direction = Direction::ServerToClient;
pub(crate) const MASK: [u8; 4] = [0x12, 0x34, 0x56, 0x78];

/// One frame's bytes: FIN and RSV1 as given, the opcode, the payload masked when `mask` is
/// given, the length in its minimal encoding.
pub(crate) fn frame(
    fin: bool,
    rsv1: bool,
    opcode: u8,
    payload: &[u8],
    mask: Option<[u8; 4]>,
) -> Vec<u8> {
    let mut out = vec![u8::from(fin) << 7 | u8::from(rsv1) << 6 | opcode];
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(m | n as u8),
        n @ 126..=0xffff => {
            out.push(m | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(mask) => {
            out.extend_from_slice(&mask);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// A complete frame as the given direction's sender must write it (masked from the client).
pub(crate) fn sent(direction: Direction, fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = (direction == C2S).then_some(MASK);
    frame(fin, false, opcode, payload, mask)
}

/// Every queued event.
pub(crate) fn drain(observer: &mut Observer) -> Vec<WsEvent> {
    std::iter::from_fn(|| observer.poll_event()).collect()
}

/// Feeds `bytes` to a fresh default observer in one direction and returns the events,
/// after `finish` when `end` is set.
pub(crate) fn observe(direction: Direction, bytes: &[u8], end: bool) -> Vec<WsEvent> {
    let mut observer = Observer::new(ws_passive::Config::default());
    observer.feed(direction, bytes);
    if end {
        observer.finish(direction);
    }
    drain(&mut observer)
}

/// The `(offset, kind)` of each error among `events`.
pub(crate) fn errors(events: &[WsEvent]) -> Vec<(u64, ErrorKind)> {
    events
        .iter()
        .filter_map(|e| match e {
            WsEvent::Error { offset, kind, .. } => Some((*offset, *kind)),
            _ => None,
        })
        .collect()
}

/// The payloads of the messages among `events`.
pub(crate) fn messages(events: &[WsEvent]) -> Vec<Vec<u8>> {
    events
        .iter()
        .filter_map(|e| match e {
            WsEvent::Message { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect()
}
