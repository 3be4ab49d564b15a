//! Binary packets: placeholders and the reassembler.

use sio_wire::socket::{
    Arg, BinaryReassembler, OwnedSocketPacket, SocketPacketType, decode_socket_packet,
    placeholder_index,
};
use sio_wire::{Limits, RawJson, SocketErrorKind, Status};

use crate::socket_err;

fn complete<T>(status: Status<T>) -> T {
    match status {
        Status::Complete(value) => value,
        Status::Partial => panic!("expected a complete packet"),
    }
}

#[test]
fn readme_multiple_attachments() {
    let mut r = BinaryReassembler::default();
    let header = decode_socket_packet(
        r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
    )
    .unwrap();
    assert_eq!(r.push_packet(&header).unwrap(), Status::Partial);
    assert!(r.is_awaiting_attachments());
    assert_eq!(r.progress(), Some((0, 2)));
    assert_eq!(r.push_attachment(&[1, 2]).unwrap(), Status::Partial);
    assert_eq!(r.progress(), Some((1, 2)));
    let packet = complete(r.push_attachment(&[3, 4]).unwrap());
    assert!(!r.is_awaiting_attachments());
    assert_eq!(packet.packet().namespace, "/admin");
    assert_eq!(packet.event_name().unwrap(), "baz");
    assert_eq!(
        packet.args().collect::<Vec<_>>(),
        [Arg::Binary(&[1, 2]), Arg::Binary(&[3, 4])]
    );
    assert_eq!(packet.attachments(), [vec![1, 2], vec![3, 4]]);
    let (header, attachments) = packet.into_parts();
    assert_eq!(header.kind, SocketPacketType::BinaryEvent);
    assert_eq!(attachments.len(), 2);
}

#[test]
fn binary_ack_and_nested_placeholders() {
    let mut r = BinaryReassembler::default();
    let header = decode_socket_packet(
        r#"62-789[{"_placeholder":true,"num":1},{"file":{"num":0,"_placeholder":true}},3]"#,
    )
    .unwrap();
    assert_eq!(r.push_packet(&header).unwrap(), Status::Partial);
    r.push_attachment(b"zero").unwrap();
    let packet = complete(r.push_attachment(b"one").unwrap());
    assert_eq!(packet.packet().ack_id, Some(789));
    let elements: Vec<_> = packet.elements().collect();
    assert_eq!(elements[0], Arg::Binary(b"one"));
    let Arg::Json(object) = elements[1] else {
        panic!("not JSON")
    };
    assert_eq!(
        packet.resolve(object.get("file").unwrap()),
        Arg::Binary(b"zero")
    );
    assert_eq!(elements[2], Arg::Json(RawJson::new("3").unwrap()));
}

#[test]
fn packets_without_attachments_complete_at_once() {
    let mut r = BinaryReassembler::default();
    for text in [r#"2["a"]"#, r#"50-["a"]"#, "0"] {
        let p = decode_socket_packet(text).unwrap();
        let packet = complete(r.push_packet(&p).unwrap());
        assert_eq!(packet.packet(), p);
        assert!(packet.attachments().is_empty());
    }
}

#[test]
fn placeholder_recognition() {
    let yes = [
        r#"{"_placeholder":true,"num":0}"#,
        r#"{ "num" : 7 , "_placeholder" : true }"#,
        r#"{"_placeholder":true,"num":3,"extra":1}"#,
    ];
    for text in yes {
        assert!(
            placeholder_index(RawJson::new(text).unwrap()).is_some(),
            "{text}"
        );
    }
    let no = [
        r#"{"_placeholder":false,"num":0}"#,
        r#"{"_placeholder":"true","num":0}"#,
        r#"{"_placeholder":true,"num":-1}"#,
        r#"{"_placeholder":true,"num":"0"}"#,
        r#"{"_placeholder":true}"#,
        r#"[{"_placeholder":true,"num":0}]"#,
        r#""_placeholder""#,
    ];
    for text in no {
        assert_eq!(
            placeholder_index(RawJson::new(text).unwrap()),
            None,
            "{text}"
        );
    }
}

