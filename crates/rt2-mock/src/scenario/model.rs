//! The scenario file's shape: what each TOML table and key means. `docs/scenarios.md` is the
//! reference for people; these types are the reference for the loader.
//!
//! Every table refuses keys it does not know (`deny_unknown_fields`), so a typo is an error
//! naming the line, not a rule that silently never fires.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::fault::FaultPlan;
use crate::scenario::json_path::JsonPath;

/// A whole scenario file: server settings and rules.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short name, shown in logs.
    #[serde(default)]
    pub name: Option<String>,
    /// What the scenario is for.
    #[serde(default)]
    pub description: Option<String>,
    /// `[server]`: listener and protocol settings.
    #[serde(default)]
    pub server: ServerSettings,
    /// `[[on_connect]]`: what happens when a client joins a namespace.
    #[serde(default)]
    pub on_connect: Vec<ConnectRule>,
    /// `[[on_event]]`: what happens when a client emits an event. The first rule that matches
    /// is applied; the others are not.
    #[serde(default)]
    pub on_event: Vec<EventRule>,
    /// `[[timer]]`: periodic events.
    #[serde(default, rename = "timer")]
    pub timers: Vec<TimerRule>,
}

/// What the server speaks above Engine.IO.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum ServerMode {
    /// Socket.IO v5 (namespaces, events, acks), with the rules applied. The default.
    #[default]
    #[serde(rename = "socket.io")]
    SocketIo,
    /// Plain Engine.IO: every message is sent back as it was received, text or binary; the
    /// Socket.IO rules do not apply. engine.io-protocol's reference server.
    #[serde(rename = "engine.io-echo")]
    EngineIoEcho,
}

/// `[server]`: settings that replace the mock's defaults (and are replaced in turn by
/// command-line flags). Every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// `socket.io` (default) or `engine.io-echo`.
    #[serde(default)]
    pub mode: ServerMode,
    /// The TCP port to listen on.
    pub port: Option<u16>,
    /// The HTTP path of the Engine.IO endpoint, beside the default `/socket.io/` (the
    /// engine.io reference server's is `/engine.io/`). Written with or without the final `/`.
    #[serde(default, deserialize_with = "endpoint_path")]
    pub path: Option<String>,
    /// Engine.IO `pingInterval`, in milliseconds.
    pub ping_interval_ms: Option<u64>,
    /// Engine.IO `pingTimeout`, in milliseconds.
    pub ping_timeout_ms: Option<u64>,
    /// Socket.IO `connectTimeout`: a session that joins no namespace within this many
    /// milliseconds is closed. `0` waits forever.
    pub connect_timeout_ms: Option<u64>,
    /// Engine.IO `maxPayload`, in bytes.
    pub max_payload: Option<u64>,
    /// Long-polling: the most packets one poll response carries (default 16, what
    /// python-engineio clients accept); `0` sends the whole queue, as engine.io does.
    pub max_packets_per_poll: Option<usize>,
    /// Whether polling sessions may upgrade to WebSocket.
    pub upgrades: Option<bool>,
    /// Which browser origins may use long-polling: `"*"` for any, one origin, or a list.
    pub cors_origin: Option<CorsOrigin>,
    /// The namespaces that exist; a CONNECT to any other is refused with socket.io's
    /// `Invalid namespace` before any rule sees it. Absent: the rules and the mock's
    /// defaults decide.
    pub namespaces: Option<Vec<Namespace>>,
}

/// The `cors_origin` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigin {
    /// `"*"`: any origin.
    Any,
    /// These origins only.
    Only(Vec<String>),
}

impl<'de> Deserialize<'de> for CorsOrigin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CorsVisitor;
        impl<'de> Visitor<'de> for CorsVisitor {
            type Value = CorsOrigin;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    r#""*", an origin such as "http://localhost:5173", or a list of origins"#,
                )
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<CorsOrigin, E> {
                Ok(if value == "*" {
                    CorsOrigin::Any
                } else {
                    CorsOrigin::Only(vec![value.to_owned()])
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CorsOrigin, A::Error> {
                let mut origins = Vec::new();
                while let Some(origin) = seq.next_element::<String>()? {
                    if origin == "*" {
                        return Ok(CorsOrigin::Any);
                    }
                    origins.push(origin);
                }
                Ok(CorsOrigin::Only(origins))
            }
        }
        deserializer.deserialize_any(CorsVisitor)
    }
}

/// A Socket.IO namespace name: `/` or `/something`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Namespace(pub String);

