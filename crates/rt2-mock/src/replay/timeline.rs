//! The replay timeline: which events to send, and when, as a pure function of elapsed time.
//!
//! Nothing here reads a clock. A [`ReplayCursor`] is asked "what is due at `elapsed`?" and
//! "when is the next event due?", so the per-connection task, the shared room task and the unit
//! tests all drive it the same way.

use std::sync::Arc;
use std::time::Duration;

/// A repeating, paced cursor starts at most one pass per this much elapsed time. At a huge
/// speed factor (`--speed 1e300 --loop`) a whole pass scales to nothing, and without this floor
/// every pass would be due at once: an endless loop for whoever takes the due events.
const MIN_PASS_INTERVAL: Duration = Duration::from_millis(1);

/// The latest a replayed event is ever due, in elapsed time: about thirty years, as tokio's
/// own "far future". A capture's timestamps and the speed factor can ask for any gap at all
/// (`t_ms` of 1e300, `--speed 1e-300`); every gap is clamped here, so that adding it to an
/// `Instant` or a wall-clock time can never overflow.
pub const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

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

    /// `offset` divided by the speed factor, at most [`FAR_FUTURE`].
    fn scale(&self, offset: Duration) -> Duration {
        match self.settings.pace.speed() {
            // Guard against a zero, negative or NaN factor that validation should have refused:
            // treat it as "no gaps" rather than dividing by it.
            Some(speed) if speed.is_finite() && speed > 0.0 => {
                // A tiny factor makes the quotient overflow a Duration (or reach infinity):
                // that gap is "never", which is FAR_FUTURE.
                Duration::try_from_secs_f64(offset.as_secs_f64() / speed)
                    .map_or(FAR_FUTURE, |scaled| scaled.min(FAR_FUTURE))
            }
            _ => Duration::ZERO,
        }
    }

    /// The start of the current pass at original speed.
    fn pass_origin(&self) -> Duration {
        let period = self
            .timeline
            .span()
            .saturating_add(self.settings.loop_pause);
        period.saturating_mul(self.pass_count())
    }

    fn pass_count(&self) -> u32 {
        u32::try_from(self.pass).unwrap_or(u32::MAX)
    }

    /// `offset` (at original speed, from the start of the first pass) scaled, and no earlier
    /// than the current pass may start ([`MIN_PASS_INTERVAL`] per pass), at most
    /// [`FAR_FUTURE`].
    fn scaled_in_pass(&self, offset: Duration) -> Duration {
        let scaled = self.scale(offset);
        if self.is_unpaced() {
            return scaled;
        }
        scaled.max(pass_floor(self.pass)).min(FAR_FUTURE)
    }

    /// When the next event is due, as elapsed time since the cursor started, at most
    /// [`FAR_FUTURE`]; `None` when the cursor is finished.
    pub fn next_due(&self) -> Option<Duration> {
        if self.is_finished() {
            return None;
        }
        let event = self.timeline.events().get(self.index)?;
        Some(self.scaled_in_pass(self.pass_origin().saturating_add(event.offset)))
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
            pass_start: self.scaled_in_pass(self.pass_origin()),
        };
        self.index += 1;
        if self.index >= self.timeline.len() && self.settings.repeat {
            self.index = 0;
            self.pass += 1;
        }
        Some(due)
    }

    /// Skips every event due before `elapsed` without returning it; a client joining a live
    /// room midway starts at the room's present, not at the beginning. A repeating cursor
    /// jumps over whole passes at once, so this takes as long for a room that has run a year
    /// at `--speed 1e300` as for one that has run a second.
    pub fn skip_to(&mut self, elapsed: Duration) {
        if self.settings.repeat && !self.is_unpaced() && !self.timeline.is_empty() {
            if let Some(pass) = self.last_pass_starting_before(elapsed) {
                self.pass = pass;
                self.index = 0;
            }
        }
        // What is left before `elapsed` is at most one pass, the rest of the current one.
        let mut left = self.timeline.len() + 1;
        // Events saturated at FAR_FUTURE are never in the past, however long a room has run.
        while left > 0
            && self
                .next_due()
                .is_some_and(|due| due < elapsed && due < FAR_FUTURE)
        {
            if self.pop_due(elapsed).is_none() {
                break;
            }
            left -= 1;
        }
    }

    /// The latest pass after the current one that starts before `elapsed`, if any.
    fn last_pass_starting_before(&self, elapsed: Duration) -> Option<u64> {
        let starts_before = |pass: u64| {
            let period = self
                .timeline
                .span()
                .saturating_add(self.settings.loop_pause);
            let count = u32::try_from(pass).unwrap_or(u32::MAX);
            let start = self
                .scale(period.saturating_mul(count))
                .max(pass_floor(pass));
            start < elapsed && start < FAR_FUTURE
        };
        // Pass n starts no earlier than n × MIN_PASS_INTERVAL, which bounds the search.
        let mut high = u64::try_from(elapsed.as_nanos() / MIN_PASS_INTERVAL.as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let mut low = self.pass.saturating_add(1);
        if low > high || !starts_before(low) {
            return None;
        }
        // Invariant: `low` starts before `elapsed`; passes after `high` do not.
        while low < high {
            let middle = low + (high - low).div_ceil(2);
            if starts_before(middle) {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        Some(low)
    }
}

/// The earliest pass `pass` of a paced, repeating cursor may start: `pass` times
/// [`MIN_PASS_INTERVAL`] (counted in 64 bits, so the floor keeps rising for centuries).
fn pass_floor(pass: u64) -> Duration {
    let nanos = MIN_PASS_INTERVAL
        .as_nanos()
        .saturating_mul(u128::from(pass));
    u64::try_from(nanos).map_or(Duration::MAX, Duration::from_nanos)
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
    fn skip_to_jumps_over_whole_passes_of_a_repeating_cursor() {
        // Passes start every 150 ms (span 100 + pause 50).
        let mut cursor = ReplayCursor::new(timeline(&[0, 100]), settings(Pace::Original, true));
        cursor.skip_to(ms(1000));
        assert_eq!(cursor.next_due(), Some(ms(1000)));
        assert_eq!(cursor.taken(), 13);
        // A year of a room at a huge speed: one pass per millisecond, skipped at once.
        let year = Duration::from_secs(86_400 * 365);
        let mut fast = ReplayCursor::new(timeline(&[0, 100]), settings(Pace::Scaled(1e300), true));
        fast.skip_to(year);
        assert_eq!(fast.next_due(), Some(year));
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
    fn extreme_offsets_and_speeds_saturate_at_the_far_future() {
        let huge = ReplayTimeline::new(vec![
            ReplayEvent {
                offset: ms(0),
                data: "a".into(),
            },
            ReplayEvent {
                offset: Duration::MAX,
                data: "b".into(),
            },
        ]);
        for speed in [1e-300, f64::MIN_POSITIVE, 1e-9, 1.0, 1e300, f64::MAX] {
            for repeat in [false, true] {
                let mut cursor = ReplayCursor::new(
                    huge.clone(),
                    CursorSettings {
                        pace: Pace::Scaled(speed),
                        repeat,
                        loop_pause: Duration::MAX,
                    },
                );
                assert_eq!(cursor.next_due(), Some(ms(0)));
                assert!(cursor.pop_due(ms(0)).is_some());
                let due = cursor.next_due().unwrap();
                assert!(due <= FAR_FUTURE, "{speed}: {due:?}");
                let taken = cursor.pop_due(FAR_FUTURE).unwrap();
                assert!(taken.pass_start <= FAR_FUTURE);
                cursor.skip_to(Duration::MAX);
                if let Some(next) = cursor.next_due() {
                    assert!(next <= FAR_FUTURE);
                }
            }
        }
        let tiny = ReplayCursor::new(timeline(&[0, 1]), settings(Pace::Scaled(1e-300), false));
        let mut tiny = tiny;
        tiny.pop_due(ms(0));
        assert_eq!(tiny.next_due(), Some(FAR_FUTURE), "1 ms at 1e-300 is never");
    }

    /// At a speed where a whole pass scales to nothing, a repeating cursor still starts one
    /// pass per millisecond, so taking what is due always ends.
    #[test]
    fn a_repeating_cursor_at_a_huge_speed_starts_one_pass_per_millisecond() {
        for (offsets, loop_pause) in [(&[0, 100][..], ms(50)), (&[0, 0], Duration::ZERO)] {
            let mut cursor = ReplayCursor::new(
                timeline(offsets),
                CursorSettings {
                    pace: Pace::Scaled(1e300),
                    repeat: true,
                    loop_pause,
                },
            );
            assert_eq!(drain(&mut cursor, ms(0)).len(), 2, "the first pass only");
            assert_eq!(cursor.next_due(), Some(ms(1)));
            assert_eq!(drain(&mut cursor, ms(10)).len(), 20, "passes 1 to 10");
            let due = cursor.pop_due(ms(11)).unwrap();
            assert_eq!((due.pass, due.pass_start), (11, ms(11)));
        }
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
