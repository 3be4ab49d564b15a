//! Malformed inputs give the expected error kind and byte offset.

use sio_wire::engine::{
    decode_polling_payload, decode_polling_payload_bytes, decode_polling_payload_v3,
    decode_text_frame, decode_text_frame_bytes,
};
use sio_wire::socket::decode_socket_packet_with;
use sio_wire::{
    EngineErrorKind, JsonErrorKind, Limits, SocketErrorKind, WireError, decode_message,
    decode_message_bytes, decode_socket_packet,
};

use crate::{engine_err, socket_err};

/// `(layer, kind, offset)` of a [`decode_message`] error.
fn wire_err(frame: &str) -> String {
    match decode_message(frame) {
        Ok(f) => panic!("{frame:?} decoded to {f:?}"),
        Err(WireError::Engine(e)) => format!("engine {:?} @{}", e.kind(), e.offset()),
        Err(WireError::Socket(e)) => format!("socket {:?} @{}", e.kind(), e.offset()),
    }
}

#[test]
fn empty_frame() {
    assert_eq!(
        engine_err(decode_text_frame("")),
        (EngineErrorKind::Empty, 0)
    );
    assert_eq!(
        socket_err(decode_socket_packet("")),
        (SocketErrorKind::Empty, 0)
    );
    assert_eq!(wire_err(""), "engine Empty @0");
    assert_eq!(wire_err("4"), "socket Empty @1");
}

#[test]
fn unknown_type_digit() {
    assert_eq!(
        engine_err(decode_text_frame("7")),
        (EngineErrorKind::UnknownPacketType, 0)
    );
    assert_eq!(
        engine_err(decode_text_frame("x4")),
        (EngineErrorKind::UnknownPacketType, 0)
    );
    assert_eq!(
        socket_err(decode_socket_packet("7[\"a\"]")),
        (SocketErrorKind::UnknownPacketType, 0)
    );
    assert_eq!(wire_err("47[\"a\"]"), "socket UnknownPacketType @1");
    assert_eq!(wire_err("4/chatomni,"), "socket UnknownPacketType @1");
}

