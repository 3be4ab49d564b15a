//! Inputs the fuzzer found (`fuzz/`), kept as tests so that what they exposed stays covered.

use proptest::prelude::*;
use sio_wire::socket::{SocketPacket, check_namespace, decode_socket_packet, encode_socket_packet};
use sio_wire::{Limits, SocketErrorKind};

/// The input `roundtrip_socket_packet` crashed on (artifact
/// `crash-42597cb9733123744f061267e612c5788aa33a22`, 174 bytes): a DISCONNECT in the namespace
/// `"/\0\0\0\0" + 19 dots + "[" + 89 dots`. `encode_socket_packet` writes it as
/// `1/\0\0\0\0...[...,`, and `decode_socket_packet` refuses that with `NamespaceUnterminated`
/// at the `[`: the decoder takes a `[`, `{` or `"` before the first comma for a forgotten
/// comma in front of the payload, even when a comma does end the namespace. The body now
/// counts such namespaces as non-canonical; this keeps the input green through it.
#[test]
fn roundtrip_socket_packet_namespace_with_a_bracket() {
    let input = [
        b"\x0b\x30\x00\x28\xa5\xca\xef\xd0\x00\x00\x00\x00".as_slice(),
        &[b'.'; 19],
        b"[",
        &[b'.'; 89],
        b"\x0b\x30\x75\x7a\x0e\x31\x58\x7d\xa2\x8e\xb3\xd8\xfd\x0b\x9f\x00\x00\x00\x00\x00\xf5",
        b"\x00\x00\x00\x00\x00\x00\x00\x7a\x01\x1a\x3f\x55\x30\xbe\x64\x89\x3e\x0e\x33\x58\x11",
        b"\x36\x5b\x80\xca\xef\x14\xff\xae\xff\xff\xff",
    ]
    .concat();
    assert_eq!(input.len(), 174);
    sio_wire::fuzzing::roundtrip_socket_packet(&input);
}

/// The rule behind the crash above: the encoder writes any namespace, and
/// `check_namespace` tells which ones decode back as themselves. A `[`, `{` or `"` before the
/// comma is refused (the decoder takes it for a forgotten comma in front of the payload,
/// although socket.io-parser would read `/a[b` as a namespace), and so is a comma, a name
/// without the leading `/`, and the empty name (which the encoder writes as the root `/`).
#[test]
fn check_namespace_refuses_the_namespaces_that_do_not_decode_back() {
    for (namespace, offset) in [
        ("/a[b", 2),
        ("/a{b}", 2),
        ("/a\"b", 2),
        ("/a,b", 2),
        ("a", 0),
        ("", 0),
    ] {
        let err = check_namespace(namespace, &Limits::default()).unwrap_err();
        assert_eq!(
            (err.kind, err.offset),
            (SocketErrorKind::InvalidNamespace, offset)
        );
        let mut text = String::new();
        encode_socket_packet(&SocketPacket::disconnect(namespace), &mut text);
        let back = decode_socket_packet(&text).map(|p| p.namespace.to_owned());
        assert_ne!(back.as_deref(), Ok(namespace), "{text:?}");
    }
}

proptest! {
    /// `check_namespace` accepts a name exactly when it survives an encode/decode round trip.
    #[test]
    fn check_namespace_is_exactly_the_round_trip(namespace in r#"[/a5,\[{"]{0,8}"#) {
        let accepted = check_namespace(&namespace, &Limits::default()).is_ok();
        let mut text = String::new();
        encode_socket_packet(&SocketPacket::disconnect(&namespace), &mut text);
        let back = decode_socket_packet(&text).map(|p| p.namespace.to_owned());
        prop_assert_eq!(accepted, back.as_deref() == Ok(namespace.as_str()), "{:?}", text);
    }
}

/// A namespace over the limit is refused as too long, not as malformed.
#[test]
fn check_namespace_applies_the_length_limit() {
    let long = format!("/{}", "a".repeat(Limits::default().max_namespace_len));
    let err = check_namespace(&long, &Limits::default()).unwrap_err();
    assert_eq!(err.kind, SocketErrorKind::NamespaceTooLong);
    assert!(check_namespace(&long[..long.len() - 1], &Limits::default()).is_ok());
}
