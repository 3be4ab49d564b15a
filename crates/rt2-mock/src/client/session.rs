//! The client's side of the Engine.IO v4 / Socket.IO v5 conversation, reduced to what the
//! recorder and the load generator need: answer pings, connect to one namespace with a token,
//! and tell events and refusals apart.
//!
//! Frames are looked at by their leading type digits only; the frames themselves are recorded
//! verbatim, so nothing here needs to understand a payload beyond the handshake's timings.

use std::time::Duration;

/// What the client should do after a server frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reaction {
    /// Nothing to send.
    None,
    /// Send this text frame back (a pong, or the namespace CONNECT after the open packet).
    Reply(String),
    /// The namespace CONNECT was accepted (`40/nsp,{"sid":...}`).
    Connected,
    /// The namespace CONNECT was refused (`44/nsp,{"message":...}`): the message.
    Refused(String),
    /// A Socket.IO EVENT or BINARY_EVENT in our namespace.
    Event,
    /// The server closed the Engine.IO session (`1`) or the namespace (`41/nsp,`).
    Closed,
}

/// The handshake's heartbeat figures: the server pings every `ping_interval` and gives up after
/// `ping_timeout` without a pong; the client likewise gives up after both without a ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Heartbeat {
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
}

impl Default for Heartbeat {
    /// socket.io's defaults, used until the open packet says otherwise.
    fn default() -> Self {
        Heartbeat {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
        }
    }
}

/// One client connection's protocol state.
#[derive(Debug)]
pub(crate) struct ClientSession {
    namespace: String,
    connect_packet: String,
    heartbeat: Heartbeat,
    opened: bool,
}

impl ClientSession {
    /// A session that will connect to `namespace`, sending `token` as `{"token": ...}`.
    pub(crate) fn new(namespace: &str, token: Option<&str>) -> Self {
        // "/" is the main namespace, which socket.io writes without a namespace part.
        let prefix = if namespace == "/" {
            String::new()
        } else {
            format!("{namespace},")
        };
        let auth = match token {
            Some(token) => serde_json::json!({ "token": token }).to_string(),
            None => String::new(),
        };
        ClientSession {
            connect_packet: format!("40{prefix}{auth}"),
            namespace: if namespace == "/" {
                String::new()
            } else {
                namespace.to_owned()
            },
            heartbeat: Heartbeat::default(),
            opened: false,
        }
    }

    /// How long to wait for any frame before declaring the server gone: a ping is due every
    /// `ping_interval`, and the server allows `ping_timeout` on top.
    pub(crate) fn silence_limit(&self) -> Duration {
        self.heartbeat.ping_interval + self.heartbeat.ping_timeout
    }

    /// Reacts to one text frame from the server.
    ///
    /// # Errors
    ///
    /// A frame that cannot start an Engine.IO v4 conversation (no open packet first, or an open
    /// packet whose JSON is not an object).
    pub(crate) fn on_text(&mut self, frame: &str) -> Result<Reaction, String> {
        let Some(kind) = frame.as_bytes().first() else {
            return Err("empty text frame".to_owned());
        };
        if !self.opened {
            if *kind != b'0' {
                return Err(format!(
                    "expected the Engine.IO open packet `0{{...}}`, got `{}`",
                    preview(frame)
                ));
            }
            self.heartbeat = parse_open(&frame[1..])?;
            self.opened = true;
            return Ok(Reaction::Reply(self.connect_packet.clone()));
        }
        Ok(match kind {
            // "2" ping (maybe "2probe"): answer with "3" and the same data.
            b'2' => Reaction::Reply(format!("3{}", &frame[1..])),
            b'1' => Reaction::Closed,
            b'4' => self.on_socket_packet(&frame[1..]),
            _ => Reaction::None,
        })
    }

    /// Reacts to a binary frame (an attachment): counted with the event it belongs to.
    pub(crate) fn on_binary(&mut self) -> Reaction {
        Reaction::None
    }

    fn on_socket_packet(&self, packet: &str) -> Reaction {
        // `get(1..)` is None when the first character is not ASCII: not a Socket.IO packet.
        let (Some(&kind), Some(mut rest)) = (packet.as_bytes().first(), packet.get(1..)) else {
            return Reaction::None;
        };
        // For binary types the attachment count comes first: "51-/nsp,[...]".
        if matches!(kind, b'5' | b'6') {
            if let Some(dash) = rest.find('-') {
                rest = &rest[dash + 1..];
            }
        }
        let (namespace, body) = split_namespace(rest);
        if namespace != self.namespace {
            return Reaction::None;
        }
        match kind {
            b'0' => Reaction::Connected,
            b'1' => Reaction::Closed,
            b'2' | b'5' => Reaction::Event,
            b'4' => Reaction::Refused(connect_error_message(body)),
            _ => Reaction::None,
        }
    }
}

