//! Socket.IO v5 packets (and protocol v4, for old captures), with their JSON payload kept as
//! a borrowed, validated span, and the reassembly of binary packets.

mod binary;
mod packet;

pub use crate::json::{Args, Elements, Members, RawJson};
pub use binary::{Arg, BinaryPacket, BinaryReassembler, placeholder_index};
#[allow(deprecated)]
pub use packet::decode_socket_packet_v4;
pub use packet::{
    OwnedSocketPacket, RESERVED_EVENTS, SocketHeader, SocketPacket, SocketPacketType,
    check_namespace, decode_socket_header, decode_socket_header_with, decode_socket_packet,
    decode_socket_packet_eio3, decode_socket_packet_with, encode_connect_error,
    encode_socket_packet, is_reserved_event,
};
