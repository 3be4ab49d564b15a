//! One session's task: it owns the sans-IO [`ServerSession`] and drives it.
//!
//! Everything that concerns one client goes through this task's input channel
//! ([`messages`]): WebSocket frames from the reader, long-polling requests from hyper, admin
//! commands. The task feeds them to the session with the current time, then drains what the
//! session wants sent (`poll_transmit`) and what happened (`poll_event`). What the protocol
//! does not know about lives in plain types the task owns, each testable without tokio:
//!
//! - `connect.rs`: the answer to a namespace CONNECT (scenario, namespace rules, faults, auth);
//! - `faults.rs`: the fault plan in force and the state it put the session in;
//! - `feed.rs`: where events come from (nothing, the session's replay, a live room) and the
//!   bounded send queue they wait in;
//! - `messages.rs`: the channel messages between this task, the transports and the hub;
//! - `inbound.rs` and `outbound.rs`: the task's handling of what the client did and of what
//!   goes to it (more `impl SessionTask`);
//! - `room_path.rs`: whether a live room writes its events to this session's WebSocket
//!   itself (the room's fast path) or hands them to this task.
//!
//! Time: the session takes `std::time::Instant`; the task converts from tokio's clock
//! (`tokio::time::Instant::into_std`), so tests under `tokio::time::pause()` drive the
//! session's heartbeat with virtual time.

mod connect;
mod faults;
mod feed;
mod inbound;
pub(crate) mod messages;
mod outbound;
mod room_path;
#[cfg(test)]
mod room_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use sio_capture::Direction;
use sio_session::{InboundFrame, RequestError, ServerSession, TransportKind};
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use tokio::time::Instant;

use crate::fault::FaultPlan;
use crate::hub::{SessionHandle, SessionReport, Stat};
use crate::observe::SessionObserver;
use crate::queue::SlowClientPolicy;
use crate::scenario::ScenarioSchedule;
use crate::session::faults::FaultState;
use crate::session::feed::EventFeed;
use crate::session::messages::{
    PollAnswer, SessionCommand, SessionInput, WsClose, WsFrame, WsLink, WsProgress,
};
use crate::shutdown::{ShutdownSignal, TaskToken};
use crate::stamp::EmitTime;
use crate::state::ServerState;

/// Capacity of a session's input channel; a client that floods faster than its session task
/// keeps up is slowed down by TCP backpressure.
const INPUT_CAPACITY: usize = 64;

