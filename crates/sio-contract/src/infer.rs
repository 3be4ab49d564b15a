//! [`Inference`]: records in, an AsyncAPI 3.0 document out.
//!
//! The mapping (docs/asyncapi.md tells it with rt-2's example):
//!
//! - the Engine.IO endpoints seen (the capture header's URL, polling requests) become
//!   `servers`, one for WebSocket (`ws`/`wss`) and one for HTTP long-polling (`http`/`https`)
//!   per host, with `pathname` `/socket.io/`;
//! - each namespace becomes a channel whose `address` is the namespace, with the handshake
//!   query (`EIO`, `transport`, rt-2's `room`) in its `ws` binding and the CONNECT auth payload's
//!   schema in `x-sio-auth` (tokens are redacted before they get here);
//! - each event name, per direction, becomes a message whose `payload` is the schema of its
//!   argument (`x-sio-payload: first-argument`, when every emit carried exactly one) or of its
//!   argument list as a tuple (`x-sio-payload: arguments`); acks are the message's `x-ack`
//!   (`{"args": <tuple schema>}`, the extension Asynction reads);
//! - operations take the server's side: an event the server emits is a `send`, an event the
//!   client emits a `receive`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use sio_capture::Record;

use crate::shape::{InferOptions, Shape};
use crate::traffic::{AckKey, Observed, observe_frame, opposite, query_pairs, split_url};

/// The AsyncAPI version written.
pub const ASYNCAPI_VERSION: &str = "3.0.0";

/// Query parameters that change on every request and describe nothing: the session id and
/// the polling cache-buster.
const VOLATILE_QUERY: [&str; 2] = ["sid", "t"];

/// Query parameters whose values are the protocol's, so a closed set is right.
const PROTOCOL_QUERY: [&str; 2] = ["EIO", "transport"];

/// The most example values listed for a query parameter.
const MAX_QUERY_EXAMPLES: usize = 8;

/// An event's arguments, or an ack's: a shape per position, and how many there were.
#[derive(Debug, Clone, Default)]
struct ArgumentShape {
    count: u64,
    min: Option<usize>,
    max: usize,
    positions: Vec<Shape>,
}

impl ArgumentShape {
    fn observe(&mut self, args: &[Value]) {
        self.count += 1;
        self.min = Some(self.min.map_or(args.len(), |m| m.min(args.len())));
        self.max = self.max.max(args.len());
        if self.positions.len() < args.len() {
            self.positions.resize_with(args.len(), Shape::new);
        }
        for (shape, arg) in self.positions.iter_mut().zip(args) {
            shape.observe(arg);
        }
    }

    fn single(&self) -> bool {
        self.min == Some(1) && self.max == 1
    }

    /// The argument list as a draft-07 tuple. With no argument ever, there is no `items`:
    /// draft-07 (and so AsyncAPI's parser) refuses an empty tuple, and `maxItems: 0` says it.
    fn tuple_schema(&self, options: &InferOptions) -> Value {
        let mut schema = json!({
            "type": "array",
            "minItems": self.min.unwrap_or(0),
            "maxItems": self.max,
        });
        if !self.positions.is_empty() {
            schema["items"] = Value::Array(
                self.positions
                    .iter()
                    .map(|s| s.to_schema(options))
                    .collect(),
            );
        }
        schema
    }
}

/// One event name in one direction.
#[derive(Debug, Clone, Default)]
struct MessageShape {
    args: ArgumentShape,
    acks: ArgumentShape,
}

