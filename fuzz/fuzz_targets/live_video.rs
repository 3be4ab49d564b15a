#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tpos_chat::fuzzing::live_video(data));
