//! Crate-level behaviour of sio-wire: the protocol documents' examples, the rt-2 seed frames,
//! malformed inputs (kind and offset), and property tests.

mod binary;
mod engine;
mod fuzz_corpus;
mod fuzz_regressions;
mod json;
mod json_equivalence;
mod malformed;
mod properties;
mod protocol_eio3;
mod seed;
mod spec_engine;
mod spec_socket;

use sio_wire::{EngineError, SocketError};

/// `(kind, offset)` of an Engine.IO error, for compact assertions.
pub(crate) fn engine_err<T: std::fmt::Debug>(
    r: Result<T, EngineError>,
) -> (sio_wire::EngineErrorKind, usize) {
    let e = r.expect_err("expected an Engine.IO error");
    (e.kind(), e.offset())
}

/// `(kind, offset)` of a Socket.IO error, for compact assertions.
pub(crate) fn socket_err<T: std::fmt::Debug>(
    r: Result<T, SocketError>,
) -> (sio_wire::SocketErrorKind, usize) {
    let e = r.expect_err("expected a Socket.IO error");
    (e.kind(), e.offset())
}
