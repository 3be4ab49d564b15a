//! The table of live sessions, what the admin API shows about each, and the server's counters.
//!
//! The hub only routes: each session's state lives in its own task
//! (`session/`), which the hub reaches through a bounded command
//! channel. The admin-visible [`SessionReport`] is kept beside the handle, behind a mutex the
//! session task updates as things happen.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::fault::FaultPlan;
use crate::replay::fanout::RoomMembers;
use crate::session::messages::SessionInput;
use crate::stamp::RoomEvent;

/// How many received packets a report keeps per session (the oldest go first).
const KEPT_RECEIVED: usize = 100;
/// At most this many bytes of received packet text per report (the oldest go first).
const KEPT_RECEIVED_BYTES: usize = 64 * 1024;
/// How many violations a report keeps per session.
const KEPT_VIOLATIONS: usize = 100;
/// Longest received packet text or violation detail kept in a report; longer ones are cut
/// (and say so, with their size).
const KEPT_PACKET_BYTES: usize = 2048;
/// How many closed sessions stay listed, so that a test can inspect one after its client left.
const KEPT_CLOSED: usize = 256;
/// At most about this many bytes of closed sessions' reports are kept (the oldest go first).
const KEPT_CLOSED_BYTES: usize = 4 << 20;
/// How many events a live room buffers for subscribers that lag (then they skip ahead).
pub(crate) const ROOM_BUFFER: usize = 1024;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Reports and tables stay readable even if a task panicked while holding the lock: the
    // data is plain counters and lists, valid at every step.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One thing a client sent, as the admin API lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReceivedPacket {
    /// Milliseconds since the session opened.
    pub at_ms: u64,
    /// `connect`, `event`, `ack`, `disconnect` or `message` (Engine.IO-only sessions).
    pub kind: &'static str,
    /// The namespace (`/` for the main one; empty for Engine.IO messages).
    pub namespace: String,
    /// The payload JSON as received, cut to 2 KiB, with every token, credential or secret
    /// parameter (the token of a connect payload included) redacted as captures redact them:
    /// a JWT shows its claims, never its signature.
    pub data: String,
    /// The payload's size as received, in bytes (more than `data` holds when it was cut).
    pub bytes: usize,
}

/// One protocol violation seen from a client.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ViolationReport {
    /// Milliseconds since the session opened.
    pub at_ms: u64,
    /// `missed_pong`, `malformed_packet`, `connect_without_token`, ... (sio-session's
    /// `ViolationKind::as_str`, plus the mock's own `connect_without_token`).
    pub kind: String,
    /// What exactly was wrong (cut to 2 KiB, tokens `[redacted]`).
    pub detail: String,
}

/// What the admin API shows about one session.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SessionReport {
    /// The Engine.IO session id.
    pub sid: String,
    /// The `room` query parameter.
    pub room: Option<String>,
    /// The client's address.
    pub remote: String,
    /// `polling` or `websocket` (after an upgrade, `websocket`).
    pub transport: &'static str,
    /// When the session opened (RFC 3339).
    pub opened_at: String,
    /// The namespaces the client joined.
    pub namespaces: Vec<String>,
    /// True when a `/chatomni` connect carried a token.
    pub token_present: bool,
    /// The token's `TenantId`, if it could be read.
    pub tenant: Option<String>,
    /// The token's `UserId`, if it could be read.
    pub user: Option<String>,
    /// Everything the client sent (the last 100 packets).
    pub received: VecDeque<ReceivedPacket>,
    /// How many packets the client sent in all.
    pub received_total: u64,
    /// Bytes of packet text held in `received`.
    #[serde(skip)]
    received_bytes: usize,
    /// Protocol violations seen from the client (the first 100).
    pub violations: Vec<ViolationReport>,
    /// Events sent to the client (replayed and injected).
    pub events_sent: u64,
    /// Events dropped or refused because the client read too slowly.
    pub events_dropped: u64,
    /// The faults in force for this session.
    pub faults: FaultPlan,
    /// Why the session ended, once it has.
    pub closed: Option<String>,
}

impl SessionReport {
    pub(crate) fn new(
        sid: &str,
        room: Option<&str>,
        remote: SocketAddr,
        transport: &'static str,
        faults: FaultPlan,
    ) -> Self {
        let opened_at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Self {
            sid: sid.to_owned(),
            room: room.map(str::to_owned),
            remote: remote.to_string(),
            transport,
            opened_at,
            namespaces: Vec::new(),
            token_present: false,
            tenant: None,
            user: None,
            received: VecDeque::new(),
            received_total: 0,
            received_bytes: 0,
            violations: Vec::new(),
            events_sent: 0,
            events_dropped: 0,
            faults,
            closed: None,
        }
    }

