//! Client side: the recorder ([`record`]) and the load generator ([`load`]).
//!
//! Both dial an [`Endpoint`] (a `ws://`/`wss://` or `http(s)://` URL, a room, a namespace, a
//! token and optional extra CA certificates) over tokio-tungstenite with rustls.

mod connection;
mod dial;
mod error;
mod http_get;
pub mod load;
pub mod record;
pub mod session;

pub use dial::{Endpoint, Token};
pub use error::ClientError;
