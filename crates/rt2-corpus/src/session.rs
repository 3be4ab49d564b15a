//! The timeline of a chat session as the browser sees it: handshake, namespace connect, a few
//! hundred events with the gaps of a live-selling evening, and the heartbeat.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sio_capture::Direction;

use crate::chat::{
    EventFactory, EventNamePlacement, SEED_EVENT_JSON, SEED_EVENT_TIME, on_events_frame,
};
use crate::clock::{MILLI, Micros};
use crate::world::{
    NAMESPACE_SID, OPEN_FRAME, PING_INTERVAL, SESSION_START, live_videos, session_token,
};

/// How many `on-events` frames the bundled session has.
pub const SESSION_EVENTS: usize = 280;

/// One frame of a generated session.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedFrame {
    /// Microseconds since the session started (the capture header's `started_at`).
    pub t: i64,
    /// Who sent it.
    pub from: Direction,
    /// The frame's text.
    pub data: String,
}

/// The frames of the bundled chat session, in time order, with the token unredacted (writers
/// redact it on the way to disk).
///
/// The first `on-events` frame is the seed's "Nu" message from "Thảo Tây"; the rest come from
/// a mix of live comments (on the page's current live video),
/// Facebook inbox messages and shop replies, Zalo messages and conversation updates. Message
/// events carry `EventName` inside `Message`, as the seed's does
/// ([`EventNamePlacement::InMessage`]).
pub fn session_frames(seed: u64) -> Vec<TimedFrame> {
    session_frames_with(seed, EventNamePlacement::default())
}

/// [`session_frames`] with message events' `EventName` where `placement` says. The frames
/// differ from the default ones only in that field's place (the seed's own message first
/// keeps its verbatim shape).
///
/// ```
/// use rt2_corpus::{EventNamePlacement, session_frames_with};
///
/// let top = session_frames_with(1, EventNamePlacement::TopLevel);
/// let inside = session_frames_with(1, EventNamePlacement::InMessage);
/// assert_eq!(top.len(), inside.len());
/// assert_ne!(top, inside);
/// ```
pub fn session_frames_with(seed: u64, placement: EventNamePlacement) -> Vec<TimedFrame> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xc4a7_0311);
    let live = live_videos(seed).remove(0);
    let mut factory = EventFactory::new(seed, live).with_placement(placement);
    let mut frames = Vec::with_capacity(SESSION_EVENTS * 2);
    let mut push = |t: Micros, from: Direction, data: String| {
        frames.push(TimedFrame { t, from, data });
    };

    // The browser opens the socket a moment after the capture starts; the server's open packet
    // arrives, the client joins /chatomni with its token, the server confirms.
    let open = 61 * MILLI + rng.random_range(0..1000);
    push(open, Direction::Server, OPEN_FRAME.to_owned());
    let join = open + 3 * MILLI + rng.random_range(0..2000);
    push(
        join,
        Direction::Client,
        format!(r#"40/chatomni,{{"token":"{}"}}"#, session_token()),
    );
    let joined = join + 38 * MILLI + rng.random_range(0..9000);
    push(
        joined,
        Direction::Server,
        format!(r#"40/chatomni,{{"sid":"{NAMESPACE_SID}"}}"#),
    );

    // The seed's message first, delivered shortly after rt-2 stamped it.
    let mut t = SEED_EVENT_TIME - SESSION_START + 48 * MILLI + rng.random_range(0..1000);
    push(t, Direction::Server, on_events_frame(SEED_EVENT_JSON));
    for _ in 1..SESSION_EVENTS {
        t += event_gap(&mut rng);
        let kind = factory.pick_kind();
        let json = factory.event_json(kind, SESSION_START + t);
        push(t, Direction::Server, on_events_frame(&json));
    }

    // The server pings every pingInterval from its open packet; the browser answers at once.
    let end = t + 2_000 * MILLI;
    let mut ping = open + PING_INTERVAL;
    while ping < end {
        let arrives = ping + rng.random_range(0..3000);
        push(arrives, Direction::Server, "2".to_owned());
        push(
            arrives + 150 + rng.random_range(0..1800),
            Direction::Client,
            "3".to_owned(),
        );
        ping += PING_INTERVAL;
    }

    frames.sort_by_key(|f| f.t);
    frames
}

/// The time to the next event: mostly a steady trickle of comments, sometimes a lull while the
/// host shows a product, rarely a long quiet stretch.
fn event_gap(rng: &mut ChaCha8Rng) -> Micros {
    let millis = match rng.random_range(0..100u32) {
        0..50 => rng.random_range(120..800),
        50..80 => rng.random_range(800..2_000),
        80..95 => rng.random_range(2_000..5_000),
        _ => rng.random_range(8_000..30_000),
    };
    millis * MILLI + rng.random_range(0..1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tpos_chat::EventDecoder;

    #[test]
    fn the_session_has_the_seeds_shape() {
        let frames = session_frames(crate::DEFAULT_SEED);
        assert_eq!(frames[0].data, OPEN_FRAME);
        assert!(frames[1].data.starts_with(r#"40/chatomni,{"token":"eyJ"#));
        assert_eq!(frames[1].from, Direction::Client);
        assert_eq!(
            frames[2].data,
            r#"40/chatomni,{"sid":"SSUs7rUdms63DeB9R9vX"}"#
        );
        assert_eq!(frames[3].data, on_events_frame(SEED_EVENT_JSON));
        let events = frames
            .iter()
            .filter(|f| f.data.starts_with("42/chatomni,"))
            .count();
        assert_eq!(events, SESSION_EVENTS);
        assert!(frames.windows(2).all(|w| w[0].t <= w[1].t));
    }

    #[test]
    fn the_session_lasts_minutes_with_pings_every_25_seconds() {
        let frames = session_frames(crate::DEFAULT_SEED);
        let last = frames.last().unwrap().t;
        assert!(
            (5 * 60 * 1_000_000..20 * 60 * 1_000_000).contains(&last),
            "{last}"
        );
        let pings: Vec<i64> = frames
            .iter()
            .filter(|f| f.data == "2")
            .map(|f| f.t)
            .collect();
        let pongs = frames.iter().filter(|f| f.data == "3").count();
        assert_eq!(pings.len(), pongs);
        assert!(pings.len() >= 10);
        for w in pings.windows(2) {
            let gap = w[1] - w[0];
            assert!((24_997_000..25_003_000).contains(&gap), "{gap}");
        }
        // There are lulls: at least one gap of 8 s or more between events.
        let event_times: Vec<i64> = frames
            .iter()
            .filter(|f| f.data.starts_with("42/"))
            .map(|f| f.t)
            .collect();
        assert!(event_times.windows(2).any(|w| w[1] - w[0] >= 8_000_000));
    }

    #[test]
    fn decode_frame_finds_exactly_the_events() {
        let mut decoder = EventDecoder::new();
        for f in session_frames(crate::DEFAULT_SEED) {
            let event = decoder.decode_frame(&f.data).unwrap();
            assert_eq!(event.is_some(), f.data.starts_with("42/"), "{}", f.data);
        }
    }

    #[test]
    fn every_event_decodes_and_frames_stay_in_the_bench_size_range() {
        let mut decoder = EventDecoder::new();
        for f in session_frames(5)
            .iter()
            .filter(|f| f.data.starts_with("42/"))
        {
            assert!(crate::chat::decodes(&mut decoder, &f.data), "{}", f.data);
            assert!((300..=3000).contains(&f.data.len()), "{}", f.data.len());
        }
    }
}
