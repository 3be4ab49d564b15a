#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ws_passive::fuzzing::ws_passive_feed(data));
