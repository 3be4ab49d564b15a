//! What a capture's frames mean at the Socket.IO level: the few things a contract talks about
//! (a namespace CONNECT and its auth payload, an event and its arguments, an ack), decoded with
//! `sio-wire` from the frames as they were on the wire.

use serde_json::Value;
use sio_capture::{Direction, FrameKind, FrameRecord};
use sio_wire::{DecodedFrame, SocketPacketType};

/// One frame, as far as a contract is concerned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Observed {
    /// A CONNECT from the client, with its auth payload (`None`: none was sent).
    Auth {
        namespace: String,
        payload: Option<Value>,
    },
    /// An EVENT or BINARY_EVENT: its name and arguments (binary attachments appear as the
    /// `{"_placeholder":true,"num":N}` objects the packet holds).
    Event {
        namespace: String,
        name: String,
        args: Vec<Value>,
        ack_id: Option<u64>,
    },
    /// An ACK or BINARY_ACK answering the event with `id` sent the other way.
    Ack {
        namespace: String,
        id: u64,
        args: Vec<Value>,
    },
    /// Anything a contract does not describe: Engine.IO packets (open, ping, pong, ...), binary
    /// attachments, the server's CONNECT answer, DISCONNECT, CONNECT_ERROR.
    Other,
    /// A frame that does not decode, and why.
    Undecodable(String),
}

/// Decodes one frame.
pub(crate) fn observe_frame(frame: &FrameRecord) -> Observed {
    if frame.kind == FrameKind::Binary {
        return Observed::Other;
    }
    let packet = match sio_wire::decode_message(&frame.data) {
        Ok(DecodedFrame::Socket(packet)) => packet,
        Ok(DecodedFrame::Engine(_)) => return Observed::Other,
        Err(err) => return Observed::Undecodable(err.to_string()),
    };
    let data = match packet
        .data
        .map(|raw| serde_json::from_str::<Value>(raw.as_str()))
    {
        None => None,
        Some(Ok(value)) => Some(value),
        // sio-wire validated the JSON already; serde_json may still refuse what it cannot
        // represent (a nesting deeper than its limit).
        Some(Err(err)) => return Observed::Undecodable(format!("payload: {err}")),
    };
    let namespace = packet.namespace.to_owned();
    match packet.kind {
        SocketPacketType::Connect if frame.from == Direction::Client => Observed::Auth {
            namespace,
            payload: data,
        },
        SocketPacketType::Event | SocketPacketType::BinaryEvent => {
            let mut items = match data {
                Some(Value::Array(items)) => items.into_iter(),
                _ => return Observed::Undecodable("an event's payload is not an array".into()),
            };
            let name = match items.next() {
                Some(Value::String(name)) => name,
                _ => {
                    return Observed::Undecodable(
                        "an event's first element is not its name".into(),
                    );
                }
            };
            Observed::Event {
                namespace,
                name,
                args: items.collect(),
                ack_id: packet.ack_id,
            }
        }
        SocketPacketType::Ack | SocketPacketType::BinaryAck => {
            let (Some(id), Some(Value::Array(args))) = (packet.ack_id, data) else {
                return Observed::Undecodable("an ack without an id or an array payload".into());
            };
            Observed::Ack {
                namespace,
                id,
                args,
            }
        }
        _ => Observed::Other,
    }
}

/// Which event an ack answers: the capture (its position among the sources), the connection,
/// the namespace, who sent the event (`client`, `server`), and its ack id.
pub(crate) type AckKey = (usize, u32, String, &'static str, u64);

/// The other direction.
pub(crate) fn opposite(direction: Direction) -> Direction {
    match direction {
        Direction::Client => Direction::Server,
        Direction::Server => Direction::Client,
    }
}

/// The query parameters of a URL, decoded (`%xx` and `+`), in order.
pub(crate) fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = match url.split_once('?') {
        Some((_, rest)) => rest.split('#').next().unwrap_or(""),
        None => return Vec::new(),
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `scheme`, `host[:port]` and path of a URL, if it has that shape.
pub(crate) fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (host, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    (!host.is_empty()).then_some((scheme, host, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn frame(from: Direction, data: &str) -> FrameRecord {
        FrameRecord::text(0.0, 1, from, data)
    }

    #[test]
    fn events_acks_and_auth() {
        assert_eq!(
            observe_frame(&frame(
                Direction::Server,
                r#"42/chatomni,7["on-events","{}",1]"#
            )),
            Observed::Event {
                namespace: "/chatomni".into(),
                name: "on-events".into(),
                args: vec![json!("{}"), json!(1)],
                ack_id: Some(7),
            }
        );
        assert_eq!(
            observe_frame(&frame(Direction::Client, r#"437[{"ok":true}]"#)),
            Observed::Ack {
                namespace: "/".into(),
                id: 7,
                args: vec![json!({"ok": true})],
            }
        );
        assert_eq!(
            observe_frame(&frame(
                Direction::Client,
                r#"40/chatomni,{"token":"[redacted]"}"#
            )),
            Observed::Auth {
                namespace: "/chatomni".into(),
                payload: Some(json!({"token": "[redacted]"})),
            }
        );
        assert_eq!(
            observe_frame(&frame(Direction::Server, "2")),
            Observed::Other
        );
        assert!(matches!(
            observe_frame(&frame(Direction::Server, "42[")),
            Observed::Undecodable(_)
        ));
    }

    #[test]
    fn urls_split_and_queries_decode() {
        assert_eq!(
            split_url("wss://rt-2.tpos.app/socket.io/?room=a&EIO=4"),
            Some(("wss", "rt-2.tpos.app", "/socket.io/"))
        );
        assert_eq!(
            query_pairs("http://x/?room=tomato.tpos.vn&a=b%20c+d&flag"),
            [
                ("room".to_owned(), "tomato.tpos.vn".to_owned()),
                ("a".to_owned(), "b c d".to_owned()),
                ("flag".to_owned(), String::new()),
            ]
        );
    }
}
