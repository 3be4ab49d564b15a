//! Property tests: packets round-trip through their encoders, polling payloads join and split,
//! and no input makes a decoder panic.

use proptest::prelude::*;
use serde_json::Value;
use sio_wire::engine::{
    EnginePacket, PollingPacket, decode_polling_payload, decode_polling_payload_v3,
    encode_polling_payload,
};
use sio_wire::socket::{
    SocketPacket, SocketPacketType, decode_socket_packet, encode_socket_packet,
};
use sio_wire::{DecodedFrame, RawJson, decode_message, encode_message};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[a-z\"\\\\/,\\[\\]{}]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{0,6}", inner), 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_object() -> impl Strategy<Value = Value> {
    prop::collection::vec(("[a-zA-Z_]{0,8}", arb_json()), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn arb_args() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(arb_json(), 0..4)
}

/// A packet as (type, namespace, ack id, attachments, payload text).
#[derive(Debug, Clone)]
struct PacketParts {
    kind: SocketPacketType,
    namespace: String,
    ack_id: Option<u64>,
    attachments: u32,
    data: Option<String>,
}

fn arb_packet() -> impl Strategy<Value = PacketParts> {
    let namespace = prop_oneof![Just("/".to_owned()), "/[a-zA-Z0-9_\\-?=&.~ éà]{1,20}",];
    let ack_id = prop::option::of(0u64..=(1 << 53) - 1);
    let kind = prop::sample::select(vec![
        SocketPacketType::Connect,
        SocketPacketType::Disconnect,
        SocketPacketType::Event,
        SocketPacketType::Ack,
        SocketPacketType::ConnectError,
        SocketPacketType::BinaryEvent,
        SocketPacketType::BinaryAck,
    ]);
    (
        kind,
        namespace,
        ack_id,
        0u32..=64,
        "[a-z\\-: é]{0,10}",
        arb_args(),
        arb_object(),
        any::<bool>(),
    )
        .prop_map(
            |(kind, namespace, ack_id, attachments, name, args, object, flag)| {
                let array = |first: Option<Value>| {
                    let mut items: Vec<Value> = first.into_iter().collect();
                    items.extend(args.clone());
                    Some(Value::Array(items).to_string())
                };
                let data = match kind {
                    SocketPacketType::Connect => flag.then(|| object.to_string()),
                    SocketPacketType::Disconnect => None,
                    SocketPacketType::Event | SocketPacketType::BinaryEvent => {
                        array(Some(Value::String(name)))
                    }
                    SocketPacketType::Ack | SocketPacketType::BinaryAck => array(None),
                    SocketPacketType::ConnectError => Some(if flag {
                        object.to_string()
                    } else {
                        Value::String(name).to_string()
                    }),
                };
                PacketParts {
                    kind,
                    namespace,
                    ack_id,
                    attachments: if kind.is_binary() { attachments } else { 0 },
                    data,
                }
            },
        )
}

fn arb_engine_packet() -> impl Strategy<Value = (u8, String, Vec<u8>)> {
    (
        0u8..8,
        "[^\u{1e}]{0,16}",
        prop::collection::vec(any::<u8>(), 0..16),
    )
}

fn engine_packet<'a>(tag: u8, text: &'a str, bytes: &'a [u8]) -> EnginePacket<'a> {
    match tag {
        0 => EnginePacket::Close,
        1 => EnginePacket::Ping(if text.len() % 2 == 0 { "" } else { "probe" }),
        2 => EnginePacket::Pong(if text.len() % 2 == 0 { "" } else { "probe" }),
        3 => EnginePacket::Upgrade,
        4 => EnginePacket::Noop,
        5 | 6 => EnginePacket::text(text),
        _ => EnginePacket::binary(bytes),
    }
}

/// Inputs that look like frames, so that the property tests reach deep into the decoders.
fn arb_frame_like() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec![
        "",
        "0",
        "0{",
        "1",
        "2",
        "2probe",
        "3",
        "4",
        "40",
        "40/chatomni,",
        "42",
        "42/chatomni,",
        "421",
        "43",
        "44",
        "451-",
        "452-/a,",
        "461-1",
        "5",
        "6",
        "b",
        "b4",
        "6:",
        "12:4",
    ]);
    let body = "[\\[\\]{}\",:\\\\/0-9\\-a-z_é😀\u{1e}\u{0} ]{0,30}";
    (prefix, body).prop_map(|(p, b)| format!("{p}{b}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn socket_packets_round_trip(parts in arb_packet()) {
        let data = parts.data.as_deref().map(|text| RawJson::new(text).unwrap());
        let packet = SocketPacket {
            kind: parts.kind,
            namespace: &parts.namespace,
            ack_id: parts.ack_id,
            attachments: parts.attachments,
            data,
        };
        let mut encoded = String::new();
        encode_socket_packet(&packet, &mut encoded);
        let decoded = decode_socket_packet(&encoded);
        prop_assert_eq!(decoded, Ok(packet), "{}", encoded);
        let mut again = String::new();
        encode_socket_packet(&packet, &mut again);
        prop_assert_eq!(&again, &encoded);
        let mut frame = String::new();
        encode_message(&packet, &mut frame);
        prop_assert_eq!(decode_message(&frame), Ok(DecodedFrame::Socket(packet)));
        if matches!(packet.kind, SocketPacketType::Event | SocketPacketType::BinaryEvent) {
            let data: Value = serde_json::from_str(parts.data.as_deref().unwrap()).unwrap();
            let name = packet.event_name().unwrap();
            prop_assert_eq!(name.as_ref(), data[0].as_str().unwrap());
            let args: Vec<Value> = packet.args().map(|a| serde_json::from_str(a.as_str()).unwrap()).collect();
            prop_assert_eq!(&args[..], &data.as_array().unwrap()[1..]);
        }
    }

    #[test]
    fn polling_payloads_join_and_split(items in prop::collection::vec(arb_engine_packet(), 0..8)) {
        let packets: Vec<EnginePacket<'_>> = items
            .iter()
            .map(|(tag, text, bytes)| engine_packet(*tag, text, bytes))
            .collect();
        let mut payload = String::new();
        encode_polling_payload(packets.iter(), &mut payload).unwrap();
        prop_assert_eq!(
            payload.matches('\u{1e}').count(),
            packets.len().saturating_sub(1)
        );
        let decoded: Vec<PollingPacket<'_>> = decode_polling_payload(&payload)
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(decoded.len(), packets.len());
        for (got, want) in decoded.iter().zip(&packets) {
            match (got, want) {
                (PollingPacket::Base64(data), EnginePacket::Message(sio_wire::Payload::Binary(bytes))) => {
                    let mut out = Vec::new();
                    data.decode_into(&mut out).unwrap();
                    prop_assert_eq!(&out[..], *bytes);
                    prop_assert_eq!(data.decoded_len(), bytes.len());
                }
                (PollingPacket::Packet(got), want) => prop_assert_eq!(got, want),
                (got, want) => prop_assert!(false, "{:?} != {:?}", got, want),
            }
        }
        // And back: the decoded records encode to the same payload.
        let mut again = String::new();
        encode_polling_payload(decoded.iter(), &mut again).unwrap();
        prop_assert_eq!(again, payload);
    }

    #[test]
    fn v3_payloads_join_and_split(items in prop::collection::vec(arb_engine_packet(), 0..8)) {
        let packets: Vec<EnginePacket<'_>> = items
            .iter()
            .map(|(tag, text, bytes)| engine_packet(*tag, text, bytes))
            .collect();
        let mut payload = String::new();
        sio_wire::engine::encode_polling_payload_v3(packets.iter(), &mut payload).unwrap();
        let decoded: Vec<PollingPacket<'_>> = decode_polling_payload_v3(&payload)
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(decoded.len(), packets.len());
        for (got, want) in decoded.iter().zip(&packets) {
            match (got, want) {
                (PollingPacket::Base64(data), EnginePacket::Message(sio_wire::Payload::Binary(bytes))) => {
                    let mut out = Vec::new();
                    data.decode_into(&mut out).unwrap();
                    prop_assert_eq!(&out[..], *bytes);
                }
                (PollingPacket::Packet(got), want) => prop_assert_eq!(got, want),
                (got, want) => prop_assert!(false, "{:?} != {:?}", got, want),
            }
        }
        let mut again = String::new();
        sio_wire::engine::encode_polling_payload_v3(decoded.iter(), &mut again).unwrap();
        prop_assert_eq!(again, payload);
    }

    #[test]
    fn v3_payloads_split_by_utf16_length(messages in prop::collection::vec(any::<String>(), 0..6)) {
        let mut payload = String::new();
        for m in &messages {
            let units = 1 + m.encode_utf16().count();
            payload.push_str(&format!("{units}:4{m}"));
        }
        let decoded: Vec<_> = decode_polling_payload_v3(&payload).collect::<Result<_, _>>().unwrap();
        let expected: Vec<_> = messages.iter().map(|m| PollingPacket::Packet(EnginePacket::text(m))).collect();
        prop_assert_eq!(decoded, expected);
    }

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        check_everything(text.as_bytes());
    }

    #[test]
    fn frame_like_strings_never_panic(text in arb_frame_like()) {
        check_everything(text.as_bytes());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        check_everything(&bytes);
    }
}