#[test]
fn namespace_without_comma() {
    assert_eq!(
        socket_err(decode_socket_packet(r#"2/admin["foo"]"#)),
        (SocketErrorKind::NamespaceUnterminated, 7)
    );
    assert_eq!(
        socket_err(decode_socket_packet(r#"0/admin{"token":"1"}"#)),
        (SocketErrorKind::NamespaceUnterminated, 7)
    );
    assert_eq!(
        wire_err(r#"42/chatomni["on-events","x"]"#),
        "socket NamespaceUnterminated @11"
    );
    // The comma inside the payload does not end the namespace early.
    assert_eq!(
        socket_err(decode_socket_packet(r#"2/admin{"a":1,"b":2}"#)),
        (SocketErrorKind::NamespaceUnterminated, 7)
    );
    assert_eq!(
        socket_err(decode_socket_packet(r#"2/admin12["a","b"]"#)),
        (SocketErrorKind::NamespaceUnterminated, 9)
    );
}

#[test]
fn namespace_too_long() {
    let mut limits = Limits::default();
    limits.max_namespace_len = 8;
    assert!(decode_socket_packet_with("2/1234567,[\"a\"]", &limits).is_ok());
    assert_eq!(
        socket_err(decode_socket_packet_with("2/12345678,[\"a\"]", &limits)),
        (SocketErrorKind::NamespaceTooLong, 1)
    );
    assert_eq!(
        socket_err(decode_socket_packet_with("1/12345678", &limits)),
        (SocketErrorKind::NamespaceTooLong, 1)
    );
    let long = format!("2/{},[\"a\"]", "n".repeat(300));
    assert_eq!(
        socket_err(decode_socket_packet(&long)),
        (SocketErrorKind::NamespaceTooLong, 1)
    );
}

#[test]
fn ack_id_overflow_and_range() {
    // u64::MAX + 1
    assert_eq!(
        socket_err(decode_socket_packet(r#"218446744073709551616["a"]"#)),
        (SocketErrorKind::AckIdOverflow, 1)
    );
    assert_eq!(
        wire_err(r#"42/chatomni,99999999999999999999999["a"]"#),
        "socket AckIdOverflow @12"
    );
    // 2^53 is above the default limit (JavaScript's largest safe integer is 2^53 - 1).
    assert_eq!(
        socket_err(decode_socket_packet(r#"29007199254740992["a"]"#)),
        (SocketErrorKind::AckIdOutOfRange, 1)
    );
    let p = decode_socket_packet(r#"29007199254740991["a"]"#).unwrap();
    assert_eq!(p.ack_id, Some(9_007_199_254_740_991));
    let p =
        decode_socket_packet_with(r#"218446744073709551615["a"]"#, &Limits::permissive()).unwrap();
    assert_eq!(p.ack_id, Some(u64::MAX));
}

#[test]
fn attachment_count_without_dash() {
    assert_eq!(
        socket_err(decode_socket_packet(
            r#"51["baz",{"_placeholder":true,"num":0}]"#
        )),
        (SocketErrorKind::AttachmentCountUnterminated, 2)
    );
    assert_eq!(
        wire_err(r#"451/admin,["baz"]"#),
        "socket AttachmentCountUnterminated @3"
    );
    assert_eq!(
        socket_err(decode_socket_packet(r#"5-["baz"]"#)),
        (SocketErrorKind::MissingAttachmentCount, 1)
    );
    assert_eq!(
        socket_err(decode_socket_packet("6")),
        (SocketErrorKind::MissingAttachmentCount, 1)
    );
    assert_eq!(
        socket_err(decode_socket_packet(r#"565-["baz"]"#)),
        (SocketErrorKind::TooManyAttachments, 1)
    );
    assert_eq!(
        socket_err(decode_socket_packet(r#"599999999999999999999999-["baz"]"#)),
        (SocketErrorKind::TooManyAttachments, 1)
    );
    assert!(decode_socket_packet(r#"564-["baz"]"#).is_ok());
}

#[test]
fn truncated_json() {
    let frame = r#"42/chatomni,["on-events","{\"Conversation\":{\"Id\":"#;
    assert_eq!(
        wire_err(frame),
        format!("socket Json(UnexpectedEnd) @{}", frame.len())
    );
    assert_eq!(
        socket_err(decode_socket_packet(r#"2["a","#)),
        (SocketErrorKind::Json(JsonErrorKind::UnexpectedEnd), 6)
    );
    assert_eq!(
        socket_err(decode_socket_packet(r#"2["a"#)),
        (SocketErrorKind::Json(JsonErrorKind::UnexpectedEnd), 4)
    );
    assert_eq!(
        socket_err(decode_socket_packet(r#"0{"token":"#)),
        (SocketErrorKind::Json(JsonErrorKind::UnexpectedEnd), 10)
    );
}

#[test]
fn trailing_garbage_after_json() {
    assert_eq!(
        socket_err(decode_socket_packet(r#"2["a"]x"#)),
        (SocketErrorKind::Json(JsonErrorKind::TrailingCharacters), 6)
    );
    assert_eq!(
        wire_err(r#"42/chatomni,["on-events","x"]]"#),
        "socket Json(TrailingCharacters) @29"
    );
    assert_eq!(
        socket_err(decode_socket_packet(r#"2["a"] ["b"]"#)),
        (SocketErrorKind::Json(JsonErrorKind::TrailingCharacters), 7)
    );
}

#[test]
fn invalid_utf8_in_text_paths() {
    assert_eq!(
        engine_err(decode_text_frame_bytes(b"42[\"caf\xc3\"]")),
        (EngineErrorKind::InvalidUtf8, 7)
    );
    assert_eq!(
        engine_err(decode_text_frame_bytes(b"\xff")),
        (EngineErrorKind::InvalidUtf8, 0)
    );
    match decode_message_bytes(b"42/chatomni,[\"on-events\",\"\xed\xa0\x80\"]") {
        Err(WireError::Engine(e)) => {
            assert_eq!((e.kind(), e.offset()), (EngineErrorKind::InvalidUtf8, 26));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        engine_err(decode_polling_payload_bytes(b"4a\x1e4\xc0\xaf").map(|_| ())),
        (EngineErrorKind::InvalidUtf8, 4)
    );
    assert!(decode_message_bytes("42[\"Thảo Tây\"]".as_bytes()).is_ok());
}

#[test]
fn bad_base64_after_b() {
    let first_err = |payload| {
        decode_polling_payload(payload)
            .find_map(Result::err)
            .expect("an error")
    };
    let e = first_err("4hello\x1ebAQID!A==");
    assert_eq!((e.kind(), e.offset()), (EngineErrorKind::InvalidBase64, 12));
    let e = first_err("bAQIDBA=");
    assert_eq!((e.kind(), e.offset()), (EngineErrorKind::InvalidBase64, 8));
    let e = first_err("bAQIDBB==");
    assert_eq!((e.kind(), e.offset()), (EngineErrorKind::InvalidBase64, 6));
    let e = first_err("b-_8=");
    assert_eq!((e.kind(), e.offset()), (EngineErrorKind::InvalidBase64, 1));
}

#[test]
fn v3_length_longer_than_the_payload() {
    let e = decode_polling_payload_v3("6:4hello7:4hello")
        .find_map(Result::err)
        .expect("an error");
    assert_eq!(
        (e.kind(), e.offset()),
        (EngineErrorKind::LengthExceedsPayload, 8)
    );
    let e = decode_polling_payload_v3("100:4")
        .find_map(Result::err)
        .expect("an error");
    assert_eq!(
        (e.kind(), e.offset()),
        (EngineErrorKind::LengthExceedsPayload, 0)
    );
}

#[test]
fn payload_shape_per_packet_type() {
    use SocketErrorKind::InvalidPayload;
    let cases = [
        ("2", 1),
        ("2[]", 1),
        ("2{}", 1),
        ("2[{}]", 1),
        (r#"2"a""#, 1),
        ("3", 1),
        ("3{}", 1),
        (r#"1["a"]"#, 1),
        ("0[]", 1),
        (r#"0"x""#, 1),
        ("4", 1),
        ("4[]", 1),
        (r#"2/admin,1{}"#, 9),
    ];
    for (text, offset) in cases {
        assert_eq!(
            socket_err(decode_socket_packet(text)),
            (InvalidPayload, offset),
            "{text}"
        );
    }
    for ok in [r#"2[1]"#, r#"4"Not authorized""#, "3[]", r#"0{}"#, "0", "1"] {
        assert!(decode_socket_packet(ok).is_ok(), "{ok}");
    }
}

#[test]
fn errors_display_kind_and_offset() {
    let e = decode_message(r#"42/chatomni,["on-events""#).expect_err("truncated");
    assert_eq!(e.to_string(), "Socket.IO: JSON ends too early at byte 24");
    let e = decode_message("9").expect_err("unknown");
    assert_eq!(
        e.to_string(),
        "Engine.IO: unknown Engine.IO packet type at byte 0"
    );
    let e = decode_text_frame(r#"0{"sid":1}"#).expect_err("bad sid");
    assert_eq!(e.to_string(), "invalid handshake field `sid` at byte 8");
    let e = decode_message("").expect_err("empty");
    assert!(std::error::Error::source(&e).is_some());
}
