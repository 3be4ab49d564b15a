//! Evaluating rules: a session's event in, the actions the rules ask for out. Pure functions of
//! the scenario, the event and the capture: no clock, no socket, no state.

use std::time::Duration;

use sio_session::{EngineMessage, IncomingEvent};

use crate::replay::ReplayEvent;
use crate::scenario::model::{
    CaptureFrame, EmitSpec, EmitWhat, FaultChange, Payload, Scenario, ServerMode,
};

/// An action and how long after its trigger it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledAction {
    /// The rule's `delay_ms` plus the emit's own.
    pub delay: Duration,
    /// What to do.
    pub action: ScenarioAction,
}

/// What a rule asks the session to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioAction {
    /// Emit an event: `data` is the JSON array of the name and arguments, with one
    /// placeholder per attachment.
    Emit {
        /// The namespace.
        namespace: String,
        /// The payload array.
        data: String,
        /// Binary attachments (a BINARY_EVENT when not empty).
        attachments: Vec<Vec<u8>>,
    },
    /// Answer the client's ack `ack_id`: `data` is the JSON array of the answer.
    Ack {
        /// The namespace.
        namespace: String,
        /// The id the client sent.
        ack_id: u64,
        /// The answer array.
        data: String,
        /// Binary attachments (a BINARY_ACK when not empty).
        attachments: Vec<Vec<u8>>,
    },
    /// Disconnect the client from a namespace.
    Disconnect {
        /// The namespace.
        namespace: String,
    },
    /// Change the session's faults.
    Fault(FaultChange),
    /// Send a plain Engine.IO message (the echo mode).
    Send(EngineMessage),
}

/// What to do with a CONNECT, according to the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectDecision {
    /// No rule for this namespace: the mock decides as it does without a scenario (the
    /// replay namespace checks its token and starts the replay, `/` is accepted, any other
    /// namespace is refused).
    Default,
    /// A rule accepts it. On the replay namespace the mock's token check still applies.
    Accept {
        /// Start (`Some(true)`) or skip (`Some(false)`) the replay; `None`: the mock's default.
        replay: Option<bool>,
    },
    /// A rule refuses it with this CONNECT_ERROR message.
    Refuse(String),
}

/// The scenario's answer to a CONNECT: the decision, and the actions to run once the client
/// has joined (nothing when it is refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectResponse {
    /// Accept, refuse, or let the mock decide.
    pub decision: ConnectDecision,
    /// Actions due after the connect answer.
    pub actions: Vec<ScheduledAction>,
}

/// What triggered a rule: where emits go by default, and what `echo` and `auth` stand for.
#[derive(Debug, Clone, Copy)]
struct Trigger<'a> {
    namespace: &'a str,
    /// The triggering event's arguments (JSON text between the brackets, after the name) and
    /// attachments.
    echo: Option<(&'a str, &'a [Vec<u8>])>,
    /// The client's handshake auth in this namespace, as JSON text.
    auth: Option<&'a str>,
}

impl Scenario {
    /// The rules' answer to a CONNECT to `namespace` carrying `auth` (the CONNECT payload as
    /// JSON text, if any). The first `[[on_connect]]` rule whose namespace matches applies.
    ///
    /// ```
    /// use rt2_mock::scenario::{ConnectDecision, Scenario, ScenarioAction};
    /// let scenario = Scenario::from_toml(
    ///     r#"
    ///     [[on_connect]]
    ///     namespace = "/"
    ///     emit = [{ event = "auth", args = "auth" }]
    ///     "#,
    ///     "example.toml",
    /// )?;
    /// let response = scenario.on_connect("/", Some(r#"{"token":"123"}"#), &[]);
    /// assert_eq!(response.decision, ConnectDecision::Accept { replay: None });
    /// assert_eq!(
    ///     response.actions[0].action,
    ///     ScenarioAction::Emit {
    ///         namespace: "/".into(),
    ///         data: r#"["auth",{"token":"123"}]"#.into(),
    ///         attachments: vec![],
    ///     }
    /// );
    /// # Ok::<(), rt2_mock::scenario::ScenarioError>(())
    /// ```
    pub fn on_connect(
        &self,
        namespace: &str,
        auth: Option<&str>,
        capture: &[ReplayEvent],
    ) -> ConnectResponse {
        let Some(rule) = self
            .on_connect
            .iter()
            .find(|rule| rule.namespace.matches(namespace))
        else {
            return ConnectResponse {
                decision: ConnectDecision::Default,
                actions: Vec::new(),
            };
        };
        if let Some(message) = &rule.refuse {
            return ConnectResponse {
                decision: ConnectDecision::Refuse(message.clone()),
                actions: Vec::new(),
            };
        }
        let trigger = Trigger {
            namespace,
            echo: None,
            auth,
        };
        let base = Duration::from_millis(rule.delay_ms);
        let mut actions = emits(&rule.emit, base, trigger, capture);
        if let Some(fault) = &rule.fault {
            actions.push(ScheduledAction {
                delay: base,
                action: ScenarioAction::Fault(fault.clone()),
            });
        }
        ConnectResponse {
            decision: ConnectDecision::Accept {
                replay: rule.replay,
            },
            actions,
        }
    }

