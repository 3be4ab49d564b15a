//! permessage-deflate (RFC 7692): frames compressed by flate2's raw deflate with a sync flush
//! and the `00 00 ff ff` tail stripped, as every implementation sends them.

use flate2::{Compress, Compression, FlushCompress};
use ws_passive::{
    Config, DeflateParams, Direction, ErrorKind, Extensions, MessageKind, Observer, WsEvent,
};

use crate::{C2S, MASK, S2C, drain, errors, frame, messages};

/// A sender's compressor: one raw deflate stream, reset after each message unless it takes
/// its context over.
pub(crate) struct Sender {
    compress: Compress,
    takeover: bool,
}

impl Sender {
    pub(crate) fn new(takeover: bool) -> Self {
        Self {
            compress: Compress::new(Compression::default(), false),
            takeover,
        }
    }

    /// The compressed payload of one message: deflated, sync-flushed, tail stripped.
    pub(crate) fn compress(&mut self, message: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(message.len() + 64);
        let mut input = message;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(64));
            }
            let before = self.compress.total_in();
            let written = out.len();
            self.compress
                .compress_vec(input, &mut out, FlushCompress::Sync)
                .unwrap();
            input = &input[(self.compress.total_in() - before) as usize..];
            if input.is_empty() && out.len() == written && out.is_empty() {
                // zlib has nothing to flush for an empty message right after a sync flush
                // (Z_BUF_ERROR, no output): send what RFC 7692 7.2.3.6 shows for it, an empty
                // stored block (0x00 once the tail is cut).
                out.extend_from_slice(&[0x00, 0x00, 0x00, 0xff, 0xff]);
                break;
            }
            if input.is_empty() && out.ends_with(&[0, 0, 0xff, 0xff]) && out.len() < out.capacity()
            {
                break;
            }
        }
        out.truncate(out.len() - 4);
        if !self.takeover {
            self.compress.reset();
        }
        out
    }
}

fn observer(params: DeflateParams) -> Observer {
    let mut observer = Observer::new(Config::default());
    observer.set_extensions(Extensions {
        permessage_deflate: Some(params),
    });
    observer
}

fn params(server_no_context_takeover: bool, client_no_context_takeover: bool) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover,
        client_no_context_takeover,
        ..DeflateParams::default()
    }
}

/// rt-2-like text messages that repeat each other, so later ones reference earlier ones.
fn texts() -> Vec<Vec<u8>> {
    (0..20)
        .map(|i| {
            format!(
                r#"42/chatomni,["on-events","{{\"EventName\":\"chatomni.on-message\",\"Data\":{{\"Message\":{{\"Message\":\"Chào shop, còn hàng mã {i} không ạ?\"}}}}}}"]"#
            )
            .into_bytes()
        })
        .collect()
}

fn compressed_stream(direction: Direction, takeover: bool, messages: &[Vec<u8>]) -> Vec<u8> {
    let mut sender = Sender::new(takeover);
    let mask = (direction == C2S).then_some(MASK);
    messages
        .iter()
        .flat_map(|m| frame(true, true, 1, &sender.compress(m), mask))
        .collect()
}

#[test]
fn context_takeover_both_directions() {
    let texts = texts();
    for direction in Direction::BOTH {
        let bytes = compressed_stream(direction, true, &texts);
        // Context takeover makes later messages much smaller than the first.
        assert!(bytes.len() < texts.iter().map(Vec::len).sum::<usize>() / 3);
        let mut observer = observer(DeflateParams::default());
        observer.feed(direction, &bytes);
        let events = drain(&mut observer);
        assert_eq!(errors(&events), vec![], "{direction:?}");
        assert_eq!(messages(&events), texts, "{direction:?}");
        assert!(events.iter().all(|e| matches!(
            e,
            WsEvent::Message {
                compressed: true,
                kind: MessageKind::Text,
                frames: 1,
                ..
            }
        )));
    }
}