/// One namespace.
#[derive(Debug, Clone, Default)]
struct NamespaceShape {
    auth: Shape,
    /// Keyed by event name and by who sent it (`client`, `server`).
    messages: BTreeMap<(String, &'static str), MessageShape>,
}

/// The fold from records to an AsyncAPI document. Feed it every record of every capture
/// (calling [`Inference::begin_source`] before each capture), then ask for
/// [`Inference::document`].
///
/// ```
/// use sio_capture::{Direction, FrameRecord, Record};
/// use sio_contract::{InferOptions, Inference};
///
/// let mut inference = Inference::new(InferOptions::default());
/// inference.begin_source("example");
/// inference.observe(&Record::Frame(FrameRecord::text(
///     0.0, 1, Direction::Server, r#"42/chatomni,["on-events","{\"Id\":1}"]"#,
/// )));
/// let document = inference.document();
/// assert_eq!(document["asyncapi"], "3.0.0");
/// assert_eq!(document["channels"]["chatomni"]["address"], "/chatomni");
/// let message = &document["components"]["messages"]["chatomni-on-events-server"];
/// assert_eq!(message["name"], "on-events");
/// assert_eq!(message["payload"]["contentMediaType"], "application/json");
/// ```
#[derive(Debug, Clone)]
pub struct Inference {
    options: InferOptions,
    sources: Vec<String>,
    frames: u64,
    undecodable: u64,
    /// (scheme, host, path) of the Engine.IO endpoints seen.
    endpoints: BTreeSet<(String, String, String)>,
    /// Engine.IO URLs seen, and each query parameter's values.
    urls: u64,
    query: BTreeMap<String, (u64, BTreeSet<String>)>,
    namespaces: BTreeMap<String, NamespaceShape>,
    pending_acks: BTreeMap<AckKey, String>,
}

impl Inference {
    /// An inference that has seen nothing.
    pub fn new(options: InferOptions) -> Self {
        Self {
            options,
            sources: Vec::new(),
            frames: 0,
            undecodable: 0,
            endpoints: BTreeSet::new(),
            urls: 0,
            query: BTreeMap::new(),
            namespaces: BTreeMap::new(),
            pending_acks: BTreeMap::new(),
        }
    }

    /// Starts a new capture named `name` (connection numbers restart with it).
    pub fn begin_source(&mut self, name: &str) {
        self.sources.push(name.to_owned());
    }

    /// Frames folded in so far, and how many of them did not decode (they are skipped).
    pub fn frames(&self) -> (u64, u64) {
        (self.frames, self.undecodable)
    }

    /// Folds one record in.
    pub fn observe(&mut self, record: &Record) {
        match record {
            Record::Header(header) => {
                if let Some(url) = &header.url {
                    self.observe_url(url);
                }
            }
            Record::Http(http) => self.observe_url(&http.url),
            Record::Frame(frame) => {
                self.frames += 1;
                let source = self.sources.len();
                let from = frame.from.as_str();
                match observe_frame(frame) {
                    Observed::Auth { namespace, payload } => {
                        let ns = self.namespaces.entry(namespace).or_default();
                        ns.auth.observe(payload.as_ref().unwrap_or(&Value::Null));
                    }
                    Observed::Event {
                        namespace,
                        name,
                        args,
                        ack_id,
                    } => {
                        if let Some(id) = ack_id {
                            self.pending_acks.insert(
                                (source, frame.conn, namespace.clone(), from, id),
                                name.clone(),
                            );
                        }
                        let ns = self.namespaces.entry(namespace).or_default();
                        ns.messages
                            .entry((name, from))
                            .or_default()
                            .args
                            .observe(&args);
                    }
                    Observed::Ack {
                        namespace,
                        id,
                        args,
                    } => {
                        let event_from = opposite(frame.from).as_str();
                        let key = (source, frame.conn, namespace.clone(), event_from, id);
                        if let Some(name) = self.pending_acks.remove(&key) {
                            let ns = self.namespaces.entry(namespace).or_default();
                            ns.messages
                                .entry((name, event_from))
                                .or_default()
                                .acks
                                .observe(&args);
                        }
                    }
                    Observed::Other => {}
                    Observed::Undecodable(_) => self.undecodable += 1,
                }
            }
            Record::Gap(_) | Record::Conn(_) => {}
        }
    }

