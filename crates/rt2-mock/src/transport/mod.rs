//! The two Engine.IO transports, as thin layers between hyper / tungstenite and the session
//! task ([`connection`](crate::connection)).

pub(crate) mod polling;
pub(crate) mod websocket;