    pub(crate) fn push_received(
        &mut self,
        at_ms: u64,
        kind: &'static str,
        namespace: &str,
        data: &str,
    ) {
        let packet = ReceivedPacket {
            at_ms,
            kind,
            namespace: kept(namespace),
            // Tokens wherever they are (an event can carry one too), then the excerpt.
            data: kept(&sio_capture::redact::redact_anywhere(data)),
            bytes: data.len(),
        };
        self.received_bytes += packet.data.len() + packet.namespace.len();
        self.received.push_back(packet);
        while self.received.len() > KEPT_RECEIVED || self.received_bytes > KEPT_RECEIVED_BYTES {
            let Some(old) = self.received.pop_front() else {
                break;
            };
            self.received_bytes -= old.data.len() + old.namespace.len();
        }
        self.received_total += 1;
    }

    pub(crate) fn push_violation(&mut self, at_ms: u64, kind: &str, detail: String) {
        if self.violations.len() < KEPT_VIOLATIONS {
            self.violations.push(ViolationReport {
                at_ms,
                kind: kind.to_owned(),
                detail: kept(&sio_capture::redact::redact_anywhere(&detail)),
            });
        }
    }

    /// About how many bytes the report holds (its texts), to bound what closed ones keep.
    pub(crate) fn approx_bytes(&self) -> usize {
        let violations: usize = self
            .violations
            .iter()
            .map(|v| v.detail.len() + v.kind.len())
            .sum();
        512 + self.received_bytes + violations + self.closed.as_ref().map_or(0, String::len)
    }
}

/// `text` as a report keeps it: whole up to [`KEPT_PACKET_BYTES`], else cut on a character
/// boundary with a note of its full size.
fn kept(text: &str) -> String {
    if text.len() <= KEPT_PACKET_BYTES {
        return text.to_owned();
    }
    let cut = sio_session::floor_char_boundary(text, KEPT_PACKET_BYTES);
    format!("{}…(cut, {} bytes in all)", &text[..cut], text.len())
}

/// How the hub reaches one session.
#[derive(Debug, Clone)]
pub(crate) struct SessionHandle {
    pub(crate) room: Option<Arc<str>>,
    pub(crate) commands: mpsc::Sender<Box<SessionInput>>,
    pub(crate) report: Arc<Mutex<SessionReport>>,
    /// Events a live room wrote to the session's WebSocket itself (its fast path), counted
    /// by the room without the report's lock; the report's `events_sent` adds them.
    pub(crate) sent_by_room: Arc<AtomicU64>,
}

impl SessionHandle {
    pub(crate) fn report(&self) -> SessionReport {
        let mut report = lock(&self.report).clone();
        report.events_sent += self.sent_by_room.load(Ordering::Relaxed);
        report
    }

    pub(crate) fn update_report(&self, update: impl FnOnce(&mut SessionReport)) {
        update(&mut lock(&self.report));
    }

    /// Why the session ended, once it has.
    pub(crate) fn closed_reason(&self) -> Option<String> {
        lock(&self.report).closed.clone()
    }
}

/// One of the server-wide counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stat {
    ConnectionsAccepted,
    ConnectionsRefused,
    SessionsOpened,
    EventsSent,
    EventsDropped,
    AuthRefused,
    Violations,
    HttpRequests,
    SlowClients,
}

/// Server-wide counters, one per [`Stat`].
#[derive(Debug, Default)]
pub(crate) struct Stats {
    counters: [AtomicU64; 9],
}

impl Stats {
    /// Adds `n` to `stat`.
    pub(crate) fn add(&self, stat: Stat, n: u64) {
        self.counters[stat as usize].fetch_add(n, Ordering::Relaxed);
    }

    /// The current value of `stat`.
    pub(crate) fn get(&self, stat: Stat) -> u64 {
        self.counters[stat as usize].load(Ordering::Relaxed)
    }
}

/// The stats as the admin API shows them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatsReport {
    /// TCP connections accepted since start.
    pub connections_accepted: u64,
    /// TCP connections refused (connection limit) since start.
    pub connections_refused: u64,
    /// Engine.IO sessions opened since start.
    pub sessions_opened: u64,
    /// Sessions open now.
    pub sessions_open: usize,
    /// Events sent to clients (replayed and injected).
    pub events_sent: u64,
    /// Events dropped or refused because a client read too slowly.
    pub events_dropped: u64,
    /// Namespace connects refused by the auth check.
    pub auth_refused: u64,
    /// Protocol violations seen from clients.
    pub violations: u64,
    /// HTTP requests handled (polling, live-video, admin, upgrades).
    pub http_requests: u64,
    /// Sessions cut because the client stopped reading (`slow_client` in their report).
    pub slow_clients: u64,
    /// Live-mode rooms with a running timeline.
    pub live_rooms: usize,
}