impl Namespace {
    /// The name, e.g. `/chatomni`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Namespace {
    /// Checks a name from a scenario file: one the codec sends and reads back as itself
    /// ([`sio_wire::socket::check_namespace`]). `also` is appended to the hint for a name
    /// without its leading `/`.
    fn parse(name: String, also: &str) -> Result<Self, String> {
        match sio_wire::socket::check_namespace(&name, &sio_wire::Limits::default()) {
            Ok(()) => Ok(Namespace(name)),
            Err(e) if e.offset == 0 && e.kind == sio_wire::SocketErrorKind::InvalidNamespace => {
                Err(format!(
                    "a namespace starts with `/` (e.g. `/chatomni`){also}, not `{name}`"
                ))
            }
            Err(e) => Err(format!("namespace `{name}`: {e}")),
        }
    }
}

impl<'de> Deserialize<'de> for Namespace {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Namespace::parse(String::deserialize(deserializer)?, "").map_err(de::Error::custom)
    }
}

/// Which namespaces a rule applies to: one, or `"*"` for all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NamespacePattern {
    /// `"*"` (or the key left out, for event rules).
    #[default]
    Any,
    /// Exactly this namespace.
    Exactly(Namespace),
}

impl NamespacePattern {
    /// Whether `namespace` is one of those the rule applies to.
    pub fn matches(&self, namespace: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exactly(wanted) => wanted.as_str() == namespace,
        }
    }
}

impl<'de> Deserialize<'de> for NamespacePattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if name == "*" {
            return Ok(Self::Any);
        }
        Namespace::parse(name, ", or is `*` for all")
            .map(Self::Exactly)
            .map_err(de::Error::custom)
    }
}

/// `[[on_connect]]`: a client asks to join a namespace.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectRule {
    /// The namespace (`"*"`: any). Required, so that a rule says where it applies.
    pub namespace: NamespacePattern,
    /// Refuse the connect with CONNECT_ERROR `{"message": <this>}`. A refusing rule does
    /// nothing else.
    pub refuse: Option<String>,
    /// Start (`true`) or skip (`false`) the capture's replay for this client. Absent: the
    /// replay starts on the mock's replay namespace (`/chatomni`) only.
    pub replay: Option<bool>,
    /// Milliseconds between the connect answer and this rule's actions.
    #[serde(default)]
    pub delay_ms: u64,
    /// Events to send once the client has joined.
    #[serde(default)]
    pub emit: Vec<EmitSpec>,
    /// A fault to apply to the session once the client has joined.
    pub fault: Option<FaultChange>,
}

/// `[[on_event]]`: a client emitted an event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRule {
    /// The event name (`"*"`: any).
    pub name: String,
    /// The namespace (`"*"` or absent: any).
    #[serde(default)]
    pub namespace: NamespacePattern,
    /// Only when an argument has this value (or, without `equals`, exists).
    #[serde(rename = "where")]
    pub condition: Option<ArgCondition>,
    /// Milliseconds before this rule's actions.
    #[serde(default)]
    pub delay_ms: u64,
    /// Events to send back.
    #[serde(default)]
    pub emit: Vec<EmitSpec>,
    /// Answer the event's ack (when the client asked for one).
    pub ack: Option<Payload>,
    /// Disconnect the client from the event's namespace (Socket.IO DISCONNECT), after the
    /// emits and the ack.
    #[serde(default)]
    pub disconnect: bool,
    /// A fault to apply to the session.
    pub fault: Option<FaultChange>,
}

/// `where = { path = "$[0].type", equals = "typing" }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgCondition {
    /// Where in the argument list (`$` is the list after the event name).
    pub path: JsonPath,
    /// The value it must have (any TOML value, compared as JSON). Absent: it must exist.
    pub equals: Option<serde_json::Value>,
}

impl ArgCondition {
    /// Whether `args` (the event's arguments as a JSON array) satisfies the condition.
    pub fn holds(&self, args: &serde_json::Value) -> bool {
        match (self.path.find(args), &self.equals) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(found), Some(wanted)) => json_equal(found, wanted),
        }
    }
}

/// JSON equality where `1` and `1.0` are the same number (TOML keeps integers and floats
/// apart; a client's JSON may not).
fn json_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, a)| y.get(key).is_some_and(|b| json_equal(a, b)))
        }
        _ => a == b,
    }
}

