#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sio_capture::fuzzing::import_pcap(data));
