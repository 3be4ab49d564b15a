//! Live mode: one shared timeline per room, sent to whoever is in the room.

use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::hub::Stat;
use crate::replay::fanout::RoomMembers;
use crate::replay::{CursorSettings, ReplayCursor};
use crate::shutdown::TaskToken;
use crate::stamp::RoomEvent;
use crate::state::ServerState;

/// What a room's timeline task needs: the server (its timeline, timestamp shift, shutdown and
/// counters), how events are paced, and when to stop.
#[derive(Debug)]
pub(crate) struct RoomTimeline {
    pub(crate) state: Arc<ServerState>,
    pub(crate) settings: CursorSettings,
    /// Held while the task runs, so that shutdown waits for it.
    pub(crate) token: TaskToken,
    /// Completes when the room is removed (its last member left): the task stops.
    pub(crate) removed: oneshot::Receiver<()>,
}

/// Starts `room`'s timeline now; every event goes to `members` (see `fanout.rs`). A member
/// reached through its session that falls more than the channel's capacity behind skips
/// ahead and counts what it missed.
pub(crate) fn spawn_room(room: String, members: Arc<RoomMembers>, setup: RoomTimeline) {
    tokio::spawn(async move {
        let RoomTimeline {
            state,
            settings,
            token: _token,
            mut removed,
        } = setup;
        let mut shutdown = state.shutdown.clone();
        let events = state.timeline.len();
        let mut cursor = ReplayCursor::new(state.timeline.clone(), settings);
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
                let data = state
                    .shift
                    .apply(event.event.data, started_wall, event.pass_start);
                // One stamped copy per event for every member that asked: the time the room
                // emitted it.
                let written = members.send(RoomEvent::now(data));
                // The members the room wrote to itself; the others count in their sessions.
                if written > 0 {
                    state.hub.stats.add(Stat::EventsSent, written);
                }
            }
        }
        tracing::debug!(%room, "live room finished");
    });
}