    fn observe_url(&mut self, url: &str) {
        let Some((scheme, host, path)) = split_url(url) else {
            return;
        };
        if !path.contains("/socket.io") {
            return;
        }
        self.endpoints
            .insert((scheme.to_owned(), host.to_owned(), path.to_owned()));
        self.urls += 1;
        let mut names = BTreeSet::new();
        for (name, value) in query_pairs(url) {
            if VOLATILE_QUERY.contains(&name.as_str()) || !names.insert(name.clone()) {
                continue;
            }
            let entry = self.query.entry(name).or_default();
            entry.0 += 1;
            if entry.1.len() < MAX_QUERY_EXAMPLES {
                entry.1.insert(value);
            }
        }
    }

    /// The AsyncAPI 3.0 document of everything observed. The same records give the same
    /// document.
    pub fn document(&self) -> Value {
        let hosts: BTreeSet<&str> = self.endpoints.iter().map(|(_, h, _)| h.as_str()).collect();
        let title = match hosts.iter().next() {
            Some(host) if hosts.len() == 1 => format!("Socket.IO API of {host}"),
            _ => "Socket.IO API".to_owned(),
        };
        let description = format!(
            "Inferred by sio-replay from {} frames of {}: {}. Socket.IO maps onto AsyncAPI as \
             follows: a namespace is a channel, an event name in one direction is a message \
             whose payload describes the event's arguments (`x-sio-payload`), an \
             acknowledgement is the message's `x-ack`, and operations are the server's: it \
             `send`s the events it emits and `receive`s the client's.",
            self.frames,
            if self.sources.len() == 1 {
                "1 capture".to_owned()
            } else {
                format!("{} captures", self.sources.len())
            },
            self.sources.join(", ")
        );
        let mut document = Map::new();
        document.insert("asyncapi".into(), json!(ASYNCAPI_VERSION));
        document.insert(
            "info".into(),
            json!({"title": title, "version": "0.0.0", "description": description}),
        );
        let servers = self.servers(&hosts);
        if !servers.is_empty() {
            document.insert("servers".into(), Value::Object(servers));
        }
        document.insert("defaultContentType".into(), json!("application/json"));
        let mut channels = Map::new();
        let mut operations = Map::new();
        let mut messages = Map::new();
        let mut channel_keys = BTreeSet::new();
        let mut message_keys = BTreeSet::new();
        for (namespace, ns) in &self.namespaces {
            let channel_key = unique(&mut channel_keys, namespace_slug(namespace));
            let mut channel_messages = Map::new();
            for ((event, from), shape) in &ns.messages {
                let key = unique(
                    &mut message_keys,
                    format!("{channel_key}-{}-{from}", slug(event)),
                );
                channel_messages.insert(
                    key.clone(),
                    json!({"$ref": format!("#/components/messages/{key}")}),
                );
                messages.insert(key.clone(), self.message(namespace, event, from, shape));
                let (action, verb) = if *from == "server" {
                    ("send", "The server emits")
                } else {
                    ("receive", "The server receives")
                };
                operations.insert(
                    format!("{action}-{key}"),
                    json!({
                        "action": action,
                        "channel": {"$ref": format!("#/channels/{channel_key}")},
                        "messages": [{"$ref": format!("#/channels/{channel_key}/messages/{key}")}],
                        "summary": format!("{verb} `{event}` on {namespace}."),
                    }),
                );
            }
            let mut channel = Map::new();
            channel.insert("address".into(), json!(namespace));
            channel.insert(
                "description".into(),
                json!(format!("The Socket.IO namespace {namespace}.")),
            );
            channel.insert("messages".into(), Value::Object(channel_messages));
            if let Some(query) = self.query_schema() {
                channel.insert(
                    "bindings".into(),
                    json!({"ws": {"method": "GET", "query": query, "bindingVersion": "0.1.0"}}),
                );
            }
            if ns.auth.seen() > 0 {
                channel.insert("x-sio-auth".into(), ns.auth.to_schema(&self.options));
            }
            channels.insert(channel_key, Value::Object(channel));
        }
        document.insert("channels".into(), Value::Object(channels));
        document.insert("operations".into(), Value::Object(operations));
        document.insert("components".into(), json!({"messages": messages}));
        Value::Object(document)
    }

