//! Integration tests of the mock: real sockets on 127.0.0.1, raw Engine.IO frames, the HTTP
//! endpoints, and the real `socket.io-client` on Node (installed by
//! `scripts/install-node-deps.sh`).

mod interop;
mod server;
mod support;
