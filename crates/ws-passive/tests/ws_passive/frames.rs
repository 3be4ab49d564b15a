//! RFC 6455 rules, one test each, through the public API.

use ws_passive::{Config, ErrorKind, MessageKind, Observer, WsEvent};

use crate::{C2S, MASK, S2C, errors, frame, messages, observe, sent};

#[test]
fn text_and_binary_messages_both_ways() {
    let mut bytes = sent(C2S, true, 1, b"42[\"a\"]");
    bytes.extend(sent(C2S, true, 2, &[0, 1, 2, 255]));
    let events = observe(C2S, &bytes, true);
    assert_eq!(
        events,
        vec![
            WsEvent::Message {
                direction: C2S,
                kind: MessageKind::Text,
                data: b"42[\"a\"]".to_vec(),
                compressed: false,
                frames: 1,
                offset: 0,
            },
            WsEvent::Message {
                direction: C2S,
                kind: MessageKind::Binary,
                data: vec![0, 1, 2, 255],
                compressed: false,
                frames: 1,
                offset: 13,
            },
        ]
    );
    let events = observe(S2C, &sent(S2C, true, 1, b"3"), true);
    assert_eq!(messages(&events), vec![b"3".to_vec()]);
    assert!(errors(&events).is_empty());
}

#[test]
fn sixteen_and_sixty_four_bit_lengths() {
    for len in [125, 126, 65535, 65536, 200_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let events = observe(C2S, &sent(C2S, true, 2, &payload), true);
        assert_eq!(messages(&events), vec![payload], "length {len}");
        assert!(errors(&events).is_empty(), "length {len}");
    }
}

#[test]
fn non_minimal_length_is_reported_and_read() {
    let mut bytes = vec![0x82, 126, 0, 3];
    bytes.extend_from_slice(b"abc");
    let events = observe(S2C, &bytes, true);
    assert_eq!(errors(&events), vec![(0, ErrorKind::NonMinimalLength)]);
    assert_eq!(messages(&events), vec![b"abc".to_vec()]);
}

#[test]
fn masking_rules_are_reported_but_frames_still_read() {
    let events = observe(C2S, &frame(true, false, 1, b"hi", None), true);
    assert_eq!(errors(&events), vec![(0, ErrorKind::UnmaskedClientFrame)]);
    assert_eq!(messages(&events), vec![b"hi".to_vec()]);
    let events = observe(S2C, &frame(true, false, 1, b"hi", Some(MASK)), true);
    assert_eq!(errors(&events), vec![(0, ErrorKind::MaskedServerFrame)]);
    assert_eq!(messages(&events), vec![b"hi".to_vec()]);
}

#[test]
fn fragments_with_control_frames_interleaved() {
    let mut bytes = sent(C2S, false, 1, b"42[\"he");
    bytes.extend(sent(C2S, true, 9, b"ping"));
    bytes.extend(sent(C2S, false, 0, b"llo\",\"w"));
    bytes.extend(sent(C2S, true, 10, b""));
    bytes.extend(sent(C2S, true, 0, "ở\"]".as_bytes()));
    let events = observe(C2S, &bytes, true);
    assert_eq!(
        events,
        vec![
            WsEvent::Ping {
                direction: C2S,
                data: b"ping".to_vec()
            },
            WsEvent::Pong {
                direction: C2S,
                data: vec![]
            },
            WsEvent::Message {
                direction: C2S,
                kind: MessageKind::Text,
                data: "42[\"hello\",\"wở\"]".as_bytes().to_vec(),
                compressed: false,
                frames: 3,
                offset: 0,
            },
        ]
    );
}