/// A live room in the table: its members, and the handle that keeps its timeline task
/// running (dropping it stops the task).
#[derive(Debug)]
struct LiveRoom {
    members: Arc<RoomMembers>,
    _running: oneshot::Sender<()>,
}

/// What a member of a live room gets: the room's members (where its timeline task sends,
/// and where the member's session takes its fast path), the member's receiver of the room's
/// events, and, for the first member, the receiver that tells the timeline task (which it
/// starts) that the room was removed.
#[derive(Debug)]
pub(crate) struct JoinedRoom {
    pub(crate) members: Arc<RoomMembers>,
    pub(crate) events: broadcast::Receiver<RoomEvent>,
    pub(crate) start: Option<oneshot::Receiver<()>>,
}

/// The reports of recently closed sessions, bounded in count and in bytes.
#[derive(Debug, Default)]
struct ClosedReports {
    reports: VecDeque<SessionReport>,
    bytes: usize,
}

impl ClosedReports {
    fn push(&mut self, report: SessionReport) {
        self.bytes += report.approx_bytes();
        self.reports.push_back(report);
        while self.reports.len() > KEPT_CLOSED || self.bytes > KEPT_CLOSED_BYTES {
            let Some(old) = self.reports.pop_front() else {
                break;
            };
            self.bytes -= old.approx_bytes();
        }
    }
}

/// The session table, the live rooms and the counters.
#[derive(Debug)]
pub(crate) struct Hub {
    sessions: Mutex<HashMap<Arc<str>, SessionHandle>>,
    closed: Mutex<ClosedReports>,
    rooms: Mutex<HashMap<Arc<str>, LiveRoom>>,
    run_faults: Mutex<FaultPlan>,
    pub(crate) stats: Stats,
}

impl Hub {
    pub(crate) fn new(faults: FaultPlan) -> Self {
        Self {
            sessions: Mutex::new(HashMap::new()),
            closed: Mutex::new(ClosedReports::default()),
            rooms: Mutex::new(HashMap::new()),
            run_faults: Mutex::new(faults),
            stats: Stats::default(),
        }
    }

    pub(crate) fn run_faults(&self) -> FaultPlan {
        lock(&self.run_faults).clone()
    }

    pub(crate) fn set_run_faults(&self, faults: FaultPlan) {
        *lock(&self.run_faults) = faults;
    }

    pub(crate) fn insert(&self, sid: Arc<str>, handle: SessionHandle) {
        lock(&self.sessions).insert(sid, handle);
        self.stats.add(Stat::SessionsOpened, 1);
    }

    /// Removes a session and keeps its final report for the admin API.
    pub(crate) fn remove(&self, sid: &str) {
        let removed = lock(&self.sessions).remove(sid);
        if let Some(handle) = removed {
            lock(&self.closed).push(handle.report());
        }
    }

