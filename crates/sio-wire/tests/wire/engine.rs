//! Engine.IO packets, the handshake and polling payloads (beyond the README's examples).

use base64::Engine as _;
use sio_wire::engine::{
    Base64Data, EnginePacket, EnginePacketType, Handshake, PollingPacket, Upgrades,
    decode_binary_frame, decode_binary_frame_v3, decode_polling_payload, decode_polling_payload_v3,
    decode_text_frame, encode_binary_frame_v3, encode_polling_payload, encode_text_frame,
};
use sio_wire::{EngineErrorKind, HandshakeField, Payload};

use crate::engine_err;

/// The names of the protocol's table, in type order: what transcripts and `decode` print.
#[test]
fn type_names_follow_the_protocol_table() {
    let names: Vec<_> = (0..=6u8)
        .map(|n| EnginePacketType::from_number(n).unwrap().name())
        .collect();
    assert_eq!(
        names,
        [
            "open", "close", "ping", "pong", "message", "upgrade", "noop"
        ]
    );
}

#[test]
fn type_digits_round_trip() {
    for n in 0..=6u8 {
        let kind = EnginePacketType::from_number(n).unwrap();
        assert_eq!(kind.as_number(), n);
        assert_eq!(kind.as_digit(), b'0' + n);
        assert_eq!(EnginePacketType::from_digit(b'0' + n), Some(kind));
    }
    assert_eq!(EnginePacketType::from_digit(b'7'), None);
    assert_eq!(EnginePacketType::from_digit(b'/'), None);
    assert_eq!(EnginePacketType::from_digit(0), None);
    assert_eq!(EnginePacketType::from_number(7), None);
}

#[test]
fn every_packet_type_decodes_and_encodes() {
    let cases = [
        ("1", EnginePacket::Close),
        ("2", EnginePacket::Ping("")),
        ("2probe", EnginePacket::Ping("probe")),
        ("3", EnginePacket::Pong("")),
        ("3probe", EnginePacket::Pong("probe")),
        ("4", EnginePacket::text("")),
        ("4hello", EnginePacket::text("hello")),
        ("4Thảo Tây €😀", EnginePacket::text("Thảo Tây €😀")),
        ("5", EnginePacket::Upgrade),
        ("6", EnginePacket::Noop),
    ];
    for (frame, packet) in cases {
        assert_eq!(decode_text_frame(frame).unwrap(), packet, "{frame}");
        assert_eq!(packet.packet_type().as_digit(), frame.as_bytes()[0]);
        let mut out = String::new();
        encode_text_frame(&packet, &mut out).unwrap();
        assert_eq!(out, frame);
    }
}

#[test]
fn binary_frames() {
    assert_eq!(
        decode_binary_frame(&[1, 2, 3, 4]),
        EnginePacket::Message(Payload::Binary(&[1, 2, 3, 4]))
    );
    assert_eq!(decode_binary_frame(&[]), EnginePacket::binary(&[]));
    let mut out = String::from("keep");
    assert_eq!(
        engine_err(encode_text_frame(&EnginePacket::binary(&[1]), &mut out)),
        (EngineErrorKind::BinaryInTextFrame, 0)
    );
    assert_eq!(out, "keep", "nothing is appended on error");
}

#[test]
fn data_on_dataless_packets_is_rejected() {
    for frame in ["1x", "5probe", "6 "] {
        assert_eq!(
            engine_err(decode_text_frame(frame)),
            (EngineErrorKind::UnexpectedData, 1)
        );
    }
}

#[test]
fn v3_binary_frames() {
    assert_eq!(
        decode_binary_frame_v3(&[4, 1, 2]).unwrap(),
        EnginePacket::binary(&[1, 2])
    );
    assert_eq!(
        engine_err(decode_binary_frame_v3(&[])),
        (EngineErrorKind::Empty, 0)
    );
    assert_eq!(
        engine_err(decode_binary_frame_v3(&[b'4', 1])),
        (EngineErrorKind::BinaryNotMessage, 0)
    );
    let mut out = Vec::new();
    encode_binary_frame_v3(&[1, 2], &mut out);
    assert_eq!(out, [4, 1, 2]);
}

#[test]
fn handshake_of_rt2() {
    let frame = r#"0{"sid":"4RK_z0D5LofuOO3tR9vW","upgrades":[],"pingInterval":25000,"pingTimeout":60000,"maxPayload":1000000}"#;
    let EnginePacket::Open(h) = decode_text_frame(frame).unwrap() else {
        panic!("not an open packet")
    };
    assert_eq!(h.sid, "4RK_z0D5LofuOO3tR9vW");
    assert!(h.upgrades.is_empty());
    assert_eq!((h.ping_interval, h.ping_timeout), (25000, 60000));
    assert_eq!(h.max_payload, Some(1_000_000));
    let mut out = String::new();
    encode_text_frame(&EnginePacket::Open(h.clone()), &mut out).unwrap();
    assert_eq!(out, frame);
    let owned: Handshake<'static> = h.clone().into_owned();
    assert_eq!(owned, h);
}