/// A random Engine.IO or Socket.IO session id: 20 base64url characters, as the reference
/// server makes them.
pub(crate) fn new_sid() -> String {
    use base64::Engine as _;
    let bytes: [u8; 15] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn std_now() -> std::time::Instant {
    Instant::now().into_std()
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Every session permit is taken: [`MockConfig::max_connections`] sessions are open.
///
/// [`MockConfig::max_connections`]: crate::MockConfig::max_connections
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionLimitReached;

/// Opens a session and spawns its task; returns its sid and input channel. `stamps`: the
/// client asked for send-time stamps on its events (see `crate::stamp`).
///
/// # Errors
/// [`SessionLimitReached`] when as many sessions as the connection limit are open.
pub(crate) fn open_session(
    state: &Arc<ServerState>,
    transport: TransportKind,
    room: Option<&str>,
    stamps: bool,
    remote: std::net::SocketAddr,
    url: &http::Uri,
    websocket: Option<WsLink>,
) -> Result<(Arc<str>, mpsc::Sender<Box<SessionInput>>), SessionLimitReached> {
    let Ok(permit) = state.sessions.clone().try_acquire_owned() else {
        state.hub.stats.add(Stat::ConnectionsRefused, 1);
        tracing::warn!(%remote, "session limit reached; refusing a handshake");
        return Err(SessionLimitReached);
    };
    let sid: Arc<str> = new_sid().into();
    let (inputs, receiver) = mpsc::channel(INPUT_CAPACITY);
    let faults = state.hub.run_faults();
    let report = SessionReport::new(&sid, room, remote, transport.as_str(), faults.clone());
    let handle = SessionHandle {
        room: room.map(Into::into),
        commands: inputs.clone(),
        report: Arc::new(std::sync::Mutex::new(report)),
        sent_by_room: Arc::default(),
    };
    state.hub.insert(sid.clone(), handle.clone());
    let session = ServerSession::new(
        std_now(),
        transport,
        sid.to_string(),
        state.config.session.clone(),
    );
    if let Some(link) = &websocket {
        link.progress
            .latency_ms
            .store(faults.latency_ms, Ordering::Relaxed);
    }
    let task = SessionTask {
        state: state.clone(),
        session,
        sid: sid.clone(),
        handle,
        opened: Instant::now(),
        inputs: receiver,
        ws: websocket,
        poll: None,
        faults: FaultState::new(faults),
        feed: EventFeed::new(state.config.queue, state.config.namespace.as_str().into()),
        events_sent: 0,
        stamps,
        close_reason: None,
        scenario: state
            .config
            .scenario
            .clone()
            .map(|scenario| ScenarioSchedule::new(scenario, state.timeline.clone())),
        _token: state.tracker.token(),
        _permit: permit,
        secret_input: None,
        finished: false,
        observe: state
            .observe
            .as_ref()
            .map(|link| SessionObserver::open(link, &sid, transport, remote, url)),
    };
    // Boxed: a future keeps its by-value arguments beside the locals they move into, so an
    // unboxed task would sit in the spawned future twice (see `size_tests`).
    tokio::spawn(Box::new(task).run(state.shutdown.clone()));
    Ok((sid, inputs))
}

/// The task of one session: the protocol machine, its transports and what it owns.
struct SessionTask {
    state: Arc<ServerState>,
    session: ServerSession,
    sid: Arc<str>,
    handle: SessionHandle,
    opened: Instant,
    inputs: mpsc::Receiver<Box<SessionInput>>,
    /// The WebSocket, once there is one.
    ws: Option<WsLink>,
    /// The long-polling `GET` waiting for an answer.
    poll: Option<oneshot::Sender<PollAnswer>>,
    faults: FaultState<SessionInput>,
    feed: EventFeed,
    /// Events this task sent (a live room's fast path counts its own: see
    /// [`events_sent`](Self::events_sent)).
    events_sent: u64,
    /// The client asked for send-time stamps on its events.
    stamps: bool,
    /// The reason for the WebSocket close frame of a server-initiated close.
    close_reason: Option<String>,
    /// The scenario's delayed actions and timers for this session, when the run has rules.
    scenario: Option<ScenarioSchedule>,
    _token: TaskToken,
    /// The session's place under the session limit.
    _permit: OwnedSemaphorePermit,
    /// The last frame or polling body the client sent, redacted, when it held a secret: a
    /// violation it causes quotes this instead of its raw excerpt (cleared after each pump).
    secret_input: Option<String>,
    /// Set once [`finish`](Self::finish) ran; a task dropped before (a panic unwinding
    /// through it, a runtime shutting down) is reported closed by `Drop`.
    finished: bool,
    /// Where this session publishes what it sees, when the run has an observer.
    observe: Option<SessionObserver>,
}

/// The report of a session whose task ended without finishing.
const TASK_FAILED: &str = "internal error: the session task ended unexpectedly (see the log)";

impl Drop for SessionTask {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        tracing::error!(sid = %self.sid, "session task ended unexpectedly");
        self.report(|r| {
            if r.closed.is_none() {
                r.closed = Some(TASK_FAILED.to_owned());
            }
        });
        self.state.hub.remove(&self.sid);
    }
}

impl std::fmt::Debug for SessionTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionTask")
            .field("sid", &self.sid)
            .finish_non_exhaustive()
    }
}

