#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sio_contract::fuzzing::infer_and_validate(data));