    fn servers(&self, hosts: &BTreeSet<&str>) -> Map<String, Value> {
        let mut servers = Map::new();
        for host in hosts {
            let secure = self
                .endpoints
                .iter()
                .any(|(scheme, h, _)| h == host && matches!(scheme.as_str(), "wss" | "https"));
            let path = self
                .endpoints
                .iter()
                .find(|(_, h, _)| h == host)
                .map_or("/socket.io/", |(_, _, p)| p.as_str());
            let prefix = if hosts.len() == 1 {
                String::new()
            } else {
                format!("{}-", slug(host))
            };
            let (ws, http) = if secure {
                ("wss", "https")
            } else {
                ("ws", "http")
            };
            servers.insert(
                format!("{prefix}websocket"),
                json!({"host": host, "protocol": ws, "pathname": path,
                    "description": "Engine.IO v4 over WebSocket (`transport=websocket`)."}),
            );
            servers.insert(
                format!("{prefix}polling"),
                json!({"host": host, "protocol": http, "pathname": path,
                    "description": "Engine.IO v4 over HTTP long-polling (`transport=polling`), \
                        the transport a Socket.IO client opens first."}),
            );
        }
        servers
    }

    fn query_schema(&self) -> Option<Value> {
        if self.query.is_empty() {
            return None;
        }
        let mut properties = Map::new();
        let mut required = Vec::new();
        for (name, (count, values)) in &self.query {
            let values: Vec<&String> = values.iter().collect();
            let schema = if PROTOCOL_QUERY.contains(&name.as_str()) {
                json!({"type": "string", "enum": values})
            } else {
                json!({"type": "string", "examples": values})
            };
            properties.insert(name.clone(), schema);
            if *count == self.urls {
                required.push(name.clone());
            }
        }
        Some(json!({"type": "object", "properties": properties, "required": required}))
    }

    fn message(&self, namespace: &str, event: &str, from: &str, shape: &MessageShape) -> Value {
        let to = if from == "server" { "client" } else { "server" };
        let mut message = Map::new();
        message.insert("name".into(), json!(event));
        message.insert("title".into(), json!(format!("{event} ({from} to {to})")));
        message.insert(
            "summary".into(),
            json!(format!(
                "Emitted by the {from} on {namespace}; observed {} times.",
                shape.args.count
            )),
        );
        message.insert("contentType".into(), json!("application/json"));
        if shape.args.single() {
            message.insert(
                "payload".into(),
                shape.args.positions[0].to_schema(&self.options),
            );
            message.insert("x-sio-payload".into(), json!("first-argument"));
        } else {
            message.insert("payload".into(), shape.args.tuple_schema(&self.options));
            message.insert("x-sio-payload".into(), json!("arguments"));
        }
        if shape.acks.count > 0 {
            message.insert(
                "x-ack".into(),
                json!({"args": shape.acks.tuple_schema(&self.options)}),
            );
        }
        Value::Object(message)
    }
}

/// A namespace as a key: `/chatomni` is `chatomni`, `/` is `root`.
fn namespace_slug(namespace: &str) -> String {
    match namespace.trim_start_matches('/') {
        "" => "root".to_owned(),
        rest => slug(rest),
    }
}

/// `text` with every character AsyncAPI keys cannot hold (`[A-Za-z0-9_-]` only) as `_`.
fn slug(text: &str) -> String {
    let slug: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if slug.is_empty() {
        "_".to_owned()
    } else {
        slug
    }
}

/// `key`, or `key-2`, `key-3`... when taken: two event names can slug to the same key.
fn unique(taken: &mut BTreeSet<String>, key: String) -> String {
    let mut candidate = key.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{key}-{n}");
        n += 1;
    }
    candidate
}
