//! The Engine.IO handshake: the JSON payload of the `open` packet.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::error::{EngineError, EngineErrorKind, HandshakeField};
use crate::json::{JsonKind, RawJson, validate, write_json_str};
use crate::limits::Limits;

/// The list of transports the server offers to upgrade to (`"upgrades"`), kept as the
/// validated JSON array of strings it was sent as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Upgrades<'a> {
    raw: Cow<'a, str>,
}

impl<'a> Upgrades<'a> {
    /// No upgrades (`[]`): a WebSocket-only session, or a server that offers none.
    pub const fn none() -> Self {
        Self {
            raw: Cow::Borrowed("[]"),
        }
    }

    /// `["websocket"]`: what a server offers on a polling connection.
    pub const fn websocket() -> Self {
        Self {
            raw: Cow::Borrowed(r#"["websocket"]"#),
        }
    }

    /// Wraps a JSON array of strings.
    ///
    /// Returns `None` when `raw` is not an array of strings.
    pub fn from_raw(raw: RawJson<'a>) -> Option<Self> {
        let all_strings = raw.elements().all(|e| e.kind() == JsonKind::String);
        (raw.kind() == JsonKind::Array && all_strings).then_some(Self {
            raw: Cow::Borrowed(raw.trimmed()),
        })
    }

    /// The JSON array as it appeared on the wire (without surrounding whitespace).
    pub fn as_raw(&self) -> RawJson<'_> {
        RawJson::new_unchecked(&self.raw)
    }

    /// The transport names.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, str>> + '_ {
        self.as_raw().elements().filter_map(|e| e.as_json_str())
    }

    /// `true` when `transport` is offered.
    pub fn contains(&self, transport: &str) -> bool {
        self.as_raw().elements().any(|e| e.str_eq(transport))
    }

    /// `true` when no upgrade is offered.
    pub fn is_empty(&self) -> bool {
        self.as_raw().elements().next().is_none()
    }

    /// An owned copy.
    pub fn into_owned(self) -> Upgrades<'static> {
        Upgrades {
            raw: Cow::Owned(self.raw.into_owned()),
        }
    }
}

/// The handshake a server sends in its `open` packet.
///
/// From the engine.io-protocol README (v4), "Handshake":
///
/// > If the server accepts the connection, then it MUST respond with an `open` packet with the
/// > following JSON-encoded payload: `sid` (string), `upgrades` (string[]), `pingInterval`
/// > (number), `pingTimeout` (number), `maxPayload` (number).
///
/// Unknown fields are tolerated (and not kept). `maxPayload` is optional because Engine.IO v3
/// servers, and v4 servers before it was added, do not send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake<'a> {
    /// The session id. Borrowed unless the JSON string had escapes.
    pub sid: Cow<'a, str>,
    /// Transports the client may upgrade to.
    pub upgrades: Upgrades<'a>,
    /// Milliseconds between the server's pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong (and the client, beyond the interval, for a
    /// ping).
    pub ping_timeout: u64,
    /// Most bytes per polling payload, when the server announces it.
    pub max_payload: Option<u64>,
}

impl<'a> Handshake<'a> {
    /// A handshake with the given values.
    pub fn new(
        sid: impl Into<Cow<'a, str>>,
        upgrades: Upgrades<'a>,
        ping_interval: u64,
        ping_timeout: u64,
        max_payload: Option<u64>,
    ) -> Self {
        Self {
            sid: sid.into(),
            upgrades,
            ping_interval,
            ping_timeout,
            max_payload,
        }
    }

    /// Decodes the handshake JSON (the `open` packet without its `0`).
    ///
    /// # Errors
    /// JSON errors, [`EngineErrorKind::HandshakeNotObject`],
    /// [`EngineErrorKind::HandshakeMissingField`] (offset 0) and
    /// [`EngineErrorKind::HandshakeInvalidField`] (offset of the value), relative to `json`.
    pub fn decode(json: &'a str) -> Result<Self, EngineError> {
        Self::decode_with(json, &Limits::default())
    }

    pub(crate) fn decode_with(json: &'a str, limits: &Limits) -> Result<Self, EngineError> {
        if let Err(e) = validate(json, limits.max_json_depth) {
            return Err(EngineError::new(EngineErrorKind::Json(e.kind), e.offset));
        }
        let raw = RawJson::new_unchecked(json);
        if raw.kind() != JsonKind::Object {
            let start = json.len() - json.trim_start().len();
            return Err(EngineError::new(EngineErrorKind::HandshakeNotObject, start));
        }
        let invalid = |field, value: &RawJson<'_>| {
            EngineError::new(
                EngineErrorKind::HandshakeInvalidField(field),
                raw.offset_of(value),
            )
        };
        let mut sid = None;
        let mut upgrades = None;
        let mut ping_interval = None;
        let mut ping_timeout = None;
        let mut max_payload = None;
        // Later duplicates win, as with JSON.parse.
        for (key, value) in raw.members() {
            if key.str_eq("sid") {
                sid = Some(
                    value
                        .as_json_str()
                        .ok_or_else(|| invalid(HandshakeField::Sid, &value))?,
                );
            } else if key.str_eq("upgrades") {
                upgrades = Some(
                    Upgrades::from_raw(value)
                        .ok_or_else(|| invalid(HandshakeField::Upgrades, &value))?,
                );
            } else if key.str_eq("pingInterval") {
                ping_interval = Some(
                    value
                        .as_u64()
                        .ok_or_else(|| invalid(HandshakeField::PingInterval, &value))?,
                );
            } else if key.str_eq("pingTimeout") {
                ping_timeout = Some(
                    value
                        .as_u64()
                        .ok_or_else(|| invalid(HandshakeField::PingTimeout, &value))?,
                );
            } else if key.str_eq("maxPayload") {
                max_payload = Some(
                    value
                        .as_u64()
                        .ok_or_else(|| invalid(HandshakeField::MaxPayload, &value))?,
                );
            }
        }
        let missing = |field| EngineError::new(EngineErrorKind::HandshakeMissingField(field), 0);
        Ok(Self {
            sid: sid.ok_or_else(|| missing(HandshakeField::Sid))?,
            upgrades: upgrades.ok_or_else(|| missing(HandshakeField::Upgrades))?,
            ping_interval: ping_interval.ok_or_else(|| missing(HandshakeField::PingInterval))?,
            ping_timeout: ping_timeout.ok_or_else(|| missing(HandshakeField::PingTimeout))?,
            max_payload,
        })
    }

    /// Appends the handshake JSON, keys in the reference server's order.
    pub fn encode(&self, out: &mut String) {
        out.push_str("{\"sid\":");
        write_json_str(&self.sid, out);
        out.push_str(",\"upgrades\":");
        out.push_str(&self.upgrades.raw);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            ",\"pingInterval\":{},\"pingTimeout\":{}",
            self.ping_interval, self.ping_timeout
        );
        if let Some(max_payload) = self.max_payload {
            let _ = write!(out, ",\"maxPayload\":{max_payload}");
        }
        out.push('}');
    }

    /// An owned copy that no longer borrows from the frame.
    pub fn into_owned(self) -> Handshake<'static> {
        Handshake {
            sid: Cow::Owned(self.sid.into_owned()),
            upgrades: self.upgrades.into_owned(),
            ping_interval: self.ping_interval,
            ping_timeout: self.ping_timeout,
            max_payload: self.max_payload,
        }
    }
}