/// Runs every decoder on `data` and checks the invariants that hold for any input: no panic,
/// error offsets within the input, and decoded values that re-encode to the same value.
fn check_everything(data: &[u8]) {
    let _ = sio_wire::engine::decode_binary_frame_v3(data);
    for record in sio_wire::engine::decode_polling_payload_v3_binary(data) {
        if let Err(e) = record {
            assert!(e.offset() <= data.len(), "{e}");
        }
    }
    match sio_wire::decode_message_bytes(data) {
        Ok(frame) => {
            let mut out = String::new();
            if sio_wire::encode_frame(&frame, &mut out).is_ok() {
                assert_eq!(decode_message(&out).as_ref(), Ok(&frame), "{out:?}");
            }
        }
        Err(e) => assert!(e.offset() <= data.len(), "{e}"),
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    fn decode_eio3(text: &str) -> Result<SocketPacket<'_>, sio_wire::SocketError> {
        sio_wire::socket::decode_socket_packet_eio3(text, &sio_wire::Limits::default())
    }
    type Decoder = fn(&str) -> Result<SocketPacket<'_>, sio_wire::SocketError>;
    let decoders: [Decoder; 2] = [sio_wire::socket::decode_socket_packet, decode_eio3];
    for decode in decoders {
        match decode(text) {
            Ok(packet) => {
                let mut out = String::new();
                encode_socket_packet(&packet, &mut out);
                let again = decode(&out);
                assert_eq!(again, Ok(packet), "{out:?}");
                let _ = packet.event_name();
                let _ = packet.args().count();
            }
            Err(e) => assert!(e.offset() <= text.len(), "{e}"),
        }
    }
    for record in decode_polling_payload(text).chain(decode_polling_payload_v3(text)) {
        match record {
            Ok(PollingPacket::Base64(b64)) => {
                let mut bytes = Vec::new();
                assert!(b64.decode_into(&mut bytes).is_ok());
                assert_eq!(bytes.len(), b64.decoded_len());
            }
            Ok(PollingPacket::Packet(_)) => {}
            Err(e) => assert!(e.offset() <= text.len(), "{e}"),
        }
    }
    match RawJson::new(text) {
        Ok(raw) => {
            // Every sub-span handed out is valid JSON on its own.
            let mut stack = vec![raw];
            while let Some(value) = stack.pop() {
                assert!(RawJson::new(value.as_str()).is_ok(), "{:?}", value.as_str());
                let _ = (value.as_json_str(), value.as_u64(), value.event_name());
                stack.extend(value.elements());
                for (key, member) in value.members() {
                    assert!(key.as_json_str().is_some());
                    stack.push(member);
                }
            }
        }
        Err(e) => assert!(e.offset() <= text.len(), "{e}"),
    }
}
