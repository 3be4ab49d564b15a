//! The replay timeline: which events to send, and when, as a pure function of elapsed time.
//!
//! Nothing here reads a clock. A [`ReplayCursor`] is asked "what is due at `elapsed`?" and
//! "when is the next event due?", so the per-connection task, the shared room task and the unit
//! tests all drive it the same way.

use std::sync::Arc;
use std::time::Duration;

/// One server-to-client event of a capture, ready to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayEvent {
    /// When the original server sent it, measured from the timeline's origin (the moment the
    /// recorded client's namespace connect was acknowledged).
    pub offset: Duration,
    /// The EVENT's payload: the JSON array `["on-events","{...}"]`, exactly as captured.
    pub data: Arc<str>,
}

/// The ordered events of one capture, shared by every cursor that replays it.
#[derive(Debug, Clone, Default)]
pub struct ReplayTimeline {
    events: Arc<[ReplayEvent]>,
}

impl ReplayTimeline {
    /// Builds a timeline from events; they are sorted by offset (stable, so equal offsets keep
    /// their capture order).
    pub fn new(mut events: Vec<ReplayEvent>) -> Self {
        events.sort_by_key(|event| event.offset);
        Self {
            events: events.into(),
        }
    }

    /// The events, in replay order.
    pub fn events(&self) -> &[ReplayEvent] {
        &self.events
    }

    /// How many events one pass replays.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when the capture had no event to replay.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The offset of the last event: how long one pass takes at original speed.
    pub fn span(&self) -> Duration {
        self.events
            .last()
            .map_or(Duration::ZERO, |event| event.offset)
    }
}

/// How fast the timeline is replayed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// With the gaps of the capture.
    Original,
    /// The capture's gaps divided by this factor: 2.0 is twice as fast, 0.5 half as fast.
    Scaled(f64),
    /// With no gaps: the next event is sent as soon as the client's send queue has room, so the
    /// client's reading speed sets the pace.
    AsFastAsClientReads,
}

impl Pace {
    /// The factor the capture's gaps are divided by; `None` for [`Pace::AsFastAsClientReads`].
    fn speed(self) -> Option<f64> {
        match self {
            Pace::Original => Some(1.0),
            Pace::Scaled(speed) => Some(speed),
            Pace::AsFastAsClientReads => None,
        }
    }
}

/// How a cursor replays its timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CursorSettings {
    /// How fast.
    pub pace: Pace,
    /// Start again from the first event after the last one.
    pub repeat: bool,
    /// The pause between the last event of one pass and the first of the next, at original
    /// speed (it is scaled like the capture's own gaps).
    pub loop_pause: Duration,
}

/// An event that is due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEvent {
    /// The event.
    pub event: ReplayEvent,
    /// Which pass of the timeline it belongs to, from 0 (more than 0 only when repeating).
    pub pass: u64,
    /// When the pass started, in elapsed time since the cursor started (scaled). Timestamp
    /// shifting uses it so each pass looks as if it had been recorded just now.
    pub pass_start: Duration,
}

/// A position in a [`ReplayTimeline`].
///
/// Time is always a parameter: `elapsed` is the time since the cursor started (the client's
/// namespace connect in per-connection mode, the room's first client in live mode).
#[derive(Debug, Clone)]
pub struct ReplayCursor {
    timeline: ReplayTimeline,
    settings: CursorSettings,
    index: usize,
    pass: u64,
}

impl ReplayCursor {
    /// A cursor at the first event of `timeline`.
    pub fn new(timeline: ReplayTimeline, settings: CursorSettings) -> Self {
        Self {
            timeline,
            settings,
            index: 0,
            pass: 0,
        }
    }

    /// True once every event was taken and the cursor does not repeat (or the timeline is
    /// empty).
    pub fn is_finished(&self) -> bool {
        self.timeline.is_empty() || (!self.settings.repeat && self.index >= self.timeline.len())
    }

