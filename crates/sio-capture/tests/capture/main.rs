//! Crate-level behaviour of sio-capture: the native format round trip, reader errors,
//! importers on browser exports, redaction and normalised transcripts.

mod bundled;
mod docs_examples;
mod fixtures;
mod fuzz_corpus;
mod import;
mod import_properties;
mod output_files;
mod pcap;
mod pcap_build;
mod reader_errors;
mod redaction;
mod roundtrip;
mod transcript;
