//! Integration tests of the mock: real sockets on 127.0.0.1, raw Engine.IO frames, the HTTP
//! endpoints, who may reach them, and the real `socket.io-client` on Node (installed by
//! `scripts/install-node-deps.sh`), and python-socketio (installed by
//! `scripts/install-python-deps.sh`). One binary for all of them: each test binary is a link
//! on a 2-core CI.

mod access;
mod conformance;
mod interop;
mod interop_python;
mod limits;
mod observe;
mod queue;
mod scenario;
mod server;
mod support;
