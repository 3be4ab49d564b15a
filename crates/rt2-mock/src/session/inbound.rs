//! What the client did, as the session machine reports it: packets received (kept in the
//! session report), the answer to a namespace CONNECT ([`connect::decide`]), and the
//! scenario's reactions.

use sio_session::{CloseReason, EngineMessage, ServerEvent};

use super::SessionTask;
use crate::hub::Stat;
use crate::scenario::{ConnectDecision, ScenarioAction};
use crate::session::connect::{self, ConnectRequest, ReplayStart, Verdict};
use crate::session::{new_sid, std_now, unix_now};
use crate::stamp::EmitTime;

impl SessionTask {
    pub(super) fn on_event(&mut self, event: ServerEvent) {
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
                if *namespace == **self.feed.namespace() {
                    self.feed.stop_source();
                }
                self.report(|r| {
                    r.push_received(at, "disconnect", &namespace, "");
                    r.namespaces.retain(|n| *n != namespace);
                });
            }
            ServerEvent::Message(message) => {
                let text = match &message {
                    EngineMessage::Text(text) => text.clone(),
                    EngineMessage::Binary(bytes) => format!("<{} binary bytes>", bytes.len()),
                };
                self.report(|r| r.push_received(at, "message", "", &text));
                if let Some(scenario) = self.scenario.as_mut() {
                    scenario.message(std_now(), &message);
                }
            }
            ServerEvent::Upgraded => self.report(|r| r.transport = "websocket"),
            ServerEvent::Violation(violation) => {
                self.count(Stat::Violations, 1);
                let detail = match &self.secret_input {
                    // The session quotes the raw frame around the error; a frame that held a
                    // secret is quoted redacted, whole, instead.
                    Some(redacted) => format!(
                        "{} (the frame held a secret; redacted, it reads {redacted})",
                        violation.detail.split(" in ").next().unwrap_or_default()
                    ),
                    None => violation.detail.clone(),
                };
                self.report(|r| r.push_violation(at, violation.kind.as_str(), detail));
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
        // The report redacts the token (and any other secret) as it keeps the packet.
        let shown = auth.as_deref().unwrap_or_default();
        self.report(|r| r.push_received(at, "connect", &namespace, shown));

        let scenario = match self.scenario.as_mut() {
            Some(scenario) => scenario.connect(&namespace, auth.as_deref()),
            None => ConnectDecision::Default,
        };
        let outcome = connect::decide(&ConnectRequest {
            namespace: &namespace,
            auth: auth_value.as_ref(),
            scenario: &scenario,
            replay_namespace: self.feed.namespace(),
            reject_auth: self.faults.plan().reject_auth.as_deref(),
            auth_mode: &self.state.config.auth,
            room: self.handle.room.as_deref(),
            now_unix: unix_now(),
        });
        let identity = outcome.identity;
        if identity.missing_token {
            self.violation_without_token(at);
        }
        if identity.auth_refused {
            self.count(Stat::AuthRefused, 1);
        }
        match outcome.verdict {
            Verdict::Refuse(message) => {
                if let Some(present) = identity.token_present {
                    self.report(|r| r.token_present = present);
                }
                let _ = self.session.refuse_connect(&namespace, &message);
                self.scenario_left(&namespace);
            }
            Verdict::Accept {
                replay,
                replay_namespace,
            } => {
                if replay_namespace {
                    self.report(|r| {
                        r.token_present = identity.token_present.unwrap_or(false);
                        r.tenant = identity.tenant;
                        r.user = identity.user;
                    });
                }
                if self.session.accept_connect(&namespace, &new_sid()).is_err() {
                    if !replay_namespace {
                        let _ = self.session.refuse_connect(&namespace, "Invalid namespace");
                        self.scenario_left(&namespace);
                    }
                    return;
                }
                self.report(|r| r.namespaces.push(namespace.clone()));
                self.scenario_joined(&namespace);
                match replay {
                    ReplayStart::No => {}
                    ReplayStart::Start => self.start_replay(),
                    ReplayStart::MoveHereAndStart => {
                        // The capture's events go to the namespace that asked for them.
                        self.feed.set_namespace(&namespace);
                        self.start_replay();
                    }
                }
                if replay_namespace {
                    self.apply_faults();
                }
            }
        }
    }

    pub(super) fn scenario_joined(&mut self, namespace: &str) {
        if let Some(scenario) = self.scenario.as_mut() {
            scenario.joined(std_now(), namespace);
        }
    }

    pub(super) fn scenario_left(&mut self, namespace: &str) {
        if let Some(scenario) = self.scenario.as_mut() {
            scenario.left(namespace);
        }
    }

    /// Carries out the scenario actions that are due; true when any ran.
    pub(super) fn run_scenario(&mut self) -> bool {
        let mut ran = false;
        while !self.faults.is_frozen() && !self.session.is_closed() {
            // Nothing scheduled (no action, no timer): no clock read, on every pump of every
            // session.
            let Some(scenario) = self
                .scenario
                .as_mut()
                .filter(|scenario| scenario.poll_timeout().is_some())
            else {
                break;
            };
            let Some(action) = scenario.poll_action(std_now()) else {
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
                if attachments.is_empty() {
                    self.deliver(&namespace, &data, EmitTime::AtDelivery);
                } else {
                    self.deliver_with(&namespace, &data, &attachments);
                }
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
                    if *namespace == **self.feed.namespace() {
                        self.feed.stop_source();
                    }
                    self.report(|r| r.namespaces.retain(|n| *n != namespace));
                }
                done
            }
            ScenarioAction::Fault(change) => {
                let plan = change.applied_to(self.faults.plan());
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
        self.count(Stat::Violations, 1);
        self.report(|r| {
            r.push_violation(
                at,
                "connect_without_token",
                format!("CONNECT to {} carried no token", self.feed.namespace()),
            );
        });
    }
}
