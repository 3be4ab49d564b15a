//! A deterministic generator of realistic rt-2 traffic, for tests, benchmarks and the bundled
//! captures.
//!
//! Everything here is a pure function of a seed: the same seed gives the same bytes on every
//! machine (integer time arithmetic, a portable ChaCha generator), so the captures under
//! `captures/` can be regenerated and checked byte for byte. The traffic is modelled on the seed
//! analysis of rt-2: the same handshake and sids, the seed's "Nu" message from "Thảo Tây" first,
//! then a live-selling evening of Facebook live comments, inbox messages, shop replies and Zalo
//! messages in Vietnamese, with a Facebook live-video listing whose `objectId`s the comments
//! carry. It trades realism in the large (one tenant, one page, one Zalo account) for
//! reproducibility.
//!
//! # Overview
//!
//! - [`bench_frames`]: a benchmark corpus of text frames (about 95% `on-events`).
//! - [`session_frames`]: the bundled chat session's frames with their times;
//!   [`session_frames_with`] puts `EventName` at the top level instead of inside `Message`
//!   ([`EventNamePlacement`]).
//! - [`live_video_exchanges`]: the live-video requests and pages.
//! - [`chrome_har`], [`devtools_text`]: what a browser would export.
//! - [`render_captures`], [`write_captures`]: the files of `captures/` (also the
//!   `gen-captures` binary: `cargo run -p rt2-corpus --bin gen-captures`).
//! - [`session_token`]: the synthetic JWT, signed with [`tpos_chat::TEST_SECRET`].
//!
//! # Example
//!
//! ```
//! use tpos_chat::EventDecoder;
//!
//! let frames = rt2_corpus::bench_frames(50, rt2_corpus::DEFAULT_SEED);
//! let mut decoder = EventDecoder::new();
//! let mut decoded = 0;
//! for frame in &frames {
//!     if let Some(args) = frame.strip_prefix("42/chatomni,") {
//!         let event = decoder.decode_args(args)?;
//!         assert!(event.event_name().is_some());
//!         decoded += 1;
//!     }
//! }
//! assert!(decoded >= 40);
//! # Ok::<(), tpos_chat::Error>(())
//! ```
//!
//! # Layout
//!
//! - `world.rs`: the tenant, page, channels, sids, token and live videos.
//! - `vocabulary.rs`: names and texts.
//! - `chat.rs`: event payloads as rt-2 writes them.
//! - `session.rs`: the chat session's timeline.
//! - `live.rs`: the live-video exchanges.
//! - `browser.rs`: the HAR and DevTools samples.
//! - `bench.rs`: the benchmark corpus.
//! - `captures.rs`: the bundled files.
//! - `clock.rs`: time formats.

mod bench;
mod browser;
mod captures;
mod chat;
mod clock;
mod live;
mod session;
mod vocabulary;
mod world;

pub use bench::bench_frames;
pub use browser::{chrome_har, devtools_text};
pub use captures::{
    CHATOMNI_CAPTURE, CHROME_HAR, CaptureFile, DEFAULT_SEED, DEVTOOLS_TEXT, LIVE_VIDEO_CAPTURE,
    render_captures, write_captures,
};
pub use chat::{EventNamePlacement, SEED_EVENT_JSON, on_events_frame};
pub use live::{FACEBOOK_TYPE, LIVE_VIDEO_LIMIT, LiveVideoExchange, live_video_exchanges};
pub use session::{SESSION_EVENTS, TimedFrame, session_frames, session_frames_with};
pub use world::{
    ENGINE_SID, NAMESPACE_SID, OPEN_FRAME, PAGE_ID, PAGE_NAME, RT2_URL, TENANT, TENANT_ORIGIN,
    ZALO_CHANNEL_ID, session_claims, session_token,
};
