//! Bounded per-client send queues, and what happens when a client reads too slowly.
//!
//! Every event for a client (replayed or injected) waits in its [`SendQueue`] until the
//! client's transport can take it. The queue is bounded in events and in bytes; when an event
//! does not fit, the [`SlowClientPolicy`] decides. Behind the queue, at most a small window of
//! frames is handed to a WebSocket writer at a time, so the unwritten data of a stalled
//! client never exceeds the queue's bounds plus that window.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// What to do with events for a client whose send queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowClientPolicy {
    /// Make room by dropping the oldest queued event. The client misses events but stays
    /// connected; the drops are counted in the session's stats. Suits live-mode replays, where
    /// fresh events matter more than old ones.
    DropOldest,
    /// Refuse new events while the queue is full, and disconnect the client once the queue has
    /// stayed full for `grace`. The client never sees a gap in the events it does receive.
    Disconnect {
        /// How long the queue may stay full before the client is dropped.
        grace: Duration,
    },
}

/// Bounds of one client's send queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// At most this many events queued.
    pub max_frames: usize,
    /// At most this many bytes of events queued.
    pub max_bytes: usize,
    /// What to do when an event does not fit.
    pub policy: SlowClientPolicy,
    /// At most this many bytes of frames handed to the transport and not yet written to the
    /// client, control frames included (connect replies, acks, pings, scenario emits): a
    /// client that stops reading while it keeps sending is disconnected as a slow client
    /// once more than this waits for it, whatever the policy. Default 4 MiB.
    pub max_unsent_bytes: usize,
}

impl QueueLimits {
    /// True when an event of `len` bytes can ever be queued: false when it alone is larger
    /// than `max_bytes`. Whoever waits for room before taking an event (an unpaced replay)
    /// must not wait for one that never fits: it takes it anyway and pushes it, and the queue
    /// refuses it and counts it as dropped.
    pub fn admits(&self, len: usize) -> bool {
        len <= self.max_bytes
    }
}

impl Default for QueueLimits {
    fn default() -> Self {
        Self {
            max_frames: 1024,
            max_bytes: 4 << 20,
            policy: SlowClientPolicy::Disconnect {
                grace: Duration::from_secs(5),
            },
            max_unsent_bytes: 4 << 20,
        }
    }
}

/// A queued item with its size.
#[derive(Debug, Clone)]
struct Queued<T> {
    item: T,
    len: usize,
}

/// What [`SendQueue::push`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Queued.
    Queued,
    /// Queued after dropping this many older events ([`SlowClientPolicy::DropOldest`]).
    QueuedDroppingOldest(usize),
    /// Not queued: the queue is full and the policy refuses new events for now (or the event
    /// alone is larger than the byte bound).
    Refused,
    /// Not queued, and the queue has been full for longer than the grace period: the client
    /// must be disconnected.
    Overflowed,
}

/// The events waiting for one client, with time as a parameter.
///
/// Events wait here until the client's transport can take them: on WebSocket while fewer
/// than a small window of frames are unwritten, on long-polling while a `GET` is pending.
/// Control frames (handshake, pings, connect replies, close) never wait here: the protocol
/// bounds how many of them can be outstanding.
#[derive(Debug)]
pub struct SendQueue<T> {
    limits: QueueLimits,
    items: VecDeque<Queued<T>>,
    bytes: usize,
    full_since: Option<Instant>,
    dropped: u64,
}

impl<T> SendQueue<T> {
    /// An empty queue with these bounds.
    pub fn new(limits: QueueLimits) -> Self {
        Self {
            limits,
            items: VecDeque::new(),
            bytes: 0,
            full_since: None,
            dropped: 0,
        }
    }

