//! Where a session's events come from, and where they wait: the [`EventFeed`].
//!
//! A session is fed by nothing, by its own replay of the capture (per-connection mode), or by
//! its room's shared timeline (live mode); never by two at once, which the [`Source`] enum
//! makes impossible to get wrong. Whatever the source, events (and those the admin API or a
//! scenario injects) wait in one bounded [`SendQueue`] until the transport can take them;
//! except a room's events while the session sits in the room's fast set, which the room writes
//! to the session's WebSocket itself (`replay/fanout.rs`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::queue::{PushOutcome, QueueLimits, SendQueue};
use crate::replay::fanout::{FastMember, FastSeat, RoomMembers};
use crate::replay::{CursorSettings, ReplayCursor, ReplayTimeline, TimestampShift};
use crate::stamp::{EmitTime, RoomEvent};

/// At most this many events are taken from an unpaced replay per wake-up, so one session
/// cannot starve the others on a busy runtime.
const UNPACED_BATCH: usize = 64;

/// An event waiting in the send queue: namespace, payload array, and when it was emitted, for
/// clients that asked for send-time stamps (see `crate::stamp`).
pub(crate) type QueuedEvent = (Arc<str>, Arc<str>, EmitTime);

/// This session's own replay of the capture.
#[derive(Debug)]
struct Replay {
    cursor: ReplayCursor,
    started: Instant,
    started_wall: time::OffsetDateTime,
}

/// Where events come from.
#[derive(Debug)]
enum Source {
    /// Nothing is replayed (only injected events are sent).
    Idle,
    /// The session's own replay.
    Replay(Box<Replay>),
    /// The room's shared timeline.
    Room(RoomFeed),
}

/// A session in a live room: the room, and how its events reach the session.
#[derive(Debug)]
struct RoomFeed {
    members: Arc<RoomMembers>,
    path: RoomPath,
}

/// How a room's events reach a session.
#[derive(Debug)]
enum RoomPath {
    /// Through the session task, which reads them from the room's broadcast channel.
    Session(broadcast::Receiver<RoomEvent>),
    /// Written by the room straight to the session's WebSocket.
    Fast(FastSeat),
}

/// What the room did, for a session listening to it.
#[derive(Debug)]
pub(crate) enum RoomInput {
    /// An event (or the events missed, or the end of the room) through the session's path.
    Event(Result<RoomEvent, broadcast::error::RecvError>),
    /// The room took the session out of its fast set (the client reads too slowly): call
    /// [`EventFeed::leave_fast_path`].
    Returned,
}

/// A session's event source and its send queue.
#[derive(Debug)]
pub(crate) struct EventFeed {
    source: Source,
    queue: SendQueue<QueuedEvent>,
    /// The namespace replayed events go to.
    namespace: Arc<str>,
}

impl EventFeed {
    /// No source yet, an empty queue with `limits`, replayed events for `namespace`.
    pub(crate) fn new(limits: QueueLimits, namespace: Arc<str>) -> Self {
        Self {
            source: Source::Idle,
            queue: SendQueue::new(limits),
            namespace,
        }
    }

    /// The namespace replayed events go to.
    pub(crate) fn namespace(&self) -> &Arc<str> {
        &self.namespace
    }

    /// Replayed events go to `namespace` from now on.
    pub(crate) fn set_namespace(&mut self, namespace: &str) {
        self.namespace = namespace.into();
    }

    /// Starts this session's own replay of `timeline` now.
    pub(crate) fn start_replay(&mut self, timeline: ReplayTimeline, settings: CursorSettings) {
        self.source = Source::Replay(Box::new(Replay {
            cursor: ReplayCursor::new(timeline, settings),
            started: Instant::now(),
            started_wall: time::OffsetDateTime::now_utc(),
        }));
    }

    /// Feeds the session from its room's timeline, through the session to begin with.
    pub(crate) fn join_room(
        &mut self,
        members: Arc<RoomMembers>,
        events: broadcast::Receiver<RoomEvent>,
    ) {
        self.source = Source::Room(RoomFeed {
            members,
            path: RoomPath::Session(events),
        });
    }

    /// True when the room writes its events to the session's WebSocket itself.
    pub(crate) fn is_fast(&self) -> bool {
        matches!(
            &self.source,
            Source::Room(RoomFeed {
                path: RoomPath::Fast(_),
                ..
            })
        )
    }

