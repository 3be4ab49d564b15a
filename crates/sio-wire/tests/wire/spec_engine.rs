//! Every example of the Engine.IO protocol document (engine.io-protocol README, v4), and the
//! v3 examples its History section and the v3 document give, as table tests.

use sio_wire::engine::{
    EnginePacket, PollingPacket, decode_binary_frame, decode_binary_frame_v3,
    decode_polling_payload, decode_polling_payload_v3, decode_text_frame, encode_polling_payload,
    encode_text_frame,
};

/// WebSocket text frames from the README: heartbeat, upgrade, message, and the v3 examples.
#[test]
fn text_frames() {
    let cases = [
        // "Heartbeat"
        ("2", EnginePacket::Ping("")),
        ("3", EnginePacket::Pong("")),
        // "Upgrade"
        ("2probe", EnginePacket::Ping("probe")),
        ("3probe", EnginePacket::Pong("probe")),
        ("5", EnginePacket::Upgrade),
        // "Packet encoding / WebSocket"
        ("4hello", EnginePacket::text("hello")),
        // The server's answer to a pending poll during an upgrade; the close packet.
        ("6", EnginePacket::Noop),
        ("1", EnginePacket::Close),
        // v3 README, "4 message"
        ("4HelloWorld", EnginePacket::text("HelloWorld")),
    ];
    for (frame, expected) in cases {
        assert_eq!(decode_text_frame(frame).unwrap(), expected, "{frame}");
        let mut out = String::new();
        encode_text_frame(&expected, &mut out).unwrap();
        assert_eq!(out, frame);
    }
}

/// "Handshake": the example payload (pretty-printed in the README).
#[test]
fn handshake_example() {
    let frame = r#"0{
  "sid": "lv_VI97HAXpY6yYWAAAC",
  "upgrades": ["websocket"],
  "pingInterval": 25000,
  "pingTimeout": 20000,
  "maxPayload": 1000000
}"#;
    let EnginePacket::Open(h) = decode_text_frame(frame).unwrap() else {
        panic!("not an open packet")
    };
    assert_eq!(h.sid, "lv_VI97HAXpY6yYWAAAC");
    assert_eq!(h.upgrades.iter().collect::<Vec<_>>(), ["websocket"]);
    assert_eq!(h.ping_interval, 25000);
    assert_eq!(h.ping_timeout, 20000);
    assert_eq!(h.max_payload, Some(1_000_000));
    let mut out = String::new();
    encode_text_frame(&EnginePacket::Open(h), &mut out).unwrap();
    assert_eq!(
        out,
        r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
    );
}

/// "Packet encoding / HTTP long-polling" and the test suite's payloads.
#[test]
fn polling_payloads() {
    let cases: [(&str, Vec<PollingPacket<'_>>); 3] = [
        (
            "4hello\x1e2\x1e4world",
            vec![
                EnginePacket::text("hello").into(),
                EnginePacket::Ping("").into(),
                EnginePacket::text("world").into(),
            ],
        ),
        (
            "4test1\x1e4test2\x1e4test3",
            vec![
                EnginePacket::text("test1").into(),
                EnginePacket::text("test2").into(),
                EnginePacket::text("test3").into(),
            ],
        ),
        (
            "4hello\x1ebAQIDBA==",
            vec![
                EnginePacket::text("hello").into(),
                // Encoding the bytes yields the README's base64.
                EnginePacket::binary(&[1, 2, 3, 4]).into(),
            ],
        ),
    ];
    for (payload, packets) in cases {
        let mut out = String::new();
        encode_polling_payload(packets.iter(), &mut out).unwrap();
        assert_eq!(out, payload);
        let decoded: Vec<_> = decode_polling_payload(payload)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(decoded.len(), packets.len());
        for (got, want) in decoded.iter().zip(&packets) {
            match (got, want) {
                (
                    PollingPacket::Base64(data),
                    PollingPacket::Packet(EnginePacket::Message(sio_wire::Payload::Binary(b))),
                ) => {
                    let mut bytes = Vec::new();
                    data.decode_into(&mut bytes).unwrap();
                    assert_eq!(&bytes, b);
                }
                _ => assert_eq!(got, want),
            }
        }
    }
}

/// "WebSocket": binary payloads are sent as is (the test suite echoes `[1, 2, 3, 4]`).
#[test]
fn binary_frame() {
    assert_eq!(
        decode_binary_frame(&[1, 2, 3, 4]),
        EnginePacket::binary(&[1, 2, 3, 4])
    );
}

/// The v3 document: `6:4hello2:4€`, `2:4€10:b4AQIDBA==`, and a binary packet `4|0|1|2|3|4|5`.
#[test]
fn v3_examples() {
    let decoded: Vec<_> = decode_polling_payload_v3("6:4hello2:4€")
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        decoded,
        [
            PollingPacket::from(EnginePacket::text("hello")),
            PollingPacket::from(EnginePacket::text("€")),
        ]
    );
    let decoded: Vec<_> = decode_polling_payload_v3("2:4€10:b4AQIDBA==")
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(decoded[0], PollingPacket::from(EnginePacket::text("€")));
    let PollingPacket::Base64(data) = decoded[1] else {
        panic!("not binary")
    };
    let mut bytes = Vec::new();
    data.decode_into(&mut bytes).unwrap();
    assert_eq!(bytes, [1, 2, 3, 4]);
    assert_eq!(
        decode_binary_frame_v3(&[4, 0, 1, 2, 3, 4, 5]).unwrap(),
        EnginePacket::binary(&[0, 1, 2, 3, 4, 5])
    );
}

/// The test suite's invalid inputs: `abc` is not a packet.
#[test]
fn invalid_packet_from_the_test_suite() {
    assert_eq!(
        crate::engine_err(decode_text_frame("abc")),
        (sio_wire::EngineErrorKind::UnknownPacketType, 0)
    );
    assert!(decode_polling_payload("abc").next().unwrap().is_err());
}
