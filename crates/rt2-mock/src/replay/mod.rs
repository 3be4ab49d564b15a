//! The replay engine: a capture's events on a timeline, and how they are paced.
//!
//! - `capture.rs`: [`Capture`], a capture file read for serving.
//! - `timeline.rs`: [`ReplayTimeline`] and [`ReplayCursor`], pure functions of elapsed time.
//! - `shift.rs`: [`shift_timestamps`], moving an event's timestamps to now.

mod capture;
pub(crate) mod room;
mod shift;
mod timeline;

pub use capture::Capture;
pub use shift::shift_timestamps;
pub use timeline::{
    CursorSettings, DueEvent, FAR_FUTURE, Pace, ReplayCursor, ReplayEvent, ReplayTimeline,
};
