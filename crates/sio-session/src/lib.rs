//! sio-session
