#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sio_session::fuzzing::client_handle_frame(data));
