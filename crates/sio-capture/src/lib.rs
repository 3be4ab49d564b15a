//! Captures as data: the sio-replay capture format (JSON Lines) and everything that reads or
//! writes it.
//!
//! Synchronous file I/O only: no async runtime, no network.

pub mod record;

pub use record::{
    Direction, FORMAT_NAME, FORMAT_VERSION, FrameKind, FrameRecord, GapRecord, Header, HttpRecord,
    Record,
};