    /// The bounds it was made with.
    pub fn limits(&self) -> QueueLimits {
        self.limits
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Bytes waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Events dropped or refused so far because the client was slow.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// True when another event of `len` bytes would be queued without dropping anything.
    pub fn has_room_for(&self, len: usize) -> bool {
        self.items.len() < self.limits.max_frames
            && self.bytes.saturating_add(len) <= self.limits.max_bytes
    }

    /// Queues an event of `len` bytes, applying the slow-client policy when it does not fit.
    pub fn push(&mut self, item: T, len: usize, now: Instant) -> PushOutcome {
        let mut dropped_now = 0;
        if !self.limits.admits(len) {
            // An event larger than the byte bound can never be queued; refuse it without
            // dropping the events that can.
            self.dropped += 1;
            return PushOutcome::Refused;
        }
        if !self.has_room_for(len) {
            match self.limits.policy {
                SlowClientPolicy::DropOldest => {
                    while !self.has_room_for(len) {
                        let Some(old) = self.items.pop_front() else {
                            break;
                        };
                        self.bytes -= old.len;
                        dropped_now += 1;
                    }
                    self.dropped += dropped_now as u64;
                }
                SlowClientPolicy::Disconnect { grace } => {
                    self.dropped += 1;
                    let since = *self.full_since.get_or_insert(now);
                    return if now.saturating_duration_since(since) >= grace {
                        PushOutcome::Overflowed
                    } else {
                        PushOutcome::Refused
                    };
                }
            }
        }
        self.bytes += len;
        self.items.push_back(Queued { item, len });
        if dropped_now > 0 {
            PushOutcome::QueuedDroppingOldest(dropped_now)
        } else {
            PushOutcome::Queued
        }
    }

    /// True when the queue has been full for longer than the grace period of
    /// [`SlowClientPolicy::Disconnect`] (checked on a timer too, not only on push).
    pub fn is_overflowed(&self, now: Instant) -> bool {
        match (self.limits.policy, self.full_since) {
            (SlowClientPolicy::Disconnect { grace }, Some(since)) => {
                now.saturating_duration_since(since) >= grace
            }
            _ => false,
        }
    }

    /// When the queue would overflow if the client does not catch up.
    pub fn overflow_deadline(&self) -> Option<Instant> {
        match (self.limits.policy, self.full_since) {
            (SlowClientPolicy::Disconnect { grace }, Some(since)) => Some(since + grace),
            _ => None,
        }
    }

    /// Takes the oldest event. Taking one ends a "full" period: the client is catching up.
    pub fn pop(&mut self) -> Option<T> {
        let queued = self.items.pop_front()?;
        self.bytes -= queued.len;
        self.full_since = None;
        Some(queued.item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(policy: SlowClientPolicy) -> QueueLimits {
        QueueLimits {
            max_frames: 2,
            max_bytes: 1000,
            policy,
            ..QueueLimits::default()
        }
    }

    fn push(queue: &mut SendQueue<&'static str>, item: &'static str, now: Instant) -> PushOutcome {
        queue.push(item, item.len(), now)
    }

    #[tokio::test(start_paused = true)]
    async fn drop_oldest_keeps_the_newest_events() {
        let now = Instant::now();
        let mut queue = SendQueue::new(limits(SlowClientPolicy::DropOldest));
        assert_eq!(push(&mut queue, "e1", now), PushOutcome::Queued);
        assert_eq!(push(&mut queue, "e2", now), PushOutcome::Queued);
        assert_eq!(
            push(&mut queue, "e3", now),
            PushOutcome::QueuedDroppingOldest(1)
        );
        assert_eq!(queue.dropped(), 1);
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(order, ["e2", "e3"]);
        assert_eq!(queue.bytes(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn disconnect_policy_refuses_then_overflows_after_the_grace_period() {
        let start = Instant::now();
        let grace = Duration::from_secs(5);
        let mut queue = SendQueue::new(limits(SlowClientPolicy::Disconnect { grace }));
        push(&mut queue, "e1", start);
        push(&mut queue, "e2", start);
        assert_eq!(push(&mut queue, "e3", start), PushOutcome::Refused);
        assert_eq!(queue.overflow_deadline(), Some(start + grace));
        assert!(!queue.is_overflowed(start + Duration::from_secs(4)));
        assert_eq!(
            push(&mut queue, "e4", start + Duration::from_secs(4)),
            PushOutcome::Refused
        );
        assert!(queue.is_overflowed(start + grace));
        assert_eq!(
            push(&mut queue, "e5", start + grace),
            PushOutcome::Overflowed
        );
        assert_eq!(
            queue.len(),
            2,
            "memory stays bounded while the client is slow"
        );
        assert_eq!(queue.dropped(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reader_catching_up_resets_the_grace_period() {
        let start = Instant::now();
        let grace = Duration::from_secs(5);
        let mut queue = SendQueue::new(limits(SlowClientPolicy::Disconnect { grace }));
        push(&mut queue, "e1", start);
        push(&mut queue, "e2", start);
        assert_eq!(push(&mut queue, "e3", start), PushOutcome::Refused);
        queue.pop();
        assert!(!queue.is_overflowed(start + grace * 2));
        assert_eq!(queue.overflow_deadline(), None);
        assert_eq!(
            push(&mut queue, "e4", start + grace * 2),
            PushOutcome::Queued
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_larger_than_the_queue_is_refused_without_touching_the_others() {
        let now = Instant::now();
        for policy in [
            SlowClientPolicy::DropOldest,
            SlowClientPolicy::Disconnect {
                grace: Duration::ZERO,
            },
        ] {
            let limits = QueueLimits {
                max_frames: 4,
                max_bytes: 10,
                policy,
                ..QueueLimits::default()
            };
            assert!(limits.admits(10));
            assert!(!limits.admits(11));
            assert!(!limits.admits(usize::MAX));
            let mut queue = SendQueue::new(limits);
            assert_eq!(push(&mut queue, "small", now), PushOutcome::Queued);
            // Larger than the whole queue: refused at once, never "overflowed" (the client is
            // not slow), and the queued event stays.
            assert_eq!(
                queue.push("huge", usize::MAX, now),
                PushOutcome::Refused,
                "{policy:?}"
            );
            assert!(!queue.is_overflowed(now + Duration::from_secs(60)));
            assert_eq!(queue.overflow_deadline(), None);
            assert_eq!((queue.len(), queue.bytes(), queue.dropped()), (1, 5, 1));
            assert_eq!(push(&mut queue, "next", now), PushOutcome::Queued);
            let order: Vec<&str> = std::iter::from_fn(|| queue.pop()).collect();
            assert_eq!(order, ["small", "next"]);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn byte_bound_applies_as_well_as_frame_bound() {
        let now = Instant::now();
        let mut queue = SendQueue::new(QueueLimits {
            max_frames: 100,
            max_bytes: 10,
            policy: SlowClientPolicy::DropOldest,
            ..QueueLimits::default()
        });
        assert_eq!(push(&mut queue, "123456", now), PushOutcome::Queued);
        assert_eq!(
            push(&mut queue, "abcdef", now),
            PushOutcome::QueuedDroppingOldest(1)
        );
        assert_eq!(push(&mut queue, "xxxxxxxxxxx", now), PushOutcome::Refused);
        assert_eq!(queue.len(), 1, "an oversized event drops nothing");
        assert!(!queue.has_room_for(5));
        assert!(queue.has_room_for(4));
    }
}
