//! Every frame of the rt-2 seed analysis (`shared/seeds/000_0e2dc462fd92e87f.txt`).
//!
//! The token is synthetic: the seed shows only `eyJhbG...`.

use sio_wire::engine::EnginePacket;
use sio_wire::socket::SocketPacketType;
use sio_wire::{DecodedFrame, RawJson, decode_message, encode_frame};

const HANDSHAKE: &str = r#"0{"sid":"4RK_z0D5LofuOO3tR9vW","upgrades":[],"pingInterval":25000,"pingTimeout":60000,"maxPayload":1000000}"#;
const AUTH: &str =
    r#"40/chatomni,{"token":"eyJhbGciOiJIUzI1NiJ9.eyJDbGllbnRJZCI6InRtdFdlYkFwcCJ9.c2lnbmF0dXJl"}"#;
const CONNECTED: &str = r#"40/chatomni,{"sid":"SSUs7rUdms63DeB9R9vX"}"#;

/// The "Example: Incoming Message" object of the seed (without its `//` annotations, which
/// are not JSON), as rt-2 stringifies it into the event's argument.
const INCOMING: &str = r#"{"Conversation":{"Id":"689763acb11cca3c0b168e77","ChannelType":4,"ChannelId":"1479019015501919","UserId":"3430680146979574","Name":"Thảo Tây","UpdatedTime":"2026-01-07T13:30:51.329Z"},"Message":{"Id":"695e60057b7c8059540ed555","Message":"Nu","MessageType":12,"Data":{"message":"Nu","created_time":"2026-01-07T20:30:45+07:00","from":{"id":"3430680146979574","name":"Thảo Tây"}},"EventName":"chatomni.on-message"}}"#;

fn round_trip(frame: &str) -> DecodedFrame<'_> {
    let decoded = decode_message(frame).unwrap_or_else(|e| panic!("{frame}: {e}"));
    let mut out = String::new();
    encode_frame(&decoded, &mut out).unwrap();
    assert_eq!(out, frame);
    decoded
}

#[test]
fn handshake() {
    let DecodedFrame::Engine(EnginePacket::Open(h)) = round_trip(HANDSHAKE) else {
        panic!("not a handshake")
    };
    assert_eq!(h.sid, "4RK_z0D5LofuOO3tR9vW");
    assert_eq!(h.sid.len(), 20, "a 20-character sid decodes");
    assert!(h.upgrades.is_empty());
    assert_eq!(h.ping_interval, 25000);
    assert_eq!(h.ping_timeout, 60000);
    assert_eq!(h.max_payload, Some(1_000_000));
    // The seed prints it pretty; the same handshake with whitespace decodes the same.
    let pretty = "0{\n  \"sid\": \"4RK_z0D5LofuOO3tR9vW\",\n  \"upgrades\": [],\n  \"pingInterval\": 25000,\n  \"pingTimeout\": 60000,\n  \"maxPayload\": 1000000\n}";
    let DecodedFrame::Engine(EnginePacket::Open(p)) = decode_message(pretty).unwrap() else {
        panic!("not a handshake")
    };
    assert_eq!(p, h);
}

#[test]
fn namespace_connect_and_confirmation() {
    let DecodedFrame::Socket(auth) = round_trip(AUTH) else {
        panic!("not a Socket.IO packet")
    };
    assert_eq!(auth.kind, SocketPacketType::Connect);
    assert_eq!(auth.namespace, "/chatomni");
    let token = auth
        .data
        .unwrap()
        .get("token")
        .unwrap()
        .as_json_str()
        .unwrap();
    assert!(token.starts_with("eyJhbG"));

    let DecodedFrame::Socket(ok) = round_trip(CONNECTED) else {
        panic!("not a Socket.IO packet")
    };
    assert_eq!(ok.kind, SocketPacketType::Connect);
    assert_eq!(
        ok.data.unwrap().get("sid").unwrap().as_json_str().unwrap(),
        "SSUs7rUdms63DeB9R9vX"
    );
}

#[test]
fn on_events_with_the_seed_message() {
    let mut arg = String::new();
    sio_wire::json::write_json_str(INCOMING, &mut arg);
    // The seed writes the packet with a space after the comma; both forms round-trip.
    for frame in [
        format!("42/chatomni,[\"on-events\",{arg}]"),
        format!("42/chatomni,[\"on-events\", {arg}]"),
    ] {
        let DecodedFrame::Socket(p) = round_trip(&frame) else {
            panic!("not a Socket.IO packet")
        };
        assert_eq!(p.kind, SocketPacketType::Event);
        assert_eq!(p.namespace, "/chatomni");
        assert_eq!(p.ack_id, None);
        assert_eq!(p.event_name().unwrap(), "on-events");
        let args: Vec<_> = p.args().collect();
        assert_eq!(args.len(), 1);
        // Two levels: the argument is a JSON string whose content is the event object.
        let inner = args[0].as_json_str().unwrap();
        assert_eq!(inner, INCOMING);
        let event = RawJson::new(&inner).unwrap();
        let conversation = event.get("Conversation").unwrap();
        assert_eq!(conversation.get("ChannelType").unwrap().as_u64(), Some(4));
        assert_eq!(
            conversation.get("Name").unwrap().as_json_str().unwrap(),
            "Thảo Tây"
        );
        let message = event.get("Message").unwrap();
        assert_eq!(message.get("MessageType").unwrap().as_u64(), Some(12));
        assert_eq!(
            message.get("EventName").unwrap().as_json_str().unwrap(),
            "chatomni.on-message"
        );
        let from = message.get("Data").unwrap().get("from").unwrap();
        assert_eq!(
            from.get("id").unwrap().as_json_str().unwrap(),
            "3430680146979574"
        );
        // serde agrees on the inner object.
        let value: serde_json::Value = serde_json::from_str(&inner).unwrap();
        assert_eq!(value["Message"]["Data"]["message"], "Nu");
    }
}

#[test]
fn heartbeat_of_the_session() {
    // rt-2 is an Engine.IO v4 server: it pings, the client pongs.
    assert_eq!(
        round_trip("2"),
        DecodedFrame::Engine(EnginePacket::Ping(""))
    );
    assert_eq!(
        round_trip("3"),
        DecodedFrame::Engine(EnginePacket::Pong(""))
    );
}