    /// Enters the room's fast set as `member`, unless events wait in the session's receiver
    /// (they are read first, and the session tries again later). True when it did.
    pub(crate) fn join_fast_path(&mut self, member: FastMember) -> bool {
        match std::mem::replace(&mut self.source, Source::Idle) {
            Source::Room(RoomFeed {
                members,
                path: RoomPath::Session(events),
            }) => {
                let (path, joined) = match members.join_fast(events, member) {
                    Ok(seat) => (RoomPath::Fast(seat), true),
                    Err(events) => (RoomPath::Session(events), false),
                };
                self.source = Source::Room(RoomFeed { members, path });
                joined
            }
            other => {
                self.source = other;
                false
            }
        }
    }

    /// Leaves the room's fast set, if the session is in it: the room's events come through
    /// the session again, from the first one the room has not written itself.
    pub(crate) fn leave_fast_path(&mut self) {
        match std::mem::replace(&mut self.source, Source::Idle) {
            Source::Room(RoomFeed {
                members,
                path: RoomPath::Fast(seat),
            }) => {
                let path = RoomPath::Session(seat.leave());
                self.source = Source::Room(RoomFeed { members, path });
            }
            other => self.source = other,
        }
    }

    /// No more replayed events (the client left the namespace); queued ones stay.
    pub(crate) fn stop_source(&mut self) {
        self.source = Source::Idle;
    }

    /// No more events at all: the source and the queue are dropped (a closing session has no
    /// use for them, and an unpaced replay would spin through them).
    pub(crate) fn stop(&mut self) {
        self.source = Source::Idle;
        while self.queue.pop().is_some() {}
    }

    /// True when the session listens to a live room.
    pub(crate) fn is_room(&self) -> bool {
        matches!(self.source, Source::Room(_))
    }

    /// When the next paced replay event is due.
    pub(crate) fn replay_deadline(&self) -> Option<Instant> {
        let Source::Replay(replay) = &self.source else {
            return None;
        };
        if replay.cursor.is_unpaced() {
            return None;
        }
        Some(replay.started + replay.cursor.next_due()?)
    }

    /// True when an unpaced replay has an event and the queue has room for it (or it can
    /// never fit, and is taken to be refused).
    pub(crate) fn unpaced_ready(&self) -> bool {
        let Source::Replay(replay) = &self.source else {
            return false;
        };
        replay.cursor.is_unpaced()
            && replay.cursor.peek().is_some_and(|next| {
                let len = next.data.len();
                self.queue.has_room_for(len) || !self.queue.limits().admits(len)
            })
    }

    /// The replay events due now, their timestamps moved by `shift`. An unpaced replay gives
    /// only what fits in the queue, so that it waits for the client instead of tripping the
    /// slow-client policy.
    pub(crate) fn take_due(&mut self, shift: &TimestampShift) -> Vec<Arc<str>> {
        let Source::Replay(replay) = &mut self.source else {
            return Vec::new();
        };
        let mut due_events = Vec::new();
        if replay.cursor.is_unpaced() {
            let limits = self.queue.limits();
            let mut room_frames = limits.max_frames.saturating_sub(self.queue.len());
            let mut room_bytes = limits.max_bytes.saturating_sub(self.queue.bytes());
            while due_events.len() < UNPACED_BATCH {
                let Some(next) = replay.cursor.peek() else {
                    break;
                };
                let len = next.data.len();
                // An event that can never fit is taken anyway: the queue refuses and counts
                // it, and the replay goes on instead of waiting for room that never comes.
                let fits_ever = limits.admits(len);
                if fits_ever && (room_frames == 0 || len > room_bytes) {
                    break;
                }
                let Some(due) = replay.cursor.pop_due(Duration::MAX) else {
                    break;
                };
                if fits_ever {
                    room_frames -= 1;
                    room_bytes -= len;
                }
                due_events.push(due);
            }
        } else {
            let elapsed = replay.started.elapsed();
            while let Some(due) = replay.cursor.pop_due(elapsed) {
                due_events.push(due);
            }
        }
        let started_wall = replay.started_wall;
        due_events
            .into_iter()
            .map(|due| shift.apply(due.event.data, started_wall, due.pass_start))
            .collect()
    }