impl SessionTask {
    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn report(&self, update: impl FnOnce(&mut SessionReport)) {
        self.handle.update_report(update);
    }

    /// Adds `n` to a server counter, and to the session report's matching one if it has one.
    fn count(&self, stat: Stat, n: u64) {
        self.state.hub.stats.add(stat, n);
        match stat {
            Stat::EventsSent => self.report(|r| r.events_sent += n),
            Stat::EventsDropped => self.report(|r| r.events_dropped += n),
            _ => {}
        }
    }

    async fn run(mut self: Box<Self>, mut shutdown: ShutdownSignal) {
        let mut shutting_down = false;
        // One timer for all deadlines, kept across turns of the loop and moved only when the
        // deadline changes: a fresh `Sleep` per turn would enter and leave the timer wheel on
        // every event (each sleep is a timer entry that every idle session would hold); what
        // is due is sorted out on waking. The scenario's due actions run in `pump` at the top
        // of the loop.
        let timer = tokio::time::sleep_until(Instant::now());
        tokio::pin!(timer);
        loop {
            self.pump();
            self.check_unsent();
            if self.session.is_closed() || self.faults.is_aborted() {
                break;
            }
            self.update_room_path();
            let frozen = self.faults.is_frozen();
            let session_deadline = if frozen {
                None
            } else {
                self.session.poll_timeout().map(Instant::from_std)
            };
            let replay_deadline = if frozen {
                None
            } else {
                self.feed.replay_deadline()
            };
            let scenario_deadline = if frozen {
                None
            } else {
                self.scenario
                    .as_ref()
                    .and_then(ScenarioSchedule::poll_timeout)
                    .map(Instant::from_std)
            };
            let unpaced_ready = !frozen && self.feed.unpaced_ready();
            let overflow_deadline = self.feed.overflow_deadline();
            let progress = self.ws.as_ref().map(|link| link.progress.clone());
            let waiting_for_window =
                !self.feed.is_empty() && self.ws.as_ref().is_some_and(WsLink::window_full);
            let poll_open = self.poll.is_some();
            let in_room = self.feed.is_room() && !frozen;
            let deadline = [
                session_deadline,
                replay_deadline,
                scenario_deadline,
                overflow_deadline,
            ]
            .into_iter()
            .flatten()
            .min();
            if let Some(deadline) = deadline.filter(|due| *due != timer.deadline()) {
                timer.as_mut().reset(deadline);
            }
            tokio::select! {
                biased;
                _ = shutdown.recv(), if !shutting_down => {
                    shutting_down = true;
                    self.close_with_reason("server shutting down".to_owned());
                    // The listener takes no more requests: no later poll can collect the rest.
                    self.session.close_now(std_now());
                }
                input = self.inputs.recv() => match input {
                    Some(input) => self.handle_input(*input),
                    // The hub holds a sender for as long as the session is listed, so this
                    // only happens once it is removed.
                    None => break,
                },
                _ = &mut timer, if deadline.is_some() => {
                    let now = Instant::now();
                    if session_deadline.is_some_and(|due| due <= now) {
                        self.session.handle_timeout(std_now());
                    }
                    if replay_deadline.is_some_and(|due| due <= now) {
                        self.take_due_replay();
                    }
                    if overflow_deadline.is_some_and(|due| due <= now)
                        && self.feed.is_overflowed(now)
                    {
                        self.drop_slow_client();
                    }
                }
                _ = std::future::ready(()), if unpaced_ready => self.take_due_replay(),
                input = self.feed.recv_room(), if in_room => self.on_room_input(input),
                _ = wait_written(progress), if waiting_for_window => {}
                _ = closed(&mut self.poll), if poll_open => {
                    self.poll = None;
                    self.session.handle_poll_aborted(std_now());
                }
            }
        }
        self.finish();
    }

