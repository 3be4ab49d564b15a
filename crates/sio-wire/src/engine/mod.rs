//! Engine.IO v4 packets: WebSocket text and binary frames, the handshake, and long-polling
//! payloads (v4 and, for old captures, v3).
//!
//! From the engine.io-protocol README (v4), "Packet encoding":
//!
//! > Each Engine.IO packet is sent in its own WebSocket frame. Format: `<packet type>[<data>]`
//! > [...] Binary payloads are sent as is, without modification.

mod open;
mod packet;
pub mod payload;
pub mod payload_v3;

pub use open::{Handshake, Upgrades};
pub use packet::{
    EnginePacket, EnginePacketType, Payload, decode_binary_frame, decode_binary_frame_v3,
    decode_text_frame, decode_text_frame_bytes, decode_text_frame_with, encode_binary_frame_v3,
    encode_text_frame,
};
pub use payload::{
    Base64Data, PollingPacket, PollingPayload, RECORD_SEPARATOR, decode_polling_payload,
    decode_polling_payload_bytes, decode_polling_payload_with, encode_polling_payload,
};
pub use payload_v3::{
    PollingPayloadV3, PollingPayloadV3Binary, decode_polling_payload_v3,
    decode_polling_payload_v3_binary, decode_polling_payload_v3_with, encode_polling_payload_v3,
};
