//! Every example of the Socket.IO protocol document (socket.io-protocol Readme, v5) and the
//! frames of its official test suite, as table tests.

use sio_wire::socket::{
    SocketPacket, SocketPacketType, decode_socket_packet, encode_socket_packet,
};
use sio_wire::{DecodedFrame, RawJson, decode_message, encode_message};

fn json(text: &str) -> RawJson<'_> {
    RawJson::new(text).unwrap()
}

/// The names of the protocol's table, in type order: what transcripts and `decode` print.
#[test]
fn type_names_follow_the_protocol_table() {
    let names: Vec<_> = (b'0'..=b'6')
        .map(|digit| SocketPacketType::from_digit(digit).unwrap().name())
        .collect();
    assert_eq!(
        names,
        [
            "CONNECT",
            "DISCONNECT",
            "EVENT",
            "ACK",
            "CONNECT_ERROR",
            "BINARY_EVENT",
            "BINARY_ACK"
        ]
    );
}

/// "Packet encoding / Examples" and "Exchange protocol": encoded form and packet.
#[test]
fn packet_examples() {
    use SocketPacketType::*;
    let placeholder0 = r#"["baz",{"_placeholder":true,"num":0}]"#;
    let cases: Vec<(&str, SocketPacket<'_>)> = vec![
        // Connection to a namespace.
        ("0", SocketPacket::connect("/", None)),
        (
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
            SocketPacket::connect("/admin", Some(json(r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#))),
        ),
        (
            r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#,
            SocketPacket::connect("/", Some(json(r#"{"sid":"wZX3oN0bSVIhsaknAAAI"}"#))),
        ),
        (
            r#"0/admin,{"token":"123"}"#,
            SocketPacket::connect("/admin", Some(json(r#"{"token":"123"}"#))),
        ),
        (
            r#"0/admin,{"sid":"iLnRaVGHY4B75TeVAAAB"}"#,
            SocketPacket::connect("/admin", Some(json(r#"{"sid":"iLnRaVGHY4B75TeVAAAB"}"#))),
        ),
        (
            r#"4{"message":"Not authorized"}"#,
            SocketPacket::connect_error("/", json(r#"{"message":"Not authorized"}"#)),
        ),
        // Sending and receiving data.
        (r#"2["foo"]"#, SocketPacket::event("/", json(r#"["foo"]"#))),
        (
            r#"2/admin,["bar"]"#,
            SocketPacket::event("/admin", json(r#"["bar"]"#)),
        ),
        (
            r#"51-["baz",{"_placeholder":true,"num":0}]"#,
            SocketPacket::binary_event("/", 1, json(placeholder0)),
        ),
        (
            r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            SocketPacket::binary_event(
                "/admin",
                2,
                json(r#"["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
            ),
        ),
        // Acknowledgement.
        (
            r#"212["foo"]"#,
            SocketPacket::event("/", json(r#"["foo"]"#)).with_ack_id(12),
        ),
        (r#"312[]"#, SocketPacket::ack("/", 12, json("[]"))),
        (
            r#"2/admin,13["foo"]"#,
            SocketPacket::event("/admin", json(r#"["foo"]"#)).with_ack_id(13),
        ),
        // The Readme prints this one with a stray backtick: 3/admin,13["bar"]`
        (
            r#"3/admin,13["bar"]"#,
            SocketPacket::ack("/admin", 13, json(r#"["bar"]"#)),
        ),
        (
            r#"51-14["foo",{"_placeholder":true,"num":0}]"#,
            SocketPacket::binary_event("/", 1, json(r#"["foo",{"_placeholder":true,"num":0}]"#))
                .with_ack_id(14),
        ),
        (
            r#"314["bar"]"#,
            SocketPacket::ack("/", 14, json(r#"["bar"]"#)),
        ),
        (
            r#"215["foo"]"#,
            SocketPacket::event("/", json(r#"["foo"]"#)).with_ack_id(15),
        ),
        (
            r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
            SocketPacket::binary_ack("/", 15, 1, json(r#"["bar",{"_placeholder":true,"num":0}]"#)),
        ),
        // Disconnection from a namespace.
        ("1", SocketPacket::disconnect("/")),
        ("1/admin,", SocketPacket::disconnect("/admin")),
    ];
    for (encoded, packet) in cases {
        let decoded = decode_socket_packet(encoded).unwrap_or_else(|e| panic!("{encoded}: {e}"));
        assert_eq!(decoded, packet, "{encoded}");
        let mut out = String::new();
        encode_socket_packet(&packet, &mut out);
        assert_eq!(out, encoded);
        // Over the wire, each rides in an Engine.IO message.
        let frame = format!("4{encoded}");
        assert_eq!(
            decode_message(&frame).unwrap(),
            DecodedFrame::Socket(packet)
        );
        let mut out = String::new();
        encode_message(&packet, &mut out);
        assert_eq!(out, frame);
    }
    let connect_error = decode_socket_packet(r#"4{"message":"Not authorized"}"#).unwrap();
    assert_eq!(connect_error.kind, ConnectError);
    let mut out = String::new();
    sio_wire::socket::encode_connect_error("/", "Not authorized", &mut out);
    assert_eq!(out, r#"4{"message":"Not authorized"}"#);
}

/// "Sample session": every frame, in order, through both layers.
#[test]
fn sample_session() {
    let frames = [
        r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}"#,
        "40",
        r#"40{"sid":"wZX3oN0bSVIhsaknAAAI"}"#,
        r#"42["hey","Jude"]"#,
        "2probe",
        "3probe",
        "5",
        r#"42["hello"]"#,
        r#"42["world"]"#,
        "40/admin,",
        r#"40/admin,{"sid":"-G5j-67EZFp-q59rADQM"}"#,
        r#"42/admin,1["tellme"]"#,
        r#"461-/admin,1[{"_placeholder":true,"num":0}]"#,
        "2",
        "3",
        "1",
    ];
    for frame in frames {
        let decoded = decode_message(frame).unwrap_or_else(|e| panic!("{frame}: {e}"));
        let mut out = String::new();
        sio_wire::encode_frame(&decoded, &mut out).unwrap();
        assert_eq!(out, frame);
    }
    let DecodedFrame::Socket(p) = decode_message(r#"42["hey","Jude"]"#).unwrap() else {
        panic!()
    };
    assert_eq!(p.event_name().unwrap(), "hey");
    assert_eq!(
        p.args()
            .map(|a| a.as_json_str().unwrap())
            .collect::<Vec<_>>(),
        ["Jude"]
    );
    let DecodedFrame::Socket(p) =
        decode_message(r#"461-/admin,1[{"_placeholder":true,"num":0}]"#).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (p.kind, p.namespace, p.ack_id, p.attachments),
        (SocketPacketType::BinaryAck, "/admin", Some(1), 1)
    );
    // Request n°5: two events in one polling payload.
    let packets: Vec<_> =
        sio_wire::engine::decode_polling_payload("42[\"hello\"]\x1e42[\"world\"]")
            .collect::<Result<_, _>>()
            .unwrap();
    assert_eq!(packets.len(), 2);
}

/// Frames of the official test suite (socket.io-protocol `test-suite/test-suite.js`).
#[test]
fn test_suite_frames() {
    let valid = [
        "40",
        r#"40{"token":"123"}"#,
        "40/custom,",
        r#"40/custom,{"token":"abc"}"#,
        r#"42["auth",{}]"#,
        r#"42["auth",{"token":"123"}]"#,
        r#"42/custom,["auth",{}]"#,
        r#"42/custom,["auth",{"token":"abc"}]"#,
        r#"44/random,{"message":"Invalid namespace"}"#,
        "41",
        r#"42["message","message to main namespace"]"#,
        r#"42["message-back","message to main namespace"]"#,
        r#"42["message",1,"2",{"3":[true]}]"#,
        r#"42["message-back",1,"2",{"3":[true]}]"#,
        r#"452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        r#"452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        r#"42456["message-with-ack",1,"2",{"3":[false]}]"#,
        r#"43456[1,"2",{"3":[false]}]"#,
        r#"452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        r#"462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
    ];
    for frame in valid {
        let decoded = decode_message(frame).unwrap_or_else(|e| panic!("{frame}: {e}"));
        let mut out = String::new();
        sio_wire::encode_frame(&decoded, &mut out).unwrap();
        assert_eq!(out, frame);
    }
    // The suite sends a namespace with no comma at the end of the packet and expects the
    // server to understand it.
    for (frame, namespace) in [
        ("40/random", "/random"),
        ("40/custom", "/custom"),
        ("41/custom", "/custom"),
    ] {
        let DecodedFrame::Socket(p) = decode_message(frame).unwrap() else {
            panic!("{frame}")
        };
        assert_eq!(p.namespace, namespace);
        assert_eq!(p.data, None);
    }
    // ... and expects the server to close the connection on these.
    use sio_wire::SocketErrorKind::*;
    let invalid = [
        ("4abc", UnknownPacketType, 1),
        ("42{}", InvalidPayload, 2),
        (
            r#"42abc["message-with-ack",1,"2",{"3":[false]}]"#,
            sio_wire::SocketErrorKind::Json(sio_wire::JsonErrorKind::UnexpectedByte),
            2,
        ),
    ];
    for (frame, kind, offset) in invalid {
        let Err(sio_wire::WireError::Socket(e)) = decode_message(frame) else {
            panic!("{frame} should fail in the Socket.IO layer")
        };
        assert_eq!((e.kind(), e.offset()), (kind, offset), "{frame}");
    }
}

/// The header-only decoder reads what the full decoder reads, and leaves the payload alone.
#[test]
fn header_only_decoding() {
    use sio_wire::socket::decode_socket_header;
    for text in [
        "0",
        r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
        r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        r#"3/admin,13["bar"]"#,
        r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
        "1/admin,",
    ] {
        let header = decode_socket_header(text).unwrap();
        let packet = decode_socket_packet(text).unwrap();
        assert_eq!(header.validate().unwrap(), packet);
        assert_eq!(
            (
                header.kind,
                header.namespace,
                header.ack_id,
                header.attachments
            ),
            (
                packet.kind,
                packet.namespace,
                packet.ack_id,
                packet.attachments
            )
        );
        assert_eq!(header.data, packet.data.map_or("", |d| d.as_str()));
        assert_eq!(&text[header.data_offset()..], header.data);
    }
    // A broken payload passes the header decoder and fails validation, at the same offset
    // as the full decoder reports.
    let text = r#"2/admin,7["unterminated"#;
    let header = decode_socket_header(text).unwrap();
    assert_eq!(header.ack_id, Some(7));
    assert_eq!(header.validate(), decode_socket_packet(text));
    assert_eq!(header.validate().unwrap_err().offset(), text.len());
    // Header faults are found without the payload.
    assert_eq!(
        decode_socket_header(r#"2/admin["x"]"#).unwrap_err().kind(),
        sio_wire::SocketErrorKind::NamespaceUnterminated
    );
}

#[test]
fn message_header_decoding() {
    use sio_wire::{FrameHeader, decode_message_header};
    let frame = r#"42/chatomni,12["on-events","{\"a\":1}"]"#;
    let FrameHeader::Socket(header) = decode_message_header(frame).unwrap() else {
        panic!("not a Socket.IO packet")
    };
    assert_eq!(header.ack_id, Some(12));
    assert_eq!(
        DecodedFrame::Socket(header.validate().unwrap()),
        decode_message(frame).unwrap()
    );
    assert_eq!(
        decode_message_header("3probe").unwrap(),
        FrameHeader::Engine(sio_wire::EnginePacket::Pong("probe"))
    );
    let err = decode_message_header(r#"42/chatomni["x"]"#).unwrap_err();
    assert_eq!(err.offset(), 11);
    // The payload is not looked at.
    assert!(decode_message_header(r#"42/chatomni,["x""#).is_ok());
}
