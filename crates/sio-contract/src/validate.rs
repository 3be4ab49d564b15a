//! [`Contract`]: an AsyncAPI 3.0 document read back, and every frame of a capture checked
//! against it ([`Validation`]).
//!
//! The document is read the standard way, so that a hand-written one works too: each
//! operation's `action` says who emits its messages (`send`: the server, `receive`: the
//! client, the server's side as [`crate::Inference`] writes them), its `channel`'s `address`
//! is the namespace, and each message's `name` is the event name (its key when it has none).
//! The Socket.IO details are extensions: `x-sio-payload` (`first-argument`, the default, or
//! `arguments`), `x-ack` (`{"args": <schema>}`) and the channel's `x-sio-auth`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use sio_capture::Record;

use crate::error::ContractError;
use crate::schema::{JsonPath, SchemaViolation, check_value};
use crate::traffic::{AckKey, Observed, observe_frame, opposite, query_pairs, split_url};

/// How a message's `payload` maps onto an event's arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PayloadMode {
    /// The payload is the schema of the only argument.
    FirstArgument,
    /// The payload is the schema of the argument list.
    Arguments,
}

/// What the document says about one event name in one direction.
#[derive(Debug, Clone)]
struct MessageRule {
    payload: Option<Value>,
    mode: PayloadMode,
    ack: Option<Value>,
}

/// An AsyncAPI document, indexed for checking frames.
#[derive(Debug, Clone)]
pub struct Contract {
    document: Value,
    /// Namespace → the CONNECT payload's schema, if the channel has one.
    channels: BTreeMap<String, Option<Value>>,
    /// (namespace, who emits, event name) → the rule.
    messages: BTreeMap<(String, &'static str, String), MessageRule>,
    /// The schema of the Engine.IO handshake query (a channel's `bindings.ws.query`).
    query: Option<Value>,
}

impl Contract {
    /// Reads a document from its JSON text.
    ///
    /// # Errors
    ///
    /// [`ContractError::Json`] with the line and column when the text is not JSON (YAML
    /// beyond JSON is not read), [`ContractError::Document`] when it is not an AsyncAPI 3
    /// document or a reference does not resolve.
    pub fn from_json(text: &str) -> Result<Self, ContractError> {
        let document: Value = serde_json::from_str(text).map_err(|err| ContractError::Json {
            line: err.line(),
            column: err.column(),
            message: err.to_string(),
        })?;
        Self::from_document(document)
    }

    /// Indexes a parsed document.
    ///
    /// # Errors
    ///
    /// As [`Contract::from_json`], for the structure.
    pub fn from_document(document: Value) -> Result<Self, ContractError> {
        let bad = |what: String| ContractError::Document(what);
        match document.get("asyncapi").and_then(Value::as_str) {
            Some(version) if version.starts_with("3.") => {}
            Some(version) => {
                return Err(bad(format!(
                    "asyncapi {version}: only AsyncAPI 3 documents are read"
                )));
            }
            None => return Err(bad("no `asyncapi` version member".to_owned())),
        }
        let mut channels = BTreeMap::new();
        let mut query = None;
        if let Some(all) = document.get("channels").and_then(Value::as_object) {
            for (key, channel) in all {
                let channel = follow(&document, channel, &format!("channels.{key}"))?;
                let address = channel
                    .get("address")
                    .and_then(Value::as_str)
                    .unwrap_or(key)
                    .to_owned();
                channels.insert(address, channel.get("x-sio-auth").cloned());
                // The handshake query is the connection's, not a namespace's: the first
                // channel (in key order) that describes it speaks for all.
                if query.is_none() {
                    query = channel.pointer("/bindings/ws/query").cloned();
                }
            }
        }
        let mut messages = BTreeMap::new();
        let operations = document.get("operations").and_then(Value::as_object);
        for (key, operation) in operations.into_iter().flatten() {
            let at = format!("operations.{key}");
            let operation = follow(&document, operation, &at)?;
            let from = match operation.get("action").and_then(Value::as_str) {
                Some("send") => "server",
                Some("receive") => "client",
                other => {
                    return Err(bad(format!(
                        "{at}.action is {other:?}, not \"send\" or \"receive\""
                    )));
                }
            };
            let channel = operation
                .get("channel")
                .ok_or_else(|| bad(format!("{at} has no channel")))?;
            let channel = follow(&document, channel, &format!("{at}.channel"))?;
            let Some(address) = channel.get("address").and_then(Value::as_str) else {
                return Err(bad(format!("{at}.channel has no address (a namespace)")));
            };
            let listed: Vec<(String, &Value)> = match operation.get("messages") {
                Some(Value::Array(refs)) => refs
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (format!("{at}.messages[{i}]"), r))
                    .collect(),
                // Without a list, an operation covers every message of its channel.
                _ => channel
                    .get("messages")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(k, m)| (format!("{at}.channel.messages.{k}"), m))
                    .collect(),
            };
            for (where_, message) in listed {
                let key = message
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.rsplit('/').next())
                    .unwrap_or("")
                    .to_owned();
                let message = follow(&document, message, &where_)?;
                let name = message
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or(key, str::to_owned);
                let mode = match message.get("x-sio-payload").and_then(Value::as_str) {
                    Some("arguments") => PayloadMode::Arguments,
                    _ => PayloadMode::FirstArgument,
                };
                let rule = MessageRule {
                    payload: message.get("payload").cloned(),
                    mode,
                    ack: message.get("x-ack").and_then(|a| a.get("args")).cloned(),
                };
                messages.insert((address.to_owned(), from, name), rule);
                channels.entry(address.to_owned()).or_insert(None);
            }
        }
        Ok(Self {
            document,
            channels,
            messages,
            query,
        })
    }

    /// A new validation of captures against this contract.
    pub fn validation(&self) -> Validation<'_> {
        Validation {
            contract: self,
            sources: Vec::new(),
            frame: 0,
            frames: 0,
            events: 0,
            violations: Vec::new(),
            pending_acks: BTreeMap::new(),
        }
    }
}

