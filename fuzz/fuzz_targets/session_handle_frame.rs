#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sio_session::fuzzing::session_handle_frame(data));
