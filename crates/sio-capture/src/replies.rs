//! A session's server replies keyed by what they answer, not by where they came.
//!
//! Two runs of the same client frames against a live server rarely interleave the server's
//! frames the same way: a broadcast lands before an ack in one run and after it in the next.
//! [`Replies`] files each server packet under a [`ReplyKey`] (the namespace and the packet's
//! kind: the Engine.IO open, a CONNECT, a CONNECT_ERROR, an EVENT by its name, an ACK by its
//! id, a DISCONNECT) and keeps them in arrival order per key, so the third `on-events` of one
//! run meets the third `on-events` of another whatever came between. Learned noise
//! ([`crate::noise`]) and carried values ([`crate::carry`]) both read replies this way.
//!
//! A reply's value is the JSON a person would call its payload: the event's arguments without
//! its name, the ack's argument list, the CONNECT's object, the open packet's handshake.
//!
//! ```
//! use sio_capture::replies::{ReplyKey, ReplyKind, Replies};
//!
//! let mut replies = Replies::default();
//! replies.push_frame(r#"40/chat,{"sid":"a"}"#);
//! replies.push_frame(r#"42/chat,["tick",{"n":1}]"#);
//! replies.push_frame(r#"43/chat,1[{"ok":true}]"#);
//! replies.push_frame(r#"42/chat,["tick",{"n":2}]"#);
//! let tick = ReplyKey::new("/chat", ReplyKind::Event("tick".into()));
//! assert_eq!(replies.get(&tick)[1], serde_json::json!([{"n": 2}]));
//! assert_eq!(replies.get(&ReplyKey::new("/chat", ReplyKind::Ack(1))).len(), 1);
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sio_wire::{DecodedFrame, EnginePacket, SocketPacketType, decode_message};

use crate::record::{Direction, FrameKind, Record};

/// What a server packet is, for matching it with its counterpart in another run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    /// The Engine.IO open packet (`0{"sid":...}`); its namespace is empty.
    Open,
    /// The server's CONNECT (`40/nsp,{"sid":...}`).
    Connect,
    /// A CONNECT_ERROR.
    ConnectError,
    /// An EVENT (or BINARY_EVENT) by its name.
    Event(String),
    /// An ACK (or BINARY_ACK) by its id.
    Ack(u64),
    /// A DISCONNECT.
    Disconnect,
}

/// The namespace and kind of a server packet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReplyKey {
    /// The Socket.IO namespace (`"/"` for the main one; empty for the Engine.IO open packet).
    pub namespace: String,
    /// The packet's kind.
    pub kind: ReplyKind,
}

impl ReplyKey {
    /// A key.
    pub fn new(namespace: impl Into<String>, kind: ReplyKind) -> Self {
        ReplyKey {
            namespace: namespace.into(),
            kind,
        }
    }
}

impl fmt::Display for ReplyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ReplyKind::Open => f.write_str("open"),
            ReplyKind::Connect => write!(f, "{} CONNECT", self.namespace),
            ReplyKind::ConnectError => write!(f, "{} CONNECT_ERROR", self.namespace),
            // The name as a JSON string, so that spaces and quotes in it stay readable.
            ReplyKind::Event(name) => {
                write!(f, "{} EVENT {}", self.namespace, Value::from(name.as_str()))
            }
            ReplyKind::Ack(id) => write!(f, "{} ACK {id}", self.namespace),
            ReplyKind::Disconnect => write!(f, "{} DISCONNECT", self.namespace),
        }
    }
}

/// A server packet decoded to its key and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// What it answers.
    pub key: ReplyKey,
    /// Its payload (see the module docs).
    pub value: Value,
}

