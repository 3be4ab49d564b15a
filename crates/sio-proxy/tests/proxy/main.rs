//! sio-proxy's integration tests: real peers on 127.0.0.1 through a proxy started in-process.

mod bad_input;
mod forward;
mod http;
mod interop;
mod support;