    /// True when the pace is [`Pace::AsFastAsClientReads`]: events are due whenever the client
    /// can take them, and [`Self::next_due`] is always zero.
    pub fn is_unpaced(&self) -> bool {
        self.settings.pace.speed().is_none()
    }

    /// The number of events taken so far, over all passes.
    pub fn taken(&self) -> u64 {
        self.pass * self.timeline.len() as u64 + self.index as u64
    }

    fn scale(&self, offset: Duration) -> Duration {
        match self.settings.pace.speed() {
            // Guard against a zero, negative or NaN factor that validation should have refused:
            // treat it as "no gaps" rather than dividing by it.
            Some(speed) if speed.is_finite() && speed > 0.0 => {
                Duration::from_secs_f64(offset.as_secs_f64() / speed)
            }
            _ => Duration::ZERO,
        }
    }

    /// The start of the current pass at original speed.
    fn pass_origin(&self) -> Duration {
        let period = self.timeline.span() + self.settings.loop_pause;
        period.saturating_mul(u32::try_from(self.pass).unwrap_or(u32::MAX))
    }

    /// When the next event is due, as elapsed time since the cursor started; `None` when the
    /// cursor is finished.
    pub fn next_due(&self) -> Option<Duration> {
        if self.is_finished() {
            return None;
        }
        let event = self.timeline.events().get(self.index)?;
        Some(self.scale(self.pass_origin() + event.offset))
    }

    /// The next event, due or not; `None` when the cursor is finished.
    pub fn peek(&self) -> Option<&ReplayEvent> {
        if self.is_finished() {
            return None;
        }
        self.timeline.events().get(self.index)
    }

    /// Takes the next event if it is due at `elapsed`, moving to the next pass after the last
    /// event when repeating.
    pub fn pop_due(&mut self, elapsed: Duration) -> Option<DueEvent> {
        let due = self.next_due()?;
        if due > elapsed {
            return None;
        }
        let event = self.timeline.events().get(self.index)?.clone();
        let due = DueEvent {
            event,
            pass: self.pass,
            pass_start: self.scale(self.pass_origin()),
        };
        self.index += 1;
        if self.index >= self.timeline.len() && self.settings.repeat {
            self.index = 0;
            self.pass += 1;
        }
        Some(due)
    }

