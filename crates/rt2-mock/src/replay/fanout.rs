//! A live room's members and the fan-out of its events: the room's fast path.
//!
//! A room event reaches a member in one of two ways:
//!
//! - **Fast**: a member whose session is on WebSocket, joined to the namespace, with no fault
//!   in force, sits in the room's fast set. The room encodes each event once per namespace
//!   into the text of its WebSocket frame (server frames are unmasked, so the bytes are the
//!   same for every member: one copy plain, one stamped for the clients that asked for
//!   stamps) and hands the shared bytes straight to each member's WebSocket writer. One event
//!   then costs one task poll per member (its writer's) instead of two (its session task's,
//!   then its writer's). The room counts what it hands over ([`FastMember::sent`]) and
//!   publishes it to the member's observer, as the session task would have; the writer
//!   accounts for the write window and the unsent bytes as for any frame.
//! - **Through the session**: every other member (long-polling, a fault in force, a session
//!   that is closing, or a client whose write window is full) reads the room's broadcast
//!   channel in its session task, which queues and emits each event like any other
//!   (`session/outbound.rs`), with the send queue's slow-client policy.
//!
//! Moving between the two happens under the room's lock, which the room also holds while it
//! sends an event, so that no event is lost, doubled or reordered: a session joins the fast set
//! only with an empty send queue and an empty broadcast receiver, and a member that leaves the
//! set gets a receiver subscribed before the room's next event.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use sio_capture::Direction;
use tokio::sync::{Notify, broadcast};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::observe::SessionObserver;
use crate::session::messages::{SharedText, WsFrame, WsLink};
use crate::stamp::RoomEvent;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data is a list and a slot, valid at every step: a panic elsewhere leaves it usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Everyone in one live room: the broadcast channel of the members reached through their
/// session task, and the fast set.
#[derive(Debug)]
pub(crate) struct RoomMembers {
    inner: Mutex<Members>,
}

#[derive(Debug)]
struct Members {
    events: broadcast::Sender<RoomEvent>,
    fast: Vec<Arc<FastMember>>,
}

/// What the room needs to write one member's events itself.
#[derive(Debug)]
pub(crate) struct FastMember {
    link: WsLink,
    namespace: Arc<str>,
    stamps: bool,
    observe: Option<SessionObserver>,
    /// Events the room handed to this member's writer; the session's report and its fault
    /// thresholds add them to the session's own.
    sent: Arc<AtomicU64>,
    /// Set when the room took the member out of the fast set because its write window was
    /// full: the receiver, subscribed before the event that did not fit, from which the
    /// session reads the room's events from then on.
    returned: Mutex<Option<broadcast::Receiver<RoomEvent>>>,
    /// Notified once `returned` is set.
    returned_notify: Notify,
}

impl FastMember {
    /// A member writing to `link`, joined to `namespace`; `stamps`: the client asked for
    /// send-time stamps; `sent` counts what the room hands over.
    pub(crate) fn new(
        link: WsLink,
        namespace: Arc<str>,
        stamps: bool,
        observe: Option<SessionObserver>,
        sent: Arc<AtomicU64>,
    ) -> Self {
        FastMember {
            link,
            namespace,
            stamps,
            observe,
            sent,
            returned: Mutex::new(None),
            returned_notify: Notify::new(),
        }
    }
}

/// A session's place in its room's fast set; dropping it leaves the set (a session that stops
/// listening to the room).
#[derive(Debug)]
pub(crate) struct FastSeat {
    room: Arc<RoomMembers>,
    member: Arc<FastMember>,
}

impl FastSeat {
    /// Completes once the room has taken this member out of the fast set (its client reads
    /// too slowly); then [`leave`](Self::leave) gives the receiver to read from.
    pub(crate) async fn returned(&self) {
        self.member.returned_notify.notified().await;
    }

    /// Leaves the fast set; returns the receiver from which the session reads the room's
    /// events from now on (the next event not yet written directly is its first).
    pub(crate) fn leave(self) -> broadcast::Receiver<RoomEvent> {
        let mut members = lock(&self.room.inner);
        let before = members.fast.len();
        members.fast.retain(|m| !Arc::ptr_eq(m, &self.member));
        if members.fast.len() < before {
            return members.events.subscribe();
        }
        // The room took the member out already and left the receiver in the slot.
        lock(&self.member.returned)
            .take()
            .unwrap_or_else(|| members.events.subscribe())
    }
}

impl Drop for FastSeat {
    fn drop(&mut self) {
        lock(&self.room.inner)
            .fast
            .retain(|m| !Arc::ptr_eq(m, &self.member));
    }
}

