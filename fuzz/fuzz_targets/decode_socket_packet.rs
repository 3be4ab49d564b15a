#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sio_wire::fuzzing::decode_socket_packet(data));