/// Follows `$ref`s (local ones, a few levels) from `value` to the object they name.
fn follow<'d>(document: &'d Value, value: &'d Value, at: &str) -> Result<&'d Value, ContractError> {
    let mut value = value;
    for _ in 0..16 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return Ok(value);
        };
        value = reference
            .strip_prefix('#')
            .and_then(|pointer| document.pointer(pointer))
            .ok_or_else(|| {
                ContractError::Document(format!("{at}: {reference} does not resolve"))
            })?;
    }
    Err(ContractError::Document(format!(
        "{at}: $ref chain too long"
    )))
}

/// One frame that breaks the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The capture, as named to [`Validation::begin_source`].
    pub source: String,
    /// The frame's position among the capture's frames, from 1 (as `sio-replay decode`
    /// numbers them); 0 for the capture header's handshake URL.
    pub frame: u64,
    /// The connection (0 for the header).
    pub conn: u32,
    /// Who sent the frame: `client` or `server`.
    pub from: &'static str,
    /// The namespace, when the frame decoded that far.
    pub namespace: Option<String>,
    /// The event, for an event or the ack of one.
    pub event: Option<String>,
    /// Where in the frame, from its argument list (`$[0]` is the first argument; the auth
    /// payload for a CONNECT).
    pub path: String,
    /// The rule broken: a JSON Schema keyword (`type`, `required`, `enum`, `format`...), or
    /// `decode`, `channel`, `message`, `arguments`, `x-ack`.
    pub rule: String,
    /// What was expected and what was found.
    pub message: String,
}

/// The outcome of a [`Validation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// Every capture validated, in order.
    pub sources: Vec<String>,
    /// Frames read.
    pub frames: u64,
    /// Events and acks checked against a message.
    pub events: u64,
    /// Everything that broke the contract, in frame order.
    pub violations: Vec<Violation>,
}

impl ValidationReport {
    /// True when nothing broke the contract.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Captures checked against a [`Contract`], record by record.
#[derive(Debug)]
pub struct Validation<'c> {
    contract: &'c Contract,
    sources: Vec<String>,
    frame: u64,
    frames: u64,
    events: u64,
    violations: Vec<Violation>,
    /// (source, conn, namespace, who sent the event, ack id) → the event and its ack schema.
    pending_acks: BTreeMap<AckKey, (String, Option<Value>)>,
}