    /// Skips every event due before `elapsed` without returning it; a client joining a live
    /// room midway starts at the room's present, not at the beginning.
    pub fn skip_to(&mut self, elapsed: Duration) {
        while self.next_due().is_some_and(|due| due < elapsed) {
            // A repeating cursor always has a next event, so bound the loop by one pass per
            // event to stay finite even for a zero-span timeline.
            if self.pop_due(elapsed).is_none() {
                break;
            }
            if self.settings.repeat && self.timeline.span().is_zero() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn timeline(offsets_ms: &[u64]) -> ReplayTimeline {
        ReplayTimeline::new(
            offsets_ms
                .iter()
                .enumerate()
                .map(|(i, &offset)| ReplayEvent {
                    offset: ms(offset),
                    data: format!("[\"on-events\",\"{i}\"]").into(),
                })
                .collect(),
        )
    }

    fn settings(pace: Pace, repeat: bool) -> CursorSettings {
        CursorSettings {
            pace,
            repeat,
            loop_pause: ms(50),
        }
    }

    fn drain(cursor: &mut ReplayCursor, elapsed: Duration) -> Vec<String> {
        std::iter::from_fn(|| cursor.pop_due(elapsed))
            .map(|due| due.event.data.to_string())
            .collect()
    }

    #[test]
    fn original_pace_releases_events_at_their_offsets() {
        let mut cursor =
            ReplayCursor::new(timeline(&[0, 100, 250]), settings(Pace::Original, false));
        assert_eq!(cursor.next_due(), Some(ms(0)));
        assert_eq!(drain(&mut cursor, ms(0)).len(), 1);
        assert_eq!(cursor.next_due(), Some(ms(100)));
        assert!(cursor.pop_due(ms(99)).is_none());
        assert_eq!(drain(&mut cursor, ms(100)).len(), 1);
        assert_eq!(drain(&mut cursor, ms(1000)), vec!["[\"on-events\",\"2\"]"]);
        assert!(cursor.is_finished());
        assert_eq!(cursor.next_due(), None);
        assert_eq!(cursor.taken(), 3);
    }

    #[test]
    fn scaled_pace_divides_gaps_by_the_factor() {
        let cursor = ReplayCursor::new(timeline(&[0, 1000]), settings(Pace::Scaled(4.0), false));
        let mut cursor = cursor;
        cursor.pop_due(ms(0));
        assert_eq!(cursor.next_due(), Some(ms(250)));
        let mut slow = ReplayCursor::new(timeline(&[0, 1000]), settings(Pace::Scaled(0.5), false));
        slow.pop_due(ms(0));
        assert_eq!(slow.next_due(), Some(ms(2000)));
    }

    #[test]
    fn unpaced_cursor_has_every_event_due_at_once() {
        let mut cursor = ReplayCursor::new(
            timeline(&[0, 5_000, 90_000]),
            settings(Pace::AsFastAsClientReads, false),
        );
        assert!(cursor.is_unpaced());
        assert_eq!(cursor.peek().map(|e| e.offset), Some(ms(0)));
        assert_eq!(drain(&mut cursor, Duration::ZERO).len(), 3);
        assert!(cursor.peek().is_none());
    }

    #[test]
    fn repeating_cursor_starts_a_new_pass_after_the_pause() {
        let mut cursor = ReplayCursor::new(timeline(&[0, 100]), settings(Pace::Original, true));
        assert_eq!(drain(&mut cursor, ms(100)).len(), 2);
        // The second pass starts at span (100) + pause (50).
        assert_eq!(cursor.next_due(), Some(ms(150)));
        let due = cursor.pop_due(ms(150)).unwrap();
        assert_eq!(due.pass, 1);
        assert_eq!(due.pass_start, ms(150));
        assert_eq!(cursor.next_due(), Some(ms(250)));
        assert!(!cursor.is_finished());
        assert_eq!(cursor.taken(), 3);
    }

    #[test]
    fn skip_to_drops_the_past_for_a_midway_joiner() {
        let mut cursor = ReplayCursor::new(
            timeline(&[0, 100, 200, 300]),
            settings(Pace::Original, false),
        );
        cursor.skip_to(ms(150));
        assert_eq!(cursor.next_due(), Some(ms(200)));
        assert_eq!(cursor.taken(), 2);
    }

    #[test]
    fn skip_to_terminates_on_a_repeating_zero_span_timeline() {
        let mut cursor = ReplayCursor::new(
            timeline(&[0, 0]),
            CursorSettings {
                pace: Pace::Original,
                repeat: true,
                loop_pause: Duration::ZERO,
            },
        );
        cursor.skip_to(ms(10));
        assert!(!cursor.is_finished());
    }

    #[test]
    fn empty_timeline_is_finished_from_the_start() {
        let cursor = ReplayCursor::new(ReplayTimeline::default(), settings(Pace::Original, true));
        assert!(cursor.is_finished());
        assert_eq!(cursor.next_due(), None);
    }

    #[test]
    fn events_are_sorted_by_offset_keeping_capture_order_for_ties() {
        let timeline = ReplayTimeline::new(vec![
            ReplayEvent {
                offset: ms(10),
                data: "b".into(),
            },
            ReplayEvent {
                offset: ms(5),
                data: "a".into(),
            },
            ReplayEvent {
                offset: ms(10),
                data: "c".into(),
            },
        ]);
        let order: Vec<&str> = timeline.events().iter().map(|e| &*e.data).collect();
        assert_eq!(order, ["a", "b", "c"]);
        assert_eq!(timeline.span(), ms(10));
    }
}
