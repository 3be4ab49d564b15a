//! sio-wire