#[test]
fn no_context_takeover_resets_per_message_in_that_direction_only() {
    let texts = texts();
    let mut observer = observer(params(true, false));
    observer.feed(S2C, &compressed_stream(S2C, false, &texts));
    observer.feed(C2S, &compressed_stream(C2S, true, &texts));
    let events = drain(&mut observer);
    assert_eq!(errors(&events), vec![]);
    assert_eq!(messages(&events).len(), 2 * texts.len());
}

#[test]
fn a_reset_the_sender_did_not_make_breaks_later_messages() {
    // The observer believes in no context takeover, the sender keeps its context: the second
    // message references bytes the observer no longer has.
    let texts = texts();
    let mut observer = observer(params(true, true));
    observer.feed(S2C, &compressed_stream(S2C, true, &texts[..2]));
    let events = drain(&mut observer);
    assert_eq!(messages(&events)[..1], texts[..1]);
    assert_ne!(messages(&events), texts[..2]);
}

#[test]
fn fragmented_compressed_message_with_rsv1_on_the_first_frame_only() {
    let text: Vec<u8> = texts().concat();
    let payload = Sender::new(true).compress(&text);
    let (a, rest) = payload.split_at(payload.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    let mut bytes = frame(false, true, 1, a, Some(MASK));
    bytes.extend(frame(true, false, 9, b"", Some(MASK)));
    bytes.extend(frame(false, false, 0, b, Some(MASK)));
    bytes.extend(frame(true, false, 0, c, Some(MASK)));
    let mut observer = observer(DeflateParams::default());
    observer.feed(C2S, &bytes);
    let events = drain(&mut observer);
    assert_eq!(errors(&events), vec![]);
    assert_eq!(
        events.last(),
        Some(&WsEvent::Message {
            direction: C2S,
            kind: MessageKind::Text,
            data: text,
            compressed: true,
            frames: 3,
            offset: 0,
        })
    );
}

#[test]
fn uncompressed_messages_mix_with_compressed_ones() {
    let mut sender = Sender::new(true);
    let mut bytes = frame(true, true, 2, &sender.compress(&[1, 2, 3]), None);
    bytes.extend(frame(true, false, 2, &[4, 5], None));
    bytes.extend(frame(true, true, 1, &sender.compress(b""), None));
    bytes.extend(frame(true, true, 1, &sender.compress(b"abc"), None));
    let mut observer = observer(DeflateParams::default());
    observer.feed(S2C, &bytes);
    let events = drain(&mut observer);
    assert_eq!(errors(&events), vec![]);
    assert_eq!(
        messages(&events),
        vec![vec![1, 2, 3], vec![4, 5], vec![], b"abc".to_vec()]
    );
}

#[test]
fn rsv1_on_continuation_or_control_frames_is_reported() {
    let payload = Sender::new(true).compress(b"hello");
    let mut bytes = frame(false, true, 1, &payload[..2], None);
    bytes.extend(frame(true, true, 0, &payload[2..], None));
    bytes.extend(frame(true, true, 9, b"", None));
    let mut observer = observer(DeflateParams::default());
    observer.feed(S2C, &bytes);
    let events = drain(&mut observer);
    let second = 2 + 2;
    let third = bytes.len() as u64 - 2;
    assert_eq!(
        errors(&events),
        vec![
            (second, ErrorKind::MisplacedCompressionBit),
            (third, ErrorKind::MisplacedCompressionBit)
        ]
    );
    assert_eq!(messages(&events), vec![b"hello".to_vec()]);
}

#[test]
fn a_message_that_does_not_inflate() {
    let mut sender = Sender::new(false);
    // 0xff: a block type 3, which does not exist.
    let mut bytes = frame(true, true, 1, &[0xff, 0xff, 0xff], None);
    bytes.extend(frame(true, true, 1, &sender.compress(b"next"), None));
    let mut observer = observer(params(true, true));
    observer.feed(S2C, &bytes);
    let events = drain(&mut observer);
    assert_eq!(errors(&events), vec![(0, ErrorKind::InflateFailed)]);
    assert_eq!(messages(&events), vec![b"next".to_vec()]);
}

#[test]
fn a_compression_bomb_stops_at_the_limit() {
    let zeros = vec![0u8; 8 << 20];
    for takeover in [true, false] {
        let mut sender = Sender::new(takeover);
        let bomb = sender.compress(&zeros);
        assert!(bomb.len() < 64 << 10, "{}", bomb.len());
        let mut bytes = frame(true, true, 2, &bomb, Some(MASK));
        let second = bytes.len() as u64;
        bytes.extend(frame(true, true, 1, &sender.compress(b"after"), Some(MASK)));
        let mut observer = Observer::new(Config::default().with_max_message_size(1 << 20));
        observer.set_extensions(Extensions {
            permessage_deflate: Some(params(false, !takeover)),
        });
        // In pieces, so the limit applies across frames' chunks too.
        for piece in bytes.chunks(1000) {
            observer.feed(C2S, piece);
        }
        let events = drain(&mut observer);
        if takeover {
            assert_eq!(
                errors(&events),
                vec![
                    (0, ErrorKind::MessageTooLarge),
                    (second, ErrorKind::InflateContextLost)
                ]
            );
            assert!(messages(&events).is_empty());
        } else {
            assert_eq!(errors(&events), vec![(0, ErrorKind::MessageTooLarge)]);
            assert_eq!(messages(&events), vec![b"after".to_vec()]);
        }
    }
}

#[test]
fn a_final_block_starts_a_new_stream() {
    // A sender may end a message with BFINAL set (RFC 7692 section 7.2.3.4): the next message
    // is a new deflate stream even under context takeover.
    let mut first = Compress::new(Compression::default(), false);
    let mut payload = Vec::with_capacity(256);
    first
        .compress_vec(b"first", &mut payload, FlushCompress::Finish)
        .unwrap();
    let mut bytes = frame(true, true, 1, &payload, None);
    bytes.extend(frame(
        true,
        true,
        1,
        &Sender::new(true).compress(b"second"),
        None,
    ));
    let mut observer = observer(DeflateParams::default());
    observer.feed(S2C, &bytes);
    let events = drain(&mut observer);
    assert_eq!(errors(&events), vec![]);
    assert_eq!(
        messages(&events),
        vec![b"first".to_vec(), b"second".to_vec()]
    );
}

#[test]
fn small_window_bits_inflate_with_the_full_window() {
    // Short messages without context takeover never reference further back than 256 bytes:
    // a valid stream for window bits 8, which the observer reads with its 32 KiB window.
    let texts = texts();
    assert!(texts.iter().all(|t| t.len() < 256));
    let mut observer = Observer::new(Config::default());
    let ext = observer
        .handshake(
            [("sec-websocket-extensions", &b"permessage-deflate; client_max_window_bits"[..])],
            [(
                "Sec-WebSocket-Extensions",
                &b"permessage-deflate; server_max_window_bits=8; server_no_context_takeover; client_max_window_bits=8; client_no_context_takeover"[..],
            )],
        )
        .unwrap();
    let deflate = ext.permessage_deflate.unwrap();
    assert_eq!(deflate.max_window_bits(S2C), 8);
    observer.feed(S2C, &compressed_stream(S2C, false, &texts));
    observer.feed(C2S, &compressed_stream(C2S, false, &texts));
    let events = drain(&mut observer);
    assert_eq!(errors(&events), vec![]);
    assert_eq!(messages(&events).len(), 2 * texts.len());
}

#[test]
fn a_failed_handshake_leaves_no_extension() {
    let mut observer = Observer::new(Config::default());
    let result = observer.handshake(
        [],
        [("Sec-WebSocket-Extensions", &b"permessage-deflate"[..])],
    );
    assert!(result.is_err());
    assert_eq!(observer.extensions(), Extensions::default());
    observer.feed(S2C, &frame(true, true, 1, b"x", None));
    assert_eq!(
        errors(&drain(&mut observer)),
        vec![(0, ErrorKind::ReservedBits)]
    );
}
