//! What goes to the client: replayed, room and injected events through the send queue and
//! into the session, and the session's transmits out to the WebSocket writer or the pending
//! long-polling request.

use std::sync::Arc;

use sio_capture::Direction;
use sio_session::{InboundFrame, SessionError, Transmit, TransportKind};
use tokio::sync::broadcast;
use tokio::time::Instant;

use super::SessionTask;
use crate::config::ReplayMode;
use crate::hub::Stat;
use crate::queue::PushOutcome;
use crate::replay::CursorSettings;
use crate::replay::room::{RoomTimeline, spawn_room};
use crate::session::feed::RoomInput;
use crate::session::messages::{PollAnswer, WsFrame};
use crate::session::std_now;
use crate::stamp::{EmitTime, stamped, unix_micros};

impl SessionTask {
    pub(super) fn start_replay(&mut self) {
        if self.state.timeline.is_empty() {
            return;
        }
        let settings = CursorSettings {
            pace: self.state.config.replay.pace,
            repeat: self.state.config.replay.repeat,
            loop_pause: self.state.config.replay.loop_pause,
        };
        match self.state.config.replay.mode {
            ReplayMode::PerConnection => {
                self.feed
                    .start_replay(self.state.timeline.clone(), settings);
            }
            ReplayMode::Live => {
                let room = self.handle.room.as_deref().unwrap_or("");
                let joined = self.state.hub.join_live_room(room);
                if let Some(removed) = joined.start {
                    spawn_room(
                        room.to_owned(),
                        joined.members.clone(),
                        RoomTimeline {
                            state: self.state.clone(),
                            settings,
                            token: self.state.tracker.token(),
                            removed,
                        },
                    );
                }
                // Through the session to begin with; `room_path.rs` moves it to the fast
                // path when it may take it.
                self.feed.join_room(joined.members, joined.events);
            }
        }
    }

    pub(super) fn take_due_replay(&mut self) {
        let namespace = self.feed.namespace().clone();
        let due = self.feed.take_due(&self.state.shift);
        // Released from the replay now: that is when these were emitted.
        let emitted = if self.stamps && !due.is_empty() {
            EmitTime::At(unix_micros())
        } else {
            EmitTime::AtDelivery
        };
        for data in due {
            self.enqueue(namespace.clone(), data, emitted);
        }
    }

    pub(super) fn on_room_input(&mut self, input: RoomInput) {
        let received = match input {
            RoomInput::Event(received) => received,
            // The client reads too slowly for the room to write to it: the events wait in
            // the send queue again, where the slow-client policy applies.
            RoomInput::Returned => {
                self.feed.leave_fast_path();
                return;
            }
        };
        match received {
            // The room stamped its copy once for every member that asked.
            Ok(event) => {
                let data = match (self.stamps, event.stamped) {
                    (true, Some(stamped)) => stamped,
                    _ => event.data,
                };
                self.enqueue(self.feed.namespace().clone(), data, EmitTime::InPayload);
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                self.count(Stat::EventsDropped, missed);
            }
            // The feed stopped listening to the room.
            Err(broadcast::error::RecvError::Closed) => {}
        }
    }

    /// Queues an event emitted at `emitted`.
    pub(super) fn enqueue(&mut self, namespace: Arc<str>, data: Arc<str>, emitted: EmitTime) {
        if self.faults.is_frozen() {
            return;
        }
        match self.feed.push(namespace, data, emitted, Instant::now()) {
            PushOutcome::Queued => {}
            PushOutcome::QueuedDroppingOldest(n) => self.count(Stat::EventsDropped, n as u64),
            PushOutcome::Refused => self.count(Stat::EventsDropped, 1),
            PushOutcome::Overflowed => {
                self.count(Stat::EventsDropped, 1);
                self.drop_slow_client();
            }
        }
    }

    /// Moves queued events into the session while the transport can take them; true when
    /// any moved.
    pub(super) fn flush_pending(&mut self) -> bool {
        if !self.faults.may_send() || self.feed.is_empty() || self.session.is_closed() {
            return false;
        }
        let mut moved = false;
        match self.session.transport() {
            TransportKind::WebSocket => {
                while self.ws.as_ref().is_some_and(|link| !link.window_full()) {
                    let Some((namespace, data, emitted)) = self.feed.pop() else {
                        break;
                    };
                    self.deliver(&namespace, &data, emitted);
                    moved = true;
                    if !self.faults.may_send() || self.session.is_closed() {
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
                    let Some((namespace, data, emitted)) = self.feed.pop() else {
                        break;
                    };
                    used += data.len();
                    self.deliver(&namespace, &data, emitted);
                    moved = true;
                    if !self.faults.may_send() || self.session.is_closed() {
                        break;
                    }
                }
            }
        }
        moved
    }

    /// Emits one event into the session and writes it out, then applies the faults whose
    /// threshold it reaches. A client that asked for send-time stamps gets the emit time
    /// appended as the last argument, unless the payload carries it already.
    pub(super) fn deliver(&mut self, namespace: &str, data: &str, emitted: EmitTime) {
        if self.stamps {
            let emitted_us = match emitted {
                EmitTime::AtDelivery => Some(unix_micros()),
                EmitTime::At(us) => Some(us),
                EmitTime::InPayload => None,
            };
            if let Some(stamped) = emitted_us.and_then(|us| stamped(data, us)) {
                return self.deliver_with(namespace, &stamped, &[]);
            }
        }
        self.deliver_with(namespace, data, &[]);
    }

    /// [`deliver`](Self::deliver) with binary attachments (a BINARY_EVENT), never stamped.
    pub(super) fn deliver_with(&mut self, namespace: &str, data: &str, attachments: &[Vec<u8>]) {
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
                self.count(Stat::EventsSent, 1);
                if websocket {
                    while let Some(transmit) = self.session.poll_transmit() {
                        self.on_transmit(transmit, true);
                    }
                }
                self.apply_faults();
            }
            Err(SessionError::NotConnected(_)) => {
                // The client has not joined (or has left) the namespace: nothing to send.
            }
            Err(SessionError::Closed) => self.feed.stop(),
            Err(err) => tracing::debug!(sid = %self.sid, "event not sent: {err}"),
        }
    }

    pub(super) fn on_transmit(&mut self, transmit: Transmit, is_event: bool) {
        match transmit {
            Transmit::Text(text) => {
                if self.faults.plan().stop_pinging && text == "2" {
                    // Keep the session's own heartbeat satisfied so that only the client
                    // notices the missing pings.
                    self.session
                        .handle_frame(std_now(), InboundFrame::Text("3"));
                    return;
                }
                if let Some(link) = &self.ws {
                    if let Some(observe) = &self.observe {
                        observe.text(Direction::Server, &text);
                    }
                    link.send(WsFrame::Text(text), is_event);
                }
            }
            Transmit::Binary(bytes) => {
                if let Some(link) = &self.ws {
                    if let Some(observe) = &self.observe {
                        observe.binary(Direction::Server, &bytes);
                    }
                    link.send(WsFrame::Binary(bytes.into_boxed_slice()), is_event);
                }
            }
            Transmit::PollResponse(mut body) => {
                if self.faults.plan().stop_pinging {
                    body = self.strip_pings(body);
                }
                if let Some(reply) = self.poll.take() {
                    if let Some(observe) = &self.observe {
                        observe.payload(Direction::Server, &body);
                    }
                    let latency = self.faults.latency();
                    let _ = reply.send(PollAnswer::Body { body, latency });
                }
            }
            Transmit::CloseWebSocket => self.close_websocket(),
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
}
