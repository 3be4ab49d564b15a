//! One session's task: it owns the sans-IO [`ServerSession`] and drives it.
//!
//! Everything that concerns one client goes through this task's input channel: WebSocket
//! frames from the reader, long-polling requests from hyper, admin commands. The task feeds
//! them to the session with the current time, then drains what the session wants sent
//! (`poll_transmit`) and what happened (`poll_event`). It adds what the protocol does not
//! know about: the auth check, the replay, the bounded send queue and the faults.
//!
//! Time: the session takes `std::time::Instant`; the task converts from tokio's clock
//! (`tokio::time::Instant::into_std`), so tests under `tokio::time::pause()` drive the
//! session's heartbeat with virtual time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use sio_session::{
    CloseReason, Frame, Message, RequestError, ServerEvent, ServerSession, SessionError, Transmit,
    TransportKind,
};
use tokio::sync::{Notify, broadcast, mpsc, oneshot};
use tokio::time::Instant;

use crate::auth::{AuthRefusal, check_connect};
use crate::config::ReplayMode;
use crate::fault::FaultPlan;
use crate::hub::{SessionCommand, SessionHandle, SessionReport};
use crate::queue::{PushOutcome, SendQueue};
use crate::replay::{CursorSettings, ReplayCursor, shift_timestamps};
use crate::scenario::{ConnectDecision, ScenarioAction, ScenarioSchedule};
use crate::server::{ServerState, TaskToken};
use crate::shutdown::ShutdownSignal;

/// At most this many event frames are handed to a WebSocket writer and not yet written; the
/// rest wait in the session's [`SendQueue`], where the slow-client policy applies.
const WRITE_WINDOW: usize = 32;
/// Capacity of a session's input channel; a client that floods faster than its session task
/// keeps up is slowed down by TCP backpressure.
const INPUT_CAPACITY: usize = 64;
/// At most this many polling requests are held unanswered by the "stop answering" fault.
const MAX_HELD_REQUESTS: usize = 8;
/// At most this many events are taken from an unpaced replay per wake-up, so one session
/// cannot starve the others on a busy runtime.
const UNPACED_BATCH: usize = 64;

