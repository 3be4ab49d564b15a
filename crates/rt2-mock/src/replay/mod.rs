//! The replay engine: a capture's events on a timeline, and how they are paced.
//!
//! - `capture.rs`: [`Capture`], a capture file read for serving.
//! - `timeline.rs`: [`ReplayTimeline`] and [`ReplayCursor`], pure functions of elapsed time.
//! - `shift.rs`: [`shift_timestamps`] and [`TimestampShift`], moving an event's timestamps to
//!   now.
//! - `live_videos.rs`: [`LiveVideoCatalog`], the capture's live videos, by page.
//! - `room.rs`: live mode's shared timeline per room, a task sending to the room.
//! - `fanout.rs`: a live room's members, and how an event reaches them: written by the room
//!   straight to their WebSocket writers (the fast path), or through their session tasks.

mod capture;
pub(crate) mod fanout;
mod live_videos;
pub(crate) mod room;
mod shift;
mod timeline;

pub use capture::Capture;
pub use live_videos::{LiveVideoCatalog, PageError};
pub use shift::{TimestampShift, shift_timestamps};
pub use timeline::{
    CursorSettings, DueEvent, FAR_FUTURE, Pace, ReplayCursor, ReplayEvent, ReplayTimeline,
};
