//! Replays the committed fuzz seeds, `fuzz/seeds/<target>/*`, through the harness bodies in
//! `sio_wire::fuzzing`, so the corpora stay green on stable without the fuzzer (`fuzz/README.md`
//! says how to run the fuzzer itself).

use fuzz_seeds::replay;

#[test]
fn decode_text_frame_seeds() {
    replay("decode_text_frame", sio_wire::fuzzing::decode_text_frame);
}

#[test]
fn decode_binary_frame_seeds() {
    replay(
        "decode_binary_frame",
        sio_wire::fuzzing::decode_binary_frame,
    );
}

#[test]
fn decode_polling_payload_seeds() {
    replay(
        "decode_polling_payload",
        sio_wire::fuzzing::decode_polling_payload,
    );
}

#[test]
fn decode_polling_payload_v3_seeds() {
    replay(
        "decode_polling_payload_v3",
        sio_wire::fuzzing::decode_polling_payload_v3,
    );
}

#[test]
fn decode_socket_packet_seeds() {
    replay(
        "decode_socket_packet",
        sio_wire::fuzzing::decode_socket_packet,
    );
}

#[test]
fn decode_message_seeds() {
    replay("decode_message", sio_wire::fuzzing::decode_message);
}

#[test]
fn binary_reassembler_seeds() {
    replay("binary_reassembler", sio_wire::fuzzing::binary_reassembler);
}

#[test]
fn roundtrip_socket_packet_seeds() {
    replay(
        "roundtrip_socket_packet",
        sio_wire::fuzzing::roundtrip_socket_packet,
    );
}

#[test]
fn raw_json_new_seeds() {
    replay("raw_json_new", sio_wire::fuzzing::raw_json_new);
}
