//! rt2-mock: a mock of TPOS's rt-2 Socket.IO server that replays captures to real clients, and
//! the client side used by `sio-replay record` and `load`.

pub mod auth;
pub mod client;
pub mod config;
mod connection;
pub mod error;
pub mod fault;
pub mod http;
pub mod hub;
pub mod queue;
pub mod replay;
pub mod scenario;
mod server;
mod shutdown;
mod transport;

pub use auth::AuthMode;
pub use config::{AdminAccess, CorsPolicy, MockConfig, ReplayMode, ReplaySettings};
pub use error::MockError;
pub use fault::FaultPlan;
pub use queue::{QueueLimits, SlowClientPolicy};
pub use replay::{Capture, Pace};
pub use server::{Acceptor, PlainTcp, RunningMock, bind, serve, serve_with};
pub use shutdown::ctrl_c_or_sigterm;
