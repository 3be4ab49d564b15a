#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sio_wire::fuzzing::decode_polling_payload_v3(data));
