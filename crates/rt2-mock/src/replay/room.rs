//! Live mode: one shared timeline per room, broadcast to whoever is in the room.

use tokio::sync::{broadcast, oneshot};
use tokio::time::Instant;

use crate::replay::{CursorSettings, ReplayCursor, ReplayTimeline, TimestampShift};
use crate::shutdown::{ShutdownSignal, TaskToken};
use crate::stamp::RoomEvent;

/// What a room's timeline task needs: the events, how they are paced and shifted, and the
/// server's shutdown.
#[derive(Debug)]
pub(crate) struct RoomTimeline {
    pub(crate) timeline: ReplayTimeline,
    pub(crate) settings: CursorSettings,
    pub(crate) shift: TimestampShift,
    pub(crate) shutdown: ShutdownSignal,
    /// Held while the task runs, so that shutdown waits for it.
    pub(crate) token: TaskToken,
    /// Completes when the room is removed (its last member left): the task stops.
    pub(crate) removed: oneshot::Receiver<()>,
}

/// Starts `room`'s timeline now; every event goes to `sender`'s subscribers. A subscriber
/// that falls more than the channel's capacity behind skips ahead and counts what it missed.
pub(crate) fn spawn_room(room: String, sender: broadcast::Sender<RoomEvent>, setup: RoomTimeline) {
    tokio::spawn(async move {
        let RoomTimeline {
            timeline,
            settings,
            shift,
            mut shutdown,
            token: _token,
            mut removed,
        } = setup;
        let events = timeline.len();
        let mut cursor = ReplayCursor::new(timeline, settings);
        let started = Instant::now();
        let started_wall = time::OffsetDateTime::now_utc();
        tracing::debug!(%room, events, "live room started");
        while let Some(due) = cursor.next_due() {
            tokio::select! {
                _ = shutdown.recv() => break,
                _ = &mut removed => break,
                _ = tokio::time::sleep_until(started + due) => {}
            }
            while let Some(event) = cursor.pop_due(started.elapsed()) {
                let data = shift.apply(event.event.data, started_wall, event.pass_start);
                // No subscriber is not an error: a live room goes on while nobody watches.
                // One stamped copy per event for every member that asked: the time the room
                // emitted it.
                let _ = sender.send(RoomEvent::now(data));
            }
        }
        tracing::debug!(%room, "live room finished");
    });
}