#[test]
fn reassembly_errors() {
    let mut r = BinaryReassembler::default();
    assert_eq!(
        socket_err(r.push_attachment(&[1])),
        (SocketErrorKind::UnexpectedAttachment, 0)
    );
    let header = decode_socket_packet(r#"51-["a",{"_placeholder":true,"num":0}]"#).unwrap();
    r.push_packet(&header).unwrap();
    let next = decode_socket_packet(r#"2["b"]"#).unwrap();
    assert_eq!(
        socket_err(r.push_packet(&next)),
        (SocketErrorKind::MissingAttachments, 0)
    );
    assert!(
        !r.is_awaiting_attachments(),
        "the incomplete packet is dropped"
    );
    // A placeholder pointing past the announced attachments.
    let bad = decode_socket_packet(r#"51-["a",{"_placeholder":true,"num":1}]"#).unwrap();
    assert_eq!(
        socket_err(r.push_packet(&bad)),
        (SocketErrorKind::InvalidPlaceholder, 5)
    );
    // Total size over the limit.
    let mut limits = Limits::default();
    limits.max_binary_bytes = 4;
    let mut r = BinaryReassembler::new(limits);
    let header = decode_socket_packet(r#"52-["a"]"#).unwrap();
    r.push_packet(&header).unwrap();
    r.push_attachment(&[1, 2, 3]).unwrap();
    assert_eq!(
        socket_err(r.push_attachment(&[4, 5])),
        (SocketErrorKind::AttachmentsTooLarge, 0)
    );
    assert!(!r.is_awaiting_attachments());
    // The attachment limit of the reassembler applies to packets decoded under other limits.
    let mut limits = Limits::default();
    limits.max_attachments = 1;
    let mut r = BinaryReassembler::new(limits);
    let header = decode_socket_packet(r#"52-["a"]"#).unwrap();
    assert_eq!(
        socket_err(r.push_packet(&header)),
        (SocketErrorKind::TooManyAttachments, 1)
    );
    r.reset();
}

#[test]
fn owned_packets() {
    let p = decode_socket_packet(r#"3/admin,13["bar"]"#).unwrap();
    let owned = OwnedSocketPacket::from(p);
    assert_eq!(owned.as_packet(), p);
    assert_eq!(owned.data().unwrap().as_str(), r#"["bar"]"#);
    let built = OwnedSocketPacket::new(
        SocketPacketType::Event,
        "/x",
        None,
        0,
        Some(r#"["e",1]"#.to_owned()),
    )
    .unwrap();
    let mut out = String::new();
    sio_wire::encode_socket_packet(&built.as_packet(), &mut out);
    assert_eq!(out, r#"2/x,["e",1]"#);
    let err = OwnedSocketPacket::new(SocketPacketType::Event, "/", None, 0, Some("[".into()));
    assert_eq!(
        socket_err(err),
        (
            SocketErrorKind::Json(sio_wire::JsonErrorKind::UnexpectedEnd),
            1
        )
    );
}

/// The Readme's sample session: a BINARY_ACK with its attachment in the following frame.
#[test]
fn sample_session_binary_ack() {
    let Ok(sio_wire::DecodedFrame::Socket(header)) =
        sio_wire::decode_message(r#"461-/admin,1[{"_placeholder":true,"num":0}]"#)
    else {
        panic!("not a Socket.IO packet")
    };
    let mut r = BinaryReassembler::default();
    assert_eq!(r.push_packet(&header).unwrap(), Status::Partial);
    let sio_wire::EnginePacket::Message(sio_wire::Payload::Binary(bytes)) =
        sio_wire::decode_binary_frame(&[1, 2, 3, 4])
    else {
        panic!("not a binary message")
    };
    let packet = complete(r.push_attachment(bytes).unwrap());
    assert_eq!(packet.packet().kind, SocketPacketType::BinaryAck);
    assert_eq!(packet.packet().ack_id, Some(1));
    assert_eq!(
        packet.elements().collect::<Vec<_>>(),
        [Arg::Binary(&[1, 2, 3, 4])]
    );
}

/// A header may claim any number of attachments under permissive limits; the reassembler
/// reserves for a handful and grows only with data actually received.
#[test]
fn huge_attachment_claims_do_not_allocate_up_front() {
    let limits = Limits::permissive();
    let header =
        sio_wire::socket::decode_socket_packet_with(r#"54000000000-["a"]"#, &limits).unwrap();
    assert_eq!(header.attachments, 4_000_000_000);
    let mut r = BinaryReassembler::new(limits);
    assert_eq!(r.push_packet(&header).unwrap(), Status::Partial);
    assert_eq!(r.push_attachment(&[1]).unwrap(), Status::Partial);
    assert_eq!(r.progress(), Some((1, 4_000_000_000)));
}