    pub(crate) fn get(&self, sid: &str) -> Option<SessionHandle> {
        lock(&self.sessions).get(sid).cloned()
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.sessions).len()
    }

    /// Every open session, then the recently closed ones.
    pub(crate) fn reports(&self) -> Vec<SessionReport> {
        let open: Vec<SessionHandle> = lock(&self.sessions).values().cloned().collect();
        let mut reports: Vec<SessionReport> = open.iter().map(SessionHandle::report).collect();
        reports.sort_by(|a, b| a.opened_at.cmp(&b.opened_at).then(a.sid.cmp(&b.sid)));
        reports.extend(lock(&self.closed).reports.iter().cloned());
        reports
    }

    /// One session's report, open or recently closed.
    pub(crate) fn report(&self, sid: &str) -> Option<SessionReport> {
        if let Some(handle) = self.get(sid) {
            return Some(handle.report());
        }
        lock(&self.closed)
            .reports
            .iter()
            .rev()
            .find(|report| report.sid == sid)
            .cloned()
    }

    /// The handles of every open session in `room` (every session when `room` is `None`).
    pub(crate) fn in_room(&self, room: Option<&str>) -> Vec<SessionHandle> {
        lock(&self.sessions)
            .values()
            .filter(|handle| room.is_none() || handle.room.as_deref() == room)
            .cloned()
            .collect()
    }

    pub(crate) fn all_handles(&self) -> Vec<SessionHandle> {
        self.in_room(None)
    }

    /// Subscribes to a live room's events; when the room is new, also returns what its
    /// timeline task needs, which the caller starts.
    pub(crate) fn join_live_room(&self, room: &str) -> JoinedRoom {
        let mut rooms = lock(&self.rooms);
        if let Some(live) = rooms.get(room) {
            return JoinedRoom {
                members: live.members.clone(),
                events: live.members.subscribe(),
                start: None,
            };
        }
        let (members, events) = RoomMembers::new(ROOM_BUFFER);
        let (running, removed) = oneshot::channel();
        rooms.insert(
            room.into(),
            LiveRoom {
                members: members.clone(),
                _running: running,
            },
        );
        JoinedRoom {
            members,
            events,
            start: Some(removed),
        }
    }

    /// The members of live room `room`, if it runs.
    #[cfg(test)]
    pub(crate) fn live_room(&self, room: &str) -> Option<Arc<RoomMembers>> {
        lock(&self.rooms).get(room).map(|live| live.members.clone())
    }

    /// Removes a live room nobody listens to any more (its timeline task stops); the next
    /// member starts it anew. Call once a member dropped its receiver or left the fast set.
    pub(crate) fn leave_live_room(&self, room: &str) {
        let mut rooms = lock(&self.rooms);
        if rooms.get(room).is_some_and(|live| live.members.is_empty()) {
            rooms.remove(room);
        }
    }

    pub(crate) fn stats(&self) -> StatsReport {
        let get = |stat| self.stats.get(stat);
        StatsReport {
            connections_accepted: get(Stat::ConnectionsAccepted),
            connections_refused: get(Stat::ConnectionsRefused),
            sessions_opened: get(Stat::SessionsOpened),
            sessions_open: self.len(),
            events_sent: get(Stat::EventsSent),
            events_dropped: get(Stat::EventsDropped),
            auth_refused: get(Stat::AuthRefused),
            violations: get(Stat::Violations),
            http_requests: get(Stat::HttpRequests),
            slow_clients: get(Stat::SlowClients),
            live_rooms: lock(&self.rooms).len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(room: &str) -> (SessionHandle, mpsc::Receiver<Box<SessionInput>>) {
        let (commands, receiver) = mpsc::channel(4);
        let report = SessionReport::new(
            "s",
            Some(room),
            "127.0.0.1:1".parse().unwrap(),
            "websocket",
            FaultPlan::default(),
        );
        (
            SessionHandle {
                room: Some(room.into()),
                commands,
                report: Arc::new(Mutex::new(report)),
                sent_by_room: Arc::default(),
            },
            receiver,
        )
    }

    #[test]
    fn removed_sessions_stay_visible_with_their_last_report() {
        let hub = Hub::new(FaultPlan::default());
        let (a, _ra) = handle("r1");
        a.update_report(|r| r.sid = "a".into());
        hub.insert("a".into(), a.clone());
        let (b, _rb) = handle("r2");
        hub.insert("b".into(), b);
        assert_eq!(hub.in_room(Some("r1")).len(), 1);
        assert_eq!(hub.all_handles().len(), 2);
        a.update_report(|r| r.closed = Some("transport close".into()));
        hub.remove("a");
        assert_eq!(hub.len(), 1);
        assert_eq!(
            hub.report("a").unwrap().closed.as_deref(),
            Some("transport close")
        );
        assert_eq!(hub.stats().sessions_opened, 2);
        assert_eq!(hub.stats().sessions_open, 1);
    }

    #[test]
    fn received_packets_are_bounded_and_cut() {
        let (h, _r) = handle("r");
        h.update_report(|r| {
            for i in 0..(KEPT_RECEIVED + 5) {
                r.push_received(i as u64, "event", "/chatomni", "[\"x\"]");
            }
            r.push_received(0, "event", "/", &"é".repeat(KEPT_PACKET_BYTES));
        });
        let report = h.report();
        assert_eq!(report.received.len(), KEPT_RECEIVED);
        assert_eq!(report.received_total, KEPT_RECEIVED as u64 + 6);
        let last = report.received.back().unwrap();
        assert!(
            last.data.ends_with("…(cut, 4096 bytes in all)"),
            "{}",
            last.data
        );
        assert_eq!(last.bytes, 4096);
        assert!(last.data.len() <= KEPT_PACKET_BYTES + 40);
    }

    #[test]
    fn the_first_live_room_member_starts_the_room() {
        let hub = Hub::new(FaultPlan::default());
        let first = hub.join_live_room("r");
        let (rx, mut removed) = (
            first.events,
            first.start.expect("the first member starts the room"),
        );
        let second = hub.join_live_room("r");
        let rx2 = second.events;
        assert!(second.start.is_none());
        assert_eq!(hub.stats().live_rooms, 1);
        drop(rx);
        hub.leave_live_room("r");
        assert_eq!(hub.stats().live_rooms, 1, "one member is still in the room");
        assert!(
            removed
                .try_recv()
                .is_err_and(|e| e == oneshot::error::TryRecvError::Empty)
        );
        drop(rx2);
        hub.leave_live_room("r");
        assert_eq!(hub.stats().live_rooms, 0, "an empty room is removed");
        assert_eq!(
            removed.try_recv(),
            Err(oneshot::error::TryRecvError::Closed)
        );
        let third = hub.join_live_room("r");
        assert!(
            third.start.is_some(),
            "the next member starts the room anew"
        );
    }
}
