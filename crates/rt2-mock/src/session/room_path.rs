//! Which way a live room's events take to this session: through the session task (the
//! broadcast receiver, the send queue, `emit`), or written by the room straight to the
//! WebSocket writer (the room's fast set, `replay/fanout.rs`). The session decides at every
//! turn of its loop; the room takes a member out of the fast set on its own only when the
//! member's write window is full.

use std::sync::atomic::Ordering;

use sio_session::TransportKind;

use super::SessionTask;
use crate::replay::fanout::FastMember;

impl SessionTask {
    /// Moves the session into its room's fast set when it may take it, and out of it when
    /// it no longer may.
    pub(super) fn update_room_path(&mut self) {
        if !self.feed.is_room() {
            return;
        }
        if self.feed.is_fast() {
            if !self.may_stay_on_fast_path() {
                self.feed.leave_fast_path();
            }
            return;
        }
        // Joining also needs nothing waiting for the writer: the send queue empty (events
        // go out in order) and room in the write window.
        let ready =
            self.feed.is_empty() && self.ws.as_ref().is_some_and(|link| !link.window_full());
        if !ready || !self.may_stay_on_fast_path() {
            return;
        }
        let Some(link) = self.ws.clone() else {
            return;
        };
        let member = FastMember::new(
            link,
            self.feed.namespace().clone(),
            self.stamps,
            self.observe.clone(),
            self.handle.sent_by_room.clone(),
        );
        self.feed.join_fast_path(member);
    }

    /// True while the room may write events to the client without the session: what the
    /// session would do with each event is only `emit` and a write. On WebSocket, open, joined
    /// to the namespace the room's events go to, no fault in force (thresholds count events,
    /// latency and freezes hold them), and not closing.
    fn may_stay_on_fast_path(&self) -> bool {
        self.ws.is_some()
            && self.session.transport() == TransportKind::WebSocket
            && self.session.is_open()
            && self.close_reason.is_none()
            && self.faults.may_send()
            && self.faults.plan().is_empty()
            && self.session.is_connected(self.feed.namespace())
    }

    /// Events sent to the client: by the session, and by the room on its fast path.
    pub(super) fn events_sent(&self) -> u64 {
        self.events_sent + self.handle.sent_by_room.load(Ordering::Relaxed)
    }
}
