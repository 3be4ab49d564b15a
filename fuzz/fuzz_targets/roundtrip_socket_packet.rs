#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sio_wire::fuzzing::roundtrip_socket_packet(data));