/// Decodes a server text frame to a [`Reply`]; `None` for pings, noops and anything that does
/// not decode (a transcript shows those; matching has nothing to match them by).
pub fn decode_reply(frame: &str) -> Option<Reply> {
    match decode_message(frame).ok()? {
        DecodedFrame::Engine(EnginePacket::Open(_)) => Some(Reply {
            key: ReplyKey::new("", ReplyKind::Open),
            value: serde_json::from_str(frame.get(1..)?).ok()?,
        }),
        DecodedFrame::Engine(_) => None,
        DecodedFrame::Socket(packet) => {
            let data = match &packet.data {
                Some(raw) => serde_json::from_str(&raw.to_string()).ok()?,
                None => Value::Null,
            };
            let (kind, value) = match packet.kind {
                SocketPacketType::Connect => (ReplyKind::Connect, data),
                SocketPacketType::ConnectError => (ReplyKind::ConnectError, data),
                SocketPacketType::Disconnect => (ReplyKind::Disconnect, data),
                SocketPacketType::Event | SocketPacketType::BinaryEvent => {
                    let Value::Array(mut items) = data else {
                        return None;
                    };
                    if items.is_empty() {
                        return None;
                    }
                    let Value::String(name) = items.remove(0) else {
                        return None;
                    };
                    (ReplyKind::Event(name), Value::Array(items))
                }
                SocketPacketType::Ack | SocketPacketType::BinaryAck => {
                    (ReplyKind::Ack(packet.ack_id?), data)
                }
            };
            Some(Reply {
                key: ReplyKey::new(packet.namespace, kind),
                value,
            })
        }
    }
}

/// The server replies of one session, by key, each key's in arrival order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replies {
    by_key: BTreeMap<ReplyKey, Vec<Value>>,
}

impl Replies {
    /// The server text frames of a session's first connection.
    pub fn from_records<'a>(records: impl IntoIterator<Item = &'a Record>) -> Self {
        let mut replies = Replies::default();
        for record in records {
            let Record::Frame(frame) = record else {
                continue;
            };
            if frame.from == Direction::Server && frame.conn == 1 && frame.kind == FrameKind::Text {
                replies.push_frame(&frame.data);
            }
        }
        replies
    }

    /// Files one server frame; returns its key and its index among that key's replies, or
    /// `None` when it is not a reply (see [`decode_reply`]).
    pub fn push_frame(&mut self, frame: &str) -> Option<(ReplyKey, usize)> {
        let reply = decode_reply(frame)?;
        Some(self.push(reply))
    }

    /// Files a decoded reply; returns its key and index.
    pub fn push(&mut self, reply: Reply) -> (ReplyKey, usize) {
        let list = self.by_key.entry(reply.key.clone()).or_default();
        list.push(reply.value);
        (reply.key, list.len() - 1)
    }

    /// The replies filed under `key`, oldest first.
    pub fn get(&self, key: &ReplyKey) -> &[Value] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }

    /// Every key with its replies, keys in order.
    pub fn iter(&self) -> impl Iterator<Item = (&ReplyKey, &[Value])> {
        self.by_key.iter().map(|(k, v)| (k, v.as_slice()))
    }

    /// How many replies in all.
    pub fn len(&self) -> usize {
        self.by_key.values().map(Vec::len).sum()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_of_server_packet_gets_its_key_and_value() {
        let cases = [
            (
                r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000}"#,
                ReplyKey::new("", ReplyKind::Open),
            ),
            (
                r#"40/a,{"sid":"x"}"#,
                ReplyKey::new("/a", ReplyKind::Connect),
            ),
            (
                r#"44/a,{"message":"no"}"#,
                ReplyKey::new("/a", ReplyKind::ConnectError),
            ),
            ("41/a,", ReplyKey::new("/a", ReplyKind::Disconnect)),
            (
                r#"42["e",1]"#,
                ReplyKey::new("/", ReplyKind::Event("e".into())),
            ),
            (r#"43/a,7[2]"#, ReplyKey::new("/a", ReplyKind::Ack(7))),
        ];
        for (frame, key) in cases {
            let reply = decode_reply(frame).unwrap_or_else(|| panic!("{frame}"));
            assert_eq!(reply.key, key, "{frame}");
        }
        assert_eq!(
            decode_reply(r#"42["e",1,"two"]"#).unwrap().value,
            json!([1, "two"])
        );
        assert_eq!(decode_reply("2"), None);
        assert_eq!(decode_reply("42[1]"), None, "an event needs a string name");
        assert_eq!(decode_reply("nonsense"), None);
    }

    #[test]
    fn keys_read_as_a_person_writes_them() {
        assert_eq!(
            ReplyKey::new("/chatomni", ReplyKind::Event("on-events".into())).to_string(),
            r#"/chatomni EVENT "on-events""#
        );
        assert_eq!(ReplyKey::new("/", ReplyKind::Ack(3)).to_string(), "/ ACK 3");
    }
}