impl RoomMembers {
    /// An empty room whose broadcast channel buffers `capacity` events for members that lag
    /// (then they skip ahead and count what they missed), and the receiver of its first member.
    pub(crate) fn new(capacity: usize) -> (Arc<Self>, broadcast::Receiver<RoomEvent>) {
        let (events, receiver) = broadcast::channel(capacity);
        let members = Members {
            events,
            fast: Vec::new(),
        };
        (
            Arc::new(RoomMembers {
                inner: Mutex::new(members),
            }),
            receiver,
        )
    }

    /// A receiver of the room's events from the next one on, for a new member.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<RoomEvent> {
        lock(&self.inner).events.subscribe()
    }

    /// True when nobody is in the room: no receiver, no fast member.
    pub(crate) fn is_empty(&self) -> bool {
        let members = lock(&self.inner);
        members.events.receiver_count() == 0 && members.fast.is_empty()
    }

    /// How many members the room writes to directly.
    #[cfg(test)]
    pub(crate) fn fast_len(&self) -> usize {
        lock(&self.inner).fast.len()
    }

    /// Moves a member from its session's path (`receiver`) into the fast set, unless the
    /// receiver holds events the session has not read yet: then the receiver comes back, and
    /// the session reads them first.
    ///
    /// # Errors
    /// The receiver, when it is not empty.
    pub(crate) fn join_fast(
        self: &Arc<Self>,
        receiver: broadcast::Receiver<RoomEvent>,
        member: FastMember,
    ) -> Result<FastSeat, broadcast::Receiver<RoomEvent>> {
        let mut members = lock(&self.inner);
        // The room sends only under this lock: nothing can arrive between this check and the
        // member's entry into the set.
        if !receiver.is_empty() {
            return Err(receiver);
        }
        let member = Arc::new(member);
        members.fast.push(member.clone());
        Ok(FastSeat {
            room: self.clone(),
            member,
        })
    }

    /// Sends one event to every member: written straight to each fast member's WebSocket
    /// writer, and broadcast to the others' session tasks. A fast member whose write window
    /// is full goes back to its session's path, this event first. Returns how many events
    /// the room handed to writers itself.
    pub(crate) fn send(&self, event: RoomEvent) -> u64 {
        let mut frames = EncodedFrames::new(&event);
        let now = tokio::time::Instant::now();
        let mut members = lock(&self.inner);
        let Members { events, fast } = &mut *members;
        let mut handed = 0;
        fast.retain(|member| {
            if member.link.window_full() {
                // The client reads too slowly: its session queues this event and the next
                // ones, where the slow-client policy applies.
                *lock(&member.returned) = Some(events.subscribe());
                member.returned_notify.notify_one();
                return false;
            }
            // A payload that is no event (not an array with a name) is not sent, as the
            // session's emit would refuse it.
            if let Some(frame) = frames.get(&member.namespace, member.stamps) {
                if let Some(observe) = &member.observe {
                    observe.text(Direction::Server, frame.as_str());
                }
                member
                    .link
                    .send_at(WsFrame::Shared(frame.clone()), true, now);
                member.sent.fetch_add(1, Ordering::Relaxed);
                handed += 1;
            }
            true
        });
        // No receiver is not an error: a live room goes on while nobody watches.
        let _ = events.send(event);
        handed
    }
}

/// One event's frames, encoded on first use: per namespace, the plain copy and the stamped
/// one (`None`: the payload is not an event and is not sent).
struct EncodedFrames<'a> {
    event: &'a RoomEvent,
    frames: Vec<(Arc<str>, bool, Option<SharedText>)>,
}

impl<'a> EncodedFrames<'a> {
    fn new(event: &'a RoomEvent) -> Self {
        EncodedFrames {
            event,
            frames: Vec::new(),
        }
    }

