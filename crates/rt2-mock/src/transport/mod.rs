//! The two Engine.IO transports, as thin layers between hyper / tungstenite and the session
//! task ([`session`](crate::session)), and the Engine.IO endpoint that opens sessions and
//! routes requests to them.

pub(crate) mod engine;
pub(crate) mod polling;
pub(crate) mod websocket;