/// `[[timer]]`: an event sent every `every_ms` to each client in `namespace`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimerRule {
    /// The period, in milliseconds (at least 1).
    #[serde(deserialize_with = "positive_ms")]
    pub every_ms: u64,
    /// The namespace: the timer starts when the client joins it and stops when it leaves.
    pub namespace: Namespace,
    /// The first event is sent this many milliseconds after the join. Default `every_ms`.
    pub first_ms: Option<u64>,
    /// Stop after this many firings. Default: never.
    pub count: Option<u64>,
    /// The events to send at each firing.
    pub emit: Vec<EmitSpec>,
}

impl TimerRule {
    /// The period.
    pub fn every(&self) -> Duration {
        Duration::from_millis(self.every_ms)
    }

    /// When the first firing is due, after the join.
    pub fn first(&self) -> Duration {
        Duration::from_millis(self.first_ms.unwrap_or(self.every_ms))
    }
}

fn endpoint_path<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let path = String::deserialize(deserializer)?;
    if !path.starts_with('/') || path.contains(['?', '#']) {
        return Err(de::Error::custom(format!(
            "an HTTP path starts with `/` and has no query (e.g. `/engine.io/`), not `{path}`"
        )));
    }
    let trimmed = path.trim_end_matches('/');
    Ok(Some(format!("{trimmed}/")))
}

impl ServerSettings {
    /// Whether an HTTP request path is the Engine.IO endpoint set by [`ServerSettings::path`]
    /// (with or without its final `/`).
    pub fn is_engine_path(&self, request_path: &str) -> bool {
        self.path.as_deref().is_some_and(|path| {
            request_path == path || Some(request_path) == path.strip_suffix('/')
        })
    }
}

fn positive_ms<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let ms = u64::deserialize(deserializer)?;
    if ms == 0 {
        return Err(de::Error::custom("must be at least 1 ms"));
    }
    Ok(ms)
}

/// One event to send: either a named event with arguments, or a frame of the capture.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawEmit")]
pub struct EmitSpec {
    /// What to send.
    pub what: EmitWhat,
    /// The namespace; absent: the namespace of what triggered the rule.
    pub namespace: Option<Namespace>,
    /// Milliseconds after the rule fires (added to the rule's own `delay_ms`).
    pub delay_ms: u64,
}

/// The content of an [`EmitSpec`].
#[derive(Debug, Clone, PartialEq)]
pub enum EmitWhat {
    /// `event = "name"` with `args`.
    Event {
        /// The event name.
        event: String,
        /// Its arguments.
        args: Payload,
    },
    /// `capture = { index = N }` or `capture = { event = "name", nth = K }`: a server event
    /// of the capture being replayed, exactly as captured.
    Capture(CaptureFrame),
}