    /// Drains events and transmits, and moves queued events into the session, until nothing
    /// moves.
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            while let Some(event) = self.session.poll_event() {
                moved = true;
                self.on_event(event);
            }
            while let Some(transmit) = self.session.poll_transmit() {
                moved = true;
                self.on_transmit(transmit, false);
            }
            if self.run_scenario() {
                moved = true;
            }
            if self.flush_pending() {
                moved = true;
            }
            if !moved {
                break;
            }
        }
        self.secret_input = None;
    }

    fn finish(&mut self) {
        // Answer what is still waiting so no request hangs on a session that is gone.
        if let Some(reply) = self.poll.take() {
            let _ = reply.send(PollAnswer::Refused(RequestError::UnknownSid));
        }
        self.close_websocket();
        let dropped = self.feed.dropped();
        if self.feed.is_room() {
            self.feed.stop();
            self.state
                .hub
                .leave_live_room(self.handle.room.as_deref().unwrap_or(""));
        }
        self.report(|r| {
            r.events_dropped = dropped;
            if r.closed.is_none() {
                r.closed = Some("closed".to_owned());
            }
        });
        if let Some(observe) = &self.observe {
            let reason = self
                .close_reason
                .clone()
                .or_else(|| self.handle.closed_reason())
                .unwrap_or_else(|| "closed".to_owned());
            observe.close(&reason);
        }
        self.state.hub.remove(&self.sid);
        self.finished = true;
        tracing::debug!(sid = %self.sid, "session ended");
    }

    // ------------------------------------------------------------------------------------
    // Inputs.

    fn handle_input(&mut self, input: SessionInput) {
        if self.faults.is_frozen() {
            match input {
                SessionInput::Command(command) => match command {
                    SessionCommand::Disconnect(reason) => self.close_with_reason(reason),
                    SessionCommand::SetFaults(plan) => self.set_faults(*plan),
                    // Other commands are ignored: the server has stopped answering.
                    _ => {}
                },
                SessionInput::WsClosed { link } => self.on_ws_closed(link),
                request @ (SessionInput::PollGet { .. }
                | SessionInput::PostBody { .. }
                | SessionInput::PostBegin { .. }) => {
                    let _ = self.faults.hold(request);
                }
                // Frames and everything else are ignored: the server has stopped answering.
                _ => {}
            }
            return;
        }
        let now = std_now();
        match input {
            SessionInput::Command(command) => self.handle_command(command),
            SessionInput::PollGet { reply } if self.faults.drop_is_armed() => {
                let _ = reply.send(PollAnswer::Abort);
                let why = self.faults.take_armed_drop().unwrap_or_default();
                self.abort(why);
            }
            SessionInput::PollGet { reply } => match self.session.handle_poll_request(now) {
                Ok(()) => {
                    if let Some(previous) = self.poll.replace(reply) {
                        // The session refuses duplicate polls, so this is only reached if a
                        // client raced a request with its own abort: answer it empty-handed.
                        let _ = previous.send(PollAnswer::Refused(RequestError::BadRequest));
                    }
                }
                Err(err) => {
                    let _ = reply.send(PollAnswer::Refused(err));
                }
            },
            SessionInput::PostBegin { reply } => {
                let _ = reply.send(self.session.begin_polling_post(now));
            }
            SessionInput::PostBody { body, reply } => {
                if let Ok(text) = std::str::from_utf8(&body) {
                    self.note_secret(text);
                    if let Some(observe) = &self.observe {
                        observe.payload(Direction::Client, text);
                    }
                }
                let _ = reply.send(self.session.handle_polling_post(now, &body));
            }
            SessionInput::AttachWebSocket { link, reply } => {
                let result = self.session.handle_websocket_upgrade(now);
                if result.is_ok() {
                    if let Some(observe) = &self.observe {
                        observe.upgrade(TransportKind::WebSocket);
                    }
                    link.progress
                        .latency_ms
                        .store(self.faults.plan().latency_ms, Ordering::Relaxed);
                    self.ws = Some(link);
                }
                let _ = reply.send(result);
            }
            SessionInput::WsText { link, text } => {
                if self.is_current_link(link) {
                    if let Some(observe) = &self.observe {
                        observe.text(Direction::Client, &text);
                    }
                    self.note_secret(&text);
                    self.session.handle_frame(now, InboundFrame::Text(&text));
                }
            }
            SessionInput::WsBinary { link, data } => {
                if self.is_current_link(link) {
                    if let Some(observe) = &self.observe {
                        observe.binary(Direction::Client, &data);
                    }
                    self.session.handle_frame(now, InboundFrame::Binary(&data));
                }
            }
            SessionInput::WsClosed { link } => self.on_ws_closed(link),
        }
    }

    /// Keeps `text` redacted when it holds a secret, for the violation it may cause: the
    /// session's excerpt of a malformed frame could show part of a token the redactor no
    /// longer recognises once cut.
    fn note_secret(&mut self, text: &str) {
        // Shorter text holds no token worth the scan (a JWT alone is longer).
        if text.len() > 20 {
            if let std::borrow::Cow::Owned(redacted) = sio_capture::redact::redact_anywhere(text) {
                self.secret_input = Some(redacted);
            }
        }
    }

    fn is_current_link(&self, link: u64) -> bool {
        self.ws.as_ref().is_some_and(|current| current.id == link)
    }

    fn on_ws_closed(&mut self, link: u64) {
        if self.is_current_link(link) {
            self.feed.leave_fast_path();
            self.ws = None;
            self.session.handle_websocket_closed(std_now());
        }
    }

    fn handle_command(&mut self, command: SessionCommand) {
        match command {
            SessionCommand::Emit { namespace, data } => {
                self.enqueue(namespace, data, EmitTime::AtDelivery);
            }
            SessionCommand::SendRaw(frame) => {
                let _ = self.session.send_raw_text(&frame);
            }
            SessionCommand::Disconnect(reason) => self.close_with_reason(reason),
            SessionCommand::SetFaults(plan) => self.set_faults(*plan),
        }
    }

    // ------------------------------------------------------------------------------------
    // Faults.

    fn set_faults(&mut self, plan: FaultPlan) {
        // The room's fast path knows no faults: the session takes its room's events back
        // before the plan is in force (and returns them if the plan is empty).
        self.feed.leave_fast_path();
        if let Some(link) = &self.ws {
            link.progress
                .latency_ms
                .store(plan.latency_ms, Ordering::Relaxed);
        }
        self.report(|r| r.faults = plan.clone());
        // Requests held while frozen are answered now, in order.
        for input in self.faults.set_plan(plan) {
            self.handle_input(input);
        }
        // Thresholds already passed fire at once: a plan set mid-session with
        // `drop_after_events: 0` means "now".
        self.apply_faults();
    }

    /// Carries out the faults whose threshold the events sent so far reached.
    fn apply_faults(&mut self) {
        let poll_in_flight =
            self.session.transport() == TransportKind::Polling && self.poll.is_some();
        let actions = self.faults.reached(self.events_sent(), poll_in_flight);
        if let Some(frame) = actions.malformed {
            let _ = self.session.send_raw_text(&frame);
        }
        if let Some(reason) = actions.close {
            self.close_with_reason(reason);
        }
        if let Some(why) = actions.drop {
            self.abort(why);
        }
    }

    // ------------------------------------------------------------------------------------
    // Ending.

    /// Lets go of the WebSocket with a close frame (1000, the close reason if there is one).
    fn close_websocket(&mut self) {
        if let Some(link) = self.ws.take() {
            let reason = self.close_reason.clone().unwrap_or_default();
            link.send(
                WsFrame::Close(Box::new(WsClose { code: 1000, reason })),
                false,
            );
        }
    }

    /// Closes cleanly: DISCONNECT for each joined namespace, then Engine.IO close, then (on
    /// WebSocket) a close frame carrying `reason`.
    fn close_with_reason(&mut self, reason: String) {
        let namespaces: Vec<String> = self
            .session
            .connected_namespaces()
            .map(|(nsp, _)| nsp.to_owned())
            .collect();
        for namespace in namespaces {
            let _ = self.session.disconnect(&namespace);
        }
        self.close_reason = Some(reason);
        self.faults.thaw_for_close();
        // Stopping the feed also takes the session out of its room's fast set.
        self.feed.stop();
        self.session.close(std_now());
    }

    /// Cuts the connection with no close handshake; the session ends for the mock, and what
    /// the client sends next meets an unknown sid.
    fn abort(&mut self, why: String) {
        self.feed.leave_fast_path();
        self.report(|r| {
            if r.closed.is_none() {
                r.closed = Some(why);
            }
        });
        if let Some(link) = self.ws.take() {
            link.send(WsFrame::Abort, false);
        }
        if let Some(reply) = self.poll.take() {
            let _ = reply.send(PollAnswer::Abort);
        }
        self.faults.abort();
    }

    /// Everything handed to the transport and not yet written to the client: the frames a
    /// WebSocket writer has not written, or the long-polling outbox.
    fn unsent_bytes(&self) -> usize {
        self.session.queued_bytes() + self.ws.as_ref().map_or(0, WsLink::unsent_bytes)
    }

    /// Cuts a client that lets more than [`QueueLimits::max_unsent_bytes`] pile up: it stopped
    /// reading (or polling) while it keeps sending.
    ///
    /// [`QueueLimits::max_unsent_bytes`]: crate::QueueLimits::max_unsent_bytes
    fn check_unsent(&mut self) {
        let limit = self.state.config.queue.max_unsent_bytes;
        let unsent = self.unsent_bytes();
        if unsent > limit && !self.faults.is_aborted() {
            self.cut_slow_client(format!(
                "slow_client: {unsent} bytes unsent (limit {limit}); the client stopped reading"
            ));
        }
    }

    fn drop_slow_client(&mut self) {
        let grace = match self.state.config.queue.policy {
            SlowClientPolicy::Disconnect { grace } => grace,
            SlowClientPolicy::DropOldest => Duration::ZERO,
        };
        self.cut_slow_client(format!(
            "slow_client: send queue full for {} ms",
            grace.as_millis()
        ));
    }

    /// Cuts a slow client at once: unlike a fault's drop, nothing queued is written first (it
    /// is not reading), and the memory it held is freed.
    fn cut_slow_client(&mut self, why: String) {
        tracing::info!(sid = %self.sid, "{why}; dropping the slow client");
        self.count(Stat::SlowClients, 1);
        if let Some(link) = &self.ws {
            link.progress.cut.notify_one();
        }
        self.feed.stop();
        self.abort(why);
    }
}

async fn wait_written(progress: Option<Arc<WsProgress>>) {
    match progress {
        Some(progress) => progress.written.notified().await,
        None => std::future::pending().await,
    }
}

async fn closed(reply: &mut Option<oneshot::Sender<PollAnswer>>) {
    match reply {
        Some(reply) => reply.closed().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod size_tests {
    //! Sizes that decide the resident memory of an idle connection (the target: at most 16 KiB):
    //! every session's two channels allocate 32 slots of their message type when created, and
    //! the session task's future is one allocation of its own size.
    use super::*;

    fn future_size<F, Fut>(_: F) -> usize
    where
        F: FnOnce(Box<SessionTask>, ShutdownSignal) -> Fut,
    {
        std::mem::size_of::<Fut>()
    }

    #[test]
    fn the_session_future_holds_the_boxed_task_not_a_copy() {
        // Unboxed, the task (about 1.4 KB) sat in the future twice: 3.5 KB per session.
        let future = future_size(SessionTask::run);
        assert!(future <= 1024, "SessionTask::run future is {future} bytes");
        assert!(
            future < std::mem::size_of::<SessionTask>(),
            "the future ({future} B) holds the task inline again"
        );
    }
}
