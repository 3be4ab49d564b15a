#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tcp_reassembly::fuzzing::reassembler_segment(data));
