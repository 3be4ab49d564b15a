//! The records of a native capture: one JSON object per line.
//!
//! A capture is a header record followed by any number of frame, HTTP, connection and gap
//! records, in the order they were observed. Every record carries a `type` tag so a reader can dispatch on it
//! without guessing; unknown fields are ignored so that later writer versions stay readable.
//!
//! ```text
//! {"type":"header","format":"sio-replay-capture","version":1,"source":"record","url":"ws://127.0.0.1:3000/socket.io/?room=tomato.tpos.vn&EIO=4&transport=websocket","room":"tomato.tpos.vn","started_at":"2026-01-07T13:30:00Z","writer":"sio-replay 0.1.0"}
//! {"type":"frame","t_ms":0.412,"conn":1,"from":"server","kind":"text","data":"0{\"sid\":\"4RK_z0D5LofuOO3tR9vW\",...}"}
//! {"type":"http","t_ms":12.5,"method":"GET","url":"https://tomato.tpos.vn/api/facebook-graph/livevideo?pageid=1&limit=10","status":200,"body":"{...}"}
//! ```

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The value of [`Header::format`] in every native capture.
pub const FORMAT_NAME: &str = "sio-replay-capture";

/// The newest capture format version this crate writes. Readers accept this and every older one.
pub const FORMAT_VERSION: u32 = 1;

/// One line of a native capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// The first line: what this capture is and where it came from.
    Header(Header),
    /// One WebSocket frame (or one long-polling packet) in either direction.
    Frame(FrameRecord),
    /// One HTTP request and its response (e.g. the live-video REST endpoint).
    Http(HttpRecord),
    /// A stretch of time when the recorder was disconnected (it reconnected after it), or bytes
    /// of a stream that were never seen (a hole in a packet capture).
    Gap(GapRecord),
    /// A point in the life of one connection: opened (with its Engine.IO `sid`, transport and
    /// peer), upgraded to another transport, closed (with the reason). Written by observers that
    /// see whole connections: the recording proxy, the pcap importer, the mock's observer stream.
    Conn(ConnRecord),
}

/// The header record: always the first line of a capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The format version the writer used; see [`FORMAT_VERSION`].
    pub version: u32,
    /// How the capture was made: `record`, `import-har`, `import-devtools`, `import-text`,
    /// `generated`, ...
    pub source: String,
    /// The Engine.IO endpoint URL, with any token removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The tenant (rt-2's `room` query parameter), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// Wall-clock time of `t_ms = 0`, as RFC 3339 (e.g. `2026-01-07T13:30:00.000Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// The program that wrote the file, e.g. `sio-replay 0.1.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer: Option<String>,
}

/// Who sent a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Sent by the client (the browser, the recorder, the load generator).
    Client,
    /// Sent by the server (rt-2 or the mock).
    Server,
}

/// Whether a frame's payload is text or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameKind {
    /// A text frame: `data` is the frame's text, verbatim.
    Text,
    /// A binary frame: `data` is the frame's bytes in standard base64 (with padding).
    Binary,
}

/// One WebSocket frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameRecord {
    /// Milliseconds since the header's `started_at`, with sub-millisecond precision.
    pub t_ms: f64,
    /// Which connection of the capture this frame belongs to (numbered from 1).
    pub conn: u32,
    /// Who sent it.
    pub from: Direction,
    /// Text or binary.
    pub kind: FrameKind,
    /// The payload: text verbatim, binary as base64.
    pub data: String,
}

/// One HTTP exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRecord {
    /// Milliseconds since the header's `started_at` when the request was sent.
    pub t_ms: f64,
    /// Request method, e.g. `GET`.
    pub method: String,
    /// The full request URL including its query string.
    pub url: String,
    /// The query parameters, decoded, in order (a convenience copy of what `url` holds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<(String, String)>,
    /// Request headers as name/value pairs, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_headers: Vec<(String, String)>,
    /// The request body (e.g. a POST's form or JSON), verbatim, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// Response status code (`0` when the browser recorded no response).
    pub status: u16,
    /// Response headers as name/value pairs, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_headers: Vec<(String, String)>,
    /// The response body: text verbatim, or base64 when `body_base64` is true.
    #[serde(default)]
    pub body: String,
    /// True when `body` holds base64 of a non-UTF-8 body.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub body_base64: bool,
}

/// A stretch when the recorder lost its connection; frames after it belong to a new connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapRecord {
    /// When the connection was lost.
    pub t_ms: f64,
    /// The connection that was lost.
    pub conn: u32,
    /// Why, in words (e.g. `connection reset by peer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The direction whose bytes are missing, when the gap is a hole in one direction of a
    /// stream (a packet capture that lost segments) rather than a lost connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Direction>,
    /// How many bytes of that direction were never seen, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_bytes: Option<u64>,
}

impl GapRecord {
    /// A lost connection: `conn` ended at `t_ms`, for `reason` when one is known.
    pub fn lost(t_ms: f64, conn: u32, reason: Option<String>) -> Self {
        GapRecord {
            t_ms,
            conn,
            reason,
            from: None,
            missing_bytes: None,
        }
    }
}

/// What happened to a connection in a [`ConnRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnEvent {
    /// The connection was opened (for Engine.IO: the open packet was seen, so `sid` is known).
    Open,
    /// The connection moved to another transport (`transport` says which), e.g. long-polling
    /// upgraded to WebSocket.
    Upgrade,
    /// The connection ended; `reason` says why when it is known.
    Close,
}