#[test]
fn utf8_is_checked_per_message_not_per_frame() {
    // "ở" is three bytes; split across two fragments it is still valid.
    let text = "ở".as_bytes();
    let mut bytes = sent(S2C, false, 1, &text[..1]);
    bytes.extend(sent(S2C, true, 0, &text[1..]));
    let events = observe(S2C, &bytes, true);
    assert!(errors(&events).is_empty());
    assert_eq!(messages(&events), vec![text.to_vec()]);
    // Truncated UTF-8 at the end of a message is an error; the bytes are kept.
    let events = observe(S2C, &sent(S2C, true, 1, &text[..2]), true);
    assert_eq!(errors(&events), vec![(0, ErrorKind::InvalidUtf8)]);
    assert_eq!(messages(&events), vec![text[..2].to_vec()]);
    // Binary messages are not checked.
    let events = observe(S2C, &sent(S2C, true, 2, &[0xff]), true);
    assert!(errors(&events).is_empty());
}

#[test]
fn close_code_and_reason() {
    let mut payload = 1000u16.to_be_bytes().to_vec();
    payload.extend_from_slice("tạm biệt".as_bytes());
    let events = observe(S2C, &sent(S2C, true, 8, &payload), true);
    assert_eq!(
        events,
        vec![WsEvent::Close {
            direction: S2C,
            code: Some(1000),
            reason: "tạm biệt".into()
        }]
    );
    let events = observe(C2S, &sent(C2S, true, 8, &[]), true);
    assert_eq!(
        events,
        vec![WsEvent::Close {
            direction: C2S,
            code: None,
            reason: String::new()
        }]
    );
}

#[test]
fn bad_close_payloads_are_reported() {
    let events = observe(S2C, &sent(S2C, true, 8, &[3]), true);
    assert_eq!(errors(&events), vec![(0, ErrorKind::InvalidClosePayload)]);
    assert!(matches!(
        events.last(),
        Some(WsEvent::Close { code: None, .. })
    ));
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 2000, 5000] {
        let events = observe(S2C, &sent(S2C, true, 8, &code.to_be_bytes()), true);
        assert_eq!(
            errors(&events),
            vec![(0, ErrorKind::InvalidCloseCode(code))]
        );
    }
    for code in [1000u16, 1001, 1011, 1012, 3000, 4999] {
        let events = observe(S2C, &sent(S2C, true, 8, &code.to_be_bytes()), true);
        assert!(errors(&events).is_empty(), "{code}");
    }
    let events = observe(S2C, &sent(S2C, true, 8, &[0x03, 0xe8, 0xff, b'x']), true);
    assert_eq!(errors(&events), vec![(0, ErrorKind::InvalidCloseReason)]);
    assert!(matches!(
        events.last(),
        Some(WsEvent::Close { code: Some(1000), reason, .. }) if reason == "\u{fffd}x"
    ));
}

#[test]
fn data_after_close_is_reported() {
    let mut bytes = sent(S2C, true, 8, &1000u16.to_be_bytes());
    bytes.extend(sent(S2C, true, 1, b"late"));
    let events = observe(S2C, &bytes, true);
    assert_eq!(errors(&events), vec![(4, ErrorKind::FrameAfterClose)]);
    assert_eq!(messages(&events), vec![b"late".to_vec()]);
}

#[test]
fn fatal_header_errors_stop_only_that_direction() {
    let cases: [(Vec<u8>, ErrorKind); 6] = [
        (vec![0x83, 0x00], ErrorKind::ReservedOpcode(3)),
        (vec![0x8b, 0x00], ErrorKind::ReservedOpcode(0xb)),
        (vec![0xa1, 0x00], ErrorKind::ReservedBits),
        (vec![0xc1, 0x00], ErrorKind::ReservedBits),
        (vec![0x09, 0x00], ErrorKind::FragmentedControlFrame),
        (vec![0x89, 126, 0, 126], ErrorKind::ControlFrameTooLong),
    ];
    for (garbage, kind) in cases {
        assert!(kind.is_fatal());
        let mut observer = Observer::new(Config::default());
        let mut bytes = sent(S2C, true, 1, b"ok");
        bytes.extend_from_slice(&garbage);
        bytes.extend(sent(S2C, true, 1, b"ignored"));
        observer.feed(S2C, &bytes);
        observer.feed(C2S, &sent(C2S, true, 1, b"other way"));
        assert!(!observer.is_decoding(S2C));
        assert!(observer.is_decoding(C2S));
        assert_eq!(observer.offset(S2C), bytes.len() as u64);
        let events = crate::drain(&mut observer);
        assert_eq!(errors(&events), vec![(4, kind)], "{garbage:?}");
        assert_eq!(
            messages(&events),
            vec![b"ok".to_vec(), b"other way".to_vec()]
        );
    }
    let mut huge = vec![0x82, 127];
    huge.extend_from_slice(&u64::MAX.to_be_bytes());
    let events = observe(S2C, &huge, true);
    assert_eq!(errors(&events), vec![(0, ErrorKind::LengthOverflow)]);
}