#[test]
fn handshake_tolerates_unknown_fields_and_whitespace() {
    let h = Handshake::decode(
        r#" { "sid" : "a\u0062", "upgrades" : ["websocket", "webtransport"], "extra": {"x":[1]}, "pingInterval": 1, "pingTimeout": 2 } "#,
    )
    .unwrap();
    assert_eq!(h.sid, "ab");
    assert!(h.upgrades.contains("websocket"));
    assert!(!h.upgrades.contains("polling"));
    assert_eq!(
        h.upgrades.iter().collect::<Vec<_>>(),
        ["websocket", "webtransport"]
    );
    assert_eq!(h.max_payload, None);
    let mut out = String::new();
    h.encode(&mut out);
    assert_eq!(
        out,
        r#"{"sid":"ab","upgrades":["websocket", "webtransport"],"pingInterval":1,"pingTimeout":2}"#
    );
    let built = Handshake::new("x\"y", Upgrades::websocket(), 25000, 20000, Some(1_000_000));
    let mut out = String::new();
    built.encode(&mut out);
    assert_eq!(
        out,
        r#"{"sid":"x\"y","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
    );
    assert_eq!(Handshake::decode(&out).unwrap(), built);
    assert!(Upgrades::none().is_empty());
}

#[test]
fn handshake_missing_and_invalid_fields() {
    use EngineErrorKind::*;
    let cases: &[(&str, EngineErrorKind, usize)] = &[
        (
            r#"0{"sid":"a","upgrades":[],"pingInterval":1}"#,
            HandshakeMissingField(HandshakeField::PingTimeout),
            1,
        ),
        (
            r#"0{"upgrades":[],"pingInterval":1,"pingTimeout":1}"#,
            HandshakeMissingField(HandshakeField::Sid),
            1,
        ),
        (
            r#"0{"sid":1}"#,
            HandshakeInvalidField(HandshakeField::Sid),
            8,
        ),
        (
            r#"0{"sid":"a","upgrades":[1]}"#,
            HandshakeInvalidField(HandshakeField::Upgrades),
            23,
        ),
        (
            r#"0{"sid":"a","upgrades":"websocket"}"#,
            HandshakeInvalidField(HandshakeField::Upgrades),
            23,
        ),
        (
            r#"0{"pingInterval":2.5}"#,
            HandshakeInvalidField(HandshakeField::PingInterval),
            17,
        ),
        (
            r#"0{"pingTimeout":-1}"#,
            HandshakeInvalidField(HandshakeField::PingTimeout),
            16,
        ),
        (
            r#"0{"maxPayload":"1e6"}"#,
            HandshakeInvalidField(HandshakeField::MaxPayload),
            15,
        ),
        (r#"0 ["sid"]"#, HandshakeNotObject, 2),
        ("0", Json(sio_wire::JsonErrorKind::UnexpectedEnd), 1),
        (
            r#"0{"sid":"a""#,
            Json(sio_wire::JsonErrorKind::UnexpectedEnd),
            11,
        ),
    ];
    for &(frame, kind, offset) in cases {
        assert_eq!(
            engine_err(decode_text_frame(frame)),
            (kind, offset),
            "{frame}"
        );
    }
}

fn polling(payload: &str) -> Result<Vec<PollingPacket<'_>>, sio_wire::EngineError> {
    decode_polling_payload(payload).collect()
}

fn polling_v3(payload: &str) -> Result<Vec<PollingPacket<'_>>, sio_wire::EngineError> {
    decode_polling_payload_v3(payload).collect()
}

#[test]
fn base64_validation_matches_the_base64_crate() {
    for text in [
        "",
        "AQIDBA==",
        "AQID",
        "AQI=",
        "AA==",
        "AB==",
        "AQJ=",
        "A===",
        "====",
        "AQ=D",
        "AQ",
        "AQIDB",
        "ab+/",
        "ab-_",
        "AQ\u{e9}=",
        "=AAA",
        "AAA=",
        "AAAA====",
        "AA=A",
    ] {
        let ours = Base64Data::new(text).is_ok();
        let theirs = base64::engine::general_purpose::STANDARD
            .decode(text)
            .is_ok();
        assert_eq!(ours, theirs, "{text:?}");
    }
}

#[test]
fn polling_v4_binary_records() {
    let packets = polling("bAQIDBA==\x1eb\x1e4x").unwrap();
    let PollingPacket::Base64(data) = packets[0] else {
        panic!("not binary")
    };
    assert_eq!(data.as_str(), "AQIDBA==");
    assert_eq!(data.decoded_len(), 4);
    let mut bytes = vec![9];
    data.decode_into(&mut bytes).unwrap();
    assert_eq!(bytes, [9, 1, 2, 3, 4], "decode_into appends");
    let PollingPacket::Base64(empty) = packets[1] else {
        panic!("not binary")
    };
    assert_eq!(empty.decoded_len(), 0);
    let mut out = String::new();
    encode_polling_payload(packets.iter(), &mut out).unwrap();
    assert_eq!(out, "bAQIDBA==\x1eb\x1e4x");
}