impl Validation<'_> {
    /// Starts a new capture named `name`: frame numbers restart from 1.
    pub fn begin_source(&mut self, name: &str) {
        self.sources.push(name.to_owned());
        self.frame = 0;
    }

    /// Checks one record: a frame, or the capture header's Engine.IO URL against the
    /// handshake query's schema (reported as frame 0). HTTP exchanges and gaps have nothing
    /// to check.
    pub fn check(&mut self, record: &Record) {
        let frame = match record {
            Record::Frame(frame) => frame,
            Record::Header(header) => {
                if let Some(url) = &header.url {
                    self.check_query(url);
                }
                return;
            }
            Record::Http(_) | Record::Gap(_) | Record::Conn(_) => return,
        };
        self.frame += 1;
        self.frames += 1;
        let source = self.sources.len();
        let from = frame.from.as_str();
        let base = Violation {
            source: self.sources.last().cloned().unwrap_or_default(),
            frame: self.frame,
            conn: frame.conn,
            from,
            namespace: None,
            event: None,
            path: "$".to_owned(),
            rule: String::new(),
            message: String::new(),
        };
        let mut found = Vec::new();
        let contract = self.contract;
        let (namespace, event) = match observe_frame(frame) {
            Observed::Other => return,
            Observed::Undecodable(why) => {
                self.violations.push(Violation {
                    rule: "decode".to_owned(),
                    message: why,
                    ..base
                });
                return;
            }
            Observed::Auth { namespace, payload } => {
                match contract.channels.get(&namespace) {
                    None => found.push(unknown_channel(&namespace)),
                    Some(None) => {}
                    Some(Some(schema)) => check_value(
                        &contract.document,
                        schema,
                        payload.as_ref().unwrap_or(&Value::Null),
                        &JsonPath::root(),
                        &mut found,
                    ),
                }
                (namespace, None)
            }
            Observed::Event {
                namespace,
                name,
                args,
                ack_id,
            } => {
                self.events += 1;
                let key = (namespace.clone(), from, name.clone());
                match contract.messages.get(&key) {
                    None if !contract.channels.contains_key(&namespace) => {
                        found.push(unknown_channel(&namespace));
                    }
                    None => found.push(SchemaViolation {
                        path: JsonPath::root(),
                        rule: "message",
                        message: format!(
                            "the document has no event {name:?} sent by the {from} on {namespace}"
                        ),
                    }),
                    Some(rule) => {
                        check_arguments(&contract.document, rule, &args, &mut found);
                        if let Some(id) = ack_id {
                            self.pending_acks.insert(
                                (source, frame.conn, namespace.clone(), from, id),
                                (name.clone(), rule.ack.clone()),
                            );
                        }
                    }
                }
                (namespace, Some(name))
            }
            Observed::Ack {
                namespace,
                id,
                args,
            } => {
                let key = (
                    source,
                    frame.conn,
                    namespace.clone(),
                    opposite(frame.from).as_str(),
                    id,
                );
                // An ack for an event we never saw (or that broke the contract already) has
                // nothing to be checked against.
                let Some((name, schema)) = self.pending_acks.remove(&key) else {
                    return;
                };
                self.events += 1;
                match schema {
                    Some(schema) => check_value(
                        &contract.document,
                        &schema,
                        &Value::Array(args),
                        &JsonPath::root(),
                        &mut found,
                    ),
                    None => found.push(SchemaViolation {
                        path: JsonPath::root(),
                        rule: "x-ack",
                        message: format!("the document declares no acknowledgement of {name:?}"),
                    }),
                }
                (namespace, Some(name))
            }
        };
        for violation in found {
            self.violations.push(Violation {
                namespace: Some(namespace.clone()),
                event: event.clone(),
                path: violation.path.to_string(),
                rule: violation.rule.to_owned(),
                message: violation.message,
                ..base.clone()
            });
        }
    }

    fn check_query(&mut self, url: &str) {
        let Some(schema) = &self.contract.query else {
            return;
        };
        if split_url(url).is_none_or(|(_, _, path)| !path.contains("/socket.io")) {
            return;
        }
        let mut params = serde_json::Map::new();
        for (name, value) in query_pairs(url) {
            params.entry(name).or_insert(Value::String(value));
        }
        let mut found = Vec::new();
        check_value(
            &self.contract.document,
            schema,
            &Value::Object(params),
            &JsonPath::root(),
            &mut found,
        );
        for violation in found {
            self.violations.push(Violation {
                source: self.sources.last().cloned().unwrap_or_default(),
                frame: 0,
                conn: 0,
                from: "client",
                namespace: None,
                event: None,
                path: violation.path.to_string(),
                rule: violation.rule.to_owned(),
                message: format!("the handshake query: {}", violation.message),
            });
        }
    }

    /// The report.
    pub fn finish(self) -> ValidationReport {
        ValidationReport {
            sources: self.sources,
            frames: self.frames,
            events: self.events,
            violations: self.violations,
        }
    }
}

fn unknown_channel(namespace: &str) -> SchemaViolation {
    SchemaViolation {
        path: JsonPath::root(),
        rule: "channel",
        message: format!("the document has no channel for the namespace {namespace}"),
    }
}

/// Checks an event's arguments against its message's payload.
fn check_arguments(
    document: &Value,
    rule: &MessageRule,
    args: &[Value],
    out: &mut Vec<SchemaViolation>,
) {
    let Some(payload) = &rule.payload else {
        return;
    };
    match rule.mode {
        PayloadMode::Arguments => check_value(
            document,
            payload,
            &Value::Array(args.to_vec()),
            &JsonPath::root(),
            out,
        ),
        PayloadMode::FirstArgument => {
            if args.len() != 1 {
                out.push(SchemaViolation {
                    path: JsonPath::root(),
                    rule: "arguments",
                    message: format!("expected 1 argument, found {}", args.len()),
                });
            }
            if let Some(first) = args.first() {
                check_value(document, payload, first, &JsonPath::root().index(0), out);
            }
        }
    }
}
