//! rt2-mock: a mock of TPOS's rt-2 Socket.IO server that replays captures to real clients, and
//! the client side used by `sio-replay record` and `load`.

pub mod client;