    /// The room's next event for the session, or its word that the session left the fast
    /// set; pending forever when the session is not in a room. A room that ended stops the
    /// source.
    pub(crate) async fn recv_room(&mut self) -> RoomInput {
        let Source::Room(room) = &mut self.source else {
            return std::future::pending().await;
        };
        match &mut room.path {
            RoomPath::Session(events) => {
                let received = events.recv().await;
                if matches!(received, Err(broadcast::error::RecvError::Closed)) {
                    self.source = Source::Idle;
                }
                RoomInput::Event(received)
            }
            RoomPath::Fast(seat) => {
                seat.returned().await;
                RoomInput::Returned
            }
        }
    }

    /// Queues an event for `namespace`, emitted at `emitted`.
    pub(crate) fn push(
        &mut self,
        namespace: Arc<str>,
        data: Arc<str>,
        emitted: EmitTime,
        now: Instant,
    ) -> PushOutcome {
        let len = data.len();
        self.queue.push((namespace, data, emitted), len, now)
    }

    /// The oldest queued event.
    pub(crate) fn pop(&mut self) -> Option<QueuedEvent> {
        self.queue.pop()
    }

    /// True when no event is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// When the queue, full since some time, passes the slow-client grace period.
    pub(crate) fn overflow_deadline(&self) -> Option<Instant> {
        self.queue.overflow_deadline()
    }

    /// True when the queue has been full for longer than the grace period at `now`.
    pub(crate) fn is_overflowed(&self, now: Instant) -> bool {
        self.queue.is_overflowed(now)
    }

    /// Events dropped or refused because the queue was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.queue.dropped()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::SlowClientPolicy;
    use crate::replay::{Pace, ReplayEvent};

    fn timeline(n: usize) -> ReplayTimeline {
        ReplayTimeline::new(
            (0..n)
                .map(|i| ReplayEvent {
                    offset: Duration::from_millis(i as u64 * 10),
                    data: format!("[\"e\",{i}]").into(),
                })
                .collect(),
        )
    }

    fn limits(max_frames: usize) -> QueueLimits {
        QueueLimits {
            max_frames,
            max_bytes: 1 << 20,
            policy: SlowClientPolicy::DropOldest,
            ..QueueLimits::default()
        }
    }

    #[test]
    fn an_unpaced_replay_takes_only_what_fits_in_the_queue() {
        let mut feed = EventFeed::new(limits(3), "/chatomni".into());
        assert!(!feed.unpaced_ready(), "no source yet");
        let settings = CursorSettings {
            pace: Pace::AsFastAsClientReads,
            repeat: false,
            loop_pause: Duration::ZERO,
        };
        feed.start_replay(timeline(5), settings);
        assert!(feed.unpaced_ready());
        assert_eq!(feed.replay_deadline(), None, "unpaced has no deadline");
        let first = feed.take_due(&TimestampShift::NONE);
        assert_eq!(first.len(), 3);
        for data in first {
            assert_eq!(
                feed.push(
                    "/chatomni".into(),
                    data,
                    EmitTime::AtDelivery,
                    Instant::now()
                ),
                PushOutcome::Queued
            );
        }
        assert!(!feed.unpaced_ready(), "the queue is full");
        assert!(feed.take_due(&TimestampShift::NONE).is_empty());
        feed.pop();
        assert_eq!(feed.take_due(&TimestampShift::NONE).len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_replay_is_due_on_its_timeline_and_stops_when_told() {
        let mut feed = EventFeed::new(limits(16), "/chatomni".into());
        let settings = CursorSettings {
            pace: Pace::Original,
            repeat: false,
            loop_pause: Duration::ZERO,
        };
        feed.start_replay(timeline(3), settings);
        let start = Instant::now();
        assert_eq!(feed.replay_deadline(), Some(start));
        assert_eq!(feed.take_due(&TimestampShift::NONE).len(), 1);
        assert_eq!(
            feed.replay_deadline(),
            Some(start + Duration::from_millis(10))
        );
        tokio::time::advance(Duration::from_millis(25)).await;
        assert_eq!(feed.take_due(&TimestampShift::NONE).len(), 2);
        feed.push(
            "/".into(),
            "[\"x\"]".into(),
            EmitTime::AtDelivery,
            Instant::now(),
        );
        feed.stop_source();
        assert_eq!(feed.replay_deadline(), None);
        assert!(!feed.is_empty(), "stopping the source keeps the queue");
        feed.stop();
        assert!(feed.is_empty());
    }
}