#[test]
fn continuation_rules() {
    let events = observe(S2C, &sent(S2C, true, 0, b"orphan"), true);
    assert_eq!(
        errors(&events),
        vec![(0, ErrorKind::UnexpectedContinuation)]
    );
    assert!(messages(&events).is_empty());
    // A new message while one is open: the open one is dropped.
    let mut bytes = sent(S2C, false, 1, b"dropped");
    bytes.extend(sent(S2C, true, 1, b"kept"));
    let events = observe(S2C, &bytes, true);
    assert_eq!(errors(&events), vec![(9, ErrorKind::UnfinishedMessage)]);
    assert_eq!(messages(&events), vec![b"kept".to_vec()]);
}

#[test]
fn oversized_messages_are_skipped_without_buffering() {
    let config = Config::default().with_max_message_size(10);
    let mut observer = Observer::new(config);
    let mut bytes = sent(C2S, false, 2, b"123456");
    bytes.extend(sent(C2S, true, 9, b"p"));
    bytes.extend(sent(C2S, true, 0, b"789012"));
    let second = bytes.len() as u64;
    bytes.extend(sent(C2S, true, 1, b"0123456789"));
    observer.feed(C2S, &bytes);
    let events = crate::drain(&mut observer);
    assert_eq!(errors(&events), vec![(19, ErrorKind::MessageTooLarge)]);
    assert!(matches!(events[0], WsEvent::Ping { .. }));
    let WsEvent::Message { data, offset, .. } = &events[2] else {
        panic!("{events:?}");
    };
    assert_eq!((data.as_slice(), *offset), (&b"0123456789"[..], second));
    // A frame announcing more than the limit is skipped from its header on.
    let mut huge = vec![0x82, 127];
    huge.extend_from_slice(&(1u64 << 40).to_be_bytes());
    huge.extend_from_slice(&[0; 100]);
    let mut observer = Observer::new(config);
    observer.feed(S2C, &huge);
    assert_eq!(
        errors(&crate::drain(&mut observer)),
        vec![(0, ErrorKind::MessageTooLarge)]
    );
    assert!(observer.is_decoding(S2C));
}

#[test]
fn end_of_stream_mid_frame_and_mid_message() {
    let whole = sent(S2C, true, 1, b"hello");
    for cut in 1..whole.len() {
        let events = observe(S2C, &whole[..cut], true);
        assert_eq!(
            errors(&events),
            vec![(0, ErrorKind::Truncated)],
            "cut at {cut}"
        );
    }
    let mut bytes = sent(S2C, false, 1, b"hel");
    bytes.extend(sent(S2C, true, 9, b""));
    let events = observe(S2C, &bytes, true);
    assert_eq!(errors(&events), vec![(0, ErrorKind::EndedMidMessage)]);
    // At a message boundary, the end is clean; a second finish reports nothing.
    let mut observer = Observer::new(Config::default());
    observer.feed(S2C, &whole);
    observer.finish(S2C);
    observer.finish(S2C);
    assert!(errors(&crate::drain(&mut observer)).is_empty());
    assert!(!observer.is_decoding(S2C));
}

#[test]
fn rsv1_without_deflate_is_fatal() {
    let events = observe(S2C, &frame(true, true, 1, b"x", None), true);
    assert_eq!(errors(&events), vec![(0, ErrorKind::ReservedBits)]);
}
