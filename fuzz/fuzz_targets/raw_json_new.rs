#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sio_wire::fuzzing::raw_json_new(data));