    /// The rules' answer to an event from the client. `auth` is what the client sent when it
    /// joined the event's namespace (for `args = "auth"`). The first `[[on_event]]` rule whose
    /// name, namespace and `where` match applies; no match, no action.
    pub fn on_event(
        &self,
        event: &IncomingEvent,
        auth: Option<&str>,
        capture: &[ReplayEvent],
    ) -> Vec<ScheduledAction> {
        if self.server.mode != ServerMode::SocketIo {
            return Vec::new();
        }
        let name = event.name();
        // Parsed only if a rule has a `where`, and then once.
        let mut args: Option<serde_json::Value> = None;
        for rule in &self.on_event {
            if rule.name != "*" && name.as_deref() != Some(rule.name.as_str()) {
                continue;
            }
            if !rule.namespace.matches(&event.namespace) {
                continue;
            }
            if let Some(condition) = &rule.condition {
                let args = args.get_or_insert_with(|| event_args(&event.data));
                if !condition.holds(args) {
                    continue;
                }
            }
            let trigger = Trigger {
                namespace: &event.namespace,
                echo: Some((event.args_json(), &event.attachments)),
                auth,
            };
            let base = Duration::from_millis(rule.delay_ms);
            let mut actions = emits(&rule.emit, base, trigger, capture);
            if let (Some(answer), Some(ack_id)) = (&rule.ack, event.ack_id) {
                let (args, attachments) = render_payload(answer, trigger);
                actions.push(ScheduledAction {
                    delay: base,
                    action: ScenarioAction::Ack {
                        namespace: event.namespace.clone(),
                        ack_id,
                        data: format!("[{args}]"),
                        attachments,
                    },
                });
            }
            if let Some(fault) = &rule.fault {
                actions.push(ScheduledAction {
                    delay: base,
                    action: ScenarioAction::Fault(fault.clone()),
                });
            }
            if rule.disconnect {
                // After everything else of the rule, including delayed emits.
                let last = actions.iter().map(|a| a.delay).max().unwrap_or(base);
                actions.push(ScheduledAction {
                    delay: last,
                    action: ScenarioAction::Disconnect {
                        namespace: event.namespace.clone(),
                    },
                });
            }
            return actions;
        }
        Vec::new()
    }

    /// The answer to a plain Engine.IO message: in `engine.io-echo` mode, the same message
    /// back at once; otherwise nothing.
    pub fn on_message(&self, message: &EngineMessage) -> Vec<ScheduledAction> {
        match self.server.mode {
            ServerMode::EngineIoEcho => vec![ScheduledAction {
                delay: Duration::ZERO,
                action: ScenarioAction::Send(message.clone()),
            }],
            ServerMode::SocketIo => Vec::new(),
        }
    }

    /// The actions of timer `index` (in file order) firing for a client that joined its
    /// namespace with `auth`. An unknown index gives nothing.
    pub fn on_timer(
        &self,
        index: usize,
        auth: Option<&str>,
        capture: &[ReplayEvent],
    ) -> Vec<ScheduledAction> {
        let Some(timer) = self.timers.get(index) else {
            return Vec::new();
        };
        let trigger = Trigger {
            namespace: timer.namespace.as_str(),
            echo: None,
            auth,
        };
        emits(&timer.emit, Duration::ZERO, trigger, capture)
    }
}

/// The arguments after the event name, as a JSON array (empty when the data is not one).
fn event_args(data: &str) -> serde_json::Value {
    match serde_json::from_str::<serde_json::Value>(data) {
        Ok(serde_json::Value::Array(mut items)) if !items.is_empty() => {
            items.remove(0);
            serde_json::Value::Array(items)
        }
        _ => serde_json::Value::Array(Vec::new()),
    }
}

fn emits(
    specs: &[EmitSpec],
    base: Duration,
    trigger: Trigger<'_>,
    capture: &[ReplayEvent],
) -> Vec<ScheduledAction> {
    specs
        .iter()
        .filter_map(|spec| {
            let namespace = spec
                .namespace
                .as_ref()
                .map_or(trigger.namespace, |n| n.as_str())
                .to_owned();
            let (data, attachments) = match &spec.what {
                EmitWhat::Event { event, args } => {
                    let (args, attachments) = render_payload(args, trigger);
                    let mut data = String::with_capacity(event.len() + args.len() + 4);
                    data.push('[');
                    sio_wire::json::write_json_str(event, &mut data);
                    if !args.is_empty() {
                        data.push(',');
                        data.push_str(&args);
                    }
                    data.push(']');
                    (data, attachments)
                }
                // A frame the capture does not have is skipped: the rule still applies to the
                // rest, and the capture may be swapped for a shorter one.
                EmitWhat::Capture(frame) => (captured(frame, capture)?.to_owned(), Vec::new()),
            };
            Some(ScheduledAction {
                delay: base + Duration::from_millis(spec.delay_ms),
                action: ScenarioAction::Emit {
                    namespace,
                    data,
                    attachments,
                },
            })
        })
        .collect()
}

/// The arguments as JSON text (comma-separated elements, no brackets) and attachments.
fn render_payload(payload: &Payload, trigger: Trigger<'_>) -> (String, Vec<Vec<u8>>) {
    match payload {
        Payload::Echo => match trigger.echo {
            Some((args, attachments)) => (args.to_owned(), attachments.to_vec()),
            None => (String::new(), Vec::new()),
        },
        Payload::Auth => (trigger.auth.unwrap_or("{}").to_owned(), Vec::new()),
        Payload::Fixed(values) => {
            let rendered: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            (rendered.join(","), Vec::new())
        }
        Payload::Nothing => (String::new(), Vec::new()),
    }
}

fn captured<'c>(frame: &CaptureFrame, capture: &'c [ReplayEvent]) -> Option<&'c str> {
    match frame {
        CaptureFrame::Index(index) => capture.get(*index).map(|e| &*e.data),
        CaptureFrame::Named { event, nth } => capture
            .iter()
            .filter(|e| {
                sio_wire::RawJson::new(&e.data)
                    .ok()
                    .and_then(|raw| raw.event_name().ok())
                    .is_some_and(|name| name == event.as_str())
            })
            .nth(*nth)
            .map(|e| &*e.data),
    }
}