    /// The frame for a member joined to `namespace`, stamped if it asked for stamps (and the
    /// payload could be stamped).
    fn get(&mut self, namespace: &Arc<str>, stamps: bool) -> Option<&SharedText> {
        let stamped = stamps && self.event.stamped.is_some();
        let found = self
            .frames
            .iter()
            .position(|(n, s, _)| *s == stamped && n == namespace);
        let index = match found {
            Some(index) => index,
            None => {
                let data = match (&self.event.stamped, stamped) {
                    (Some(copy), true) => copy,
                    _ => &self.event.data,
                };
                let frame = match sio_session::encode_event(namespace, data) {
                    Ok(text) => Some(Arc::new(Utf8Bytes::from(text))),
                    Err(err) => {
                        tracing::debug!("room event not sent: {err}");
                        None
                    }
                };
                self.frames.push((namespace.clone(), stamped, frame));
                self.frames.len() - 1
            }
        };
        self.frames[index].2.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::messages::{WRITE_WINDOW, WsOut};
    use tokio::sync::mpsc;

    fn member(stamps: bool) -> (FastMember, WsLink, mpsc::UnboundedReceiver<Box<WsOut>>) {
        let (link, frames) = WsLink::new();
        let member = FastMember::new(
            link.clone(),
            "/chatomni".into(),
            stamps,
            None,
            Arc::default(),
        );
        (member, link, frames)
    }

    fn text(out: WsOut) -> String {
        match out.frame {
            WsFrame::Shared(text) => text.as_str().to_owned(),
            other => panic!("expected a shared frame, got {other:?}"),
        }
    }

    #[test]
    fn one_encoding_is_shared_by_every_fast_member_and_stamps_go_to_those_who_asked() {
        let (room, receiver) = RoomMembers::new(8);
        let (plain, plain_link, mut plain_frames) = member(false);
        let (stamped, _, mut stamped_frames) = member(true);
        let seat = room.join_fast(receiver, plain).unwrap();
        let _other = room.join_fast(room.subscribe(), stamped).unwrap();
        assert_eq!(room.fast_len(), 2);
        let event = RoomEvent::now(r#"["on-events","{}"]"#.into());
        let stamped_copy = event.stamped.clone().unwrap();
        assert_eq!(room.send(event), 2);
        let first = plain_frames.try_recv().unwrap();
        assert!(first.is_event);
        assert_eq!(text(*first), r#"42/chatomni,["on-events","{}"]"#);
        assert_eq!(
            text(*stamped_frames.try_recv().unwrap()),
            format!("42/chatomni,{stamped_copy}")
        );
        assert_eq!(seat.member.sent.load(Ordering::Relaxed), 1);
        assert_eq!(plain_link.progress.in_flight.load(Ordering::Relaxed), 1);
        // Not an event: nobody gets it, as emit would refuse it.
        assert_eq!(room.send(RoomEvent::now("{}".into())), 0);
        assert!(plain_frames.try_recv().is_err());
    }

    #[test]
    fn a_full_window_sends_the_member_back_to_its_session_with_the_event() {
        let (room, receiver) = RoomMembers::new(8);
        let (member, link, mut frames) = member(false);
        let seat = room.join_fast(receiver, member).unwrap();
        link.progress
            .in_flight
            .store(WRITE_WINDOW, Ordering::Relaxed);
        assert_eq!(room.send(RoomEvent::now(r#"["a"]"#.into())), 0);
        assert_eq!(room.fast_len(), 0);
        assert!(frames.try_recv().is_err(), "not written directly");
        let mut receiver = seat.leave();
        assert_eq!(&*receiver.try_recv().unwrap().data, r#"["a"]"#);
        assert!(receiver.try_recv().is_err());
    }

    #[test]
    fn joining_waits_for_unread_events_and_leaving_loses_none() {
        let (room, mut receiver) = RoomMembers::new(8);
        room.send(RoomEvent::now(r#"["a"]"#.into()));
        let (first, _, mut first_frames) = member(false);
        let Err(back) = room.join_fast(receiver, first) else {
            panic!("an unread event keeps the member on its session's path");
        };
        receiver = back;
        assert_eq!(&*receiver.try_recv().unwrap().data, r#"["a"]"#);
        let (second, _, mut second_frames) = member(false);
        let seat = room.join_fast(receiver, second).unwrap();
        assert!(!room.is_empty());
        room.send(RoomEvent::now(r#"["b"]"#.into()));
        let mut receiver = seat.leave();
        room.send(RoomEvent::now(r#"["c"]"#.into()));
        assert_eq!(
            &*receiver.try_recv().unwrap().data,
            r#"["c"]"#,
            "b went fast"
        );
        assert_eq!(
            text(*second_frames.try_recv().unwrap()),
            r#"42/chatomni,["b"]"#
        );
        assert!(
            second_frames.try_recv().is_err(),
            "c went through the session"
        );
        assert!(
            first_frames.try_recv().is_err(),
            "the first member never joined"
        );
        drop(receiver);
        assert!(room.is_empty());
    }

    #[test]
    fn a_dropped_seat_leaves_the_room() {
        let (room, receiver) = RoomMembers::new(8);
        let (member, _, _) = member(false);
        let seat = room.join_fast(receiver, member).unwrap();
        assert!(!room.is_empty());
        drop(seat);
        assert!(room.is_empty());
    }
}
