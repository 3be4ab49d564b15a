//! `load --replay CAPTURE`: virtual clients that play the client side of captured sessions,
//! instead of identical listeners.
//!
//! Each connection of the capture (its `conn` number) is one session. From its client-side
//! frames in the run's namespace a [`ClientScript`] keeps:
//!
//! - the **auth shape**: the CONNECT payload the client sent (`40/chatomni,{...}`), with its
//!   `token` field (redacted in any capture) replaced by the run's fresh token; a CONNECT
//!   without a payload stays without one;
//! - its **emits and their timing**: every EVENT, at its offset after the CONNECT, with the
//!   ack request it carried (the load client times the round trip of those);
//! - its **acks**: the payloads of the ACKs it sent, which answer, in order, the events the
//!   server now sends asking for an ack (ack ids are the live server's, not the capture's).
//!
//! Virtual client `k` plays session `k mod S` of the capture's `S` sessions, so the same run
//! split into segments plays the same sessions.

use std::sync::Arc;
use std::time::Duration;

use rt2_mock::Capture;
use sio_capture::{Direction, FrameKind};
use sio_wire::socket::SocketPacketType;
use sio_wire::{DecodedFrame, decode_message};

use crate::ClientError;

/// One captured session's client side.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientScript {
    /// The connection number in the capture.
    conn: u32,
    /// The CONNECT's auth object, when it had one.
    auth: Option<serde_json::Map<String, serde_json::Value>>,
    steps: Vec<ScriptStep>,
    acks: Vec<String>,
}

/// One timed action of a script.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ScriptStep {
    /// Emit `data` (the event's JSON array) `offset` after joining the namespace.
    Emit {
        /// When, after the CONNECT was accepted.
        offset: Duration,
        /// The event name and arguments.
        data: String,
        /// The captured emit asked for an ack.
        ack: bool,
    },
}

impl ScriptStep {
    /// When the step runs, after joining.
    pub fn offset(&self) -> Duration {
        match self {
            ScriptStep::Emit { offset, .. } => *offset,
        }
    }
}

impl ClientScript {
    /// The capture's connection number.
    pub fn conn(&self) -> u32 {
        self.conn
    }

    /// The timed emits.
    pub fn steps(&self) -> &[ScriptStep] {
        &self.steps
    }

    /// The payloads of the client's acks, in order.
    pub fn acks(&self) -> &[String] {
        &self.acks
    }

    /// The CONNECT payload to send: the captured shape with `token` set to the run's
    /// token (removed when the run has none); `None` when the captured CONNECT had no
    /// payload and the run has no token.
    pub fn auth(&self, token: Option<&str>) -> Option<String> {
        let mut auth = match (&self.auth, token) {
            (Some(auth), _) => auth.clone(),
            (None, Some(_)) => serde_json::Map::new(),
            (None, None) => return None,
        };
        match token {
            Some(token) => {
                auth.insert("token".to_owned(), token.into());
            }
            None => {
                auth.remove("token");
            }
        }
        Some(serde_json::Value::Object(auth).to_string())
    }
}

/// The sessions of a capture, to be played by the virtual clients.
#[derive(Debug, Clone)]
pub struct ReplayPlan {
    sessions: Vec<Arc<ClientScript>>,
}

impl ReplayPlan {
    /// Reads the client side of every session of `capture` in `namespace`. Binary frames are
    /// skipped (the load client sends text only).
    ///
    /// # Errors
    /// [`ClientError::Config`] (option `replay`) when no connection of the capture joined
    /// `namespace`.
    pub fn from_capture(capture: &Capture, namespace: &str) -> Result<Self, ClientError> {
        // (conn, CONNECT time, script) in the order connections first appear.
        let mut sessions: Vec<(u32, Option<f64>, ClientScript)> = Vec::new();
        for frame in &capture.frames {
            if frame.from != Direction::Client || frame.kind != FrameKind::Text {
                continue;
            }
            let Ok(DecodedFrame::Socket(packet)) = decode_message(&frame.data) else {
                continue;
            };
            if packet.namespace != namespace {
                continue;
            }
            let index = match sessions.iter().position(|(conn, ..)| *conn == frame.conn) {
                Some(index) => index,
                None => {
                    sessions.push((
                        frame.conn,
                        None,
                        ClientScript {
                            conn: frame.conn,
                            auth: None,
                            steps: Vec::new(),
                            acks: Vec::new(),
                        },
                    ));
                    sessions.len() - 1
                }
            };
            let (_, connected_at, script) = &mut sessions[index];
            let data = packet.data.map(|raw| raw.trimmed().to_owned());
            match packet.kind {
                SocketPacketType::Connect => {
                    *connected_at = Some(frame.t_ms);
                    script.auth = data
                        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
                        .and_then(|v| match v {
                            serde_json::Value::Object(map) => Some(map),
                            _ => None,
                        });
                }
                SocketPacketType::Event => {
                    let Some(data) = data else { continue };
                    // Emits before the CONNECT (a capture cut mid-session) run at once.
                    let since = connected_at.map_or(0.0, |at| (frame.t_ms - at).max(0.0));
                    script.steps.push(ScriptStep::Emit {
                        offset: Duration::from_secs_f64(since / 1000.0),
                        data,
                        ack: packet.ack_id.is_some(),
                    });
                }
                SocketPacketType::Ack => script.acks.push(data.unwrap_or_else(|| "[]".to_owned())),
                _ => {}
            }
        }
        let sessions: Vec<_> = sessions
            .into_iter()
            .filter(|(_, connected_at, _)| connected_at.is_some())
            .map(|(_, _, script)| Arc::new(script))
            .collect();
        if sessions.is_empty() {
            return Err(ClientError::Config {
                option: "replay",
                message: format!(
                    "no connection of {} joins namespace {namespace} from the client side: nothing to play",
                    capture
                        .path
                        .as_deref()
                        .map_or_else(|| "the capture".to_owned(), |p| p.display().to_string())
                ),
            });
        }
        Ok(ReplayPlan { sessions })
    }