/// The transport an Engine.IO connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// HTTP long-polling (`transport=polling`).
    Polling,
    /// WebSocket (`transport=websocket`).
    Websocket,
}

/// A point in the life of one connection. Frames of the same `conn` number belong to it,
/// whichever transport carried them.
///
/// ```
/// use sio_capture::{ConnEvent, ConnRecord, Transport};
///
/// let open = ConnRecord::new(0.0, 1, ConnEvent::Open)
///     .with_sid("4RK_z0D5LofuOO3tR9vW")
///     .with_transport(Transport::Polling);
/// let line = serde_json::to_string(&sio_capture::Record::Conn(open)).unwrap();
/// assert_eq!(
///     line,
///     r#"{"type":"conn","t_ms":0.0,"conn":1,"event":"open","sid":"4RK_z0D5LofuOO3tR9vW","transport":"polling"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnRecord {
    /// When it happened, in milliseconds since the header's `started_at`.
    pub t_ms: f64,
    /// The connection (numbered from 1, as in frame records).
    pub conn: u32,
    /// What happened.
    pub event: ConnEvent,
    /// The Engine.IO session id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The transport the connection uses from now on (on `open` and `upgrade`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// The client's address as the observer saw it, e.g. `127.0.0.1:52144`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// The request URL that opened (or upgraded) the connection, secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Why the connection closed (on `close`), e.g. `transport close` or `ping timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ConnRecord {
    /// A record of `event` on `conn` at `t_ms`, with every optional field empty.
    pub fn new(t_ms: f64, conn: u32, event: ConnEvent) -> Self {
        ConnRecord {
            t_ms,
            conn,
            event,
            sid: None,
            transport: None,
            remote: None,
            url: None,
            reason: None,
        }
    }

    /// Sets [`ConnRecord::sid`].
    pub fn with_sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// Sets [`ConnRecord::transport`].
    pub fn with_transport(mut self, transport: Transport) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Sets [`ConnRecord::remote`].
    pub fn with_remote(mut self, remote: impl Into<String>) -> Self {
        self.remote = Some(remote.into());
        self
    }

    /// Sets [`ConnRecord::url`].
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets [`ConnRecord::reason`].
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

impl ConnEvent {
    /// The event as the capture format spells it: `open`, `upgrade` or `close`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnEvent::Open => "open",
            ConnEvent::Upgrade => "upgrade",
            ConnEvent::Close => "close",
        }
    }
}

impl Transport {
    /// The transport as Engine.IO's query spells it: `polling` or `websocket`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::Websocket => "websocket",
        }
    }
}

impl Header {
    /// A header for a new capture of the current format version, made by `source` (see
    /// [`Header::source`]); the other fields start empty.
    ///
    /// ```
    /// let header = sio_capture::Header::new("record");
    /// assert_eq!(header.format, sio_capture::FORMAT_NAME);
    /// assert_eq!(header.version, sio_capture::FORMAT_VERSION);
    /// ```
    pub fn new(source: impl Into<String>) -> Self {
        Header {
            format: FORMAT_NAME.to_owned(),
            version: FORMAT_VERSION,
            source: source.into(),
            url: None,
            room: None,
            started_at: None,
            writer: Some(concat!("sio-capture ", env!("CARGO_PKG_VERSION")).to_owned()),
        }
    }
}

impl Direction {
    /// The direction as the capture format spells it: `client` or `server`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Client => "client",
            Direction::Server => "server",
        }
    }

    /// The arrow DevTools uses for this direction: `↑` for sent by the client, `↓` for received.
    pub fn arrow(self) -> char {
        match self {
            Direction::Client => '↑',
            Direction::Server => '↓',
        }
    }
}

impl FrameRecord {
    /// A text frame.
    pub fn text(t_ms: f64, conn: u32, from: Direction, data: impl Into<String>) -> Self {
        FrameRecord {
            t_ms,
            conn,
            from,
            kind: FrameKind::Text,
            data: data.into(),
        }
    }

    /// A binary frame; `bytes` are stored as standard base64 with padding.
    pub fn binary(t_ms: f64, conn: u32, from: Direction, bytes: &[u8]) -> Self {
        FrameRecord {
            t_ms,
            conn,
            from,
            kind: FrameKind::Binary,
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The frame's payload as bytes: the text's UTF-8 bytes, or the decoded base64 of a binary
    /// frame.
    ///
    /// # Errors
    ///
    /// A binary frame whose `data` is not valid standard base64.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, base64::DecodeError> {
        match self.kind {
            FrameKind::Text => Ok(self.data.as_bytes().to_vec()),
            FrameKind::Binary => base64::engine::general_purpose::STANDARD.decode(&self.data),
        }
    }
}

impl Record {
    /// The record's time offset in milliseconds (`0` for the header).
    pub fn t_ms(&self) -> f64 {
        match self {
            Record::Header(_) => 0.0,
            Record::Frame(f) => f.t_ms,
            Record::Http(h) => h.t_ms,
            Record::Gap(g) => g.t_ms,
            Record::Conn(c) => c.t_ms,
        }
    }

    /// The record's `type` tag: `header`, `frame`, `http`, `gap` or `conn`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Record::Header(_) => "header",
            Record::Frame(_) => "frame",
            Record::Http(_) => "http",
            Record::Gap(_) => "gap",
            Record::Conn(_) => "conn",
        }
    }
}
