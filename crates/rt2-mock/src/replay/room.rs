//! Live mode: one shared timeline per room, broadcast to whoever is in the room.

use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::connection::shift_for_replay;
use crate::replay::{CursorSettings, ReplayCursor};
use crate::server::ServerState;

/// Starts `room`'s timeline now; every event goes to `sender`'s subscribers. A subscriber
/// that falls more than the channel's capacity behind skips ahead and counts what it missed.
pub(crate) fn spawn_room(
    state: Arc<ServerState>,
    room: String,
    sender: broadcast::Sender<Arc<str>>,
    settings: CursorSettings,
) {
    let token = state.tracker.token();
    tokio::spawn(async move {
        let _token = token;
        let mut shutdown = state.shutdown.clone();
        let mut cursor = ReplayCursor::new(state.timeline.clone(), settings);
        let started = Instant::now();
        let started_wall = time::OffsetDateTime::now_utc();
        tracing::debug!(%room, events = state.timeline.len(), "live room started");
        while let Some(due) = cursor.next_due() {
            tokio::select! {
                _ = shutdown.recv() => break,
                _ = tokio::time::sleep_until(started + due) => {}
            }
            while let Some(event) = cursor.pop_due(started.elapsed()) {
                let data =
                    shift_for_replay(&state, event.event.data, started_wall, event.pass_start);
                // No subscriber is not an error: a live room goes on while nobody watches.
                let _ = sender.send(data);
            }
        }
        tracing::debug!(%room, "live room finished");
    });
}