    /// How many sessions the capture holds.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    /// The session virtual client `client` plays.
    pub fn script_for(&self, client: u32) -> Arc<ClientScript> {
        self.sessions[client as usize % self.sessions.len()].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sio_capture::{FrameRecord, Record};

    fn frame(t_ms: f64, conn: u32, from: Direction, data: &str) -> Record {
        Record::Frame(FrameRecord {
            t_ms,
            conn,
            from,
            kind: FrameKind::Text,
            data: data.to_owned(),
        })
    }

    #[test]
    fn each_connection_becomes_a_script_with_its_auth_emits_and_acks() {
        use Direction::{Client, Server};
        let capture = Capture::from_records([
            frame(
                0.0,
                1,
                Server,
                r#"0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
            ),
            frame(
                5.0,
                1,
                Client,
                r#"40/chatomni,{"token":"<redacted:jwt>","client":"web"}"#,
            ),
            frame(6.0, 2, Client, r#"40/chatomni"#),
            frame(10.0, 1, Server, r#"40/chatomni,{"sid":"x"}"#),
            frame(255.0, 1, Client, r#"42/chatomni,["typing",{"on":true}]"#),
            frame(1005.0, 1, Client, r#"42/chatomni,7["send",{"text":"hi"}]"#),
            frame(1100.0, 1, Client, r#"43/chatomni,3[{"ok":true}]"#),
            frame(1200.0, 1, Client, r#"42/other,["elsewhere"]"#),
            frame(2006.0, 2, Client, r#"42/chatomni,["ping"]"#),
            frame(3000.0, 3, Client, r#"42/chatomni,["never connected"]"#),
        ]);
        let plan = ReplayPlan::from_capture(&capture, "/chatomni").unwrap();
        assert_eq!(plan.sessions(), 2, "conn 3 never sent a CONNECT");
        let one = plan.script_for(0);
        assert_eq!(one.conn(), 1);
        assert_eq!(
            one.steps(),
            &[
                ScriptStep::Emit {
                    offset: Duration::from_millis(250),
                    data: r#"["typing",{"on":true}]"#.to_owned(),
                    ack: false
                },
                ScriptStep::Emit {
                    offset: Duration::from_millis(1000),
                    data: r#"["send",{"text":"hi"}]"#.to_owned(),
                    ack: true
                },
            ]
        );
        assert_eq!(one.acks(), &[r#"[{"ok":true}]"#.to_owned()]);
        let auth: serde_json::Value =
            serde_json::from_str(&one.auth(Some("fresh")).unwrap()).unwrap();
        assert_eq!(auth, serde_json::json!({"token": "fresh", "client": "web"}));
        assert_eq!(one.auth(None).as_deref(), Some(r#"{"client":"web"}"#));
        let two = plan.script_for(1);
        assert_eq!(two.conn(), 2);
        assert_eq!(two.auth(None), None, "no payload captured, no token now");
        assert_eq!(two.auth(Some("t")).as_deref(), Some(r#"{"token":"t"}"#));
        assert_eq!(two.steps()[0].offset(), Duration::from_millis(2000));
        // Virtual clients cycle through the sessions.
        assert_eq!(plan.script_for(2).conn(), 1);
        assert_eq!(plan.script_for(7).conn(), 2);
    }

    #[test]
    fn a_capture_with_no_client_connect_is_a_clear_error() {
        let capture = Capture::from_records([frame(
            0.0,
            1,
            Direction::Server,
            r#"42/chatomni,["on-events","{}"]"#,
        )]);
        let err = ReplayPlan::from_capture(&capture, "/chatomni").unwrap_err();
        assert!(err.to_string().contains("nothing to play"), "{err}");
    }
}