/// Splits `/nsp,rest` into (`/nsp`, `rest`); a packet without `/` is in the main namespace.
fn split_namespace(packet: &str) -> (&str, &str) {
    if !packet.starts_with('/') {
        return ("", packet);
    }
    match packet.find(',') {
        Some(comma) => (&packet[..comma], &packet[comma + 1..]),
        None => (packet, ""),
    }
}

fn connect_error_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| body.to_owned())
}

fn parse_open(json: &str) -> Result<Heartbeat, String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("open packet: {e}"))?;
    let millis = |key: &str, default: Duration| {
        value
            .get(key)
            .and_then(serde_json::Value::as_u64)
            .map_or(default, Duration::from_millis)
    };
    if !value.is_object() {
        return Err("open packet: not a JSON object".to_owned());
    }
    let defaults = Heartbeat::default();
    Ok(Heartbeat {
        ping_interval: millis("pingInterval", defaults.ping_interval),
        ping_timeout: millis("pingTimeout", defaults.ping_timeout),
    })
}

fn preview(frame: &str) -> &str {
    match frame.char_indices().nth(40) {
        Some((end, _)) => &frame[..end],
        None => frame,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: &str = r#"0{"sid":"4RK_z0D5LofuOO3tR9vW","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#;

    #[test]
    fn open_sends_connect_with_token_and_reads_heartbeat() {
        let mut session = ClientSession::new("/chatomni", Some("abc"));
        assert_eq!(
            session.on_text(OPEN),
            Ok(Reaction::Reply(r#"40/chatomni,{"token":"abc"}"#.to_owned()))
        );
        assert_eq!(session.heartbeat.ping_interval, Duration::from_millis(300));
        assert_eq!(session.silence_limit(), Duration::from_millis(500));
    }

    #[test]
    fn main_namespace_without_token_is_bare_40() {
        let mut session = ClientSession::new("/", None);
        assert_eq!(session.on_text(OPEN), Ok(Reaction::Reply("40".to_owned())));
        assert_eq!(
            session.on_text("40{\"sid\":\"x\"}"),
            Ok(Reaction::Connected)
        );
        assert_eq!(session.on_text("42[\"a\"]"), Ok(Reaction::Event));
    }

    #[test]
    fn pings_are_answered_with_the_same_data() {
        let mut session = ClientSession::new("/chatomni", None);
        session.on_text(OPEN).expect("open");
        assert_eq!(session.on_text("2"), Ok(Reaction::Reply("3".to_owned())));
        assert_eq!(
            session.on_text("2probe"),
            Ok(Reaction::Reply("3probe".to_owned()))
        );
    }

    #[test]
    fn classifies_namespace_packets() {
        let mut session = ClientSession::new("/chatomni", Some("t"));
        session.on_text(OPEN).expect("open");
        assert_eq!(
            session.on_text(r#"40/chatomni,{"sid":"x"}"#),
            Ok(Reaction::Connected)
        );
        assert_eq!(
            session.on_text(r#"42/chatomni,["on-events","{}"]"#),
            Ok(Reaction::Event)
        );
        assert_eq!(session.on_text(r#"42/other,["x"]"#), Ok(Reaction::None));
        assert_eq!(
            session.on_text(r#"451-/chatomni,["f",{"_placeholder":true,"num":0}]"#),
            Ok(Reaction::Event)
        );
        assert_eq!(
            session.on_text(r#"44/chatomni,{"message":"invalid token"}"#),
            Ok(Reaction::Refused("invalid token".to_owned()))
        );
        assert_eq!(session.on_text("41/chatomni,"), Ok(Reaction::Closed));
        assert_eq!(session.on_text("1"), Ok(Reaction::Closed));
    }

    #[test]
    fn a_first_frame_that_is_not_open_is_an_error() {
        let mut session = ClientSession::new("/chatomni", None);
        let err = session.on_text("42[\"x\"]").unwrap_err();
        assert!(err.contains("open packet"), "{err}");
        assert!(ClientSession::new("/", None).on_text("0[]").is_err());
        assert!(ClientSession::new("/", None).on_text("").is_err());
    }
}