/// What a session task is told.
#[derive(Debug)]
pub(crate) enum SessionInput {
    /// From the admin API (boxed: rare, and 40 bytes would size every slot of the channel).
    Command(Box<SessionCommand>),
    /// A long-polling `GET`; answered when the session has something to send.
    PollGet { reply: oneshot::Sender<PollAnswer> },
    /// A long-polling `POST`'s headers arrived.
    PostBegin {
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// A long-polling `POST`'s body (boxed: `Bytes` is 32 bytes, and every session's input
    /// channel allocates 32 slots the size of its largest message).
    PostBody {
        body: Box<Bytes>,
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// A WebSocket for this session (an upgrade from long-polling).
    AttachWebSocket {
        link: WsLink,
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// A text frame from WebSocket `link`.
    WsText { link: u64, text: String },
    /// A binary frame from WebSocket `link` (boxed like `PostBody`'s body).
    WsBinary { link: u64, data: Box<Bytes> },
    /// WebSocket `link` closed or failed.
    WsClosed { link: u64 },
}

/// The answer to a long-polling `GET`.
#[derive(Debug)]
pub(crate) enum PollAnswer {
    /// HTTP 200 with this payload, after `latency`.
    Body { body: String, latency: Duration },
    /// HTTP 400 (or 403/413) with Engine.IO's error JSON.
    Refused(RequestError),
    /// Cut the connection without an answer (the "drop the connection" fault).
    Abort,
}

/// A frame for a WebSocket writer.
#[derive(Debug)]
pub(crate) struct WsOut {
    pub(crate) frame: WsFrame,
    /// When it was handed over; a latency fault holds it until `queued_at + latency`.
    pub(crate) queued_at: Instant,
    /// Counted in the write window.
    pub(crate) is_event: bool,
}

/// What a WebSocket writer writes. The rare variants are boxed so that the frequent one,
/// `Text`, decides the size: the `WsOut` channel allocates 32 slots at its creation, per
/// connection.
#[derive(Debug)]
pub(crate) enum WsFrame {
    Text(String),
    Binary(Box<[u8]>),
    Close(Box<WsClose>),
    Abort,
}

/// A close frame for a WebSocket writer.
#[derive(Debug)]
pub(crate) struct WsClose {
    pub(crate) code: u16,
    pub(crate) reason: String,
}

/// The session's side of one WebSocket: where to send frames and how far the writer is.
#[derive(Debug, Clone)]
pub(crate) struct WsLink {
    pub(crate) id: u64,
    pub(crate) frames: mpsc::UnboundedSender<WsOut>,
    pub(crate) progress: Arc<WsProgress>,
}

/// Shared between a session and its WebSocket writer.
#[derive(Debug, Default)]
pub(crate) struct WsProgress {
    /// Event frames handed over and not yet written.
    pub(crate) in_flight: AtomicUsize,
    /// Woken each time the writer writes an event frame.
    pub(crate) written: Notify,
    /// The latency fault, in milliseconds.
    pub(crate) latency_ms: AtomicU64,
}

static NEXT_LINK: AtomicU64 = AtomicU64::new(1);

impl WsLink {
    /// A new link and the receiving end its writer drains.
    pub(crate) fn new() -> (Self, mpsc::UnboundedReceiver<WsOut>) {
        let (frames, receiver) = mpsc::unbounded_channel();
        let link = Self {
            id: NEXT_LINK.fetch_add(1, Ordering::Relaxed),
            frames,
            progress: Arc::new(WsProgress::default()),
        };
        (link, receiver)
    }

    fn send(&self, frame: WsFrame, is_event: bool) {
        if is_event {
            self.progress.in_flight.fetch_add(1, Ordering::Relaxed);
        }
        // The writer may be gone (the client left); the session learns that from WsClosed.
        let _ = self.frames.send(WsOut {
            frame,
            queued_at: Instant::now(),
            is_event,
        });
    }

    fn window_full(&self) -> bool {
        self.progress.in_flight.load(Ordering::Relaxed) >= WRITE_WINDOW
    }
}

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

/// An event waiting in the send queue: namespace and payload array.
type QueuedEvent = (Arc<str>, Arc<str>);

/// The per-connection replay.
#[derive(Debug)]
struct Replay {
    cursor: ReplayCursor,
    started: Instant,
    started_wall: time::OffsetDateTime,
}

/// Opens a session and spawns its task; returns its sid and input channel.
pub(crate) fn open_session(
    state: &Arc<ServerState>,
    transport: TransportKind,
    room: Option<&str>,
    remote: std::net::SocketAddr,
    websocket: Option<WsLink>,
) -> (Arc<str>, mpsc::Sender<SessionInput>) {
    let sid: Arc<str> = new_sid().into();
    let (inputs, receiver) = mpsc::channel(INPUT_CAPACITY);
    let faults = state.hub.run_faults();
    let report = SessionReport::new(&sid, room, remote, transport.as_str(), faults.clone());
    let handle = SessionHandle {
        room: room.map(Into::into),
        commands: inputs.clone(),
        report: Arc::new(std::sync::Mutex::new(report)),
    };
    state.hub.insert(sid.clone(), handle.clone());
    let session = ServerSession::new(
        std_now(),
        transport,
        sid.to_string(),
        state.config.session.clone(),
    );
    let latency = Arc::new(AtomicU64::new(faults.latency_ms));
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
        pending: SendQueue::new(state.config.queue),
        ws: websocket,
        poll: None,
        held: Vec::new(),
        faults,
        latency,
        events_sent: 0,
        frozen: false,
        replay: None,
        room_events: None,
        close_reason: None,
        drop_on_next_poll: None,
        aborted: false,
        replay_namespace: state.config.namespace.as_str().into(),
        scenario: state
            .config
            .scenario
            .clone()
            .map(|scenario| ScenarioSchedule::new(scenario, state.timeline.clone())),
        _token: state.tracker.token(),
    };
    // Boxed: a future keeps its by-value arguments beside the locals they move into, so an
    // unboxed task would sit in the spawned future twice (see `size_tests`).
    tokio::spawn(Box::new(task).run(state.shutdown.clone()));
    (sid, inputs)
}

struct SessionTask {
    state: Arc<ServerState>,
    session: ServerSession,
    sid: Arc<str>,
    handle: SessionHandle,
    opened: Instant,
    inputs: mpsc::Receiver<SessionInput>,
    pending: SendQueue<QueuedEvent>,
    ws: Option<WsLink>,
    poll: Option<oneshot::Sender<PollAnswer>>,
    /// Requests held unanswered by the "stop answering" fault.
    held: Vec<SessionInput>,
    faults: FaultPlan,
    latency: Arc<AtomicU64>,
    events_sent: u64,
    /// The "stop answering" fault is in force.
    frozen: bool,
    replay: Option<Replay>,
    room_events: Option<broadcast::Receiver<Arc<str>>>,
    /// The reason for the WebSocket close frame of a server-initiated close.
    close_reason: Option<String>,
    /// The "drop the connection" fault fired on long-polling while a poll was being answered:
    /// that answer still carries the events up to the threshold, and the next poll is cut.
    drop_on_next_poll: Option<String>,
    /// The session was cut; the task ends.
    aborted: bool,
    replay_namespace: Arc<str>,
    /// The scenario's delayed actions and timers for this session, when the run has rules.
    scenario: Option<ScenarioSchedule>,
    _token: TaskToken,
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

    async fn run(mut self: Box<Self>, mut shutdown: ShutdownSignal) {
        let mut shutting_down = false;
        loop {
            self.pump();
            if self.session.is_closed() || self.aborted {
                break;
            }
            let session_deadline = if self.frozen {
                None
            } else {
                self.session.poll_timeout().map(Instant::from_std)
            };
            let replay_deadline = self.replay_deadline();
            let scenario_deadline = if self.frozen {
                None
            } else {
                self.scenario
                    .as_ref()
                    .and_then(ScenarioSchedule::poll_timeout)
                    .map(Instant::from_std)
            };
            let unpaced_ready = !self.frozen
                && self.replay.as_ref().is_some_and(|r| {
                    r.cursor.is_unpaced()
                        && r.cursor
                            .peek()
                            .is_some_and(|next| self.pending.has_room_for(next.data.len()))
                });
            let overflow_deadline = self.pending.overflow_deadline();
            let progress = self.ws.as_ref().map(|link| link.progress.clone());
            let waiting_for_window =
                !self.pending.is_empty() && self.ws.as_ref().is_some_and(WsLink::window_full);
            let poll_open = self.poll.is_some();
            let deadline = [
                session_deadline,
                replay_deadline,
                scenario_deadline,
                overflow_deadline,
            ]
            .into_iter()
            .flatten()
            .min();
            tokio::select! {
                biased;
                _ = shutdown.recv(), if !shutting_down => {
                    shutting_down = true;
                    self.stop_replay();
                    self.close_reason = Some("server shutting down".to_owned());
                    self.session.close(std_now());
                }
                input = self.inputs.recv() => match input {
                    Some(input) => self.handle_input(input),
                    // The hub holds a sender for as long as the session is listed, so this
                    // only happens once it is removed.
                    None => break,
                },
                // One timer for all deadlines (each sleep is a timer entry that every idle
                // session would hold); what is due is sorted out on waking. The scenario's due
                // actions run in `pump` at the top of the loop.
                _ = sleep_until_opt(deadline), if deadline.is_some() => {
                    let now = Instant::now();
                    if session_deadline.is_some_and(|due| due <= now) {
                        self.session.handle_timeout(std_now());
                    }
                    if replay_deadline.is_some_and(|due| due <= now) {
                        self.take_due_replay();
                    }
                    if overflow_deadline.is_some_and(|due| due <= now)
                        && self.pending.is_overflowed(now)
                    {
                        self.drop_slow_client();
                    }
                }
                _ = std::future::ready(()), if unpaced_ready => self.take_due_replay(),
                received = recv_room(&mut self.room_events), if self.room_events.is_some() && !self.frozen => {
                    self.on_room_event(received);
                }
                _ = wait_written(progress), if waiting_for_window => {}
                _ = closed(&mut self.poll), if poll_open => {
                    self.poll = None;
                    self.session.handle_poll_aborted(std_now());
                }
            }
        }
        (*self).finish();
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
    }

    fn finish(mut self) {
        // Answer what is still waiting so no request hangs on a session that is gone.
        if let Some(reply) = self.poll.take() {
            let _ = reply.send(PollAnswer::Refused(RequestError::UnknownSid));
        }
        if let Some(link) = self.ws.take() {
            link.send(
                WsFrame::Close(Box::new(WsClose {
                    code: 1000,
                    reason: self.close_reason.clone().unwrap_or_default(),
                })),
                false,
            );
        }
        let dropped = self.pending.dropped();
        self.report(|r| {
            r.events_dropped = dropped;
            if r.closed.is_none() {
                r.closed = Some("closed".to_owned());
            }
        });
        self.state.hub.remove(&self.sid);
        tracing::debug!(sid = %self.sid, "session ended");
    }

    // ------------------------------------------------------------------------------------
    // Inputs.

    fn handle_input(&mut self, input: SessionInput) {
        if self.frozen {
            match input {
                SessionInput::Command(command) => match *command {
                    SessionCommand::Disconnect(reason) => self.close_with_reason(reason),
                    SessionCommand::SetFaults(plan) => self.set_faults(*plan),
                    // Other commands are ignored: the server has stopped answering.
                    _ => {}
                },
                SessionInput::WsClosed { link } => self.on_ws_closed(link),
                SessionInput::PollGet { .. }
                | SessionInput::PostBody { .. }
                | SessionInput::PostBegin { .. } => {
                    if self.held.len() == MAX_HELD_REQUESTS {
                        self.held.remove(0);
                    }
                    self.held.push(input);
                }
                // Frames and everything else are ignored: the server has stopped answering.
                _ => {}
            }
            return;
        }
        let now = std_now();
        match input {
            SessionInput::Command(command) => self.handle_command(*command),
            SessionInput::PollGet { reply } if self.drop_on_next_poll.is_some() => {
                let _ = reply.send(PollAnswer::Abort);
                let why = self.drop_on_next_poll.take().unwrap_or_default();
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
                let _ = reply.send(self.session.handle_polling_post(now, &body));
            }
            SessionInput::AttachWebSocket { link, reply } => {
                let result = self.session.handle_websocket_upgrade(now);
                if result.is_ok() {
                    link.progress
                        .latency_ms
                        .store(self.latency.load(Ordering::Relaxed), Ordering::Relaxed);
                    self.ws = Some(link);
                }
                let _ = reply.send(result);
            }
            SessionInput::WsText { link, text } => {
                if self.is_current_link(link) {
                    self.session.handle_frame(now, Frame::Text(&text));
                }
            }
            SessionInput::WsBinary { link, data } => {
                if self.is_current_link(link) {
                    self.session.handle_frame(now, Frame::Binary(&data));
                }
            }
            SessionInput::WsClosed { link } => self.on_ws_closed(link),
        }
    }

    fn is_current_link(&self, link: u64) -> bool {
        self.ws.as_ref().is_some_and(|current| current.id == link)
    }

    fn on_ws_closed(&mut self, link: u64) {
        if self.is_current_link(link) {
            self.ws = None;
            self.session.handle_websocket_closed(std_now());
        }
    }

    fn handle_command(&mut self, command: SessionCommand) {
        match command {
            SessionCommand::Emit { namespace, data } => self.enqueue(namespace, data),
            SessionCommand::SendRaw(frame) => {
                let _ = self.session.send_raw_text(&frame);
            }
            SessionCommand::Disconnect(reason) => self.close_with_reason(reason),
            SessionCommand::SetFaults(plan) => self.set_faults(*plan),
        }
    }

    fn set_faults(&mut self, plan: FaultPlan) {
        self.latency.store(plan.latency_ms, Ordering::Relaxed);
        if let Some(link) = &self.ws {
            link.progress
                .latency_ms
                .store(plan.latency_ms, Ordering::Relaxed);
        }
        if plan.stop_answering_after_events.is_none() && self.frozen {
            self.frozen = false;
            // Requests held while frozen are answered now, in order.
            for input in std::mem::take(&mut self.held) {
                self.handle_input(input);
            }
        }
        let fire_now = plan.clone();
        self.faults = plan;
        self.report(|r| r.faults = fire_now.clone());
        // Thresholds already passed fire at once: a plan set mid-session with
        // `drop_after_events: 0` means "now".
        self.apply_faults_at_or_below(self.events_sent);
    }

    fn apply_faults_at_or_below(&mut self, sent: u64) {
        let plan = &self.faults;
        let passed = |threshold: Option<u64>| threshold.is_some_and(|n| n <= sent);
        let (malformed, stop, close, drop) = (
            passed(plan.malformed_after_events),
            passed(plan.stop_answering_after_events),
            passed(plan.close_after_events),
            passed(plan.drop_after_events),
        );
        if malformed {
            let frame = plan.malformed_frame().to_owned();
            self.faults.malformed_after_events = None;
            let _ = self.session.send_raw_text(&frame);
        }
        if stop {
            self.frozen = true;
        }
        if close {
            let reason = self.faults.close_reason().to_owned();
            self.faults.close_after_events = None;
            self.close_with_reason(reason);
        }
        if drop {
            let why = format!("dropped by fault after {sent} events");
            self.faults.drop_after_events = None;
            if self.session.transport() == TransportKind::Polling && self.poll.is_some() {
                self.drop_on_next_poll = Some(why);
            } else {
                self.abort(why);
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // What the session reports.

    fn on_event(&mut self, event: ServerEvent) {
        let at = self.elapsed_ms();
        match event {
            ServerEvent::ConnectRequest { namespace, auth } => self.on_connect(namespace, auth),
            ServerEvent::Event(event) => {
                self.report(|r| r.push_received(at, "event", &event.namespace, &event.data));
                if let Some(scenario) = self.scenario.as_mut() {
                    scenario.event(std_now(), &event);
                }
            }
            ServerEvent::Ack(ack) => {
                self.report(|r| r.push_received(at, "ack", &ack.namespace, &ack.data));
            }
            ServerEvent::Disconnect { namespace } => {
                if let Some(scenario) = self.scenario.as_mut() {
                    scenario.left(&namespace);
                }
                if *namespace == *self.replay_namespace {
                    self.replay = None;
                    self.room_events = None;
                }
                self.report(|r| {
                    r.push_received(at, "disconnect", &namespace, "");
                    r.namespaces.retain(|n| *n != namespace);
                });
            }
            ServerEvent::Message(message) => {
                let text = match &message {
                    Message::Text(text) => text.clone(),
                    Message::Binary(bytes) => format!("<{} binary bytes>", bytes.len()),
                };
                self.report(|r| r.push_received(at, "message", "", &text));
                if let Some(scenario) = self.scenario.as_mut() {
                    scenario.message(std_now(), &message);
                }
            }
            ServerEvent::Upgraded => self.report(|r| r.transport = "websocket"),
            ServerEvent::Violation(violation) => {
                self.state
                    .hub
                    .stats
                    .violations
                    .fetch_add(1, Ordering::Relaxed);
                self.report(|r| {
                    r.push_violation(at, violation.kind.as_str(), violation.detail.clone())
                });
            }
            ServerEvent::Closed(reason) => {
                let text = match (&self.close_reason, reason) {
                    (Some(ours), CloseReason::Requested) => format!("{reason}: {ours}"),
                    _ => reason.to_string(),
                };
                self.report(|r| {
                    if r.closed.is_none() {
                        r.closed = Some(text);
                    }
                });
            }
            _ => {}
        }
    }

    fn on_connect(&mut self, namespace: String, auth: Option<String>) {
        let at = self.elapsed_ms();
        let auth_value: Option<serde_json::Value> =
            auth.as_deref().and_then(|a| serde_json::from_str(a).ok());
        let shown = match &auth_value {
            Some(serde_json::Value::Object(map)) => {
                let mut map = map.clone();
                if map.contains_key("token") {
                    map.insert("token".to_owned(), "<token>".into());
                }
                serde_json::Value::Object(map).to_string()
            }
            _ => auth.clone().unwrap_or_default(),
        };
        self.report(|r| r.push_received(at, "connect", &namespace, &shown));

        let decision = match self.scenario.as_mut() {
            Some(scenario) => scenario.connect(&namespace, auth.as_deref()),
            None => ConnectDecision::Default,
        };
        let replay = match &decision {
            ConnectDecision::Refuse(message) => {
                let _ = self.session.refuse_connect(&namespace, message);
                self.scenario_left(&namespace);
                return;
            }
            ConnectDecision::Accept { replay } => *replay,
            ConnectDecision::Default => None,
        };
        if namespace != *self.replay_namespace {
            // socket.io's main namespace always exists; any other is refused as socket.io
            // refuses a namespace nobody registered, unless a scenario rule accepts it.
            let accepted = namespace == "/" || decision != ConnectDecision::Default;
            if accepted && self.session.accept_connect(&namespace, &new_sid()).is_ok() {
                self.report(|r| r.namespaces.push(namespace.clone()));
                self.scenario_joined(&namespace);
                if replay == Some(true) {
                    // The capture's events go to the namespace that asked for them.
                    self.replay_namespace = namespace.as_str().into();
                    self.start_replay();
                }
            } else {
                let _ = self.session.refuse_connect(&namespace, "Invalid namespace");
                self.scenario_left(&namespace);
            }
            return;
        }
        if let Some(message) = self.faults.reject_auth.clone() {
            self.state
                .hub
                .stats
                .auth_refused
                .fetch_add(1, Ordering::Relaxed);
            let _ = self.session.refuse_connect(&namespace, &message);
            self.scenario_left(&namespace);
            return;
        }
        let room = self.handle.room.clone();
        match check_connect(
            &self.state.config.auth,
            auth_value.as_ref(),
            room.as_deref(),
            unix_now(),
        ) {
            Ok(outcome) => {
                if !outcome.token_present {
                    self.violation_without_token(at);
                }
                self.report(|r| {
                    r.token_present = outcome.token_present;
                    r.tenant = outcome.tenant.clone();
                    r.user = outcome.user.clone();
                    r.namespaces.push(namespace.clone());
                });
                if self.session.accept_connect(&namespace, &new_sid()).is_ok() {
                    self.scenario_joined(&namespace);
                    if replay != Some(false) {
                        self.start_replay();
                    }
                    self.apply_faults_at_or_below(self.events_sent);
                }
            }
            Err(refusal) => {
                if refusal == AuthRefusal::MissingToken {
                    self.violation_without_token(at);
                } else {
                    // A token was sent, though it was refused (unreadable, forged, expired).
                    self.report(|r| r.token_present = true);
                }
                self.state
                    .hub
                    .stats
                    .auth_refused
                    .fetch_add(1, Ordering::Relaxed);
                let _ = self
                    .session
                    .refuse_connect(&namespace, &refusal.to_string());
                self.scenario_left(&namespace);
            }
        }
    }

    fn scenario_joined(&mut self, namespace: &str) {
        if let Some(scenario) = self.scenario.as_mut() {
            scenario.joined(std_now(), namespace);
        }
    }

    fn scenario_left(&mut self, namespace: &str) {
        if let Some(scenario) = self.scenario.as_mut() {
            scenario.left(namespace);
        }
    }

    /// Carries out the scenario actions that are due; true when any ran.
    fn run_scenario(&mut self) -> bool {
        let mut ran = false;
        while !self.frozen && !self.session.is_closed() {
            let Some(action) = self
                .scenario
                .as_mut()
                .and_then(|scenario| scenario.poll_action(std_now()))
            else {
                break;
            };
            ran = true;
            self.apply_scenario_action(action);
        }
        ran
    }

    fn apply_scenario_action(&mut self, action: ScenarioAction) {
        let done = match action {
            ScenarioAction::Emit {
                namespace,
                data,
                attachments,
            } => {
                self.deliver_with(&namespace, &data, &attachments);
                Ok(())
            }
            ScenarioAction::Ack {
                namespace,
                ack_id,
                data,
                attachments,
            } => self.session.ack(&namespace, ack_id, &data, &attachments),
            ScenarioAction::Disconnect { namespace } => {
                let done = self.session.disconnect(&namespace);
                if done.is_ok() {
                    self.scenario_left(&namespace);
                    if *namespace == *self.replay_namespace {
                        self.replay = None;
                        self.room_events = None;
                    }
                    self.report(|r| r.namespaces.retain(|n| *n != namespace));
                }
                done
            }
            ScenarioAction::Fault(change) => {
                let plan = change.applied_to(&self.faults);
                self.set_faults(plan);
                Ok(())
            }
            ScenarioAction::Send(message) => self.session.send_message(message),
        };
        if let Err(err) = done {
            tracing::debug!(sid = %self.sid, "scenario action not done: {err}");
        }
    }

    fn violation_without_token(&self, at: u64) {
        self.state
            .hub
            .stats
            .violations
            .fetch_add(1, Ordering::Relaxed);
        self.report(|r| {
            r.push_violation(
                at,
                "connect_without_token",
                format!("CONNECT to {} carried no token", self.replay_namespace),
            );
        });
    }

    fn on_transmit(&mut self, transmit: Transmit, is_event: bool) {
        match transmit {
            Transmit::Text(text) => {
                if self.faults.stop_pinging && text == "2" {
                    // Keep the session's own heartbeat satisfied so that only the client
                    // notices the missing pings.
                    self.session.handle_frame(std_now(), Frame::Text("3"));
                    return;
                }
                if let Some(link) = &self.ws {
                    link.send(WsFrame::Text(text), is_event);
                }
            }
            Transmit::Binary(bytes) => {
                if let Some(link) = &self.ws {
                    link.send(WsFrame::Binary(bytes.into_boxed_slice()), is_event);
                }
            }
            Transmit::PollResponse(mut body) => {
                if self.faults.stop_pinging {
                    body = self.strip_pings(body);
                }
                if let Some(reply) = self.poll.take() {
                    let latency = Duration::from_millis(self.latency.load(Ordering::Relaxed));
                    let _ = reply.send(PollAnswer::Body { body, latency });
                }
            }
            Transmit::CloseWebSocket => {
                if let Some(link) = self.ws.take() {
                    link.send(
                        WsFrame::Close(Box::new(WsClose {
                            code: 1000,
                            reason: self.close_reason.clone().unwrap_or_default(),
                        })),
                        false,
                    );
                }
            }
        }
    }

    /// Removes ping records from a polling payload (the "stop pinging" fault), answering them
    /// to the session with a pong of its own.
    fn strip_pings(&mut self, body: String) -> String {
        if !body.split('\x1e').any(|record| record == "2") {
            return body;
        }
        let kept: Vec<&str> = body.split('\x1e').filter(|record| *record != "2").collect();
        let _ = self.session.begin_polling_post(std_now());
        let _ = self.session.handle_polling_post(std_now(), b"3");
        if kept.is_empty() {
            // An empty answer is not a valid payload; a noop makes the client poll again.
            "6".to_owned()
        } else {
            kept.join("\x1e")
        }
    }

    // ------------------------------------------------------------------------------------
    // Events to the client: replay, room, admin; the send queue.

    fn start_replay(&mut self) {
        let settings = CursorSettings {
            pace: self.state.config.replay.pace,
            repeat: self.state.config.replay.repeat,
            loop_pause: self.state.config.replay.loop_pause,
        };
        if self.state.timeline.is_empty() {
            return;
        }
        match self.state.config.replay.mode {
            ReplayMode::PerConnection => {
                self.replay = Some(Replay {
                    cursor: ReplayCursor::new(self.state.timeline.clone(), settings),
                    started: Instant::now(),
                    started_wall: time::OffsetDateTime::now_utc(),
                });
            }
            ReplayMode::Live => {
                let room = self.handle.room.as_deref().unwrap_or("");
                let (receiver, starter) = self.state.hub.join_live_room(room);
                if let Some(sender) = starter {
                    crate::replay::room::spawn_room(
                        self.state.clone(),
                        room.to_owned(),
                        sender,
                        settings,
                    );
                }
                self.room_events = Some(receiver);
            }
        }
    }

    fn replay_deadline(&self) -> Option<Instant> {
        if self.frozen {
            return None;
        }
        let replay = self.replay.as_ref()?;
        if replay.cursor.is_unpaced() {
            return None;
        }
        Some(replay.started + replay.cursor.next_due()?)
    }

    fn take_due_replay(&mut self) {
        let Some(replay) = self.replay.as_mut() else {
            return;
        };
        let mut due_events = Vec::new();
        if replay.cursor.is_unpaced() {
            // Take only what fits, so that an unpaced replay waits for the client instead of
            // tripping the slow-client policy.
            let mut room_frames = self
                .state
                .config
                .queue
                .max_frames
                .saturating_sub(self.pending.len());
            let mut room_bytes = self
                .state
                .config
                .queue
                .max_bytes
                .saturating_sub(self.pending.bytes());
            while due_events.len() < UNPACED_BATCH {
                let Some(next) = replay.cursor.peek() else {
                    break;
                };
                let len = next.data.len();
                if room_frames == 0 || len > room_bytes {
                    break;
                }
                let Some(due) = replay.cursor.pop_due(Duration::MAX) else {
                    break;
                };
                room_frames -= 1;
                room_bytes -= len;
                due_events.push(due);
            }
        } else {
            let elapsed = replay.started.elapsed();
            while let Some(due) = replay.cursor.pop_due(elapsed) {
                due_events.push(due);
            }
        }
        let started_wall = replay.started_wall;
        for due in due_events {
            let data = self.shifted(due.event.data, started_wall, due.pass_start);
            self.enqueue(self.replay_namespace.clone(), data);
        }
    }

    /// The event's payload with its timestamps moved so that the pass looks recorded now.
    fn shifted(
        &self,
        data: Arc<str>,
        started_wall: time::OffsetDateTime,
        pass_start: Duration,
    ) -> Arc<str> {
        shift_for_replay(&self.state, data, started_wall, pass_start)
    }

    fn on_room_event(&mut self, received: Result<Arc<str>, broadcast::error::RecvError>) {
        match received {
            Ok(data) => self.enqueue(self.replay_namespace.clone(), data),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                self.state
                    .hub
                    .stats
                    .events_dropped
                    .fetch_add(missed, Ordering::Relaxed);
                self.report(|r| r.events_dropped += missed);
            }
            Err(broadcast::error::RecvError::Closed) => self.room_events = None,
        }
    }

    fn enqueue(&mut self, namespace: Arc<str>, data: Arc<str>) {
        if self.frozen {
            return;
        }
        let len = data.len();
        match self.pending.push((namespace, data), len, Instant::now()) {
            PushOutcome::Queued => {}
            PushOutcome::QueuedDroppingOldest(n) => self.count_dropped(n as u64),
            PushOutcome::Refused => self.count_dropped(1),
            PushOutcome::Overflowed => {
                self.count_dropped(1);
                self.drop_slow_client();
            }
        }
    }

    fn count_dropped(&self, n: u64) {
        self.state
            .hub
            .stats
            .events_dropped
            .fetch_add(n, Ordering::Relaxed);
        self.report(|r| r.events_dropped += n);
    }

    /// Moves queued events into the session while the transport can take them; true when
    /// any moved.
    fn flush_pending(&mut self) -> bool {
        if self.frozen
            || self.aborted
            || self.drop_on_next_poll.is_some()
            || self.pending.is_empty()
            || self.session.is_closed()
        {
            return false;
        }
        let mut moved = false;
        match self.session.transport() {
            TransportKind::WebSocket => {
                while self.ws.as_ref().is_some_and(|link| !link.window_full()) {
                    let Some((namespace, data)) = self.pending.pop() else {
                        break;
                    };
                    self.deliver(&namespace, &data);
                    moved = true;
                    if self.frozen || self.session.is_closed() {
                        break;
                    }
                }
            }
            TransportKind::Polling => {
                if !self.session.is_poll_pending() {
                    return false;
                }
                // One poll answer carries at most about half of maxPayload of events, so that
                // the payload stays well inside what the client accepts.
                let budget = usize::try_from(self.state.config.session.max_payload / 2)
                    .unwrap_or(usize::MAX);
                let mut used = 0;
                while used < budget.max(1) {
                    let Some((namespace, data)) = self.pending.pop() else {
                        break;
                    };
                    used += data.len();
                    self.deliver(&namespace, &data);
                    moved = true;
                    if self.frozen || self.session.is_closed() || self.drop_on_next_poll.is_some() {
                        break;
                    }
                }
            }
        }
        moved
    }

    /// Emits one event into the session and writes it out, then applies the faults whose
    /// threshold it reaches.
    fn deliver(&mut self, namespace: &str, data: &str) {
        self.deliver_with(namespace, data, &[]);
    }

    /// [`deliver`](Self::deliver) with binary attachments (a BINARY_EVENT).
    fn deliver_with(&mut self, namespace: &str, data: &str, attachments: &[Vec<u8>]) {
        let websocket = self.session.transport() == TransportKind::WebSocket;
        if websocket {
            // Frames queued before the event are control frames; drain them first so that
            // the write window counts only events. (On long-polling, draining would answer the
            // pending poll before the events are in it.)
            while let Some(transmit) = self.session.poll_transmit() {
                self.on_transmit(transmit, false);
            }
        }
        match self.session.emit(namespace, data, attachments) {
            Ok(()) => {
                self.events_sent += 1;
                self.state
                    .hub
                    .stats
                    .events_sent
                    .fetch_add(1, Ordering::Relaxed);
                self.report(|r| r.events_sent += 1);
                if websocket {
                    while let Some(transmit) = self.session.poll_transmit() {
                        self.on_transmit(transmit, true);
                    }
                }
                self.apply_faults_at_or_below(self.events_sent);
            }
            Err(SessionError::NotConnected(_)) => {
                // The client has not joined (or has left) the namespace: nothing to send.
            }
            Err(SessionError::Closed) => self.stop_replay(),
            Err(err) => tracing::debug!(sid = %self.sid, "event not sent: {err}"),
        }
    }

    // ------------------------------------------------------------------------------------
    // Ending.

    /// No more events for this session: the replay, the live room and the queue are dropped
    /// (a closing session has no use for them, and an unpaced replay would spin through them).
    fn stop_replay(&mut self) {
        self.replay = None;
        self.room_events = None;
        while self.pending.pop().is_some() {}
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
        self.frozen = false;
        self.stop_replay();
        self.session.close(std_now());
    }

    /// Cuts the connection with no close handshake; the session ends for the mock, and what
    /// the client sends next meets an unknown sid.
    fn abort(&mut self, why: String) {
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
        self.aborted = true;
    }

    fn drop_slow_client(&mut self) {
        let grace = match self.state.config.queue.policy {
            crate::queue::SlowClientPolicy::Disconnect { grace } => grace,
            crate::queue::SlowClientPolicy::DropOldest => Duration::ZERO,
        };
        tracing::info!(sid = %self.sid, "send queue full for {grace:?}; dropping the slow client");
        self.abort(format!(
            "slow client: send queue full for {} ms",
            grace.as_millis()
        ));
    }
}

/// The payload with timestamps shifted, when the config asks for it and the capture says when
/// it started.
pub(crate) fn shift_for_replay(
    state: &ServerState,
    data: Arc<str>,
    started_wall: time::OffsetDateTime,
    pass_start: Duration,
) -> Arc<str> {
    if !state.config.replay.shift_timestamps {
        return data;
    }
    let Some(origin) = state
        .config
        .capture
        .as_ref()
        .and_then(|capture| capture.origin_wall_time(&state.config.namespace))
    else {
        return data;
    };
    let pass_wall = started_wall + pass_start;
    let delta = pass_wall - origin;
    // Whole milliseconds keep the shifted timestamps as precise as the captured ones.
    let delta =
        time::Duration::milliseconds(i64::try_from(delta.whole_milliseconds()).unwrap_or(i64::MAX));
    match shift_timestamps(&data, delta) {
        Some(shifted) => shifted.into(),
        None => data,
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn recv_room(
    receiver: &mut Option<broadcast::Receiver<Arc<str>>>,
) -> Result<Arc<str>, broadcast::error::RecvError> {
    match receiver {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
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

    #[test]
    fn channel_slots_stay_small() {
        // Each channel allocates a block of 32 slots at creation: 8 bytes more per slot is
        // 256 bytes more per connection.
        assert!(std::mem::size_of::<WsFrame>() <= 24);
        assert!(std::mem::size_of::<WsOut>() <= 48);
        assert!(std::mem::size_of::<SessionInput>() <= 40);
    }
}
