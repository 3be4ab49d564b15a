//! Delivery skew, computed as the run goes: for an event that several clients receive (the
//! same payload, the same occurrence on each client), how much later each client got it than
//! the first one did.
//!
//! The clients hand each arrival over as it comes. An event is kept open, as its first arrival
//! and a count, until the newest arrival of the run is [`HORIZON`] past its first one; each
//! later arrival is a sample of its delay behind the first, and the first arrival's own 0 is
//! recorded when a second client gets the event (an event one client alone got is no sample).
//! So the memory is one small entry per event of the last [`HORIZON`], whatever the run's
//! length (the log of every arrival this replaces was 32 bytes per arrival: 3.2 GB for a
//! one-hour soak of 1000 clients at rt-2's pace), and the hot path records a sample and
//! revisits nothing. An arrival more than [`HORIZON`] after an event's first one is not a
//! sample of it: it opens an event of its own, which counts only if another client also gets
//! it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::load::report::{micros, new_histogram};

/// How long an event stays open for later arrivals. Fan-out skews are milliseconds; ten
/// seconds leaves room for a stalled client without keeping arrivals for long.
pub(crate) const HORIZON: Duration = Duration::from_secs(10);

/// An event as clients see it: a hash of its payload and its occurrence on the client.
pub(crate) type EventKey = (u64, u32);

/// The open events and the samples so far, shared by every client of a run.
pub(crate) struct SkewCollector {
    state: Mutex<State>,
}

/// The first arrival of an open event and how many clients got it so far.
#[derive(Clone, Copy)]
struct Open {
    first: Instant,
    count: u32,
}

struct State {
    open: HashMap<EventKey, Open>,
    /// The newest arrival so far.
    newest: Option<Instant>,
    /// When the open events were last swept.
    swept: Option<Instant>,
    histogram: Histogram<u64>,
}

impl SkewCollector {
    pub(crate) fn new() -> Self {
        SkewCollector {
            state: Mutex::new(State {
                open: HashMap::new(),
                newest: None,
                swept: None,
                histogram: new_histogram(),
            }),
        }
    }

    /// Adds one arrival: a client got the event `key` at `at`. The samples are recorded at
    /// once (an event's first arrival gives its 0 when a second client gets it), so the hot
    /// path never revisits an event; arrivals are compared with the first one the generator
    /// handled, which on a multi-thread runtime may be microseconds later than the earliest.
    pub(crate) fn add(&self, key: EventKey, at: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let newest = state.newest.map_or(at, |newest| newest.max(at));
        state.newest = Some(newest);
        let State {
            open, histogram, ..
        } = &mut *state;
        match open.get_mut(&key) {
            Some(event) if at.saturating_duration_since(event.first) <= HORIZON => {
                if event.count == 1 {
                    let _ = histogram.record(micros(Duration::ZERO));
                }
                // Out of range (beyond an hour) is the only failure; not possible here.
                let _ = histogram.record(micros(at.saturating_duration_since(event.first)));
                event.count += 1;
            }
            // Past the horizon of the event with this key, or a new one: it opens here.
            _ => {
                open.insert(
                    key,
                    Open {
                        first: at,
                        count: 1,
                    },
                );
            }
        }
        // Sweep at most once per second of arrivals: a sweep visits every open event.
        if state
            .swept
            .is_none_or(|swept| newest.saturating_duration_since(swept) >= Duration::from_secs(1))
        {
            state
                .open
                .retain(|_, event| newest.saturating_duration_since(event.first) <= HORIZON);
            state.swept = Some(newest);
        }
    }

    /// The samples of the run.
    pub(crate) fn finish(&self) -> Histogram<u64> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.open.clear();
        std::mem::replace(&mut state.histogram, new_histogram())
    }
}

/// One client's view of the events: it numbers the occurrences of each payload, so that the
/// n-th copy of a payload a looping server sends is matched with every other client's n-th.
pub(crate) struct Arrivals<'a> {
    into: &'a SkewCollector,
    /// The occurrences of each payload on this client so far.
    seen: HashMap<u64, u32>,
}

impl<'a> Arrivals<'a> {
    pub(crate) fn new(into: &'a SkewCollector) -> Self {
        Arrivals {
            into,
            seen: HashMap::new(),
        }
    }

    /// This client got the payload hashed to `payload` at `at`.
    pub(crate) fn record(&mut self, payload: u64, at: Instant) {
        let occurrence = self.seen.entry(payload).or_insert(0);
        self.into.add((payload, *occurrence), at);
        *occurrence += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::report::Percentiles;

    fn skew(clients: &[Vec<(u64, u64)>]) -> Percentiles {
        let t0 = Instant::now();
        let collector = SkewCollector::new();
        for client in clients {
            let mut arrivals = Arrivals::new(&collector);
            for &(payload, ms) in client {
                arrivals.record(payload, t0 + Duration::from_millis(ms));
            }
        }
        Percentiles::from_micros(&collector.finish())
    }

    #[test]
    fn skew_matches_the_same_occurrence_across_clients() {
        // Payload 1 twice on each of two clients, payload 2 on one client only.
        let a = vec![(1, 0), (1, 10)];
        let b = vec![(1, 5), (1, 10)];
        let c = vec![(2, 100)];
        let skew = skew(&[a, b, c]);
        assert_eq!(skew.count, 4, "{skew:?}");
        assert!((skew.max_ms - 5.0).abs() < 0.01, "{skew:?}");
        assert!(skew.min_ms <= 0.002, "{skew:?}");
    }

    #[test]
    fn a_long_run_keeps_only_the_events_of_the_horizon_and_loses_no_sample() {
        // Three clients, an event every 100 ms for 60 s (600 events), each client 0, 1 and
        // 2 ms after the first: 1800 samples, max 2 ms.
        let t0 = Instant::now();
        let collector = SkewCollector::new();
        let mut clients: Vec<Arrivals<'_>> = (0..3).map(|_| Arrivals::new(&collector)).collect();
        let mut most_open = 0;
        for event in 0..600u64 {
            for (n, client) in clients.iter_mut().enumerate() {
                let at = t0 + Duration::from_millis(event * 100 + n as u64);
                client.record(event % 7, at);
            }
            let open = collector.state.lock().unwrap().open.len();
            most_open = most_open.max(open);
        }
        drop(clients);
        let histogram = collector.finish();
        let skew = Percentiles::from_micros(&histogram);
        assert_eq!(skew.count, 1800, "{skew:?}");
        assert!((skew.max_ms - 2.0).abs() < 0.01, "{skew:?}");
        // 10 s of events at 10 a second, plus a second between sweeps.
        assert!(most_open <= 111, "{most_open} events open at once");
    }

    #[test]
    fn an_arrival_past_the_horizon_is_not_a_sample_of_the_event() {
        let late = HORIZON.as_millis() as u64 + 1;
        let alone = skew(&[vec![(1, 0)], vec![(1, late)]]);
        assert_eq!(alone.count, 0, "{alone:?}");
        let paired = skew(&[vec![(1, 0)], vec![(1, late)], vec![(1, late + 3)]]);
        assert_eq!(
            paired.count, 2,
            "the late pair is an event of its own: {paired:?}"
        );
        assert!((paired.max_ms - 3.0).abs() < 0.01, "{paired:?}");
    }
}
