//! Socket.IO protocol v4 / Engine.IO v3 (socket.io 1.x and 2.x): what old captures hold.

use sio_wire::engine::{
    EnginePacket, PollingPacket, decode_binary_frame_v3, decode_polling_payload_v3,
    decode_text_frame,
};
use sio_wire::socket::{SocketPacketType, decode_socket_packet, decode_socket_packet_eio3};
use sio_wire::{DecodedFrame, Limits, SocketErrorKind, decode_message_eio3};

#[test]
fn v3_handshake_has_no_max_payload() {
    let frame = r#"0{"sid":"Zq5bU-2aWcKtDuOPAAAA","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}"#;
    let EnginePacket::Open(h) = decode_text_frame(frame).unwrap() else {
        panic!("not an open packet")
    };
    assert_eq!(h.max_payload, None);
    assert_eq!(h.ping_timeout, 5000);
    let mut out = String::new();
    sio_wire::encode_text_frame(&EnginePacket::Open(h), &mut out).unwrap();
    assert_eq!(out, frame);
}

#[test]
fn v4_packets() {
    let limits = Limits::default();
    // ERROR carries a plain string; CONNECT's auth travels in the namespace's query.
    let p = decode_socket_packet_eio3(r#"4/admin,"Not authorized""#, &limits).unwrap();
    assert_eq!(p.kind, SocketPacketType::ConnectError);
    assert_eq!(p.data.unwrap().as_json_str().unwrap(), "Not authorized");
    let p = decode_socket_packet_eio3("0/admin?token=1234&uid=abcd,", &limits).unwrap();
    assert_eq!(p.namespace, "/admin?token=1234&uid=abcd");
    // socket.io-parser 2.x wrote CONNECT and DISCONNECT without the comma.
    let p = decode_socket_packet_eio3("1/admin", &limits).unwrap();
    assert_eq!(
        (p.kind, p.namespace),
        (SocketPacketType::Disconnect, "/admin")
    );
    // The payload's shape is not checked: an event without payload, an ack object.
    for text in ["2", "3/admin,5{}", r#"0/admin,"x""#] {
        assert!(decode_socket_packet_eio3(text, &limits).is_ok(), "{text}");
        assert_eq!(
            decode_socket_packet(text).unwrap_err().kind(),
            SocketErrorKind::InvalidPayload,
            "{text} is not a valid v5 packet"
        );
    }
    // Everything else is as strict as v5.
    assert!(decode_socket_packet_eio3(r#"2["a"]x"#, &limits).is_err());
    let DecodedFrame::Socket(p) =
        decode_message_eio3(r#"42["chat message","hi"]"#, &limits).unwrap()
    else {
        panic!("not a Socket.IO packet")
    };
    assert_eq!(p.event_name().unwrap(), "chat message");
    assert_eq!(
        decode_message_eio3("44\"x", &limits).unwrap_err().offset(),
        4
    );
}

#[test]
fn v3_polling_session() {
    let body = "96:0{\"sid\":\"Zq5bU-2aWcKtDuOPAAAA\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":5000}2:40";
    let packets: Vec<_> = decode_polling_payload_v3(body)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(packets.len(), 2);
    assert!(matches!(
        packets[0],
        PollingPacket::Packet(EnginePacket::Open(_))
    ));
    assert_eq!(packets[1], PollingPacket::Packet(EnginePacket::text("0")));
    // A binary attachment over a v3 WebSocket carries the message type byte.
    assert_eq!(
        decode_binary_frame_v3(&[4, 0xde, 0xad]).unwrap(),
        EnginePacket::binary(&[0xde, 0xad])
    );
}

/// The names before the `_eio3` rename still work, deprecated, for one release.
#[test]
#[allow(deprecated)]
fn the_old_names_still_decode() {
    let limits = Limits::default();
    let frame = r#"42["chat message","hi"]"#;
    assert_eq!(
        sio_wire::decode_message_v4(frame, &limits),
        decode_message_eio3(frame, &limits)
    );
    assert_eq!(
        sio_wire::socket::decode_socket_packet_v4("1/admin", &limits),
        decode_socket_packet_eio3("1/admin", &limits)
    );
    let _: sio_wire::Frame<'_> = decode_message_eio3(frame, &limits).unwrap();
}
