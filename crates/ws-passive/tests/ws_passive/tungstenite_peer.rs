//! Frames written by tungstenite, a real implementation: a server writes unmasked frames, a
//! client masked ones with random keys, and raw frames make fragments.

use std::io::{self, Read, Write};

use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::{CloseFrame, Role, WebSocket};
use tungstenite::{Bytes, Message};
use ws_passive::{Config, Direction, MessageKind, Observer, WsEvent};

use crate::{C2S, S2C, drain, errors};

/// A socket that is never read and keeps what is written.
#[derive(Debug, Default)]
struct Sink(Vec<u8>);

impl Read for Sink {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The bytes tungstenite writes for `messages` in the role that sends in `direction`.
fn written(direction: Direction, messages: Vec<Message>) -> Vec<u8> {
    let role = match direction {
        Direction::ClientToServer => Role::Client,
        Direction::ServerToClient => Role::Server,
    };
    let mut socket = WebSocket::from_raw_socket(Sink::default(), role, None);
    for message in messages {
        socket.write(message).unwrap();
    }
    socket.flush().unwrap();
    std::mem::take(&mut socket.get_mut().0)
}

fn sample_messages() -> Vec<Message> {
    let big = "Xin chào, shop ơi! ".repeat(5000);
    vec![
        Message::text(r#"40/chatomni,{"token":"x"}"#),
        Message::text(big),
        Message::binary(vec![0xde, 0xad, 0xbe, 0xef]),
        Message::binary(vec![7u8; 70_000]),
        Message::Ping(Bytes::from_static(b"2")),
        Message::Pong(Bytes::new()),
        // A fragmented text message, a ping between its fragments.
        Message::Frame(Frame::message(
            Bytes::from_static(b"42[\"a"),
            OpCode::Data(Data::Text),
            false,
        )),
        Message::Ping(Bytes::from_static(b"mid")),
        Message::Frame(Frame::message(
            Bytes::from_static(b"b\",1]"),
            OpCode::Data(Data::Continue),
            true,
        )),
        Message::Close(Some(CloseFrame {
            code: 1001.into(),
            reason: "đi rồi".into(),
        })),
    ]
}

fn expected(direction: Direction) -> Vec<WsEvent> {
    let big = "Xin chào, shop ơi! ".repeat(5000).into_bytes();
    let msg = |kind, data: Vec<u8>, frames| (kind, data, frames);
    let messages = [
        msg(
            MessageKind::Text,
            br#"40/chatomni,{"token":"x"}"#.to_vec(),
            1,
        ),
        msg(MessageKind::Text, big, 1),
        msg(MessageKind::Binary, vec![0xde, 0xad, 0xbe, 0xef], 1),
        msg(MessageKind::Binary, vec![7u8; 70_000], 1),
    ];
    let mut out: Vec<WsEvent> = messages
        .into_iter()
        .map(|(kind, data, frames)| WsEvent::Message {
            direction,
            kind,
            data,
            compressed: false,
            frames,
            offset: 0,
        })
        .collect();
    out.push(WsEvent::Ping {
        direction,
        data: b"2".to_vec(),
    });
    out.push(WsEvent::Pong {
        direction,
        data: vec![],
    });
    out.push(WsEvent::Ping {
        direction,
        data: b"mid".to_vec(),
    });
    out.push(WsEvent::Message {
        direction,
        kind: MessageKind::Text,
        data: b"42[\"ab\",1]".to_vec(),
        compressed: false,
        frames: 2,
        offset: 0,
    });
    out.push(WsEvent::Close {
        direction,
        code: Some(1001),
        reason: "đi rồi".into(),
    });
    out
}

/// Offsets depend on the random masks' frame sizes only through lengths, which are fixed, but
/// are simpler compared apart: zeroed here.
fn without_offsets(events: Vec<WsEvent>) -> Vec<WsEvent> {
    events
        .into_iter()
        .map(|e| match e {
            WsEvent::Message {
                direction,
                kind,
                data,
                compressed,
                frames,
                ..
            } => WsEvent::Message {
                direction,
                kind,
                data,
                compressed,
                frames,
                offset: 0,
            },
            other => other,
        })
        .collect()
}

#[test]
fn reads_what_tungstenite_writes_both_ways() {
    for direction in Direction::BOTH {
        let bytes = written(direction, sample_messages());
        for chunk in [bytes.len(), 4096, 7, 1] {
            let mut observer = Observer::new(Config::default());
            for piece in bytes.chunks(chunk) {
                observer.feed(direction, piece);
            }
            observer.finish(direction);
            let events = drain(&mut observer);
            assert_eq!(
                errors(&events),
                vec![],
                "{direction:?} in chunks of {chunk}"
            );
            assert_eq!(
                without_offsets(events),
                expected(direction),
                "{direction:?}"
            );
        }
    }
}

#[test]
fn offsets_are_frame_starts_in_tungstenites_stream() {
    let messages = vec![
        Message::text("a"),
        Message::binary(vec![0; 300]),
        Message::text("b"),
    ];
    let bytes = written(S2C, messages);
    let mut observer = Observer::new(Config::default());
    observer.feed(S2C, &bytes);
    let offsets: Vec<u64> = drain(&mut observer)
        .into_iter()
        .filter_map(|e| match e {
            WsEvent::Message { offset, .. } => Some(offset),
            _ => None,
        })
        .collect();
    // 2 + 1, then 4 + 300.
    assert_eq!(offsets, vec![0, 3, 307]);
}

#[test]
fn a_client_stream_read_as_server_bytes_reports_masking() {
    let bytes = written(C2S, vec![Message::text("x")]);
    let mut observer = Observer::new(Config::default());
    observer.feed(S2C, &bytes);
    let events = drain(&mut observer);
    assert_eq!(
        errors(&events),
        vec![(0, ws_passive::ErrorKind::MaskedServerFrame)]
    );
}