#[test]
fn polling_v4_errors() {
    assert_eq!(
        engine_err(polling("4a\x1ebAQ*DBA==")),
        (EngineErrorKind::InvalidBase64, 6)
    );
    assert_eq!(
        engine_err(polling("bAQIDBA")),
        (EngineErrorKind::InvalidBase64, 7)
    );
    assert_eq!(
        engine_err(polling("bAB==")),
        (EngineErrorKind::InvalidBase64, 2)
    );
    assert_eq!(polling("").unwrap(), []);
    assert_eq!(
        engine_err(polling("4a\x1e\x1e2")),
        (EngineErrorKind::Empty, 3)
    );
    assert_eq!(engine_err(polling("4a\x1e")), (EngineErrorKind::Empty, 3));
    assert_eq!(
        engine_err(polling("4a\x1e9")),
        (EngineErrorKind::UnknownPacketType, 3)
    );
    let mut it = decode_polling_payload("9\x1e4a");
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none(), "the iterator stops after an error");
    let mut out = String::new();
    assert_eq!(
        engine_err(encode_polling_payload(
            [EnginePacket::Ping(""), EnginePacket::text("a\x1eb")],
            &mut out
        )),
        (EngineErrorKind::RecordSeparatorInData, 4)
    );
}

#[test]
fn polling_v3_lengths_count_utf16_units() {
    assert_eq!(
        polling_v3("3:4😀").unwrap(),
        [PollingPacket::Packet(EnginePacket::text("😀"))]
    );
    assert_eq!(
        engine_err(polling_v3("2:4😀")),
        (EngineErrorKind::LengthSplitsCharacter, 0)
    );
    assert_eq!(
        polling_v3("1:21:3").unwrap(),
        [
            PollingPacket::Packet(EnginePacket::Ping("")),
            PollingPacket::Packet(EnginePacket::Pong(""))
        ]
    );
    assert_eq!(polling_v3("").unwrap(), []);
}

#[test]
fn polling_v3_malformed_lengths() {
    use EngineErrorKind::*;
    let cases: &[(&str, EngineErrorKind, usize)] = &[
        ("6:4hello7:4hello", LengthExceedsPayload, 8),
        ("4hello", InvalidLength, 1),
        ("12x", InvalidLength, 2),
        (":4", InvalidLength, 0),
        ("6:4hello:", InvalidLength, 8),
        ("99999999999999999999999:4", LengthExceedsPayload, 0),
        ("0:", Empty, 2),
        ("3:b2A", BinaryNotMessage, 3),
        ("1:b", Empty, 3),
        ("3:b4*", InvalidBase64, 4),
        ("2:9x", UnknownPacketType, 2),
    ];
    for &(payload, kind, offset) in cases {
        assert_eq!(
            engine_err(polling_v3(payload)),
            (kind, offset),
            "{payload:?}"
        );
    }
}

#[test]
fn polling_v3_binary_payloads() {
    use sio_wire::engine::decode_polling_payload_v3_binary;
    fn all(bytes: &[u8]) -> Result<Vec<EnginePacket<'_>>, sio_wire::EngineError> {
        decode_polling_payload_v3_binary(bytes).collect()
    }
    // The v3 README's example.
    let payload = [
        0x00, 0x04, 0xff, 0x34, 0xe2, 0x82, 0xac, 0x01, 0x05, 0xff, 0x04, 0x01, 0x02, 0x03, 0x04,
    ];
    assert_eq!(
        all(&payload).unwrap(),
        [EnginePacket::text("€"), EnginePacket::binary(&[1, 2, 3, 4])]
    );
    // Multi-digit lengths.
    let mut long = vec![0x00, 0x01, 0x02, 0xff, b'4'];
    long.extend_from_slice(&[b'x'; 11]);
    assert_eq!(all(&long).unwrap(), [EnginePacket::text("xxxxxxxxxxx")]);
    assert_eq!(all(&[]).unwrap(), []);
    use EngineErrorKind::*;
    let cases: &[(&[u8], EngineErrorKind, usize)] = &[
        (&[0x02, 0x01, 0xff, b'2'], InvalidLength, 0),
        (&[0x00, 0xff, b'2'], InvalidLength, 1),
        (&[0x00, 0x01, b'2'], InvalidLength, 2),
        (&[0x00, 0x05, 0xff, b'4', b'a'], LengthExceedsPayload, 0),
        (&[0x00, 0x02, 0xff, b'4', 0xc3], InvalidUtf8, 4),
        (&[0x01, 0x02, 0xff, 0x03, 0x01], BinaryNotMessage, 3),
        (&[0x01, 0x00, 0xff], Empty, 3),
        (&[0x00, 0x01, 0xff, b'9'], UnknownPacketType, 3),
        (&[0x00, 0x01, 0xff, b'2', 0x00, 0x02], InvalidLength, 6),
    ];
    for &(bytes, kind, offset) in cases {
        assert_eq!(engine_err(all(bytes)), (kind, offset), "{bytes:?}");
    }
    let huge = [&[0x00][..], &[9u8; 40][..], &[0xff][..]].concat();
    assert_eq!(engine_err(all(&huge)), (LengthExceedsPayload, 0));
}
