//! Integration tests of the mock: real sockets on 127.0.0.1, raw Engine.IO frames, the HTTP
//! endpoints, and the real `socket.io-client` on Node (installed by
//! `scripts/install-node-deps.sh`), and python-socketio (installed by
//! `scripts/install-python-deps.sh`).

mod interop;
mod interop_python;
mod queue;
mod server;
mod support;