/// Which event of the capture to send.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawCapture")]
pub enum CaptureFrame {
    /// The N-th (from 0) server event of the replay timeline.
    Index(usize),
    /// The K-th (from 0) server event with this name.
    Named {
        /// The event name.
        event: String,
        /// K.
        nth: usize,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCapture {
    index: Option<usize>,
    event: Option<String>,
    nth: Option<usize>,
}

impl TryFrom<RawCapture> for CaptureFrame {
    type Error = &'static str;

    fn try_from(raw: RawCapture) -> Result<Self, &'static str> {
        match (raw.index, raw.event, raw.nth) {
            (Some(index), None, None) => Ok(Self::Index(index)),
            (None, Some(event), nth) => Ok(Self::Named {
                event,
                nth: nth.unwrap_or(0),
            }),
            _ => Err("a capture frame is `{ index = N }` or `{ event = \"name\", nth = K }`"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmit {
    event: Option<String>,
    #[serde(default)]
    args: Option<Payload>,
    capture: Option<CaptureFrame>,
    namespace: Option<Namespace>,
    #[serde(default)]
    delay_ms: u64,
}

impl TryFrom<RawEmit> for EmitSpec {
    type Error = String;

    fn try_from(raw: RawEmit) -> Result<Self, String> {
        let what = match (raw.event, raw.capture) {
            (Some(event), None) => EmitWhat::Event {
                event,
                args: raw.args.unwrap_or_default(),
            },
            (None, Some(frame)) => {
                if raw.args.is_some() {
                    return Err(
                        "`args` goes with `event`; a `capture` frame is sent as captured".into(),
                    );
                }
                EmitWhat::Capture(frame)
            }
            (Some(_), Some(_)) => {
                return Err("an emit has either `event` or `capture`, not both".into());
            }
            (None, None) => {
                return Err(
                    "an emit needs `event = \"name\"` (with `args`) or `capture = { index = N }`"
                        .into(),
                );
            }
        };
        Ok(Self {
            what,
            namespace: raw.namespace,
            delay_ms: raw.delay_ms,
        })
    }
}

/// Arguments of an emit, or the answer of an ack.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Payload {
    /// `"echo"`: the triggering event's arguments, binary attachments included.
    Echo,
    /// `"auth"`: one argument, the client's handshake auth (`{}` when it sent none).
    Auth,
    /// `[ ... ]`: these values.
    Fixed(Vec<serde_json::Value>),
    /// No arguments (an emit without `args`).
    #[default]
    Nothing,
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PayloadVisitor;
        impl<'de> Visitor<'de> for PayloadVisitor {
            type Value = Payload;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#""echo", "auth", or an array of values"#)
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Payload, E> {
                match value {
                    "echo" => Ok(Payload::Echo),
                    "auth" => Ok(Payload::Auth),
                    other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Payload, A::Error> {
                let mut values = Vec::new();
                while let Some(value) = seq.next_element::<serde_json::Value>()? {
                    values.push(value);
                }
                Ok(Payload::Fixed(values))
            }
        }
        deserializer.deserialize_any(PayloadVisitor)
    }
}

/// A fault to apply to the session, by name or as a [`FaultPlan`] table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultChange {
    /// A named fault that fires at once.
    Named(FaultName),
    /// `{ latency_ms = 200, drop_after_events = 3, ... }`: these fields of the session's
    /// fault plan are set (the admin API's JSON form).
    Plan(FaultPlan),
}

/// The faults that can be named in a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultName {
    /// `"drop"`: cut the connection, with no close handshake.
    Drop,
    /// `"close"`: close cleanly (DISCONNECT, Engine.IO close, WebSocket close frame).
    Close,
    /// `"stop-answering"`: process nothing more and send nothing, keeping the connection.
    StopAnswering,
    /// `"stop-pinging"`: send no more pings.
    StopPinging,
    /// `"malformed"`: send one malformed frame.
    Malformed,
}

impl FaultName {
    const ALL: [(&'static str, FaultName); 5] = [
        ("drop", FaultName::Drop),
        ("close", FaultName::Close),
        ("stop-answering", FaultName::StopAnswering),
        ("stop-pinging", FaultName::StopPinging),
        ("malformed", FaultName::Malformed),
    ];
}

impl FaultChange {
    /// The session's plan with this change applied. Thresholds set to 0 fire at once when
    /// the session applies the plan (as with the admin API).
    pub fn applied_to(&self, plan: &FaultPlan) -> FaultPlan {
        let mut plan = plan.clone();
        match self {
            Self::Named(FaultName::Drop) => plan.drop_after_events = Some(0),
            Self::Named(FaultName::Close) => plan.close_after_events = Some(0),
            Self::Named(FaultName::StopAnswering) => plan.stop_answering_after_events = Some(0),
            Self::Named(FaultName::StopPinging) => plan.stop_pinging = true,
            Self::Named(FaultName::Malformed) => plan.malformed_after_events = Some(0),
            Self::Plan(change) => {
                if change.latency_ms != 0 {
                    plan.latency_ms = change.latency_ms;
                }
                let set = |ours: &mut Option<u64>, theirs: Option<u64>| {
                    if theirs.is_some() {
                        *ours = theirs;
                    }
                };
                set(&mut plan.drop_after_events, change.drop_after_events);
                set(
                    &mut plan.stop_answering_after_events,
                    change.stop_answering_after_events,
                );
                set(
                    &mut plan.malformed_after_events,
                    change.malformed_after_events,
                );
                set(&mut plan.close_after_events, change.close_after_events);
                plan.stop_pinging |= change.stop_pinging;
                if change.malformed_frame.is_some() {
                    plan.malformed_frame.clone_from(&change.malformed_frame);
                }
                if change.reject_auth.is_some() {
                    plan.reject_auth.clone_from(&change.reject_auth);
                }
                if change.close_reason.is_some() {
                    plan.close_reason.clone_from(&change.close_reason);
                }
            }
        }
        plan
    }
}

impl<'de> Deserialize<'de> for FaultChange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FaultVisitor;
        impl<'de> Visitor<'de> for FaultVisitor {
            type Value = FaultChange;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    r#"a fault name ("drop", "close", "stop-answering", "stop-pinging", "malformed") or a table such as { latency_ms = 200 }"#,
                )
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<FaultChange, E> {
                FaultName::ALL
                    .iter()
                    .find(|(name, _)| *name == value)
                    .map(|(_, fault)| FaultChange::Named(*fault))
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(value), &self))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FaultChange, A::Error> {
                FaultPlan::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(FaultChange::Plan)
            }
        }
        deserializer.deserialize_any(FaultVisitor)
    }
}
