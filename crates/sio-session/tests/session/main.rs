//! Crate-level behaviour of the session machines, driven entirely in memory: no sockets, no
//! sleeps; time is an `Instant` advanced by hand.
//!
//! `engineio_suite` and `socketio_suite` cover, one test per case, every server behaviour the
//! official test suites (`engine.io-protocol/test-suite/test-suite.js` and
//! `socket.io-protocol/test-suite/test-suite.js`) check, against the reference servers their
//! READMEs describe.

mod client;
mod engineio_suite;
mod fuzz_corpus;
mod harness;
mod loopback;
mod no_panic;
mod server;
mod socketio_suite;
